// FTP version probe: the 220 greeting, then QUIT. It never logs in (ftp-anon does that).
import type { TcpConn } from '../../src/engine/net.js';
import { onPorts, type ProbeContext, type ProbeOutput, type ServiceProbe } from '../../src/engine/probe.js';
import type { ProbeStatus } from '../../src/core/model.js';
import { parseReply, replyText } from './codec.js';
import type { FtpReply } from './codec.js';

const DEFAULT_PORTS = [21] as const;
const MAX_REPLY_BYTES = 16 * 1024;

export const ftpProbe: ServiceProbe = {
  kind: 'service',
  id: 'ftp',
  protocol: 'ftp',
  categories: ['version'],
  transport: 'tcp',
  defaultPorts: DEFAULT_PORTS,
  fields: ['ftp.banner'],
  bannerField: 'ftp.banner',
  appliesTo: onPorts('tcp', DEFAULT_PORTS),
  run,
};

export type ReplyOutcome = { ok: true; reply: FtpReply } | { ok: false; status: ProbeStatus; detail: string };

/** The control connection: sends commands and reads one complete reply at a time. */
export class FtpControl {
  private buffered: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly conn: TcpConn,
    private readonly timeoutMs: number,
  ) {}

  async reply(): Promise<ReplyOutcome> {
    const parsedSoFar = parseReply(decode(this.buffered));
    if (parsedSoFar.kind !== 'incomplete') return this.take(parsedSoFar);
    const result = await this.conn.read({
      until: (buffered) => parseReply(decode(Buffer.concat([this.buffered, buffered]))).kind !== 'incomplete',
      maxBytes: MAX_REPLY_BYTES,
      timeoutMs: this.timeoutMs,
    });
    this.buffered = Buffer.concat([this.buffered, result.data]);
    const parsed = parseReply(decode(this.buffered));
    if (parsed.kind !== 'incomplete') return this.take(parsed);
    if (result.end === 'aborted') return { ok: false, status: 'aborted', detail: 'aborted' };
    if (result.end === 'io-timeout') return { ok: false, status: 'io-timeout', detail: 'no complete reply' };
    return { ok: false, status: 'protocol-mismatch', detail: this.buffered.length === 0 ? 'closed without a reply' : 'reply too long' };
  }

  /**
   * Connects and reads the greeting: the open control channel (the caller closes it), or the
   * status that ends the probe.
   */
  static async open(ctx: ProbeContext): Promise<{ ok: true; control: FtpControl; greeting: FtpReply } | { ok: false; status: ProbeStatus; detail?: string }> {
    const connected = await ctx.net.connectTcp(ctx.subject.address, ctx.subject.port, { timeoutMs: ctx.timeoutMs, signal: ctx.signal, maxBytes: 64 * 1024 });
    if (!connected.ok) return { ok: false, status: connected.status, ...(connected.detail !== undefined && { detail: connected.detail }) };
    const control = new FtpControl(connected.conn, ctx.timeoutMs);
    const greeting = await control.reply();
    if (!greeting.ok) {
      control.close();
      return greeting;
    }
    return { ok: true, control, greeting: greeting.reply };
  }

  close(): void {
    this.conn.close();
  }

  quit(): void {
    this.conn.write('QUIT\r\n');
  }

  async command(line: string): Promise<ReplyOutcome> {
    this.conn.write(`${line}\r\n`);
    return this.reply();
  }

  private take(parsed: Exclude<ReturnType<typeof parseReply>, { kind: 'incomplete' }>): ReplyOutcome {
    if (parsed.kind === 'invalid') return { ok: false, status: 'protocol-mismatch', detail: 'not an FTP reply' };
    this.buffered = new TextEncoder().encode(parsed.rest);
    return { ok: true, reply: parsed.reply };
  }
}

function decode(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    let text = '';
    for (const byte of bytes) text += String.fromCharCode(byte);
    return text;
  }
}

async function* run(ctx: ProbeContext): AsyncIterable<ProbeOutput> {
  const opened = await FtpControl.open(ctx);
  if (!opened.ok) {
    yield { kind: 'status', status: opened.status, ...(opened.detail !== undefined && { detail: opened.detail }) };
    return;
  }
  const { control, greeting } = opened;
  try {
    // 220 is "ready"; 120 (ready soon) and 421 (busy) still carry the server's text.
    if (![220, 120, 421].includes(greeting.code)) {
      yield { kind: 'status', status: 'protocol-mismatch', detail: `greeting code ${greeting.code}` };
      return;
    }
    yield { kind: 'observation', port: ctx.subject.port, transport: 'tcp', fields: { 'ftp.banner': replyText(greeting) } };
    control.quit();
    yield { kind: 'status', status: 'success' };
  } finally {
    control.close();
  }
}
