// HTTP credential driver: strategies basic-auth, digest-auth and form-login. The engine passes
// the credential set's strategy in params.strategy; each strategy proves a login its own way.
import type { AttemptOutcome, Credential, CredentialContext, CredentialDriver, LoginRequirement } from '../../src/engine/probe.js';
import { printable } from '../../src/core/sanitize.js';
import { basicAuth } from './http-basic.js';
import { digestAuth } from './http-digest.js';
import { formLogin } from './http-form.js';
import type { HttpStrategy } from './http-request.js';

const STRATEGIES: Readonly<Record<string, HttpStrategy>> = {
  'basic-auth': basicAuth,
  'digest-auth': digestAuth,
  'form-login': formLogin,
};

function strategyOf(ctx: CredentialContext): HttpStrategy | undefined {
  const name = ctx.params['strategy'];
  return name !== undefined && Object.hasOwn(STRATEGIES, name) ? STRATEGIES[name] : undefined;
}

function unknownStrategy(ctx: CredentialContext): string {
  return `no HTTP strategy named "${printable(ctx.params['strategy'] ?? '', 40)}" (params.strategy)`;
}

export const httpDriver: CredentialDriver = {
  protocol: 'http',
  strategies: Object.keys(STRATEGIES),
  // A form has no 401: the wrong-pair POST is the baseline.
  baselineSpendsAttempt: ['form-login'],

  requiresLogin(ctx: CredentialContext): Promise<LoginRequirement> {
    const strategy = strategyOf(ctx);
    if (strategy === undefined) return Promise.resolve({ kind: 'unreachable', status: 'skipped-by-policy', detail: unknownStrategy(ctx) });
    return strategy.requiresLogin(ctx);
  },

  attempt(ctx: CredentialContext, credential: Credential): Promise<AttemptOutcome> {
    const strategy = strategyOf(ctx);
    if (strategy === undefined) return Promise.resolve({ kind: 'abort', reason: unknownStrategy(ctx) });
    return strategy.attempt(ctx, credential);
  },
};
