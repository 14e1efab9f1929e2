// A node stream over the Net port's TcpConn, so a stream-based protocol library (ssh2) can carry
// on a conversation the probe already started on that connection: the bytes already received are
// handed over first, and the library's repeat of what the probe already sent is not sent again.
import { Duplex } from 'node:stream';
import type { TcpConn } from '../../src/engine/net.js';

export interface ResumedConversation {
  /** Everything read from the peer so far, in order; the stream yields it before anything new. */
  alreadyReceived: Uint8Array;
  /** What the probe already wrote; the library's first bytes must repeat it exactly and are dropped. */
  alreadySent: Uint8Array;
  /** One wait for more bytes; the owner of the stream bounds the whole conversation. */
  readTimeoutMs: number;
}

export function tcpConnDuplex(conn: TcpConn, conversation: ResumedConversation): Duplex {
  return new TcpConnDuplex(conn, conversation);
}

class TcpConnDuplex extends Duplex {
  private pumping = false;
  private unsentEcho: Buffer;

  constructor(
    private readonly conn: TcpConn,
    private readonly conversation: ResumedConversation,
  ) {
    // When the peer closes, the writing side closes too: TcpConn has no half-close.
    super({ allowHalfOpen: false });
    this.unsentEcho = Buffer.from(conversation.alreadySent);
    if (conversation.alreadyReceived.length > 0) this.push(Buffer.from(conversation.alreadyReceived));
  }

  override _read(): void {
    if (this.pumping) return;
    this.pumping = true;
    void this.pump();
  }

  /** Moves bytes from the connection into the stream until the peer or the owner ends it. */
  private async pump(): Promise<void> {
    for (;;) {
      const result = await this.conn.read({ timeoutMs: this.conversation.readTimeoutMs });
      if (this.destroyed) return;
      if (result.data.length > 0) this.push(Buffer.from(result.data));
      const over = result.end === 'closed' || result.end === 'aborted' || (result.end === 'limit' && result.data.length === 0);
      if (over) {
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

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.conn.close();
    callback(error);
  }
}
