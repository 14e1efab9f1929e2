// What changed between two scans of the same home: devices that arrived, left or moved to another
// address, and findings that appeared or went away. Devices are matched by their history id, so a
// device that changed its address is "moved", not "gone + new". Pure.
import type { Finding, Severity } from './model.js';
import type { HostView, ScanState } from './reduce.js';
import { findingKey } from './reduce.js';

export interface DeviceRef {
  /** The history's device id when there is one, else the host id of that run. */
  device: string;
  address: string;
  name: string;
}

export interface FindingChange {
  device: DeviceRef;
  check: string;
  severity: Severity;
  summary: string;
  port?: number;
}

export interface ScanDiff {
  before: { runId: string; startedAt: string };
  after: { runId: string; startedAt: string };
  newDevices: DeviceRef[];
  goneDevices: DeviceRef[];
  moved: { device: DeviceRef; from: string[]; to: string[] }[];
  newFindings: FindingChange[];
  resolvedFindings: FindingChange[];
}

function deviceKey(view: HostView): string {
  return view.host?.deviceId ?? view.host?.id ?? `ip:${view.address}`;
}

function refOf(view: HostView): DeviceRef {
  const identity = view.host?.identity;
  const name = view.host?.label ?? ([identity?.vendor ?? view.host?.vendor, identity?.model].filter(Boolean).join(' ') || 'unknown device');
  return { device: deviceKey(view), address: view.address, name };
}

function byDevice(state: ScanState): Map<string, HostView> {
  return new Map(state.hosts.map((view) => [deviceKey(view), view]));
}

function change(view: HostView, finding: Finding): FindingChange {
  return { device: refOf(view), check: finding.check, severity: finding.severity, summary: finding.summary, ...(finding.port !== undefined && { port: finding.port }) };
}

export function diffScans(before: ScanState, after: ScanState): ScanDiff {
  const old = byDevice(before);
  const current = byDevice(after);
  const diff: ScanDiff = {
    before: { runId: before.run?.id ?? '', startedAt: before.run?.startedAt ?? '' },
    after: { runId: after.run?.id ?? '', startedAt: after.run?.startedAt ?? '' },
    newDevices: [],
    goneDevices: [],
    moved: [],
    newFindings: [],
    resolvedFindings: [],
  };
  for (const [key, view] of current) {
    const earlier = old.get(key);
    if (!earlier) {
      diff.newDevices.push(refOf(view));
      continue;
    }
    const from = earlier.host?.addresses ?? [earlier.address];
    const to = view.host?.addresses ?? [view.address];
    if (from[0] !== to[0]) diff.moved.push({ device: refOf(view), from, to });
    const earlierKeys = new Set(earlier.findings.map(findingKey));
    const currentKeys = new Set(view.findings.map(findingKey));
    for (const finding of view.findings) if (!earlierKeys.has(findingKey(finding))) diff.newFindings.push(change(view, finding));
    for (const finding of earlier.findings) if (!currentKeys.has(findingKey(finding))) diff.resolvedFindings.push(change(view, finding));
  }
  for (const [key, view] of old) if (!current.has(key)) diff.goneDevices.push(refOf(view));
  return diff;
}
