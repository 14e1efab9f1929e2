// Moves a lab device to another IPv4 address between two scans, as a new DHCP lease does at home,
// so tests can check that a scanner recognises it as the same device (by MAC, UDN, serial, bridge
// id) rather than as a new one. Only devices whose spec names an `alternateIpv4` move; they
// re-read their address on SIGHUP and print `address <ip>` once they serve on it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LAB_STATE_DIR } from './attempts.js';
import { checkLabPrerequisites, labStatus } from './lab.js';
import { LAB_INTERFACE, LabError, namespaceFor, run } from './namespaces.js';
import { LAB_DEVICES, SCANNER_NAMESPACE } from './registry.js';

/** `away` goes to the alternate address, `back` returns to the one the device starts with. */
export type MoveDirection = 'away' | 'back';

const SETTLE_TIMEOUT_MS = 5_000;
const POLL_MS = 25;

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

async function ipv4Addresses(id: string): Promise<string[]> {
  const output = await run('ip', ['-n', namespaceFor(id), '-4', '-o', 'addr', 'show', 'dev', LAB_INTERFACE]);
  return [...output.matchAll(/\binet (\d{1,3}(?:\.\d{1,3}){3})\//g)].map((match) => match[1] ?? '');
}

async function logBytes(path: string): Promise<Buffer> {
  return readFile(path).catch(() => Buffer.alloc(0));
}

/** Re-addresses the device and waits until it serves on the new address; returns that address. */
export async function moveDevice(id: string, direction: MoveDirection = 'away'): Promise<string> {
  const reason = checkLabPrerequisites();
  if (reason) throw new LabError(reason);
  const spec = LAB_DEVICES.find((candidate) => candidate.spec.id === id)?.spec;
  if (spec === undefined) throw new LabError(`there is no lab device "${id}"`);
  if (spec.alternateIpv4 === undefined) throw new LabError(`lab device ${id} does not move`);
  const [from, to] = direction === 'away' ? [spec.ipv4, spec.alternateIpv4] : [spec.alternateIpv4, spec.ipv4];

  const status = (await labStatus()).devices.find((candidate) => candidate.id === id);
  if (status?.pid === undefined || !status.alive) throw new LabError(`lab device ${id} is not running: run \`iotscan lab up\` first`);
  const current = await ipv4Addresses(id);
  if (current.length === 1 && current[0] === to) return to;
  if (!current.includes(from)) throw new LabError(`lab device ${id} has ${current.join(', ') || 'no IPv4 address'}, not ${from}`);

  const log = join(LAB_STATE_DIR, `${id}.log`);
  const seen = (await logBytes(log)).length;
  const namespace = namespaceFor(id);
  // Remove first: the new address would be a secondary of the old one, and deleting a primary
  // address deletes its secondaries with it.
  await run('ip', ['-n', namespace, 'addr', 'del', `${from}/24`, 'dev', LAB_INTERFACE]);
  await run('ip', ['-n', namespace, 'addr', 'add', `${to}/24`, 'dev', LAB_INTERFACE]);
  // A device moves between runs that are hours apart; by then the laptop's ARP cache has long
  // forgotten the old address. Here the next run may start seconds later, with the old entry
  // still REACHABLE for up to ~45 s (base_reachable_time): expire it as time would.
  await run('ip', ['-n', SCANNER_NAMESPACE, 'neigh', 'flush', 'to', from]);
  process.kill(status.pid, 'SIGHUP');

  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const news = (await logBytes(log)).subarray(seen).toString('utf8');
    if (new RegExp(`^address ${to.replace(/\./g, '\\.')}$`, 'm').test(news)) return to;
    const failure = /^readdress failed: (.*)$/m.exec(news);
    if (failure) throw new LabError(`lab device ${id} could not move to ${to}: ${failure[1] ?? ''}`);
    if (Date.now() > deadline) throw new LabError(`lab device ${id} did not settle on ${to} within ${SETTLE_TIMEOUT_MS / 1000} s`);
    await sleep(POLL_MS);
  }
}
