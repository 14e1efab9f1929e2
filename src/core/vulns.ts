// Which published vulnerabilities and end-of-life notices apply to a product version. Pure and
// offline: no product or version ever leaves the machine.
import { compareVersions, inRange } from './versions.js';
import type { VersionRuleSpec } from '../signatures/schema.js';

export type VulnerabilityRule = VersionRuleSpec['vulnerabilities'][number];

export interface VersionAssessment {
  rule: string;
  vulnerabilities: VulnerabilityRule[];
  eol?: NonNullable<VersionRuleSpec['eol']>;
}

export function assessVersion(rules: readonly VersionRuleSpec[], product: string, version: string): VersionAssessment | undefined {
  const rule = rules.find((candidate) => candidate.product.toLowerCase() === product.toLowerCase());
  if (!rule) return undefined;
  const vulnerabilities = rule.vulnerabilities.filter((vulnerability) => inRange(version, vulnerability));
  const eol = rule.eol && compareVersions(version, rule.eol.before) < 0 ? rule.eol : undefined;
  return { rule: rule.id, vulnerabilities, ...(eol && { eol }) };
}
