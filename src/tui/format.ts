// Small display helpers shared by the TUI's views. Every string that came from the network goes
// through `printable` before it is drawn.
import type { Finding, Severity } from '../core/model.js';
import { severityRank } from '../core/model.js';
import type { HostView, PhaseProgress } from '../core/reduce.js';
import { deviceDescription } from '../core/reduce.js';
import { printable } from '../core/sanitize.js';

export { printable };

/** Ink colour names per severity; the label is always printed too, so colour is never the only cue. */
export const SEVERITY_COLOURS: Record<Severity, string> = {
  info: 'gray',
  low: 'cyan',
  medium: 'yellow',
  high: 'red',
  critical: 'magenta',
};

export function deviceLabel(view: HostView): string {
  return deviceDescription(view) ?? '?';
}

export function progressBar(progress: PhaseProgress, width: number): string {
  const ratio = progress.total > 0 ? Math.min(1, progress.done / progress.total) : 0;
  const filled = Math.round(ratio * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

/** Worst first, then by port, so the most urgent problem is the one selected on entry. */
export function findingsWorstFirst(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) => severityRank(b.severity) - severityRank(a.severity) || (a.port ?? 0) - (b.port ?? 0),
  );
}

export function where(finding: Finding): string {
  return finding.port !== undefined ? `${finding.transport ?? 'tcp'}/${finding.port}` : '';
}
