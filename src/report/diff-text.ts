// The changes between two scans in plain words, one line per change.
import type { DeviceRef, FindingChange, ScanDiff } from '../core/diff.js';
import { printable } from '../core/sanitize.js';

const device = (ref: DeviceRef): string => `${printable(ref.name)} (${printable(ref.address)})`;
const finding = (change: FindingChange): string =>
  `  [${change.severity}] ${device(change.device)}: ${printable(change.summary)}`;

export function renderDiff(diff: ScanDiff): string {
  const lines = [`changes from scan ${printable(diff.before.runId)} (${diff.before.startedAt}) to ${printable(diff.after.runId)} (${diff.after.startedAt})`];
  const section = (title: string, entries: string[]) => {
    if (entries.length > 0) lines.push('', `${title}:`, ...entries);
  };
  section('new devices', diff.newDevices.map((ref) => `  ${device(ref)}`));
  section('devices not seen this time', diff.goneDevices.map((ref) => `  ${device(ref)}`));
  section('devices that moved to another address', diff.moved.map((move) => `  ${printable(move.device.name)}: ${move.from.map((a) => printable(a)).join(', ')} -> ${move.to.map((a) => printable(a)).join(', ')}`));
  section('new findings', diff.newFindings.map(finding));
  section('findings gone', diff.resolvedFindings.map(finding));
  if (lines.length === 1) lines.push('', 'nothing changed');
  return `${lines.join('\n')}\n`;
}
