// What the HTTP strategies share: one request through ctx.net with our usual headers, the path a
// credential set names, and the lockout signs of an answer.
import type { Failure, HttpResponse } from '../../src/engine/net.js';
import type { AttemptOutcome, Credential, CredentialContext, LoginRequirement } from '../../src/engine/probe.js';
import { decodeTextSafe } from '../../src/core/sanitize.js';
import { hostHeader } from '../http/probe.js';
import { LOCKOUT_TEXT } from './common.js';

/** Enough for a login page; the socket is dropped beyond it. */
export const MAX_BODY_BYTES = 64 * 1024;

/** One HTTP strategy (basic-auth, digest-auth, form-login); the driver picks it from params.strategy. */
export interface HttpStrategy {
  requiresLogin(ctx: CredentialContext): Promise<LoginRequirement>;
  attempt(ctx: CredentialContext, credential: Credential): Promise<AttemptOutcome>;
}

export function protectedPath(ctx: CredentialContext): string {
  const path = ctx.params['path'] ?? '/';
  return path.startsWith('/') ? path : `/${path}`;
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  path?: string;
  authorization?: string;
  form?: string;
}

export function send(ctx: CredentialContext, options: RequestOptions = {}): Promise<HttpResponse | Failure> {
  const { address, port } = ctx.subject;
  const headers: Record<string, string> = { host: hostHeader(address, port), 'user-agent': 'iotscan', accept: '*/*', connection: 'close' };
  if (options.authorization !== undefined) headers['authorization'] = options.authorization;
  if (options.form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  return ctx.net.http({
    address,
    port,
    method: options.method ?? 'GET',
    path: options.path ?? protectedPath(ctx),
    headers,
    ...(options.form !== undefined && { body: options.form }),
    timeoutMs: ctx.timeoutMs,
    maxBytes: MAX_BODY_BYTES,
    signal: ctx.signal,
  });
}

export function bodyText(response: HttpResponse): string {
  return decodeTextSafe(response.body, MAX_BODY_BYTES);
}

/** 429 (RFC 6585) and 503 say "not now"; lockout wording says the same in a page. */
export function lockoutSign(response: HttpResponse): string | undefined {
  if (response.status === 429 || response.status === 503) return `status ${response.status}`;
  if (response.status >= 400 && LOCKOUT_TEXT.test(bodyText(response))) return `status ${response.status} with lockout wording`;
  return undefined;
}

export function isSuccessStatus(status: number): boolean {
  return status >= 200 && status < 300;
}
