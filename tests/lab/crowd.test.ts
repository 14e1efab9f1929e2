// The benchmark crowd: where its hosts live (pure), and a small crowd brought up beside the lab,
// seen from the scanner namespace: every host answers ARP with its own MAC, listens where the
// layout says and answers RST everywhere else; labDown removes it. The live part needs root.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CROWD_BLOCK, CROWD_CAPACITY, CROWD_NAMESPACE, crowdLayout, crowdTargets } from '../../src/lab/crowd.js';
import { checkLabPrerequisites, labDown, labStatus, labUp } from '../../src/lab/lab.js';
import { LAB_DEVICES, LAB_SUBNET, SCANNER_ADDRESS, SCANNER_NAMESPACE } from '../../src/lab/registry.js';

describe('crowd layout', () => {
  const all = crowdLayout(CROWD_CAPACITY);

  it('holds a thousand hosts in the /22 beside the lab, and refuses more than fit', () => {
    expect(CROWD_CAPACITY).toBeGreaterThanOrEqual(1000);
    expect(crowdLayout(0)).toEqual([]);
    expect(() => crowdLayout(CROWD_CAPACITY + 1)).toThrow(/at most/);
    expect(() => crowdLayout(-1)).toThrow();
    expect(() => crowdLayout(2.5)).toThrow();
  });

  it('gives every host its own address and MAC, and never a lab address or a network or broadcast address', () => {
    const labAddresses = [SCANNER_ADDRESS, ...LAB_DEVICES.flatMap(({ spec }) => [spec.ipv4, spec.alternateIpv4 ?? spec.ipv4])];
    const addresses = all.map((host) => host.ipv4);
    expect(new Set(addresses).size).toBe(all.length);
    expect(new Set(all.map((host) => host.mac)).size).toBe(all.length);
    expect(new Set(all.map((host) => host.interfaceName)).size).toBe(all.length);
    for (const address of labAddresses) expect(addresses).not.toContain(address);
    for (const address of ['192.168.76.0', '192.168.79.255', '192.168.77.0', '192.168.77.255']) expect(addresses).not.toContain(address);
    for (const address of addresses) expect(address).toMatch(/^192\.168\.7[6-9]\.\d+$/);
    // Locally administered unicast MACs: they name no real vendor.
    for (const host of all) expect(host.mac).toMatch(/^02:00:/);
  });

  it('fills the lab /24 above the devices first, then 192.168.78.0/23', () => {
    const first = crowdLayout(200).map((host) => host.ipv4);
    expect(first[0]).toBe('192.168.77.110');
    expect(first[144]).toBe('192.168.77.254');
    expect(first[145]).toBe('192.168.78.1');
    expect(crowdTargets(crowdLayout(20), LAB_SUBNET)).toEqual([LAB_SUBNET]);
    expect(crowdTargets(crowdLayout(200), LAB_SUBNET)).toEqual(['192.168.77.0/24', '192.168.78.0/24']);
    expect(crowdTargets(crowdLayout(1000), LAB_SUBNET)).toEqual([CROWD_BLOCK]);
  });

  it('lets one host in five listen, on 80 or 22', () => {
    const listening = crowdLayout(1000).filter((host) => host.service !== undefined);
    expect(listening).toHaveLength(200);
    expect(listening.filter((host) => host.service === 'http')).toHaveLength(100);
    expect(listening.filter((host) => host.service === 'ssh')).toHaveLength(100);
  });
});

const skipReason = checkLabPrerequisites();
const CROWD_SIZE = 150;

