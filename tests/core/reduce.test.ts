import { describe, expect, it } from 'vitest';
import type { ScanEvent } from '../../src/core/events.js';
import type { Finding } from '../../src/core/model.js';
import {
  MAX_WARNINGS,
  compareAddresses,
  initialScanState,
  reduceAll,
  reduceScan,
  worstSeverity,
} from '../../src/core/reduce.js';
import { CAMERA, OLD_FIRMWARE, RUN, SCRIPTED_EVENTS, TELNET_DEFAULT_LOGIN } from '../report/fixtures/scan-events.js';

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

const started = reduceScan(initialScanState(), { type: 'run-started', run: RUN });

describe('reduceScan', () => {
  it('starts waiting with zeroed counters', () => {
    const state = initialScanState();
    expect(state.status).toBe('waiting');
    expect(state.progress.discover).toEqual({ done: 0, total: 0 });
    expect(state.probeCounts['unknown-error']).toBe(0);
    expect(state.findingsBySeverity.critical).toBe(0);
  });

  it.each<[string, ScanEvent[], (s: ReturnType<typeof initialScanState>) => void]>([
    ['run-started sets the run and status', [], (s) => {
      expect(s.run?.id).toBe('run-0001');
      expect(s.status).toBe('running');
    }],
    ['host-found records each method once', [
      { type: 'host-found', address: '10.0.0.2', via: 'mdns' },
      { type: 'host-found', address: '10.0.0.2', via: 'mdns' },
      { type: 'host-found', address: '10.0.0.2', via: 'ssdp' },
    ], (s) => {
      expect(s.hosts).toHaveLength(1);
      expect(s.hosts[0]?.discoveredVia).toEqual(['mdns', 'ssdp']);
    }],
    ['hosts are ordered by IPv4 numerically, IPv6 after', [
      { type: 'host-found', address: '10.0.0.10', via: 'tcp' },
      { type: 'host-found', address: 'fe80::1', via: 'mdns' },
      { type: 'host-found', address: '10.0.0.9', via: 'tcp' },
      { type: 'host-found', address: '10.0.0.100', via: 'tcp' },
      { type: 'host-found', address: '9.255.255.255', via: 'tcp' },
    ], (s) => {
      expect(s.hosts.map((h) => h.address)).toEqual(['9.255.255.255', '10.0.0.9', '10.0.0.10', '10.0.0.100', 'fe80::1']);
    }],
    ['host-identified creates the view if needed and replaces the host', [
      { type: 'host-identified', address: '192.168.50.10', host: { ...CAMERA, names: [] } },
      { type: 'host-identified', address: '192.168.50.10', host: CAMERA },
    ], (s) => {
      expect(s.hosts).toHaveLength(1);
      expect(s.hosts[0]?.host?.names).toEqual(['cam-hall.local']);
      expect(s.hosts[0]?.discoveredVia).toEqual([]);
    }],
    ['a later service-found for the same port replaces it; services sorted by port', [
      { type: 'service-found', address: '10.0.0.2', service: { transport: 'tcp', port: 80, name: 'http' } },
      { type: 'service-found', address: '10.0.0.2', service: { transport: 'tcp', port: 23, name: 'telnet' } },
      { type: 'service-found', address: '10.0.0.2', service: { transport: 'udp', port: 80, name: 'other' } },
      { type: 'service-found', address: '10.0.0.2', service: { transport: 'tcp', port: 80, name: 'http', product: 'lighttpd' } },
    ], (s) => {
      expect(s.hosts[0]?.services).toEqual([
        { transport: 'tcp', port: 23, name: 'telnet' },
        { transport: 'tcp', port: 80, name: 'http', product: 'lighttpd' },
        { transport: 'udp', port: 80, name: 'other' },
      ]);
    }],
    ['observations are counted per address', [
      { type: 'observation', observation: { id: 'o1', address: '10.0.0.2', probe: 'ssh', fields: {} } },
      { type: 'observation', observation: { id: 'o2', address: '10.0.0.2', probe: 'ssh', fields: {} } },
    ], (s) => expect(s.hosts[0]?.observations).toBe(2)],
    ['probe-finished counts statuses', [
      { type: 'probe-finished', probe: 'ssh', address: '10.0.0.2', status: 'io-timeout', durationMs: 5 },
      { type: 'probe-finished', probe: 'ftp', address: '10.0.0.2', status: 'io-timeout', durationMs: 5 },
    ], (s) => {
      expect(s.probeCounts['io-timeout']).toBe(2);
      expect(s.probeCounts.success).toBe(0);
      expect(s.hosts).toHaveLength(0);
    }],
    ['findings are counted by severity', [
      { type: 'finding', address: '10.0.0.2', finding: TELNET_DEFAULT_LOGIN },
      { type: 'finding', address: '10.0.0.3', finding: OLD_FIRMWARE },
    ], (s) => {
      expect(s.findingsBySeverity).toEqual({ info: 0, low: 0, medium: 1, high: 0, critical: 1 });
      expect(s.hosts.map((h) => h.findings.length)).toEqual([1, 1]);
    }],
    ['a repeated finding replaces the earlier one and moves its count', [
      { type: 'finding', address: '10.0.0.2', finding: OLD_FIRMWARE },
      { type: 'finding', address: '10.0.0.2', finding: { ...OLD_FIRMWARE, severity: 'high' } },
    ], (s) => {
      expect(s.hosts[0]?.findings).toHaveLength(1);
      expect(s.hosts[0]?.findings[0]?.severity).toBe('high');
      expect(s.findingsBySeverity.medium).toBe(0);
      expect(s.findingsBySeverity.high).toBe(1);
    }],
    ['progress keeps the latest figures per phase', [
      { type: 'progress', phase: 'identify', done: 1, total: 5 },
      { type: 'progress', phase: 'identify', done: 4, total: 5 },
    ], (s) => {
      expect(s.progress.identify).toEqual({ done: 4, total: 5 });
      expect(s.progress.check).toEqual({ done: 0, total: 0 });
    }],
    ['warnings are kept in order', [
      { type: 'warning', message: 'a' },
      { type: 'warning', message: 'b' },
    ], (s) => expect(s.warnings).toEqual(['a', 'b'])],
    ['run-finished sets status, finishedAt and error', [
      { type: 'run-finished', status: 'failed', finishedAt: '2025-01-02T10:05:00.000Z', error: 'no interfaces' },
    ], (s) => {
      expect(s.status).toBe('failed');
      expect(s.error).toBe('no interfaces');
      expect(s.run?.status).toBe('failed');
      expect(s.run?.finishedAt).toBe('2025-01-02T10:05:00.000Z');
    }],
  ])('%s', (_name, events, check) => {
    check(reduceAll(events, started));
  });

  it('never mutates the state it is given', () => {
    let state = deepFreeze(started);
    for (const event of SCRIPTED_EVENTS.slice(1)) state = deepFreeze(reduceScan(state, event));
    expect(state.status).toBe('completed');
  });

  it('a new run-started forgets the previous run', () => {
    const finished = reduceAll(SCRIPTED_EVENTS);
    const again = reduceScan(finished, { type: 'run-started', run: { ...RUN, id: 'run-0002' } });
    expect(again.hosts).toEqual([]);
    expect(again.findingsBySeverity.critical).toBe(0);
    expect(again.run?.id).toBe('run-0002');
  });

  it('folds the scripted scan', () => {
    const state = reduceAll(SCRIPTED_EVENTS);
    expect(state.hosts.map((h) => h.address)).toEqual(['192.168.50.9', '192.168.50.10']);
    const camera = state.hosts[1]!;
    expect(camera.discoveredVia).toEqual(['ssdp', 'mdns']);
    expect(camera.services.map((s) => `${s.port}:${s.product ?? ''}`)).toEqual(['23:', '80:lighttpd']);
    expect(camera.observations).toBe(2);
    expect(camera.findings.map((f) => f.check)).toEqual(['outdated-firmware', 'default-credentials']);
    expect(state.probeCounts).toMatchObject({ success: 1, 'connection-refused': 1 });
    expect(state.warnings).toEqual(['neighbour table unreadable']);
  });

  it('bounds the warnings it keeps', () => {
    const many: ScanEvent[] = Array.from({ length: MAX_WARNINGS + 10 }, (_, i) => ({ type: 'warning', message: `w${i}` }));
    expect(reduceAll(many, started).warnings).toHaveLength(MAX_WARNINGS);
  });
});

describe('helpers', () => {
  it.each([
    ['10.0.0.2', '10.0.0.10', -1],
    ['192.168.1.1', '10.0.0.1', 1],
    ['10.0.0.1', '::1', -1],
    ['::1', '::2', -1],
    ['10.0.0.1', '10.0.0.1', 0],
  ])('compareAddresses(%s, %s) has sign %d', (a, b, sign) => {
    expect(Math.sign(compareAddresses(a, b))).toBe(sign);
  });

  it('worstSeverity picks the highest', () => {
    const findings: Finding[] = [OLD_FIRMWARE, TELNET_DEFAULT_LOGIN];
    expect(worstSeverity(findings)).toBe('critical');
    expect(worstSeverity([])).toBeUndefined();
  });
});
