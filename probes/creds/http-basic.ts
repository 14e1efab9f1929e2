// HTTP Basic credential driver, strategy `basic-auth` (RFC 7617). A login counts only when the
// same path answers 401 with a Basic challenge without credentials and 2xx with them: a page that
// is open to everyone proves nothing about a password.
import type { HttpResponse, Failure } from '../../src/engine/net.js';
import type {
  AttemptOutcome,
  Credential,
  CredentialContext,
  CredentialDriver,
  LoginRequirement,
} from '../../src/engine/probe.js';
import { decodeTextSafe, printable } from '../../src/core/sanitize.js';
import { offersBasic, parseChallenge } from '../http/codec.js';
import { hostHeader } from '../http/probe.js';

const MAX_BODY_BYTES = 16 * 1024;
const LOCKOUT_TEXT = /locked|too many/i;

function protectedPath(ctx: CredentialContext): string {
  const path = ctx.params['path'] ?? '/';
  return path.startsWith('/') ? path : `/${path}`;
}

function get(ctx: CredentialContext, authorization?: string): Promise<HttpResponse | Failure> {
  const { address, port } = ctx.subject;
  const headers: Record<string, string> = { host: hostHeader(address, port), 'user-agent': 'iotscan', accept: '*/*', connection: 'close' };
  if (authorization !== undefined) headers['authorization'] = authorization;
  return ctx.net.http({ address, port, method: 'GET', path: protectedPath(ctx), headers, timeoutMs: ctx.timeoutMs, maxBytes: MAX_BODY_BYTES, signal: ctx.signal });
}

export function basicAuthorization(credential: Credential): string {
  return `Basic ${Buffer.from(`${credential.username}:${credential.password}`, 'utf8').toString('base64')}`;
}

function demandsBasic(response: HttpResponse): boolean {
  return response.status === 401 && offersBasic(response.headers['www-authenticate']);
}

export const httpBasicDriver: CredentialDriver = {
  protocol: 'http',
  strategies: ['basic-auth'],

  async requiresLogin(ctx: CredentialContext): Promise<LoginRequirement> {
    const response = await get(ctx);
    if (!response.ok) {
      const requirement: LoginRequirement = { kind: 'unreachable', status: response.status };
      if (response.detail !== undefined) requirement.detail = response.detail;
      return requirement;
    }
    const path = protectedPath(ctx);
    if (demandsBasic(response)) {
      const realm = parseChallenge(response.headers['www-authenticate'] ?? '').realm;
      return { kind: 'login-required', detail: `401 Basic on ${path}${realm === undefined ? '' : ` (realm "${realm}")`}` };
    }
    if (response.status >= 200 && response.status < 300) return { kind: 'no-login', detail: `${response.status} on ${path} without credentials` };
    return { kind: 'unreachable', status: 'protocol-mismatch', detail: `${response.status} on ${path}, no Basic challenge` };
  },

  async attempt(ctx: CredentialContext, credential: Credential): Promise<AttemptOutcome> {
    const path = protectedPath(ctx);
    // The baseline is checked on every attempt, so a page that opens up (or never was closed) cannot pass for a login.
    const baseline = await get(ctx);
    if (!baseline.ok) return { kind: 'abort', reason: `baseline request failed: ${baseline.status}` };
    if (!demandsBasic(baseline)) return { kind: 'abort', reason: `${path} does not ask for Basic credentials (status ${baseline.status})` };

    const response = await get(ctx, basicAuthorization(credential));
    if (!response.ok) return { kind: 'abort', reason: `request failed: ${response.status}` };
    const { status } = response;
    if (status === 429 || status === 503) return { kind: 'back-off', reason: `status ${status}` };
    if (status >= 200 && status < 300) return { kind: 'success', evidence: `${path}: 401 without credentials, ${status} with them` };
    if (LOCKOUT_TEXT.test(decodeTextSafe(response.body, MAX_BODY_BYTES))) return { kind: 'back-off', reason: printable(`status ${status}, lockout text`, 120) };
    if (status === 401 || status === 403) return { kind: 'rejected' };
    return { kind: 'abort', reason: `unexpected status ${status}` };
  },
};
