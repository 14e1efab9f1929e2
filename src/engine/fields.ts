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
  // From the optional nmap engine (--engine nmap): its service detection, merged as observations.
  'nmap.service',
  'nmap.product',
  'nmap.version',
  'nmap.extrainfo',
  'nmap.cpe',
] as const;

export function declaredFields(): string[] {
  return [...ENGINE_FIELDS, ...PROBES.flatMap((probe) => probe.fields)];
}
