// HTTP strategy `digest-auth` (RFC 7616, MD5 / SHA-256 / SHA-512-256, qop=auth). Each attempt
// first asks without credentials: the 401 is the baseline and carries a fresh nonce. Success is a
// 2xx on the same path that answered 401 a moment before.
import type { AttemptOutcome, Credential, CredentialContext, LoginRequirement } from '../../src/engine/probe.js';
import { printable } from '../../src/core/sanitize.js';
import { unreachable } from './common.js';
import { digestAuthorization, digestName, offersScheme, pickDigestChallenge } from './digest.js';
import { isSuccessStatus, lockoutSign, protectedPath, send } from './http-request.js';
import type { HttpStrategy } from './http-request.js';

export const digestAuth: HttpStrategy = {
  async requiresLogin(ctx: CredentialContext): Promise<LoginRequirement> {
    const response = await send(ctx);
    if (!response.ok) return unreachable(response);
    const path = protectedPath(ctx);
    const header = response.headers['www-authenticate'];
    if (response.status === 401) {
      const challenge = pickDigestChallenge(header);
      if (challenge !== undefined) {
        return { kind: 'login-required', detail: `401 Digest ${digestName(challenge)} on ${path} (realm "${printable(challenge.realm, 128)}")` };
      }
      const why = offersScheme(header, 'digest') ? 'a Digest challenge this client cannot answer (auth-int only or unknown algorithm)' : 'no Digest challenge';
      return { kind: 'unreachable', status: 'protocol-mismatch', detail: `401 on ${path} with ${why}` };
    }
    if (isSuccessStatus(response.status)) return { kind: 'no-login', detail: `${response.status} on ${path} without credentials` };
    return { kind: 'unreachable', status: 'protocol-mismatch', detail: `${response.status} on ${path}, no Digest challenge` };
  },

  async attempt(ctx: CredentialContext, credential: Credential): Promise<AttemptOutcome> {
    const path = protectedPath(ctx);
    const baseline = await send(ctx);
    if (!baseline.ok) return { kind: 'abort', reason: `baseline request failed: ${baseline.status}` };
    const challenge = baseline.status === 401 ? pickDigestChallenge(baseline.headers['www-authenticate']) : undefined;
    if (challenge === undefined) {
      const lockout = lockoutSign(baseline);
      if (lockout !== undefined) return { kind: 'back-off', reason: lockout };
      return { kind: 'abort', reason: `${path} does not ask for Digest credentials this client can answer (status ${baseline.status})` };
    }
    const authorization = digestAuthorization(challenge, credential, { method: 'GET', uri: path });
    if (authorization === undefined) return { kind: 'abort', reason: 'the pair contains control characters' };

    const response = await send(ctx, { authorization });
    if (!response.ok) return { kind: 'abort', reason: `request failed: ${response.status}` };
    const { status } = response;
    if (isSuccessStatus(status)) return { kind: 'success', evidence: `${path}: 401 Digest ${digestName(challenge)} without credentials, ${status} with them` };
    const lockout = lockoutSign(response);
    if (lockout !== undefined) return { kind: 'back-off', reason: lockout };
    if (status === 401 || status === 403) return { kind: 'rejected' };
    return { kind: 'abort', reason: `unexpected status ${status}` };
  },
};
