// HTTP strategy `basic-auth` (RFC 7617). A login counts only when the same path answers 401 with a
// Basic challenge without credentials and 2xx with them: a page that is open to everyone proves
// nothing about a password.
import type { HttpResponse } from '../../src/engine/net.js';
import type { AttemptOutcome, Credential, CredentialContext, LoginRequirement } from '../../src/engine/probe.js';
import { parseChallenge } from '../http/codec.js';
import { unreachable } from './common.js';
import { offersScheme } from './digest.js';
import { isSuccessStatus, lockoutSign, protectedPath, send } from './http-request.js';
import type { HttpStrategy } from './http-request.js';

export function basicAuthorization(credential: Credential): string {
  return `Basic ${Buffer.from(`${credential.username}:${credential.password}`, 'utf8').toString('base64')}`;
}

function demandsBasic(response: HttpResponse): boolean {
  return response.status === 401 && offersScheme(response.headers['www-authenticate'], 'basic');
}

export const basicAuth: HttpStrategy = {
  async requiresLogin(ctx: CredentialContext): Promise<LoginRequirement> {
    const response = await send(ctx);
    if (!response.ok) return unreachable(response);
    const path = protectedPath(ctx);
    if (demandsBasic(response)) {
      const realm = parseChallenge(response.headers['www-authenticate'] ?? '').realm;
      return { kind: 'login-required', detail: `401 Basic on ${path}${realm === undefined ? '' : ` (realm "${realm}")`}` };
    }
    if (isSuccessStatus(response.status)) return { kind: 'no-login', detail: `${response.status} on ${path} without credentials` };
    return { kind: 'unreachable', status: 'protocol-mismatch', detail: `${response.status} on ${path}, no Basic challenge` };
  },

  async attempt(ctx: CredentialContext, credential: Credential): Promise<AttemptOutcome> {
    const path = protectedPath(ctx);
    // The baseline is a request without credentials (no login attempt), so it is repeated every
    // time: a page that opens up (or never was closed) cannot pass for a login.
    const baseline = await send(ctx);
    if (!baseline.ok) return { kind: 'abort', reason: `baseline request failed: ${baseline.status}` };
    if (!demandsBasic(baseline)) {
      const lockout = lockoutSign(baseline);
      if (lockout !== undefined) return { kind: 'back-off', reason: lockout };
      return { kind: 'abort', reason: `${path} does not ask for Basic credentials (status ${baseline.status})` };
    }

    const response = await send(ctx, { authorization: basicAuthorization(credential) });
    if (!response.ok) return { kind: 'abort', reason: `request failed: ${response.status}` };
    const { status } = response;
    if (isSuccessStatus(status)) return { kind: 'success', evidence: `${path}: 401 Basic without credentials, ${status} with them` };
    const lockout = lockoutSign(response);
    if (lockout !== undefined) return { kind: 'back-off', reason: lockout };
    if (status === 401 || status === 403) return { kind: 'rejected' };
    return { kind: 'abort', reason: `unexpected status ${status}` };
  },
};