// Runs inside the scanner namespace: one connection per address to 22 and 80; prints JSON
// { address: { 22: outcome, 80: outcome } } where outcome is the first line the service sent,
// `refused` (an RST) or the error code.
const CONNECT_SCRIPT = `
const net = require('node:net');
const addresses = JSON.parse(process.argv[1]);
const knock = (host, port) => new Promise((done) => {
  const socket = net.connect({ host, port, timeout: 3000 });
  let data = '';
  const finish = (outcome) => { socket.destroy(); done(outcome); };
  socket.once('connect', () => { if (port === 80) socket.write('HEAD / HTTP/1.0\\r\\n\\r\\n'); });
  socket.on('data', (chunk) => { data += chunk; if (data.includes('\\n')) finish(data.split(/\\r?\\n/).find((l) => /^SSH-|^Server:/.test(l)) ?? data.split('\\n')[0]); });
  socket.once('error', (error) => finish(error.code === 'ECONNREFUSED' ? 'refused' : error.code));
  socket.once('timeout', () => finish('timeout'));
});
Promise.all(addresses.map(async (host) => [host, { 22: await knock(host, 22), 80: await knock(host, 80) }]))
  .then((entries) => process.stdout.write(JSON.stringify(Object.fromEntries(entries))));
`;

function inScanner(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', SCANNER_NAMESPACE, ...args], { timeout: 30_000, maxBuffer: 8 * 1024 * 1024 }, (error, stdout) => {
      if (error) reject(new Error(error.message));
      else resolve(stdout);
    });
  });
}

function ipNetnsList(): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'list'], (error, stdout) => {
      if (error) reject(new Error(error.message));
      else resolve(stdout.split('\n').map((line) => line.trim().split(/\s+/)[0] ?? '').filter(Boolean));
    });
  });
}

function processExists(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX]/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe.skipIf(skipReason !== undefined)(`crowd beside the lab${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  afterAll(async () => {
    await labDown();
  }, 30_000);

  it(`brings up ${CROWD_SIZE} light hosts that answer for themselves, and takes them down again`, async () => {
    const crowd = crowdLayout(CROWD_SIZE);
    const status = await labUp({ extraHosts: CROWD_SIZE });
    expect(status.up).toBe(true);
    expect(status.crowd).toMatchObject({ hosts: CROWD_SIZE, listening: CROWD_SIZE / 5, block: CROWD_BLOCK, alive: true });
    expect(status.namespaces).toContain(CROWD_NAMESPACE);

    // The last hosts sit in 192.168.78.x: reaching them needs the scanner's on-link /22 route.
    expect(crowd.at(-1)?.ipv4).toMatch(/^192\.168\.78\./);
    const outcomes = JSON.parse(await inScanner([process.execPath, '-e', CONNECT_SCRIPT, JSON.stringify(crowd.map((host) => host.ipv4))])) as Record<string, Record<'22' | '80', string>>;
    for (const host of crowd) {
      expect(outcomes[host.ipv4], host.ipv4).toEqual({
        22: host.service === 'ssh' ? 'SSH-2.0-dropbear_2020.81' : 'refused',
        80: host.service === 'http' ? 'Server: lighttpd/1.4.59' : 'refused',
      });
    }

    // Each address was resolved by ARP to its own host's MAC, not to one shared answerer.
    const neighbours = new Map(
      (await inScanner(['ip', '-4', 'neigh', 'show', 'dev', 'eth0']))
        .split('\n')
        .map((line) => /^(\S+) .*lladdr (\S+)/.exec(line))
        .filter((match): match is RegExpExecArray => match !== null)
        .map((match) => [match[1], match[2]]),
    );
    for (const host of crowd) expect(neighbours.get(host.ipv4), host.ipv4).toBe(host.mac);

    const again = await labUp({ extraHosts: CROWD_SIZE });
    expect(again.crowd?.pid).toBe(status.crowd?.pid);
    const printed = await new Promise<string>((resolve) =>
      execFile(process.execPath, [new URL('../../bin/iotscan.js', import.meta.url).pathname, 'lab', 'status'], (_error, stdout) => resolve(stdout)),
    );
    expect(printed).toContain(`crowd        ${CROWD_BLOCK.padEnd(15)} running: ${CROWD_SIZE} light hosts, ${CROWD_SIZE / 5} with a service`);

    await labDown();
    expect((await ipNetnsList()).filter((name) => name === CROWD_NAMESPACE)).toEqual([]);
    if (status.crowd?.pid !== undefined) expect(processExists(status.crowd.pid)).toBe(false);
    expect((await labStatus()).crowd).toBeUndefined();
  }, 90_000);
});
