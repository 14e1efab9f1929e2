// Telnet version probe: refuses every option, reads the banner until a prompt shows, and reports
// which prompt it is. It never sends a credential (that is probes/creds/telnet.ts).
import type { TcpConn } from '../../src/engine/net.js';
import { onPorts, type ProbeContext, type ProbeOutput, type ServiceProbe } from '../../src/engine/probe.js';
import { TelnetDecoder, classifyScreen, decodeTelnetText } from './codec.js';
import type { Screen } from './codec.js';

const DEFAULT_PORTS = [23, 2323] as const;
/** Text kept per screen; a prompt worth recognising comes long before this. */
const MAX_SCREEN_BYTES = 16 * 1024;
/** After something that looks like a prompt, wait this long in case more text follows. */
const PROMPT_SETTLE_MS = 150;

export const telnetProbe: ServiceProbe = {
  kind: 'service',
  id: 'telnet',
  protocol: 'telnet',
  categories: ['version'],
  transport: 'tcp',
  defaultPorts: DEFAULT_PORTS,
  fields: ['telnet.banner', 'telnet.prompt'],
  bannerField: 'telnet.banner',
  appliesTo: onPorts('tcp', DEFAULT_PORTS),
  run,
};

export interface ScreenRead {
  screen: Screen;
  /** Raw text of this screen (decoded, not yet made printable). */
  text: string;
  end: 'prompt' | 'closed' | 'io-timeout' | 'aborted' | 'limit';
  /** Bytes received, telnet commands included. */
  bytes: number;
}

/**
 * Reads until a prompt is waiting, the peer closes or `timeoutMs` passes, answering option
 * negotiation on the way. Only text received during this call is classified.
 */
export async function readScreen(conn: TcpConn, decoder: TelnetDecoder, timeoutMs: number): Promise<ScreenRead> {
  const deadline = Date.now() + timeoutMs;
  const data: Uint8Array[] = [];
  let dataLength = 0;
  let bytes = 0;
  let text = '';
  let screen = classifyScreen('');
  for (;;) {
    const remaining = deadline - Date.now();
    const settling = screen.prompt !== 'none';
    if (remaining <= 0) return { screen, text, end: settling ? 'prompt' : 'io-timeout', bytes };
    const result = await conn.read({ timeoutMs: settling ? Math.min(PROMPT_SETTLE_MS, remaining) : remaining, maxBytes: MAX_SCREEN_BYTES });
    bytes += result.data.length;
    const { data: chunk, reply } = decoder.feed(result.data);
    if (reply.length > 0) conn.write(reply);
    if (chunk.length > 0) {
      data.push(chunk);
      dataLength += chunk.length;
      text = decodeTelnetText(Buffer.concat(data));
      screen = classifyScreen(text);
    }
    if (result.end === 'io-timeout') return { screen, text, end: screen.prompt !== 'none' ? 'prompt' : 'io-timeout', bytes };
    if (result.end === 'aborted' || result.end === 'closed') return { screen, text, end: result.end, bytes };
    if (result.end === 'limit' || dataLength >= MAX_SCREEN_BYTES) return { screen, text, end: 'limit', bytes };
  }
}

async function* run(ctx: ProbeContext): AsyncIterable<ProbeOutput> {
  const { address, port } = ctx.subject;
  const connected = await ctx.net.connectTcp(address, port, { timeoutMs: ctx.timeoutMs, signal: ctx.signal, maxBytes: 256 * 1024 });
  if (!connected.ok) {
    yield { kind: 'status', status: connected.status, ...(connected.detail === undefined ? {} : { detail: connected.detail }) };
    return;
  }
  const conn = connected.conn;
  try {
    const read = await readScreen(conn, new TelnetDecoder(), ctx.timeoutMs);
    if (read.end === 'aborted') {
      yield { kind: 'status', status: 'aborted' };
      return;
    }
    if (read.bytes === 0) {
      yield { kind: 'status', status: read.end === 'closed' ? 'protocol-mismatch' : 'io-timeout', detail: 'nothing received' };
      return;
    }
    const fields: Record<string, string> = { 'telnet.prompt': read.screen.prompt };
    if (read.screen.banner !== '') fields['telnet.banner'] = read.screen.banner;
    yield { kind: 'observation', port, transport: 'tcp', fields };
    yield { kind: 'status', status: 'success' };
  } finally {
    conn.close();
  }
}
