// The UDP side of the Net port with real multicast, in namespaces this test creates: a scanner
// cabled to two hosts on two links (a0, b0). Both hosts have the same link-local address, as
// happens on real networks, so only the zone tells them apart. Needs root and iproute2.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NamespaceLan, canMakeNamespaces } from '../fixtures/netns/lan.js';
import type { Running } from '../fixtures/netns/lan.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const lan = new NamespaceLan(`iotscan-u${process.pid}`);
let heard: { address: string; text: string }[] = [];
let hosts: Record<'a' | 'b', Running> | undefined;

describe.skipIf(!canMakeNamespaces())('openUdp on two links', () => {
  beforeAll(async () => {
    lan.link({ id: 'scan', interface: 'a0', ipv4: ['10.77.1.1'], linkLocal: 'fe80::1' }, { id: 'a', interface: 'eth0', ipv4: ['10.77.1.2'], linkLocal: 'fe80::2' });
    lan.link({ id: 'scan', interface: 'b0', ipv4: ['10.77.2.1'], linkLocal: 'fe80::1' }, { id: 'b', interface: 'eth0', ipv4: ['10.77.2.2'], linkLocal: 'fe80::2' });
    const ready = (out: string): boolean => out.includes('ready');
    hosts = {
      a: lan.run('a', [process.execPath, 'tests/fixtures/netns/multicast-echo.mjs', 'a', '10.77.1.2'], ready, 10_000, ROOT),
      b: lan.run('b', [process.execPath, 'tests/fixtures/netns/multicast-echo.mjs', 'b', '10.77.2.2'], ready, 10_000, ROOT),
    };
    await Promise.all([hosts.a.ready, hosts.b.ready]);
    const scan = lan.run('scan', [process.execPath, 'node_modules/vite-node/vite-node.mjs', 'tests/fixtures/netns/multicast-scan.ts', 'fe80::2%a0'], (out) => out.trimEnd().endsWith(']'), 30_000, ROOT);
    heard = JSON.parse(await scan.ready) as typeof heard;
  }, 45_000);

  afterAll(async () => {
    await lan.remove();
  });

  it('sends one datagram per interface and family, and hears the group on every link it joined', () => {
    for (const host of ['a', 'b'] as const) {
      const lines = hosts?.[host].stdout().split('\n') ?? [];
      expect(lines.filter((line) => line.startsWith('heard 4 hello from 10.77.'))).toHaveLength(1);
      expect(lines.filter((line) => line.startsWith('heard 6 hello from fe80::1%eth0'))).toHaveLength(1);
    }
    expect(heard.filter((datagram) => datagram.text.startsWith('reply')).sort((x, y) => x.text.localeCompare(y.text))).toEqual([
      { address: '10.77.1.2', text: 'reply a 4' },
      { address: 'fe80::2%a0', text: 'reply a 6' },
      { address: '10.77.2.2', text: 'reply b 4' },
      { address: 'fe80::2%b0', text: 'reply b 6' },
    ]);
  });

  it('sends to a link-local address on the link its zone names', () => {
    expect(heard.filter((datagram) => datagram.text.startsWith('pong'))).toEqual([{ address: 'fe80::2%a0', text: 'pong a 6' }]);
    expect(hosts?.b.stdout()).not.toContain('ping');
  });
});
