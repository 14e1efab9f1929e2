import { afterEach, describe, expect, it } from 'vitest';
import { reduceAll } from '../../src/core/reduce.js';
import type { ScanEvent } from '../../src/core/events.js';
import type { Host } from '../../src/core/model.js';
import { openStore, type Store } from '../../src/store/store.js';

let store: Store | undefined;
afterEach(() => store?.close());

const run = (id: string, startedAt: string): ScanEvent => ({
  type: 'run-started',
  run: { id, startedAt, status: 'running', targets: ['192.168.77.0/24'], profile: 'default', toolVersion: '0.1.0', signatures: { schemaVersion: 1, packVersion: 'p', hash: 'h' } },
});

const host = (address: string, keys: string[], extra: Partial<Host> = {}): Host => ({ id: `ip:${address}`, addresses: [address], keys, names: [], identity: { signals: [] }, ...extra });

describe('devices across runs', () => {
  it('recognises a device by a strong key whatever its address, and keeps its label', () => {
    store = openStore(':memory:');
    const first = store.resolveDevice(['mac:00:17:88:aa:bb:cc', 'udn:uuid:hue'], '2026-11-21T10:00:00Z');
    const again = store.resolveDevice(['udn:uuid:hue'], '2026-11-21T11:00:00Z');
    expect(again.deviceId).toBe(first.deviceId);
    const record = store.recorder();
    record(run('r1', '2026-11-21T10:00:00Z'));
    record({ type: 'host-identified', address: '192.168.77.96', host: host('192.168.77.96', [], { deviceId: first.deviceId, mac: '00:17:88:aa:bb:cc' }) });
    expect(store.setLabel('192.168.77.96', 'Hue in the hall')).toBe(first.deviceId);
    expect(store.resolveDevice(['mac:00:17:88:aa:bb:cc'], '2026-11-22T10:00:00Z')).toEqual({ deviceId: first.deviceId, label: 'Hue in the hall' });
    expect(store.setLabel('00:17:88:AA:BB:CC', 'Hue bridge')).toBe(first.deviceId);
    expect(store.setLabel('192.168.77.250', 'nobody')).toBeUndefined();
  });

  it('lets a weak key (a host name) recognise a randomised-MAC phone, but never against a strong key', () => {
    store = openStore(':memory:');
    const phone = store.resolveDevice(['mdns-host:annas-iphone'], '2026-11-21T10:00:00Z');
    expect(store.resolveDevice(['mdns-host:annas-iphone'], '2026-11-21T11:00:00Z').deviceId).toBe(phone.deviceId);
    const printer = store.resolveDevice(['mac:00:80:87:d4:fa:00'], '2026-11-21T10:00:00Z');
    // A known strong key wins; an unknown strong key with a known host name is a different device.
    expect(store.resolveDevice(['mac:00:80:87:d4:fa:00', 'mdns-host:annas-iphone'], '2026-11-21T12:00:00Z').deviceId).toBe(printer.deviceId);
    expect(store.resolveDevice(['mac:3c:22:fb:00:00:01'], '2026-11-21T12:00:00Z').deviceId).not.toBe(phone.deviceId);
  });

  it('replays a merged address into its device', () => {
    store = openStore(':memory:');
    const record = store.recorder();
    const events: ScanEvent[] = [
      run('r1', '2026-11-21T10:00:00Z'),
      { type: 'host-found', address: '192.168.77.30', via: 'tcp' },
      { type: 'host-found', address: '192.168.77.31', via: 'ssdp' },
      { type: 'service-found', address: '192.168.77.31', service: { transport: 'tcp', port: 5000, name: 'http' } },
      { type: 'host-merged', address: '192.168.77.31', into: '192.168.77.30' },
      { type: 'run-finished', status: 'completed', finishedAt: '2026-11-21T10:01:00Z' },
    ];
    for (const event of events) record(event);
    const replayed = store.loadRunState('r1');
    expect(replayed?.hosts.map((h) => [h.address, h.services.map((s) => s.port)])).toEqual(reduceAll(events).hosts.map((h) => [h.address, h.services.map((s) => s.port)]));
    expect(replayed?.hosts.map((h) => h.address)).toEqual(['192.168.77.30']);
  });

  it('remembers a setting such as credential consent', () => {
    store = openStore(':memory:');
    expect(store.setting('credential-consent:192.168.77.0/24')).toBeUndefined();
    store.saveSetting('credential-consent:192.168.77.0/24', '2026-11-21T10:00:00Z');
    expect(store.setting('credential-consent:192.168.77.0/24')).toBe('2026-11-21T10:00:00Z');
  });
});
