// TCP side of the Net port: connect with a deadline, then bounded reads. Expected outcomes
// (refused, timed out, closed) come back as values.
import { Socket } from 'node:net';
import type { Failure, TcpConn, TcpReadResult } from '../engine/net.js';

const DEFAULT_CONNECTION_MAX_BYTES = 1024 * 1024;
const DEFAULT_READ_MAX_BYTES = 64 * 1024;

/** Maps a socket error raised while connecting to the closed list of probe statuses. */
export function failureFromError(error: unknown, phase: 'connect' | 'io'): Failure {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : '';
  switch (code) {
    case 'ECONNREFUSED':
      return { ok: false, status: 'connection-refused' };
    case 'ETIMEDOUT':
      return { ok: false, status: phase === 'connect' ? 'connection-timeout' : 'io-timeout' };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
      return { ok: false, status: 'no-response', detail: code };
    case 'ABORT_ERR':
      return { ok: false, status: 'aborted' };
    default:
      return { ok: false, status: 'unknown-error', detail: code || (error instanceof Error ? error.message : String(error)) };
  }
}

export function connectTcp(
  address: string,
  port: number,
  options: { timeoutMs: number; signal: AbortSignal; maxBytes?: number },
): Promise<{ ok: true; conn: TcpConn } | Failure> {
  const { signal, timeoutMs } = options;
  if (signal.aborted) return Promise.resolve({ ok: false, status: 'aborted' });
  return new Promise((resolve) => {
    const socket = new Socket();
    let settled = false;
    const finish = (result: { ok: true; conn: TcpConn } | Failure): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.removeListener('error', onError);
      if (!result.ok) socket.destroy();
      resolve(result);
    };
    const onAbort = (): void => finish({ ok: false, status: 'aborted' });
    const onError = (error: Error): void => finish(failureFromError(error, 'connect'));
    const timer = setTimeout(() => finish({ ok: false, status: 'connection-timeout' }), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once('connect', () => {
      finish({ ok: true, conn: new NodeTcpConn(socket, options.maxBytes ?? DEFAULT_CONNECTION_MAX_BYTES, timeoutMs, signal) });
    });
    socket.connect({ host: address, port });
  });
}

/** Buffers what the peer sends (up to a cap for the whole connection) and hands it out per read. */
class NodeTcpConn implements TcpConn {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  private pending: Buffer = Buffer.alloc(0);
  private received = 0;
  private closed = false;
  private overLimit = false;
  private wake: (() => void) | undefined;
  private reading = false;

  constructor(
    private readonly socket: Socket,
    private readonly connectionMaxBytes: number,
    private readonly defaultTimeoutMs: number,
    private readonly signal: AbortSignal,
  ) {
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.localAddress = socket.localAddress ?? '';
    socket.on('data', (chunk: Buffer) => {
      const room = this.connectionMaxBytes - this.received;
      const accepted = chunk.length > room ? chunk.subarray(0, room) : chunk;
      this.received += accepted.length;
      this.pending = this.pending.length === 0 ? Buffer.from(accepted) : Buffer.concat([this.pending, accepted]);
      if (chunk.length > room) {
        // The peer sends more than any probe needs: stop reading instead of buffering it.
        this.overLimit = true;
        socket.destroy();
      }
      this.wake?.();
    });
    const onGone = (): void => {
      this.closed = true;
      this.wake?.();
    };
    socket.on('end', onGone);
    socket.on('close', onGone);
    // Errors after connecting (a reset) end the conversation like a close does.
    socket.on('error', onGone);
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  private readonly onAbort = (): void => {
    this.socket.destroy();
    this.wake?.();
  };

  write(data: Uint8Array | string): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(data);
  }

  read(options: { until?: (buffered: Uint8Array) => boolean; maxBytes?: number; timeoutMs?: number }): Promise<TcpReadResult> {
    if (this.reading) throw new Error('TcpConn.read called while another read is waiting');
    const until = options.until ?? ((buffered: Uint8Array) => buffered.length > 0);
    const maxBytes = options.maxBytes ?? DEFAULT_READ_MAX_BYTES;
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    this.reading = true;
    return new Promise((resolve) => {
      const take = (end: TcpReadResult['end']): void => {
        clearTimeout(timer);
        this.wake = undefined;
        this.reading = false;
        const data = this.pending.subarray(0, maxBytes);
        this.pending = this.pending.subarray(data.length);
        resolve({ data: new Uint8Array(data), end });
      };
      const check = (): boolean => {
        if (this.signal.aborted) take('aborted');
        else if (this.pending.length > 0 && until(this.pending)) take('ok');
        else if (this.pending.length >= maxBytes) take('limit');
        else if (this.overLimit) take('limit');
        else if (this.closed) take('closed');
        else return false;
        return true;
      };
      const timer = setTimeout(() => take('io-timeout'), timeoutMs);
      if (check()) return;
      this.wake = () => {
        check();
      };
    });
  }

  close(): void {
    this.signal.removeEventListener('abort', this.onAbort);
    this.socket.destroy();
  }
}
