import { describe, expect, it } from 'vitest';
import { deviceKeys, isWeakKey, keyList } from '../../src/core/device-keys.js';
import { diffScans } from '../../src/core/diff.js';
import { fieldsFromRecord, withFields } from '../../src/core/fields.js';
import type { Finding, Host } from '../../src/core/model.js';
import { fillPassword } from '../../src/core/plan.js';
import { initialScanState, reduceAll } from '../../src/core/reduce.js';
import type { ScanEvent } from '../../src/core/events.js';

describe('device keys', () => {
  it('takes a vendor MAC, UDN, serial and TXT ids as strong keys, and the mDNS host name as weak', () => {
    let fields = fieldsFromRecord({ 'upnp.udn': 'uuid:2F402F80-DA50-11E1-9B23-001788AABBCC', 'upnp.serialNumber': '001788aabbcc', 'upnp.manufacturer': 'Signify' });
    fields = withFields(fields, { 'mdns.txt.bridgeid': '001788FFFEAABBCC', 'mdns.hostname': 'Philips-hue.local' });
    const keys = deviceKeys(fields, '00:17:88:aa:bb:cc');
    expect(keys.strong).toEqual(['mac:00:17:88:aa:bb:cc', 'txt-id:001788fffeaabbcc', 'udn:uuid:2f402f80-da50-11e1-9b23-001788aabbcc']);
    expect(keys.weak).toEqual(['mdns-host:philips-hue']);
    expect(keyList(keys).filter(isWeakKey)).toEqual(['mdns-host:philips-hue']);
  });

  it('never keys on a randomised MAC or on short generic TXT values', () => {
    const keys = deviceKeys(fieldsFromRecord({ 'mdns.txt.id': '1', 'mdns.txt.deviceid': 'EA:5B:3C:01:02:03' }), 'ea:5b:3c:01:02:03');
    expect(keys.strong).toEqual([]);
  });

  it('reads the UDN out of an SSDP USN', () => {
    expect(deviceKeys(fieldsFromRecord({ 'ssdp.usn': 'uuid:abcdef01-2345::upnp:rootdevice' }), undefined).strong).toEqual(['udn:uuid:abcdef01-2345']);
  });
});

describe('passwords derived from identifiers', () => {
  it('fills MAC and serial placeholders, and skips a pair whose identifier was not seen', () => {
    expect(fillPassword('{mac-last6}', { mac: '00:11:22:a3:b4:c5' })).toBe('A3B4C5');
    expect(fillPassword('x{mac-last6-lower}', { mac: '00:11:22:a3:b4:c5' })).toBe('xa3b4c5');
    expect(fillPassword('{serial-last8}', { serial: 'SN0012345678' })).toBe('12345678');
    expect(fillPassword('{serial}', {})).toBeUndefined();
    expect(fillPassword('admin', {})).toBe('admin');
    expect(fillPassword('{unknown}', { mac: '00:11:22:33:44:55' })).toBeUndefined();
  });
});

const RUN = (id: string, startedAt: string) => ({
  id,
  startedAt,
  status: 'running' as const,
  targets: ['192.168.77.0/24'],
  profile: 'default',
  toolVersion: '0.1.0',
  signatures: { schemaVersion: 1, packVersion: '2026.11.21', hash: 'h' },
});

const host = (address: string, deviceId: string, extra: Partial<Host> = {}): Host => ({
  id: `ip:${address}`,
  addresses: [address],
  keys: [],
  names: [],
  deviceId,
  identity: { vendor: 'Philips', model: 'Hue Bridge', signals: [] },
  ...extra,
});

const finding = (check: string): Finding => ({
  check,
  title: check,
  severity: 'low',
  confidence: 'high',
  summary: check,
  evidence: { observations: [], facts: {} },
  practices: { en303645: [], is3c: 'Privacy & Exposure', owasp: [] },
  remedy: 'r',
});

describe('merging and diffing', () => {
  it('moves a merged address into its device: one entry, findings counted once', () => {
    const events: ScanEvent[] = [
      { type: 'run-started', run: RUN('r1', '2026-11-21T10:00:00Z') },
      { type: 'host-found', address: '192.168.77.30', via: 'tcp' },
      { type: 'host-found', address: '192.168.77.31', via: 'ssdp' },
      { type: 'service-found', address: '192.168.77.31', service: { transport: 'tcp', port: 5000, name: 'http' } },
      { type: 'finding', address: '192.168.77.31', finding: finding('upnp-description-leak') },
      { type: 'host-merged', address: '192.168.77.31', into: '192.168.77.30' },
    ];
    const state = reduceAll(events);
    expect(state.hosts.map((h) => h.address)).toEqual(['192.168.77.30']);
    expect(state.hosts[0]?.services.map((s) => s.port)).toEqual([5000]);
    expect(state.hosts[0]?.discoveredVia.sort()).toEqual(['ssdp', 'tcp']);
    expect(state.findingsBySeverity.low).toBe(1);
  });

  it('reports a device that changed address as moved, not as gone and new', () => {
    const before = reduceAll([
      { type: 'run-started', run: RUN('r1', '2026-11-21T10:00:00Z') },
      { type: 'host-identified', address: '192.168.77.96', host: host('192.168.77.96', 'dev-hue') },
      { type: 'finding', address: '192.168.77.96', finding: finding('upnp-description-leak') },
      { type: 'host-identified', address: '192.168.77.20', host: host('192.168.77.20', 'dev-cam') },
    ]);
    const after = reduceAll([
      { type: 'run-started', run: RUN('r2', '2026-11-21T11:00:00Z') },
      { type: 'host-identified', address: '192.168.77.97', host: host('192.168.77.97', 'dev-hue') },
      { type: 'finding', address: '192.168.77.97', finding: finding('ssdp-unicast-reply') },
      { type: 'host-identified', address: '192.168.77.99', host: host('192.168.77.99', 'dev-new') },
    ], initialScanState());
    const diff = diffScans(before, after);
    expect(diff.moved).toEqual([{ device: { device: 'dev-hue', address: '192.168.77.97', name: 'Philips Hue Bridge' }, from: ['192.168.77.96'], to: ['192.168.77.97'] }]);
    expect(diff.newDevices.map((d) => d.device)).toEqual(['dev-new']);
    expect(diff.goneDevices.map((d) => d.device)).toEqual(['dev-cam']);
    expect(diff.newFindings.map((f) => f.check)).toEqual(['ssdp-unicast-reply']);
    expect(diff.resolvedFindings.map((f) => f.check)).toEqual(['upnp-description-leak']);
  });
});
