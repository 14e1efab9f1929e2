// A node Duplex over a TcpConn from ctx.net, for libraries that want a stream (ssh2's `sock`).
// Reads stay bounded by the TcpConn; one read is outstanding at a time.
import { Duplex } from 'node:stream';
import type { TcpConn } from '../../src/engine/net.js';

const CHUNK_BYTES = 64 * 1024;

export class TcpConnStream extends Duplex {
  private reading = false;

  constructor(
    private readonly conn: TcpConn,
    /** How long one read waits before it is simply issued again; the caller owns the overall deadline. */
    private readonly readTimeoutMs: number,
  ) {
    // The peer closing ends our side too, so the stream (and the library on it) sees a close.
    super({ allowHalfOpen: false });
  }

  override _read(): void {
    if (this.reading) return;
    this.reading = true;
    void this.readOnce();
  }

  private async readOnce(): Promise<void> {
    for (;;) {
      const result = await this.conn.read({ maxBytes: CHUNK_BYTES, timeoutMs: this.readTimeoutMs });
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
    this.conn.write(chunk);
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
