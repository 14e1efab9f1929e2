// A read-only HTTP server for lab devices: a few fixed paths answer GET and HEAD, everything else
// is 404, and any other method 405, so nothing a scanner sends can change a device's state. The
// query string is ignored for the same reason (`/settings?name=x` renames a real Shelly).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen, type RunningServer } from '../listen.js';

export interface HttpPage {
  status?: number;
  contentType: string;
  body: string;
  headers?: Record<string, string>;
}

export interface HttpServerOptions {
  /** The address to listen on; '0.0.0.0' keeps a device reachable when its address changes. */
  host: string;
  port: number;
  /** The Server header the device sends, if it sends one. */
  server?: string;
  /** Pages by path; a function builds its page per request (e.g. from the address it came in on). */
  pages: Record<string, HttpPage | ((request: IncomingMessage) => HttpPage)>;
  notFound?: HttpPage;
  /**
   * Methods beyond GET and HEAD that the device's own handler answers (UPnP's SUBSCRIBE and
   * UNSUBSCRIBE); it returns false for a request it leaves to the pages.
   */
  extra?: { methods: readonly string[]; handle(request: IncomingMessage, response: ServerResponse): boolean };
}

const IDLE_TIMEOUT_MS = 10_000;
const HEADERS_TIMEOUT_MS = 5_000;
const MAX_CONNECTIONS = 32;
const MAX_HEADER_BYTES = 8 * 1024;

const DEFAULT_NOT_FOUND: HttpPage = { status: 404, contentType: 'text/html', body: '<html><body><h1>404 Not Found</h1></body></html>\n' };

export async function startHttpServer(options: HttpServerOptions): Promise<RunningServer> {
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (request, response) => {
    if (options.server !== undefined) response.setHeader('Server', options.server);
    if (options.extra?.handle(request, response) === true) return;
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      // The body is never read: answer and drop the connection.
      response.writeHead(405, { Allow: ['GET', 'HEAD', ...(options.extra?.methods ?? [])].join(', '), Connection: 'close', 'Content-Length': 0 }).end();
      return;
    }
    const entry = Object.hasOwn(options.pages, path) ? options.pages[path] : undefined;
    const page = entry === undefined ? (options.notFound ?? DEFAULT_NOT_FOUND) : typeof entry === 'function' ? entry(request) : entry;
    response.writeHead(page.status ?? 200, {
      ...page.headers,
      'Content-Type': page.contentType,
      'Content-Length': Buffer.byteLength(page.body),
    });
    response.end(request.method === 'HEAD' ? undefined : page.body);
  });
  server.requestTimeout = IDLE_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.keepAliveTimeout = IDLE_TIMEOUT_MS;
  server.maxConnections = MAX_CONNECTIONS;

  const port = await listen(server, options.port, options.host);
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
