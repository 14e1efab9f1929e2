// The severity a CVSS v3 vector means, for OSV records that carry a vector but no severity word.
// Pure. Weights and equations: CVSS v3.1 specification, §7.1 (base equations), §7.4 (metric
// values), Appendix A (Roundup), §5 (qualitative rating); https://www.first.org/cvss/v3.1/specification-document
import type { Severity } from '../core/model.js';

const ATTACK_VECTOR: Readonly<Record<string, number>> = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 };
const ATTACK_COMPLEXITY: Readonly<Record<string, number>> = { L: 0.77, H: 0.44 };
const PRIVILEGES: Readonly<Record<string, number>> = { N: 0.85, L: 0.62, H: 0.27 };
/** Privileges Required weighs more when the scope changes (§7.4). */
const PRIVILEGES_SCOPE_CHANGED: Readonly<Record<string, number>> = { N: 0.85, L: 0.68, H: 0.5 };
const USER_INTERACTION: Readonly<Record<string, number>> = { N: 0.85, R: 0.62 };
const IMPACT: Readonly<Record<string, number>> = { H: 0.56, L: 0.22, N: 0 };

/** The smallest one-decimal number >= value, computed on integers to avoid float noise (Appendix A). */
function roundUp(value: number): number {
  const scaled = Math.round(value * 100_000);
  return scaled % 10_000 === 0 ? scaled / 100_000 : (Math.floor(scaled / 10_000) + 1) / 10;
}

/** The base score of a `CVSS:3.0/...` or `CVSS:3.1/...` vector, or undefined when a base metric is missing or unknown. */
export function cvss3BaseScore(vector: string): number | undefined {
  const parts = vector.trim().split('/');
  if (!/^CVSS:3\.[01]$/.test(parts[0] ?? '')) return undefined;
  const metrics = new Map<string, string>();
  for (const part of parts.slice(1)) {
    const [name, value] = part.split(':');
    if (name !== undefined && value !== undefined) metrics.set(name, value);
  }
  const scope = metrics.get('S');
  if (scope !== 'U' && scope !== 'C') return undefined;
  const weight = (table: Readonly<Record<string, number>>, name: string) => table[metrics.get(name) ?? ''];
  const av = weight(ATTACK_VECTOR, 'AV');
  const ac = weight(ATTACK_COMPLEXITY, 'AC');
  const pr = weight(scope === 'C' ? PRIVILEGES_SCOPE_CHANGED : PRIVILEGES, 'PR');
  const ui = weight(USER_INTERACTION, 'UI');
  const c = weight(IMPACT, 'C');
  const i = weight(IMPACT, 'I');
  const a = weight(IMPACT, 'A');
  if (av === undefined || ac === undefined || pr === undefined || ui === undefined || c === undefined || i === undefined || a === undefined) return undefined;
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15;
  if (impact <= 0) return 0;
  const exploitability = 8.22 * av * ac * pr * ui;
  return roundUp(Math.min((scope === 'U' ? 1 : 1.08) * (impact + exploitability), 10));
}

/** The qualitative rating of a base score (§5); 0 is None, which a finding calls info. */
export function severityOfScore(score: number): Severity {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return 'info';
}
