// A node stream over the Net port's TcpConn, for stream-based protocol libraries (ssh2's `sock`).
// Reads stay bounded by the TcpConn, one at a time and only when the library wants more. A probe
// that already started the conversation hands over the bytes it received (yielded first) and what
// it sent (the library's repeat of it is not sent again).
import { Duplex } from 'node:stream';
import type { TcpConn } from '../../src/engine/net.js';

const CHUNK_BYTES = 64 * 1024;

export interface DuplexOptions {
  /** How long one read waits before it is issued again; the owner of the stream bounds the whole conversation. */
  readTimeoutMs: number;
  /** Everything read from the peer so far, in order. */
  alreadyReceived?: Uint8Array;
  /** What the probe already wrote; the library's first bytes must repeat it exactly and are dropped. */
  alreadySent?: Uint8Array;
}

export function tcpConnDuplex(conn: TcpConn, options: DuplexOptions): Duplex {
  return new TcpConnDuplex(conn, options);
}

class TcpConnDuplex extends Duplex {
  private reading = false;
  private unsentEcho: Buffer;

  constructor(
    private readonly conn: TcpConn,
    private readonly options: DuplexOptions,
  ) {
    // The peer closing ends our side too (TcpConn has no half-close), so the library sees a close.
    super({ allowHalfOpen: false });
    this.unsentEcho = Buffer.from(options.alreadySent ?? new Uint8Array());
    if (options.alreadyReceived !== undefined && options.alreadyReceived.length > 0) this.push(Buffer.from(options.alreadyReceived));
  }

  override _read(): void {
    if (this.reading) return;
    this.reading = true;
    void this.readOnce();
  }

  private async readOnce(): Promise<void> {
    for (;;) {
      const result = await this.conn.read({ maxBytes: CHUNK_BYTES, timeoutMs: this.options.readTimeoutMs });
      if (this.destroyed) return;
      if (result.data.length > 0) {
        this.reading = false;
        this.push(Buffer.from(result.data));
        return;
      }
      if (result.end === 'aborted') {
        this.destroy(new Error('aborted'));
        return;
      }
      if (result.end !== 'io-timeout') {
        // closed, or the connection's byte cap was reached and the socket dropped.
        this.reading = false;
        this.push(null);
        return;
      }
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    let data = chunk;
    if (this.unsentEcho.length > 0) {
      const overlap = Math.min(this.unsentEcho.length, data.length);
      if (!this.unsentEcho.subarray(0, overlap).equals(data.subarray(0, overlap))) {
        callback(new Error('the library did not repeat what was already sent'));
        return;
      }
      this.unsentEcho = this.unsentEcho.subarray(overlap);
      data = data.subarray(overlap);
    }
    if (data.length > 0) this.conn.write(data);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.conn.close();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.conn.close();
    callback(error);
  }
}
