// The second and third validation layers: cross-file rules and every example. Pure.
import { withFields, emptyFields, type FieldBag } from '../core/fields.js';
import { matcherFields } from '../core/match.js';
import { identifyService, matchFingerprints } from '../core/identify.js';
import { assessVersion } from '../core/vulns.js';
import type { SignaturePack } from './compile.js';

function bagOf(fields: Record<string, string | string[]>): FieldBag {
  let bag = emptyFields();
  for (const [name, value] of Object.entries(fields)) {
    for (const one of Array.isArray(value) ? value : [value]) bag = withFields(bag, { [name]: one });
  }
  return bag;
}

/** `mdns.txt.*` declares every field under `mdns.txt.`. */
function isDeclared(field: string, declared: readonly string[]): boolean {
  return declared.some((pattern) => (pattern.endsWith('*') ? field.startsWith(pattern.slice(0, -1)) : field === pattern));
}

export interface LintContext {
  /** Observation fields some probe (or the engine) may emit. */
  declaredFields: readonly string[];
  /** Check ids the judge can report; each must exist in the practice catalogue. */
  judgedChecks: readonly string[];
}

export function lintPack(pack: SignaturePack, context: LintContext): string[] {
  const problems: string[] = [];
  const fieldProblem = (where: string, field: string) => {
    if (!isDeclared(field, context.declaredFields)) problems.push(`${where}: field "${field}" is emitted by no probe`);
  };

  const identities = new Map<string, string>();
  for (const { spec } of pack.fingerprints) {
    const where = `fingerprints/${spec.id}`;
    for (const field of matcherFields(spec.match)) fieldProblem(where, field);
    for (const extractor of [spec.extract?.model, spec.extract?.firmware]) if (extractor) fieldProblem(where, extractor.field);
    const identityKey = `${spec.identity.vendor}|${spec.identity.model ?? '(extracted)'}|${spec.identity.type}`.toLowerCase();
    const other = identities.get(identityKey);
    if (other && spec.identity.model !== undefined) problems.push(`${where}: claims the same identity as ${other}`);
    identities.set(identityKey, spec.id);
  }
  for (const fingerprint of pack.fingerprints) {
    fingerprint.spec.examples.forEach((example, i) => {
      const where = `fingerprints/${fingerprint.spec.id} example ${i + 1}`;
      const hit = matchFingerprints([fingerprint], bagOf(example.fields))[0];
      if ((hit !== undefined) !== example.expect.matches) problems.push(`${where}: expected matches=${example.expect.matches}`);
      if (hit && example.expect.model !== undefined && hit.model !== example.expect.model) problems.push(`${where}: expected model "${example.expect.model}", got "${hit.model ?? ''}"`);
      if (hit && example.expect.firmware !== undefined && hit.firmware !== example.expect.firmware) problems.push(`${where}: expected firmware "${example.expect.firmware}", got "${hit.firmware ?? ''}"`);
    });
  }

  const products = new Set(pack.services.map((rule) => rule.spec.service.product.toLowerCase()));
  for (const rule of pack.services) {
    const where = `services/${rule.spec.id}`;
    for (const field of matcherFields(rule.spec.match)) fieldProblem(where, field);
    if (rule.spec.extract?.version) fieldProblem(where, rule.spec.extract.version.field);
    rule.spec.examples.forEach((example, i) => {
      const result = identifyService([rule], rule.spec.protocol, bagOf(example.fields));
      const whereExample = `${where} example ${i + 1}`;
      if ((result !== undefined) !== example.expect.matches) problems.push(`${whereExample}: expected matches=${example.expect.matches}`);
      if (result && example.expect.version !== undefined && result.version !== example.expect.version) problems.push(`${whereExample}: expected version "${example.expect.version}", got "${result.version ?? ''}"`);
    });
  }

  const fingerprintIds = new Set(pack.fingerprints.map((f) => f.spec.id));
  for (const set of pack.credentials) {
    if ('fingerprints' in set.appliesTo) {
      for (const id of set.appliesTo.fingerprints) if (!fingerprintIds.has(id)) problems.push(`credentials/${set.id}: unknown fingerprint "${id}"`);
    }
    if (!pack.practices.has(set.check)) problems.push(`credentials/${set.id}: unknown check "${set.check}"`);
  }

  for (const rule of pack.versions) {
    const where = `versions/${rule.id}`;
    if (!products.has(rule.product.toLowerCase())) problems.push(`${where}: no service rule names product "${rule.product}"`);
    rule.examples.forEach((example, i) => {
      const assessment = assessVersion([rule], rule.product, example.version);
      const got = (assessment?.vulnerabilities ?? []).map((v) => v.id).sort();
      const want = [...example.expect.vulnerabilities].sort();
      if (got.join(',') !== want.join(',')) problems.push(`${where} example ${i + 1} (${example.version}): expected [${want.join(', ')}], got [${got.join(', ')}]`);
      if ((assessment?.eol !== undefined) !== example.expect.eol) problems.push(`${where} example ${i + 1} (${example.version}): expected eol=${example.expect.eol}`);
    });
  }

  for (const check of context.judgedChecks) if (!pack.practices.has(check)) problems.push(`judge: check "${check}" is not in signatures/practices`);
  return problems;
}
