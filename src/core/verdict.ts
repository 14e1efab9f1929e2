// A verdict a household can act on, for each device and for the whole home, like a label: a grade,
// a headline and the reasons behind it. Derived from findings only, so every output agrees. Pure.
import type { Finding, Severity } from './model.js';
import { severityRank } from './model.js';

export type VerdictLevel = 'act-now' | 'fix-soon' | 'worth-a-look' | 'fine';

export interface Verdict {
  level: VerdictLevel;
  headline: string;
  /** The findings that decided the verdict, worst first, in plain words. */
  reasons: string[];
}

export interface HomeVerdict extends Verdict {
  /** A (nothing to do) to E (several devices need action now). */
  grade: 'A' | 'B' | 'C' | 'D' | 'E';
  devices: Record<VerdictLevel, number>;
}

const HEADLINES: Record<VerdictLevel, string> = {
  'act-now': 'Act now: someone on your network could take control of this device or see what it records.',
  'fix-soon': 'Fix soon: this device has a weakness worth correcting.',
  'worth-a-look': 'Worth a look: minor points, nothing urgent.',
  fine: 'Nothing to do: no problems found from the network.',
};

/** A low-confidence finding (e.g. a version a vendor may have patched) never decides "act now" alone. */
function levelOf(finding: Finding): VerdictLevel {
  const rank = severityRank(finding.severity);
  const sure = finding.confidence !== 'low';
  if (rank >= severityRank('high')) return sure ? 'act-now' : 'fix-soon';
  if (rank === severityRank('medium')) return sure ? 'fix-soon' : 'worth-a-look';
  if (rank === severityRank('low')) return 'worth-a-look';
  return 'fine';
}

const ORDER: readonly VerdictLevel[] = ['fine', 'worth-a-look', 'fix-soon', 'act-now'];
const worse = (a: VerdictLevel, b: VerdictLevel): VerdictLevel => (ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b);
const MAX_REASONS = 3;

export function deviceVerdict(findings: readonly Finding[]): Verdict {
  const deciding = findings
    .filter((finding) => levelOf(finding) !== 'fine')
    .sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
  const level = deciding.reduce<VerdictLevel>((worst, finding) => worse(worst, levelOf(finding)), 'fine');
  return { level, headline: HEADLINES[level], reasons: [...new Set(deciding.map((finding) => finding.title))].slice(0, MAX_REASONS) };
}

export function homeVerdict(devices: readonly (readonly Finding[])[]): HomeVerdict {
  const counts: Record<VerdictLevel, number> = { 'act-now': 0, 'fix-soon': 0, 'worth-a-look': 0, fine: 0 };
  // Per check: how many devices share it, and how bad it is at worst.
  const byTitle = new Map<string, { devices: number; severity: Severity }>();
  for (const findings of devices) {
    counts[deviceVerdict(findings).level] += 1;
    for (const title of new Set(findings.filter((f) => levelOf(f) !== 'fine').map((f) => f.title))) {
      const worst = findings.filter((f) => f.title === title).reduce<Severity>((max, f) => (severityRank(f.severity) > severityRank(max) ? f.severity : max), 'info');
      const entry = byTitle.get(title);
      byTitle.set(title, { devices: (entry?.devices ?? 0) + 1, severity: entry && severityRank(entry.severity) > severityRank(worst) ? entry.severity : worst });
    }
  }
  const grade = counts['act-now'] >= 2 ? 'E' : counts['act-now'] === 1 ? 'D' : counts['fix-soon'] > 0 ? 'C' : counts['worth-a-look'] > 0 ? 'B' : 'A';
  const level: VerdictLevel = counts['act-now'] > 0 ? 'act-now' : counts['fix-soon'] > 0 ? 'fix-soon' : counts['worth-a-look'] > 0 ? 'worth-a-look' : 'fine';
  const headline =
    level === 'fine'
      ? `Grade A: none of your ${devices.length} devices showed a problem from the network.`
      : `Grade ${grade}: ${counts['act-now']} device${counts['act-now'] === 1 ? ' needs' : 's need'} action now, ${counts['fix-soon']} should be fixed soon, ${counts['worth-a-look']} ${counts['worth-a-look'] === 1 ? 'has' : 'have'} minor points (${devices.length} devices in all).`;
  const reasons = [...byTitle]
    .sort(([, a], [, b]) => severityRank(b.severity) - severityRank(a.severity) || b.devices - a.devices)
    .slice(0, 5)
    .map(([title, { devices: count }]) => `${title} (${count} device${count === 1 ? '' : 's'})`);
  return { level, grade, headline, reasons, devices: counts };
}
