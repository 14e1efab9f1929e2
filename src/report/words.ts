// Small words shared by every text a person reads: the report, the live view, the CLI's summaries.
import { SEVERITIES, type Severity } from '../core/model.js';

/** "1 device", "3 devices"; irregular plurals are given. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/** "2 findings (1 critical, 1 medium)" or "no findings". */
export function findingsInWords(counts: Record<Severity, number>): string {
  const total = SEVERITIES.reduce((sum, severity) => sum + counts[severity], 0);
  if (total === 0) return 'no findings';
  const bySeverity = [...SEVERITIES]
    .reverse()
    .filter((severity) => counts[severity] > 0)
    .map((severity) => `${counts[severity]} ${severity}`);
  return `${plural(total, 'finding')} (${bySeverity.join(', ')})`;
}
