// Which published vulnerabilities and end-of-life notices apply to a product version. Pure and
// offline: no product or version ever leaves the machine.
import { compareVersions, inRange } from './versions.js';
import type { VersionRuleSpec } from '../signatures/schema.js';

export type VulnerabilityRule = VersionRuleSpec['vulnerabilities'][number];

/** Where an imported rule came from: the database format, the file the user gave, and when. */
export interface ImportOrigin {
  format: 'nvd' | 'osv' | 'mixed';
  file: string;
  importedAt: string;
}

const FORMAT_NAME: Readonly<Record<ImportOrigin['format'], string>> = { nvd: 'NVD', osv: 'OSV', mixed: 'NVD and OSV' };

/** "NVD file nvdcve-2.0-2024.json.gz, imported 2026-11-20": how findings and `vulns status` name an imported file. */
export function describeOrigin(origin: ImportOrigin): string {
  return `${FORMAT_NAME[origin.format]} file ${origin.file}, imported ${origin.importedAt.slice(0, 10)}`;
}

/** A version rule: shipped in signatures/versions/, or built from an offline import (then it says which). */
export type VersionRule = VersionRuleSpec & { importedFrom?: ImportOrigin };

/** A vulnerability that applies, with the rule that named it. */
export type MatchedVulnerability = VulnerabilityRule & { rule: string; importedFrom?: ImportOrigin };

export interface VersionAssessment {
  vulnerabilities: MatchedVulnerability[];
  eol?: NonNullable<VersionRuleSpec['eol']>;
}

/**
 * The shipped rules first, then the imported ones. A CVE a shipped rule names is judged by that
 * rule alone (hand-checked ranges beat bulk data), and an imported CVE is reported once even when
 * several imported files or ranges carry it.
 */
export function assessVersion(rules: readonly VersionRule[], product: string, version: string): VersionAssessment | undefined {
  const wanted = product.toLowerCase();
  const forProduct = rules.filter((candidate) => candidate.product.toLowerCase() === wanted);
  if (forProduct.length === 0) return undefined;
  const shipped = forProduct.filter((rule) => rule.importedFrom === undefined);
  const imported = forProduct.filter((rule) => rule.importedFrom !== undefined);
  const named = new Set(shipped.flatMap((rule) => rule.vulnerabilities.flatMap((v) => v.cves)));
  const vulnerabilities: MatchedVulnerability[] = [];
  for (const rule of [...shipped, ...imported]) {
    for (const vulnerability of rule.vulnerabilities) {
      if (!inRange(version, vulnerability)) continue;
      if (rule.importedFrom !== undefined) {
        if (vulnerability.cves.some((cve) => named.has(cve))) continue;
        for (const cve of vulnerability.cves) named.add(cve);
      }
      vulnerabilities.push({ ...vulnerability, rule: rule.id, ...(rule.importedFrom !== undefined && { importedFrom: rule.importedFrom }) });
    }
  }
  const eol = shipped.map((rule) => rule.eol).find((notice) => notice !== undefined && compareVersions(version, notice.before) < 0);
  return { vulnerabilities, ...(eol && { eol }) };
}
