// The neighbour-table readers: iproute2's JSON and the macOS `arp -an` parser on fixture text, the
// bounded arp run against stand-in commands, and the platform switch.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArpAn, parseIpNeighJson, parseProcNetArp, readArpCommand, readNeighbours } from '../../src/net/neighbours.js';

// As macOS arp -an prints them (format of print_entry in Apple's network_cmds arp.c).
const MACOS_TABLE = [
  '? (192.168.1.1) at 6a:ee:96:a9:67:6a on en0 ifscope [ethernet]',
  '? (192.168.1.20) at 0:40:8c:1a:2b:3c on en0 ifscope [ethernet]',
  '? (192.168.1.21) at (incomplete) on en0 ifscope [ethernet]',
  '? (192.168.1.30) at b8:27:eb:0:9:d9 on en0 ifscope permanent [ethernet]',
  '? (192.168.1.255) at ff:ff:ff:ff:ff:ff on en0 ifscope [ethernet]',
  '? (224.0.0.251) at 1:0:5e:0:0:fb on en0 ifscope permanent [ethernet]',
  '? (239.255.255.250) at 1:0:5e:7f:ff:fa on en0 ifscope permanent [ethernet]',
  '? (169.254.7.3) at 2:11:22:33:44:55 on bridge100 [bridge]',
  '? (10.0.0.9) at 0:11:22:33:44:55:66:77 on fw0 [firewire]',
  'router.lan (192.168.1.2) at 0:1:2:3:4:5 on en0 [ethernet]',
  'garbage line',
  '',
].join('\n');

describe('parseArpAn', () => {
  it('keeps complete unicast entries and writes every octet with two hex digits', () => {
    expect(parseArpAn(MACOS_TABLE)).toEqual([
      { address: '192.168.1.1', mac: '6a:ee:96:a9:67:6a', confirmed: true },
      { address: '192.168.1.20', mac: '00:40:8c:1a:2b:3c', confirmed: true },
      { address: '192.168.1.30', mac: 'b8:27:eb:00:09:d9', confirmed: true },
      { address: '169.254.7.3', mac: '02:11:22:33:44:55', confirmed: true },
      { address: '192.168.1.2', mac: '00:01:02:03:04:05', confirmed: true },
    ]);
  });

  it('reads an entry with no interface name and upper-case digits', () => {
    expect(parseArpAn('? (192.168.1.40) at A:B:C:D:E:F\n')).toEqual([{ address: '192.168.1.40', mac: '0a:0b:0c:0d:0e:0f', confirmed: true }]);
  });

  it('takes no address whose MAC is longer than six octets or has a three-digit octet', () => {
    expect(parseArpAn('? (192.168.1.41) at 0:1:2:3:4:5:6 on en0\n? (192.168.1.42) at 100:1:2:3:4:5 on en0\n')).toEqual([]);
  });
});

