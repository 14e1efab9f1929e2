// A read-only HTTP server for lab devices: a few fixed paths answer GET and HEAD, everything else
// is 404, and any other method 405, so nothing a scanner sends can change a device's state. The
// query string is ignored for the same reason (`/settings?name=x` renames a real Shelly).
// Devices with a login check the Authorization header with basicAccepts or a DigestLogin.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
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
  /** The answer for every other path (a function to answer per request, e.g. a login first). */
  notFound?: HttpPage | ((request: IncomingMessage) => HttpPage);
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
    const chosen = entry ?? options.notFound ?? DEFAULT_NOT_FOUND;
    const page = typeof chosen === 'function' ? chosen(request) : chosen;
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

/** A user name and password a lab device's login takes. */
export interface LabAccount {
  username: string;
  password: string;
}

const MAX_AUTHORIZATION_CHARS = 4096;

/** Whether an `Authorization: Basic` value (RFC 7617) carries one of the accounts. */
export function basicAccepts(authorization: string | undefined, accounts: readonly LabAccount[]): boolean {
  if (authorization === undefined || authorization.length > MAX_AUTHORIZATION_CHARS) return false;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (match?.[1] === undefined) return false;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  return accounts.some((account) => account.username === username && account.password === password);
}

const NONCES_KEPT = 256;
const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

/**
 * The server side of HTTP Digest as embedded web servers of the MD5 era speak it (RFC 7616 §3.3,
 * §3.4; algorithm MD5, qop "auth"): each challenge carries a fresh nonce, and an answer counts only
 * for a nonce this server handed out, in its own realm, for the request's own method and URI.
 */
export class DigestLogin {
  /** Issued nonces, oldest first; a bounded set, so a flood of challenges cannot grow it. */
  private readonly nonces = new Set<string>();

  constructor(
    private readonly realm: string,
    private readonly accounts: readonly LabAccount[],
    private readonly opaque?: string,
  ) {}

  /** A `WWW-Authenticate` value with a fresh nonce. */
  challenge(): string {
    const nonce = randomBytes(16).toString('hex');
    this.nonces.add(nonce);
    for (const oldest of this.nonces) {
      if (this.nonces.size <= NONCES_KEPT) break;
      this.nonces.delete(oldest);
    }
    const opaque = this.opaque === undefined ? '' : `, opaque="${this.opaque}"`;
    return `Digest realm="${this.realm}", nonce="${nonce}", algorithm=MD5, qop="auth"${opaque}`;
  }

  /** Whether an `Authorization: Digest` value proves one of the accounts for this request. */
  accepts(authorization: string | undefined, method: string, uri: string): boolean {
    const params = digestParams(authorization);
    if (params === undefined) return false;
    const { username, realm, nonce, response, nc, cnonce } = params;
    if (realm !== this.realm || nonce === undefined || !this.nonces.has(nonce) || params['uri'] !== uri) return false;
    if ((params['algorithm'] ?? 'MD5').toUpperCase() !== 'MD5' || params['qop'] !== 'auth' || nc === undefined || cnonce === undefined) return false;
    if (response === undefined || !/^[0-9a-f]{32}$/i.test(response)) return false;
    const ha2 = md5(`${method}:${uri}`);
    return this.accounts.some((account) => {
      if (account.username !== username) return false;
      const expected = md5(`${md5(`${account.username}:${this.realm}:${account.password}`)}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
      return timingSafeEqual(Buffer.from(expected), Buffer.from(response.toLowerCase()));
    });
  }
}

/** The parameters of an `Authorization: Digest` value, names in lower case; undefined if it is not one. */
function digestParams(authorization: string | undefined): Record<string, string> | undefined {
  if (authorization === undefined || authorization.length > MAX_AUTHORIZATION_CHARS) return undefined;
  const scheme = /^Digest\s+/i.exec(authorization);
  if (scheme === null) return undefined;
  const params: Record<string, string> = {};
  for (const match of authorization.slice(scheme[0].length).matchAll(/([A-Za-z][A-Za-z0-9-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))/g)) {
    const name = (match[1] ?? '').toLowerCase();
    if (!Object.hasOwn(params, name)) params[name] = match[2] === undefined ? (match[3] ?? '') : match[2].replace(/\\(.)/g, '$1');
  }
  return params;
}
