// An RTSP server (RFC 2326) for lab devices: OPTIONS, and DESCRIBE answered with 200 and an SDP
// for each of the device's stream paths (404 elsewhere), behind an HTTP Basic login (RFC 2326
// §D.2) when the device has one. The lab never
// streams: SETUP, PLAY and the rest get 455, so no media ever flows.
import type { Socket } from 'node:net';
import { serveTcp, type RunningServer } from '../listen.js';

export interface RtspServerOptions {
  host: string;
  port: number;
  /** The `Server:` header, e.g. `Hipcam RealServer/V1.0`. */
  server: string;
  /** Paths a DESCRIBE succeeds on, e.g. ['/11', '/live']. */
  streamPaths: readonly string[];
  /** The SDP returned for a stream, given the request URL (sanitised). */
  sdp(url: string): string;
  /** Called for every request that carries credentials (an Authorization header). */
  onLoginAttempt?: () => void;
  /** A Basic login every request but OPTIONS needs: the realm, and the one Authorization value that passes. */
  login?: { realm: string; authorization: string };
}

const MAX_REQUEST_BYTES = 8192;
const IDLE_TIMEOUT_MS = 30_000;
const PUBLIC_METHODS = 'OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY, PAUSE, GET_PARAMETER, SET_PARAMETER';

interface RtspRequest {
  method: string;
  url: string;
  headers: Map<string, string>;
}

/** Splits one complete request off the buffer; undefined while it is incomplete. */
function takeRequest(buffer: Buffer): { request: RtspRequest; rest: Buffer } | 'malformed' | undefined {
  const headerEnd = buffer.indexOf('\r\n\r\n');
  if (headerEnd < 0) return buffer.length > MAX_REQUEST_BYTES ? 'malformed' : undefined;
  const lines = buffer.toString('latin1', 0, headerEnd).split('\r\n');
  const [method, url, version] = (lines[0] ?? '').split(' ');
  if (!method || !url || version !== 'RTSP/1.0') return 'malformed';
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const bodyLength = Number.parseInt(headers.get('content-length') ?? '0', 10) || 0;
  const total = headerEnd + 4 + bodyLength;
  if (bodyLength < 0 || total > MAX_REQUEST_BYTES) return 'malformed';
  if (buffer.length < total) return undefined;
  return { request: { method, url, headers }, rest: buffer.subarray(total) };
}

/** The path of an absolute `rtsp://host[:port]/path` URL (or of a bare path); '' when unreadable. */
function pathOf(url: string): string {
  if (url.startsWith('/')) return url.split('?')[0] ?? '';
  const match = /^rtsp:\/\/[^/]*(\/[^?]*)?/i.exec(url);
  if (!match) return '';
  return match[1] ?? '/';
}

function response(server: string, cseq: string, status: string, headers: string[], body = ''): string {
  const lines = [`RTSP/1.0 ${status}`, `CSeq: ${cseq}`, `Server: ${server}`, ...headers];
  if (body !== '') lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

function answer(request: RtspRequest, options: RtspServerOptions): string {
  const cseq = (request.headers.get('cseq') ?? '0').replace(/[^0-9]/g, '').slice(0, 10) || '0';
  if (request.headers.has('authorization')) options.onLoginAttempt?.();
  if (request.method === 'OPTIONS') return response(options.server, cseq, '200 OK', [`Public: ${PUBLIC_METHODS}`]);
  if (options.login !== undefined && request.headers.get('authorization') !== options.login.authorization) {
    return response(options.server, cseq, '401 Unauthorized', [`WWW-Authenticate: Basic realm="${options.login.realm}"`]);
  }
  if (request.method !== 'DESCRIBE') return response(options.server, cseq, '455 Method Not Valid in This State', []);
  if (!options.streamPaths.includes(pathOf(request.url))) return response(options.server, cseq, '404 Not Found', []);
  const url = request.url.replace(/[^\x21-\x7e]/g, '').slice(0, 512);
  return response(options.server, cseq, '200 OK', ['Content-Type: application/sdp', `Content-Base: ${url}/`], options.sdp(url));
}

function handleConnection(socket: Socket, options: RtspServerOptions): void {
  let buffer: Buffer = Buffer.alloc(0);
  socket.setTimeout(IDLE_TIMEOUT_MS, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const taken = takeRequest(buffer);
      if (taken === undefined) return;
      if (taken === 'malformed') {
        socket.end(`RTSP/1.0 400 Bad Request\r\nServer: ${options.server}\r\n\r\n`);
        return;
      }
      buffer = taken.rest;
      socket.write(answer(taken.request, options));
    }
  });
}

export async function startRtspServer(options: RtspServerOptions): Promise<RunningServer> {
  return serveTcp(options.host, options.port, (socket) => handleConnection(socket, options));
}
