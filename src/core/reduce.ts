// The fold that turns the scan's event stream into what the UI, the reports and the store's
// replay show. Pure: every update returns new objects, the previous state is never touched.
import type { DiscoveryMethod, Phase, ScanEvent } from './events.js';
import { PHASES } from './events.js';
import type { Finding, Host, ProbeStatus, RunStatus, ScanRun, Service, Severity } from './model.js';
import { PROBE_STATUSES, SEVERITIES, severityRank } from './model.js';
import { compareAddresses } from './policy.js';
import { printable } from './sanitize.js';

export { compareAddresses };

/** `waiting` until run-started arrives; then the run's own status. */
export type ScanStatus = 'waiting' | RunStatus;

export interface PhaseProgress {
  done: number;
  total: number;
}

export interface HostView {
  address: string;
  /** The latest host-identified picture, absent until the first one arrives. */
  host?: Host;
  discoveredVia: DiscoveryMethod[];
  /** Unique by transport/port; a later service-found for the same port replaces the earlier one. */
  services: Service[];
  /** Unique by findingKey; a repeated finding replaces the earlier one in place. */
  findings: Finding[];
  /** How many observations were made about this address. */
  observations: number;
  /** With --dry-run: the logins a credential check would try, in order (never a password). */
  plannedLogins: PlannedLogin[];
}

export interface PlannedLogin {
  port: number;
  protocol: string;
  /** The credential set the pair comes from. */
  signature: string;
  username: string;
}

export interface ScanState {
  run?: ScanRun;
  status: ScanStatus;
  /** Why the run failed, when run-finished said so. */
  error?: string;
  /** Ordered by address: IPv4 numerically, then any other address text. */
  hosts: HostView[];
  warnings: string[];
  progress: Record<Phase, PhaseProgress>;
  probeCounts: Record<ProbeStatus, number>;
  findingsBySeverity: Record<Severity, number>;
}

/** Warnings kept for display; later ones are dropped so a noisy scan cannot grow memory without bound. */
export const MAX_WARNINGS = 500;

function zeroRecord<K extends string, V>(keys: readonly K[], value: () => V): Record<K, V> {
  const record = {} as Record<K, V>;
  for (const key of keys) record[key] = value();
  return record;
}

export function initialScanState(): ScanState {
  return {
    status: 'waiting',
    hosts: [],
    warnings: [],
    progress: zeroRecord(PHASES, () => ({ done: 0, total: 0 })),
    probeCounts: zeroRecord(PROBE_STATUSES, () => 0),
    findingsBySeverity: zeroRecord(SEVERITIES, () => 0),
  };
}

/** What makes two findings "the same finding": the store uses it as a key too. */
export function findingKey(finding: Finding): string {
  return [finding.check, finding.transport ?? '', finding.port ?? '', finding.signature ?? ''].join('|');
}

/** `"label" Vendor Model (type)` from what is known, printable; undefined when nothing is. */
export function deviceDescription(view: HostView): string | undefined {
  const identity = view.host?.identity;
  const name = [identity?.vendor ?? view.host?.vendor, identity?.model].filter((part) => part !== undefined).join(' ');
  const parts = [view.host?.label !== undefined ? `"${view.host.label}"` : '', name, identity?.type ? `(${identity.type})` : ''].filter((part) => part !== '');
  return parts.length > 0 ? printable(parts.join(' ')) : undefined;
}

/** The highest severity among a host's findings, if it has any. */
export function worstSeverity(findings: readonly Finding[]): Severity | undefined {
  let worst: Severity | undefined;
  for (const finding of findings) {
    if (worst === undefined || severityRank(finding.severity) > severityRank(worst)) worst = finding.severity;
  }
  return worst;
}

function emptyHostView(address: string): HostView {
  return { address, discoveredVia: [], services: [], findings: [], observations: 0, plannedLogins: [] };
}

/**
 * Where `address` is in the address-ordered host list, or where it goes: a binary search, as
 * every event looks its host up (a linear search made a scan of a thousand hosts spend most of
 * a second comparing addresses, measured).
 */
function hostPosition(hosts: readonly HostView[], address: string): { index: number; found: boolean } {
  let low = 0;
  let high = hosts.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareAddresses(hosts[middle]!.address, address) < 0) low = middle + 1;
    else high = middle;
  }
  // Addresses the order calls equal (none should be) are told apart by their text.
  for (let index = low; index < hosts.length && compareAddresses(hosts[index]!.address, address) === 0; index++) {
    if (hosts[index]!.address === address) return { index, found: true };
  }
  return { index: low, found: false };
}

