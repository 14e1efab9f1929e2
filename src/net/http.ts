// HTTP side of the Net port: one request, one fresh connection, no redirects followed, the body
// capped (the socket is destroyed once the cap is reached) and one deadline for the whole exchange.
import { Agent, request as httpRequest } from 'node:http';
import type { Failure, HttpRequest, HttpResponse } from '../engine/net.js';
import { failureFromError } from './tcp.js';

/** Lower-case header names; a header sent several times is joined with ", ". */
export function joinHeaders(rawHeaders: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = (rawHeaders[index] ?? '').toLowerCase();
    const value = rawHeaders[index + 1] ?? '';
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return headers;
}

export function httpExchange(req: HttpRequest): Promise<HttpResponse | Failure> {
  if (req.signal.aborted) return Promise.resolve({ ok: false, status: 'aborted' });
  return new Promise((resolve) => {
    let settled = false;
    let connected = false;
    const finish = (result: HttpResponse | Failure): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      req.signal.removeEventListener('abort', onAbort);
      outgoing.destroy();
      agent.destroy();
      resolve(result);
    };
    const onAbort = (): void => finish({ ok: false, status: 'aborted' });
    const agent = new Agent({ keepAlive: false, maxSockets: 1 });
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    const outgoing = httpRequest({
      host: req.address,
      port: req.port,
      method: req.method,
      path: req.path,
      headers,
      agent,
      // Devices send malformed headers often; leniency costs nothing here because nothing is proxied.
      insecureHTTPParser: true,
    });
    const deadline = setTimeout(
      () => finish({ ok: false, status: connected ? 'io-timeout' : 'connection-timeout' }),
      req.timeoutMs,
    );
    req.signal.addEventListener('abort', onAbort, { once: true });
    outgoing.on('socket', (socket) => {
      socket.once('connect', () => {
        connected = true;
      });
    });
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      if (typeof error.code === 'string' && error.code.startsWith('HPE_')) {
        finish({ ok: false, status: 'protocol-mismatch', detail: error.code });
      } else if (connected && (error.code === 'ECONNRESET' || error.message === 'socket hang up')) {
        finish({ ok: false, status: 'protocol-mismatch', detail: 'connection closed without an HTTP response' });
      } else {
        finish(failureFromError(error, connected ? 'io' : 'connect'));
      }
    });
    outgoing.on('response', (response) => {
      const chunks: Buffer[] = [];
      let length = 0;
      const respond = (truncated: boolean): void => {
        finish({
          ok: true,
          status: response.statusCode ?? 0,
          headers: joinHeaders(response.rawHeaders),
          body: new Uint8Array(Buffer.concat(chunks)),
          truncated,
        });
      };
      response.on('data', (chunk: Buffer) => {
        const room = req.maxBytes - length;
        if (chunk.length >= room) {
          chunks.push(chunk.subarray(0, room));
          length += room;
          respond(true);
          return;
        }
        chunks.push(chunk);
        length += chunk.length;
      });
      response.on('end', () => respond(false));
      // The peer closing in the middle of a body still leaves a usable (partial) answer.
      response.on('error', () => respond(true));
      response.on('aborted', () => respond(true));
    });
    outgoing.end(req.body);
  });
}
