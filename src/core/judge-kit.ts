// What every judge rule shares: the evidence of one host, the draft finding a rule returns, and
// small readers over observations. Pure.
import type { Confidence, Identity, Observation, Service, Severity, Transport } from './model.js';
import type { SignaturePack } from '../signatures/compile.js';

export interface HostEvidence {
  address: string;
  observations: readonly Observation[];
  services: readonly Service[];
  identity: Identity;
  /** When the evidence is judged (ISO 8601): certificate expiry is relative to it, which keeps the judge pure. */
  judgedAt: string;
}

export interface Draft {
  check: string;
  severity?: Severity;
  confidence: Confidence;
  confidenceReason?: string;
  port?: number;
  transport?: Transport;
  summary: string;
  observations: string[];
  facts: Record<string, string>;
  signature?: string;
}

export type Knowledge = Pick<SignaturePack, 'practices' | 'versions' | 'weakCrypto' | 'profiles'>;
export type Rule = (host: HostEvidence, knowledge: Knowledge) => Draft[];

export const where = (o: Observation): { port?: number; transport?: Transport } => ({
  ...(o.port !== undefined && { port: o.port }),
  ...(o.transport !== undefined && { transport: o.transport }),
});

export function withField(host: HostEvidence, field: string, value?: string): Observation[] {
  return host.observations.filter((o) => field in o.fields && (value === undefined || o.fields[field] === value));
}

export function deviceWord(identity: Identity): string {
  return identity.type ?? 'device';
}

