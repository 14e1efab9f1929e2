// Observation fields: those the engine itself emits (MAC facts, credential results) and, with
// every probe's declaration, the full list signature matchers may read.
import { PROBES } from '../../probes/index.js';

export const ENGINE_FIELDS = [
  'mac.address',
  'mac.vendor',
  'mac.randomised',
  'cred.protocol',
  'cred.result',
  'cred.signature',
  'cred.username',
  'cred.evidence',
  'cred.login-required',
  'cred.check',
  'cred.planned',
] as const;

export function declaredFields(): string[] {
  return [...ENGINE_FIELDS, ...PROBES.flatMap((probe) => probe.fields)];
}
