// Naming products and devices from observation fields and the signature pack. Pure.
import type { Identity, IdentitySignal } from './model.js';
import type { FieldBag } from './fields.js';
import { fillTemplate } from './match.js';
import type { CompiledFingerprint, CompiledServiceRule, SignaturePack } from '../signatures/compile.js';

export interface ServiceIdentity {
  rule: string;
  product: string;
  version?: string;
  cpe?: string;
}

export function identifyService(
  rules: readonly CompiledServiceRule[],
  protocol: string,
  fields: FieldBag,
): ServiceIdentity | undefined {
  for (const rule of rules) {
    if (rule.spec.protocol !== protocol || !rule.match(fields).matched) continue;
    const version = rule.version?.(fields);
    return {
      rule: rule.spec.id,
      product: rule.spec.service.product,
      ...(version !== undefined && { version }),
      ...(rule.spec.service.cpe !== undefined && { cpe: fillTemplate(rule.spec.service.cpe, { version }) }),
    };
  }
  return undefined;
}

interface FingerprintHit {
  fingerprint: CompiledFingerprint;
  evidence: Record<string, string>;
  model?: string;
  firmware?: string;
}

export function matchFingerprints(fingerprints: readonly CompiledFingerprint[], fields: FieldBag): FingerprintHit[] {
  const hits: FingerprintHit[] = [];
  for (const fingerprint of fingerprints) {
    const result = fingerprint.match(fields);
    if (!result.matched) continue;
    const model = fingerprint.model?.(fields) ?? fingerprint.spec.identity.model;
    const firmware = fingerprint.firmware?.(fields);
    hits.push({ fingerprint, evidence: result.evidence, ...(model !== undefined && { model }), ...(firmware !== undefined && { firmware }) });
  }
  return hits;
}

/**
 * The device's identity: the fingerprint with the most evidence wins; the others and the MAC
 * vendor stay as signals, so "why do you think so" always has an answer.
 */
export function identifyDevice(pack: Pick<SignaturePack, 'fingerprints'>, fields: FieldBag, macVendor?: string): Identity {
  const hits = matchFingerprints(pack.fingerprints, fields).sort(
    (a, b) => Object.keys(b.evidence).length - Object.keys(a.evidence).length || a.fingerprint.spec.id.localeCompare(b.fingerprint.spec.id),
  );
  const signals: IdentitySignal[] = hits.map((hit) => ({ source: hit.fingerprint.spec.id, fields: hit.evidence }));
  if (macVendor !== undefined) signals.push({ source: 'oui', fields: { 'mac.vendor': macVendor } });
  const best = hits[0];
  if (!best) return { ...(macVendor !== undefined && { vendor: macVendor }), signals };
  const { identity } = best.fingerprint.spec;
  // Fill the firmware from any other hit that found one when the best did not.
  const firmware = best.firmware ?? hits.find((hit) => hit.firmware !== undefined)?.firmware;
  const model = best.model;
  return {
    vendor: identity.vendor,
    type: identity.type,
    ...(model !== undefined && { model }),
    ...(firmware !== undefined && { firmware }),
    ...(identity.cpe !== undefined && { cpe: fillTemplate(identity.cpe, { model, firmware }) }),
    signals,
  };
}
