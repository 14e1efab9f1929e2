// RTSP credential driver, strategy `rtsp-auth` (RFC 2326 §D.2 Basic/Digest over RTSP): DESCRIBE on
// params.path (or `/`) without credentials must answer 401; its challenge says Basic or Digest
// (Digest is preferred: Basic would send the pair in the clear). A login counts only when the
// same DESCRIBE with the pair answers 200. The stream itself is never set up or played.
import type { AttemptOutcome, Credential, CredentialContext, CredentialDriver, LoginRequirement } from '../../src/engine/probe.js';
import { printable } from '../../src/core/sanitize.js';
import { RtspSession } from '../rtsp/session.js';
import type { RtspResponse } from '../rtsp/codec.js';
import { unreachable } from './common.js';
import { digestAuthorization, digestName, offersScheme, pickDigestChallenge } from './digest.js';
import type { DigestChallenge } from './digest.js';
import { basicAuthorization } from './http-basic.js';


function describePath(ctx: CredentialContext): string {
  const path = ctx.params['path'] ?? '/';
  return path.startsWith('/') ? path : `/${path}`;
}

type Answerable = { scheme: 'Digest'; challenge: DigestChallenge } | { scheme: 'Basic' };

/** How to answer a 401: Digest when offered and answerable, else Basic when offered. */
function answerableChallenge(response: RtspResponse): Answerable | undefined {
  if (response.status !== 401) return undefined;
  const header = response.headers['www-authenticate'];
  const challenge = pickDigestChallenge(header);
  if (challenge !== undefined) return { scheme: 'Digest', challenge };
  return offersScheme(header, 'basic') ? { scheme: 'Basic' } : undefined;
}

function isBackOff(status: number): boolean {
  return status === 503 || status === 429;
}

export const rtspDriver: CredentialDriver = {
  protocol: 'rtsp',
  strategies: ['rtsp-auth'],
  baselineSpendsAttempt: [],

  async requiresLogin(ctx: CredentialContext): Promise<LoginRequirement> {
    const session = new RtspSession(ctx);
    try {
      const answer = await session.request('DESCRIBE', describePath(ctx));
      if (!answer.ok) return unreachable(answer);
      const { status } = answer.response;
      const path = describePath(ctx);
      if (status === 401) {
        const answerable = answerableChallenge(answer.response);
        if (answerable !== undefined) return { kind: 'login-required', detail: `DESCRIBE ${path}: 401 ${answerable.scheme}` };
        return { kind: 'unreachable', status: 'protocol-mismatch', detail: `DESCRIBE ${path}: 401 without a Basic or answerable Digest challenge` };
      }
      if (status >= 200 && status < 300) return { kind: 'no-login', detail: `DESCRIBE ${path}: ${status} without credentials` };
      return { kind: 'unreachable', status: 'protocol-mismatch', detail: `DESCRIBE ${path}: ${status}` };
    } finally {
      session.close();
    }
  },

  async attempt(ctx: CredentialContext, credential: Credential): Promise<AttemptOutcome> {
    const session = new RtspSession(ctx);
    const path = describePath(ctx);
    try {
      // Without credentials first: the baseline 401, and the fresh nonce a Digest answer needs.
      const baseline = await session.request('DESCRIBE', describePath(ctx));
      if (!baseline.ok) return { kind: 'abort', reason: `DESCRIBE failed: ${baseline.status}` };
      if (isBackOff(baseline.response.status)) return { kind: 'back-off', reason: `status ${baseline.response.status}` };
      const answerable = answerableChallenge(baseline.response);
      if (answerable === undefined) return { kind: 'abort', reason: `DESCRIBE ${path} without credentials: ${baseline.response.status}, no usable challenge` };
      // Base64 keeps any pair on one line; a Digest answer quotes the user name, so it checks.
      const authorization =
        answerable.scheme === 'Digest' ? digestAuthorization(answerable.challenge, credential, { method: 'DESCRIBE', uri: session.url(describePath(ctx)) }) : basicAuthorization(credential);
      if (authorization === undefined) return { kind: 'abort', reason: 'the pair contains control characters' };

      const answer = await session.request('DESCRIBE', describePath(ctx), authorization);
      if (!answer.ok) return { kind: 'abort', reason: `DESCRIBE with credentials failed: ${answer.status}` };
      const { status } = answer.response;
      const how = answerable.scheme === 'Digest' ? `Digest ${digestName(answerable.challenge)}` : 'Basic';
      if (status >= 200 && status < 300) return { kind: 'success', evidence: printable(`DESCRIBE ${path}: 401 without credentials, ${status} with them (${how}); no stream set up`, 240) };
      if (isBackOff(status)) return { kind: 'back-off', reason: `status ${status}` };
      if (status === 401 || status === 403) return { kind: 'rejected' };
      return { kind: 'abort', reason: `DESCRIBE with credentials: unexpected status ${status}` };
    } finally {
      session.close();
    }
  },
};
