// The lab itself: namespaces come up, every device listens, a second labUp changes nothing, and
// labDown leaves neither a namespace nor a device process behind. Needs root and iproute2.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { checkLabPrerequisites, labDown, labStatus, labUp } from '../../src/lab/lab.js';
import { LAB_NAMESPACE_PREFIX, SWITCH_NAMESPACE, namespaceFor } from '../../src/lab/namespaces.js';
import { LAB_DEVICES, SCANNER_NAMESPACE } from '../../src/lab/registry.js';

const skipReason = checkLabPrerequisites();

/** Ports the lab's devices listen on; each device must accept a connection on at least one. */
const CANDIDATE_PORTS = [80, 23, 22, 21, 554, 1883, 5000, 8008, 8009, 8123, 443, 49652, 52323, 7000, 62078];

// Runs inside the scanner namespace: tries every candidate port of every address, prints JSON
// { address: firstOpenPort | null }.
const CONNECT_SCRIPT = `
const net = require('node:net');
const [addresses, ports] = JSON.parse(process.argv[1]);
const tryPort = (host, port) => new Promise((done) => {
  const socket = net.connect({ host, port, timeout: 1000 });
  const finish = (open) => { socket.destroy(); done(open); };
  socket.once('connect', () => finish(true));
  socket.once('error', () => finish(false));
  socket.once('timeout', () => finish(false));
});
Promise.all(addresses.map(async (host) => {
  const results = await Promise.all(ports.map((port) => tryPort(host, port)));
  const index = results.indexOf(true);
  return [host, index >= 0 ? ports[index] : null];
})).then((entries) => process.stdout.write(JSON.stringify(Object.fromEntries(entries))));
`;

function openPortsFromScanner(addresses: string[]): Promise<Record<string, number | null>> {
  const argv = ['netns', 'exec', SCANNER_NAMESPACE, process.execPath, '-e', CONNECT_SCRIPT, JSON.stringify([addresses, CANDIDATE_PORTS])];
  return new Promise((resolve, reject) => {
    execFile('ip', argv, { timeout: 10_000 }, (error, stdout) => {
      if (error) reject(new Error(error.message));
      else resolve(JSON.parse(stdout) as Record<string, number | null>);
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
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/s.test(stat);
  } catch {
    return false;
  }
}

describe.skipIf(skipReason !== undefined)(`lab infrastructure${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  afterAll(async () => {
    await labDown();
  }, 15_000);

  it('comes up, answers, stays up on a second labUp and goes away completely', async () => {
    const started = Date.now();
    const status = await labUp();
    const upMs = Date.now() - started;
    expect(status.up).toBe(true);
    expect(upMs).toBeLessThan(15_000);

    const namespaces = await ipNetnsList();
    const expected = [SWITCH_NAMESPACE, SCANNER_NAMESPACE, ...LAB_DEVICES.map(({ spec }) => namespaceFor(spec.id))];
    for (const name of expected) expect(namespaces).toContain(name);

    const open = await openPortsFromScanner(LAB_DEVICES.map(({ spec }) => spec.ipv4));
    for (const { spec } of LAB_DEVICES) {
      expect(open[spec.ipv4], `${spec.id} (${spec.ipv4}) accepts no TCP connection`).toEqual(expect.any(Number));
    }

    const pids = status.devices.map((device) => device.pid);
    const again = await labUp();
    expect(again.up).toBe(true);
    expect(again.devices.map((device) => device.pid)).toEqual(pids);

    await labDown();
    const after = await ipNetnsList();
    expect(after.filter((name) => name.startsWith(LAB_NAMESPACE_PREFIX))).toEqual([]);
    for (const pid of pids) {
      expect(pid).toBeTypeOf('number');
      if (pid !== undefined) expect(processExists(pid), `device process ${pid} still alive`).toBe(false);
    }
    expect((await labStatus()).up).toBe(false);
  }, 45_000);

  it('rebuilds a lab left half up', async () => {
    await labUp();
    const victim = (await labStatus()).devices.find((device) => device.id === 'camera');
    if (victim?.pid !== undefined) process.kill(victim.pid, 'SIGKILL');
    const status = await labUp();
    expect(status.up).toBe(true);
    expect(status.devices.find((device) => device.id === 'camera')?.pid).not.toBe(victim?.pid);
  }, 30_000);
});
