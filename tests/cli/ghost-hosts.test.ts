// A device that left the network keeps its ARP entry for minutes; the scan must not report it as
// live. A device that is still there but answers no TCP knock must still be found through the
// neighbour table once the kernel re-checks its entry. Runs the real CLI inside a namespace-only
// LAN (lan.ts): a scanner and two devices, no other link, removed afterwards pass or fail.
// Needs root and iproute2.
//
//   192.168.77.1   scanner
//   192.168.77.20  a device with no open port: answers every knock with RST
//   192.168.77.21  a device that answers ARP but whose TCP answers to the scanner are dropped
//   192.168.77.99  nobody: only a STALE entry in the scanner's table, as a device that left leaves
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NamespaceLan, canMakeNamespaces } from '../fixtures/netns/lan.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const SCANNER = '192.168.77.1';
const OPEN_DEVICE = '192.168.77.20';
const QUIET_DEVICE = '192.168.77.21';
const GONE_DEVICE = '192.168.77.99';

const available = canMakeNamespaces();
const lan = new NamespaceLan(`iotscan-g${process.pid}`);

interface HostFound {
  type: 'host-found';
  address: string;
  via: string;
}

let found: HostFound[] = [];

function macOf(id: string): string {
  const [link] = JSON.parse(execFileSync('ip', ['-n', lan.namespace(id), '-j', 'link', 'show', 'eth0'], { encoding: 'utf8' })) as { address: string }[];
  return link?.address ?? '';
}

/** An entry as the kernel keeps it after earlier traffic: resolved once, not confirmed lately. */
function rememberNeighbour(address: string, mac: string): void {
  execFileSync('ip', ['-n', lan.namespace('scan'), 'neigh', 'replace', address, 'lladdr', mac, 'nud', 'stale', 'dev', 'eth0']);
}

describe.skipIf(!available)('neighbour entries of devices that left', () => {
  beforeAll(async () => {
    lan.create([
      { id: 'scan', ipv4: [SCANNER], linkLocal: 'fe80::1' },
      { id: 'open', ipv4: [OPEN_DEVICE], linkLocal: 'fe80::20' },
      { id: 'quiet', ipv4: [QUIET_DEVICE], linkLocal: 'fe80::21' },
    ]);
    // Replies to the scanner are routed into a black hole; ARP answers are not routed at all.
    execFileSync('ip', ['-n', lan.namespace('quiet'), 'route', 'add', 'blackhole', `${SCANNER}/32`]);
    rememberNeighbour(GONE_DEVICE, '02:00:00:00:00:99');
    rememberNeighbour(QUIET_DEVICE, macOf('quiet'));
    const scan = lan.run(
      'scan',
      [process.execPath, 'bin/iotscan.js', 'scan', '192.168.77.0/24', '--profile', 'discovery', '--format', 'ndjson', '--no-history'],
      (out) => out.includes('"type":"run-finished"'),
      60_000,
      ROOT,
    );
    const lines = (await scan.ready).trim().split('\n');
    found = lines.map((line) => JSON.parse(line) as { type: string }).filter((event): event is HostFound => event.type === 'host-found');
  }, 90_000);

  afterAll(async () => {
    await lan.remove();
  });

  it('does not report the address whose only trace is a stale ARP entry', () => {
    expect(found.map((host) => host.address)).not.toContain(GONE_DEVICE);
  });

  it('finds the device that answers with RST by its answer', () => {
    expect(found.find((host) => host.address === OPEN_DEVICE)?.via).toBe('tcp');
  });

  it('finds the device that answers only ARP once the kernel confirms its stale entry', () => {
    expect(found.find((host) => host.address === QUIET_DEVICE)?.via).toBe('neighbour');
  });
});