/** Applies `update` to the view for `address`, creating it in address order when it is new. */
function updateHost(state: ScanState, address: string, update: (view: HostView) => HostView): ScanState {
  const { index, found } = hostPosition(state.hosts, address);
  const hosts = state.hosts.slice();
  if (found) hosts[index] = update(state.hosts[index]!);
  else hosts.splice(index, 0, update(emptyHostView(address)));
  return { ...state, hosts };
}

function withService(services: readonly Service[], service: Service): Service[] {
  const index = services.findIndex((s) => s.transport === service.transport && s.port === service.port);
  if (index < 0) return [...services, service].sort((a, b) => a.port - b.port || a.transport.localeCompare(b.transport));
  const next = services.slice();
  next[index] = service;
  return next;
}

function withFinding(state: ScanState, address: string, finding: Finding): ScanState {
  const key = findingKey(finding);
  const counts = { ...state.findingsBySeverity };
  const next = updateHost(state, address, (view) => {
    const index = view.findings.findIndex((f) => findingKey(f) === key);
    const findings = view.findings.slice();
    if (index < 0) {
      findings.push(finding);
    } else {
      counts[findings[index]!.severity] -= 1;
      findings[index] = finding;
    }
    return { ...view, findings };
  });
  counts[finding.severity] += 1;
  return { ...next, findingsBySeverity: counts };
}

/** Folds the view of `from` into `into`: one device, one entry. */
function mergeHost(state: ScanState, from: string, into: string): ScanState {
  const merged = state.hosts.find((view) => view.address === from);
  if (!merged || from === into) return state;
  const remaining = { ...state, hosts: state.hosts.filter((view) => view !== merged) };
  let next = updateHost(remaining, into, (view) => ({
    ...view,
    discoveredVia: [...new Set([...view.discoveredVia, ...merged.discoveredVia])],
    services: merged.services.reduce(withService, view.services),
    observations: view.observations + merged.observations,
    plannedLogins: [...view.plannedLogins, ...merged.plannedLogins],
  }));
  // Findings go through withFinding so counts stay right: the merged host's copies are removed first.
  const counts = { ...next.findingsBySeverity };
  for (const finding of merged.findings) counts[finding.severity] -= 1;
  next = { ...next, findingsBySeverity: counts };
  for (const finding of merged.findings) next = withFinding(next, into, finding);
  return next;
}

export function reduceScan(state: ScanState, event: ScanEvent): ScanState {
  switch (event.type) {
    case 'run-started':
      // A new run starts from a clean slate: nothing of an earlier run may leak into it.
      return { ...initialScanState(), run: event.run, status: 'running' };
    case 'host-found':
      return updateHost(state, event.address, (view) =>
        view.discoveredVia.includes(event.via) ? view : { ...view, discoveredVia: [...view.discoveredVia, event.via] },
      );
    case 'host-identified':
      return updateHost(state, event.address, (view) => ({ ...view, host: event.host }));
    case 'host-merged':
      return mergeHost(state, event.address, event.into);
    case 'service-found':
      return updateHost(state, event.address, (view) => ({ ...view, services: withService(view.services, event.service) }));
    case 'observation': {
      const { fields, port } = event.observation;
      const planned = fields['cred.planned'];
      return updateHost(state, event.observation.address, (view) => ({
        ...view,
        observations: view.observations + 1,
        ...(planned !== undefined && {
          plannedLogins: [...view.plannedLogins, { port: port ?? 0, protocol: fields['cred.protocol'] ?? '', signature: planned, username: fields['cred.username'] ?? '' }],
        }),
      }));
    }
    case 'probe-finished':
      return { ...state, probeCounts: { ...state.probeCounts, [event.status]: state.probeCounts[event.status] + 1 } };
    case 'finding':
      return withFinding(state, event.address, event.finding);
    case 'progress':
      return { ...state, progress: { ...state.progress, [event.phase]: { done: event.done, total: event.total } } };
    case 'warning':
      return state.warnings.length >= MAX_WARNINGS ? state : { ...state, warnings: [...state.warnings, event.message] };
    case 'run-finished': {
      const finished: ScanState = {
        ...state,
        status: event.status,
        ...(state.run ? { run: { ...state.run, status: event.status, finishedAt: event.finishedAt } } : {}),
      };
      if (event.error !== undefined) finished.error = event.error;
      return finished;
    }
    default: {
      const unhandled: never = event;
      throw new Error(`unhandled scan event ${JSON.stringify(unhandled)}`);
    }
  }
}

/** Folds a whole event list; handy for replays and tests. */
export function reduceAll(events: Iterable<ScanEvent>, state: ScanState = initialScanState()): ScanState {
  let current = state;
  for (const event of events) current = reduceScan(current, event);
  return current;
}
