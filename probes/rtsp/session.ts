// One RTSP conversation over the Net port, shared by the RTSP probe and the RTSP credential
// driver: requests on one connection, reconnecting when the server closes in between.
import type { Failure, TcpConn } from '../../src/engine/net.js';
import type { ProbeContext } from '../../src/engine/probe.js';
import { buildRequest, parseResponse, rtspUrl } from './codec.js';
import type { RtspResponse } from './codec.js';

export type RtspExchange = { ok: true; response: RtspResponse } | Failure;

const MAX_RESPONSE_BYTES = 96 * 1024;
const CLOSED_SILENT = 'closed without a response';

export class RtspSession {
  private conn: TcpConn | undefined;
  private cseq = 0;
  private leftover: Uint8Array = new Uint8Array(0);

  constructor(private readonly ctx: ProbeContext) {}

  url(path: string): string {
    return rtspUrl(this.ctx.subject.address, this.ctx.subject.port, path);
  }

  async request(method: 'OPTIONS' | 'DESCRIBE', path: string, authorization?: string): Promise<RtspExchange> {
    const reused = this.conn !== undefined;
    const first = await this.exchange(method, path, authorization);
    // A camera's FIN can arrive just after the look above: a reused line that closes without a
    // byte of answer never handled the request, so it goes once more on a fresh connection
    // (OPTIONS and DESCRIBE are idempotent), as HTTP clients do for kept-alive connections.
    if (reused && !first.ok && first.status === 'protocol-mismatch' && first.detail === CLOSED_SILENT) return this.exchange(method, path, authorization);
    return first;
  }

  private async exchange(method: 'OPTIONS' | 'DESCRIBE', path: string, authorization?: string): Promise<RtspExchange> {
    const { address, port } = this.ctx.subject;
    if (this.conn !== undefined) {
      // Cameras that close after each response must not get the next request on a dead line:
      // a look without waiting tells (and keeps whatever else has arrived).
      const look = await this.conn.read({ until: () => false, timeoutMs: 0, maxBytes: MAX_RESPONSE_BYTES });
      this.leftover = Buffer.concat([this.leftover, look.data]);
      if (look.end === 'closed') this.close();
    }
    if (this.conn === undefined) {
      const connected = await this.ctx.net.connectTcp(address, port, { timeoutMs: this.ctx.timeoutMs, signal: this.ctx.signal, maxBytes: 256 * 1024 });
      if (!connected.ok) return connected;
      this.conn = connected.conn;
      this.leftover = new Uint8Array(0);
    }
    const conn = this.conn;
    this.cseq += 1;
    conn.write(buildRequest(method, this.url(path), this.cseq, authorization));
    const previous = this.leftover;
    const read = await conn.read({
      until: (buffered) => parseResponse(Buffer.concat([previous, buffered])).kind !== 'incomplete',
      maxBytes: MAX_RESPONSE_BYTES,
    });
    const bytes = Buffer.concat([previous, read.data]);
    const parsed = parseResponse(bytes);
    if (read.end === 'closed' || parsed.kind !== 'response') this.close();
    if (parsed.kind === 'response') {
      this.leftover = bytes.subarray(parsed.consumed);
      return { ok: true, response: parsed.response };
    }
    if (read.end === 'aborted') return { ok: false, status: 'aborted' };
    if (parsed.kind === 'invalid') return { ok: false, status: 'protocol-mismatch', detail: parsed.reason };
    if (read.end === 'io-timeout') return { ok: false, status: 'io-timeout' };
    return { ok: false, status: 'protocol-mismatch', detail: bytes.length === 0 ? CLOSED_SILENT : 'closed in the middle of a response' };
  }

  close(): void {
    this.conn?.close();
    this.conn = undefined;
  }
}