describe('parseIpNeighJson', () => {
  // As iproute2 6.1 prints `ip -j -4 neigh show` (one JSON array; flags such as "router" beside state).
  const TABLE = JSON.stringify([
    { dst: '192.168.1.1', dev: 'eth0', lladdr: '6A:EE:96:A9:67:6A', router: null, state: ['REACHABLE'] },
    { dst: '192.168.1.20', dev: 'eth0', lladdr: '00:40:8c:1a:2b:3c', state: ['STALE'] },
    { dst: '192.168.1.21', dev: 'eth0', lladdr: '00:40:8c:1a:2b:3d', state: ['DELAY'] },
    { dst: '192.168.1.22', dev: 'eth0', lladdr: '00:40:8c:1a:2b:3e', state: ['PROBE'] },
    { dst: '192.168.1.23', dev: 'eth0', state: ['FAILED'] },
    { dst: '192.168.1.24', dev: 'eth0', state: ['INCOMPLETE'] },
    { dst: '192.168.1.30', dev: 'eth0', lladdr: 'b8:27:eb:00:09:d9', state: ['PERMANENT'] },
    { dst: '224.0.0.251', dev: 'eth0', lladdr: '01:00:5e:00:00:fb', state: ['NOARP'] },
    { dst: '192.168.1.31', dev: 'eth0', lladdr: '00:00:00:00:00:00', state: ['REACHABLE'] },
    { dst: 'fe80::1', dev: 'eth0', lladdr: '00:40:8c:1a:2b:3f', state: ['REACHABLE'] },
    { dst: '192.168.1.32', dev: 'eth0', lladdr: '00:40:8c:1a:2b:40', state: 'REACHABLE' },
    null,
    'garbage',
  ]);

  it('confirms REACHABLE and static entries, remembers STALE, DELAY and PROBE ones, and skips the rest', () => {
    expect(parseIpNeighJson(TABLE)).toEqual([
      { address: '192.168.1.1', mac: '6a:ee:96:a9:67:6a', confirmed: true },
      { address: '192.168.1.20', mac: '00:40:8c:1a:2b:3c', confirmed: false },
      { address: '192.168.1.21', mac: '00:40:8c:1a:2b:3d', confirmed: false },
      { address: '192.168.1.22', mac: '00:40:8c:1a:2b:3e', confirmed: false },
      { address: '192.168.1.30', mac: 'b8:27:eb:00:09:d9', confirmed: true },
    ]);
  });

  it('gives nothing for output that is not a JSON array', () => {
    expect(parseIpNeighJson('')).toEqual([]);
    expect(parseIpNeighJson('{"dst":"192.168.1.1"}')).toEqual([]);
    expect(parseIpNeighJson('[{"dst":"192.168.1.1","lladdr":"00:40:8c:1a:2b:3c","state":["REACHABLE"]')).toEqual([]);
  });
});

describe('parseProcNetArp', () => {
  it('skips a group MAC that the kernel lists as complete', () => {
    const text = [
      'IP address       HW type     Flags       HW address            Mask     Device',
      '224.0.0.251      0x1         0x2         01:00:5e:00:00:fb     *        eth0',
      '192.168.1.5      0x1         0x2         00:40:8c:1a:2b:3c     *        eth0',
    ].join('\n');
    expect(parseProcNetArp(text)).toEqual([{ address: '192.168.1.5', mac: '00:40:8c:1a:2b:3c', confirmed: true }]);
  });
});

describe('readArpCommand', () => {
  let dir = '';
  const script = async (name: string, body: string) => {
    const path = join(dir, name);
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, 0o755);
    return path;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iotscan-arp-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the command with -an and parses what it prints', async () => {
    // Prints the table only when called exactly as `arp -an`.
    const arp = await script('arp', `[ "$#" = 1 ] && [ "$1" = "-an" ] && printf '%s\\n' '? (192.168.1.20) at 0:40:8c:1a:2b:3c on en0 ifscope [ethernet]'`);
    expect(await readArpCommand(arp)).toEqual([{ address: '192.168.1.20', mac: '00:40:8c:1a:2b:3c', confirmed: true }]);
  });

  it('gives the complete lines of a run that hangs, and returns within the time bound', async () => {
    // The second line is cut off mid-MAC: read as a whole it would name a wrong address.
    const arp = await script('arp-hangs', `printf '%s\\n%s' '? (192.168.1.20) at 0:40:8c:1a:2b:3c on en0' '? (192.168.1.21) at 0:40:8c:1a:2b:3'\nexec sleep 30`);
    const started = Date.now();
    expect(await readArpCommand(arp)).toEqual([{ address: '192.168.1.20', mac: '00:40:8c:1a:2b:3c', confirmed: true }]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stops reading at the size bound', async () => {
    // 40,000 lines of 45 bytes each (1.8 MB): well past the bound; the run is cut off, not read whole.
    const arp = await script('arp-floods', `i=0; while [ $i -lt 40000 ]; do echo '? (192.168.1.20) at 0:40:8c:1a:2b:3c on en0'; i=$((i+1)); done`);
    const entries = await readArpCommand(arp);
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.length).toBeLessThan(40_000);
  });

  it('gives no entries when the command does not exist', async () => {
    expect(await readArpCommand(join(dir, 'missing'))).toEqual([]);
  });
});

describe('readNeighbours', () => {
  it('has no reader on a platform without one', async () => {
    expect(await readNeighbours('win32')).toEqual([]);
  });
});
