// Linux network namespaces for the lab, through iproute2 (argument arrays, never a shell).
//
// Layout: `<lab>-sw` (`iotlab-sw` by default, see name.ts) holds the bridge `br0` (the home switch); every other lab namespace has one
// veth whose far end is a port of that bridge. Each veth is created from inside the switch
// namespace with its peer placed straight into the device namespace, so no lab interface ever
// exists in the root namespace. No default route, no forwarding: the lab reaches nothing else.
//
// IPv6: every host's eth0 gets one link-local address, derived from its MAC (EUI-64) and added
// with `nodad`, so it is usable the moment labUp returns (duplicate address detection would hold
// it back for about a second) and devices can name it in their AAAA records. The switch itself
// has IPv6 off: a bridge forwards IPv6 frames without addresses of its own.
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LAB_NAME } from './name.js';

export const LAB_NAMESPACE_PREFIX = `${LAB_NAME}-`;
export const SWITCH_NAMESPACE = `${LAB_NAME}-sw`;
const BRIDGE = 'br0';
const NETNS_ETC = '/etc/netns';
const COMMAND_TIMEOUT_MS = 10_000;

export class LabError extends Error {
  override name = 'LabError';
}

/** Runs a command and returns its stdout; failures become a one-line LabError. */
export function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: COMMAND_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) {
        const detail = stderr.trim().split('\n')[0] ?? error.message;
        reject(new LabError(`${command} ${args.join(' ')}: ${detail || error.message}`, { cause: error }));
        return;
      }
      resolve(stdout);
    });
  });
}

/**
 * Runs several `ip` commands in one namespace with one process (`ip -batch`), which keeps labUp
 * fast: it spends most of its time starting processes. Stops at the first command that fails.
 */
function runIpBatch(namespace: string, commands: string[][]): Promise<string> {
  // Batch lines are split on blanks: every word must be a plain token.
  const unsafe = commands.flat().find((word) => !/^[\w.:/-]+$/.test(word));
  if (unsafe !== undefined) return Promise.reject(new LabError(`not a plain ip argument: ${unsafe}`));
  return new Promise((resolve, reject) => {
    const child = execFile('ip', ['-n', namespace, '-batch', '-'], { timeout: COMMAND_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) {
        const detail = stderr.trim().split('\n')[0] ?? error.message;
        reject(new LabError(`ip -n ${namespace} -batch: ${detail || error.message}`, { cause: error }));
        return;
      }
      resolve(stdout);
    });
    child.stdin?.end(commands.map((words) => `${words.join(' ')}\n`).join(''));
  });
}

export function namespaceFor(deviceId: string): string {
  return `${LAB_NAMESPACE_PREFIX}${deviceId}`;
}

/** Every named namespace that belongs to the lab. */
export async function listLabNamespaces(): Promise<string[]> {
  const output = await run('ip', ['netns', 'list']);
  return output
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name.startsWith(LAB_NAMESPACE_PREFIX));
}

/** The link-local IPv6 address a lab host has on eth0: fe80::/64 with the EUI-64 of its MAC (RFC 4291 App. A). */
export function linkLocalAddress(mac: string): string {
  const bytes = mac.split(':').map((part) => Number.parseInt(part, 16));
  if (bytes.length !== 6 || bytes.some((byte) => !Number.isInteger(byte) || byte < 0 || byte > 255)) {
    throw new LabError(`not a MAC address: ${mac}`);
  }
  const [b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0] = bytes;
  const group = (high: number, low: number): string => ((high << 8) | low).toString(16);
  // The universal/local bit is inverted; ff:fe goes in the middle.
  return `fe80::${group(b0 ^ 0x02, b1)}:${group(b2, 0xff)}:${group(0xfe, b3)}:${group(b4, b5)}`;
}

/** The interface every lab host has on the switch. */
export const LAB_INTERFACE = 'eth0';

/**
 * A namespace with lo up, forwarding off, and name lookups that cannot leave it. IPv6 is on with
 * duplicate address detection off and no automatic link-local address (attachHost adds one).
 */
async function createNamespace(name: string, ipv6: boolean): Promise<void> {
  await run('ip', ['netns', 'add', name]);
  // `ip netns exec` bind-mounts these over /etc: DNS points at nothing, and no mDNS/NSS plug-in
  // can send a query through a host daemon.
  const etc = join(NETNS_ETC, name);
  await mkdir(etc, { recursive: true });
  await writeFile(join(etc, 'resolv.conf'), 'nameserver 127.0.0.1\n');
  await writeFile(join(etc, 'nsswitch.conf'), 'hosts: files\n');
  await run('ip', [
    'netns',
    'exec',
    name,
    'sysctl',
    '-q',
    '-w',
    'net.ipv4.ip_forward=0',
    'net.ipv6.conf.all.forwarding=0',
    // `default` applies to interfaces that arrive later, like the veth end attachHost moves in.
    ...(ipv6
      ? [
          'net.ipv6.conf.all.disable_ipv6=0',
          'net.ipv6.conf.default.disable_ipv6=0',
          'net.ipv6.conf.all.accept_dad=0',
          'net.ipv6.conf.default.accept_dad=0',
          'net.ipv6.conf.default.addr_gen_mode=1',
        ]
      : ['net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']),
  ]);
}

export async function createSwitch(): Promise<void> {
  await createNamespace(SWITCH_NAMESPACE, false);
  await runIpBatch(SWITCH_NAMESPACE, [
    ['link', 'set', 'lo', 'up'],
    // Without snooping the bridge floods multicast (mDNS, SSDP) to every port, like a cheap switch.
    ['link', 'add', BRIDGE, 'type', 'bridge', 'mcast_snooping', '0', 'forward_delay', '0', 'stp_state', '0'],
    ['link', 'set', BRIDGE, 'up'],
  ]);
}

export interface HostLink {
  /** Namespace suffix: the host's namespace is `<lab>-<id>`. */
  id: string;
  ipv4: string;
  mac: string;
  /** A global IPv6 address on eth0, with its prefix length. */
  ipv6Global?: { address: string; prefixLength: number };
}

/** Creates the host's namespace and plugs its eth0 into the switch. */
export async function attachHost(host: HostLink): Promise<void> {
  const namespace = namespaceFor(host.id);
  await createNamespace(namespace, true);
  const switchPort = `ve-${host.id}`.slice(0, 15);
  await runIpBatch(SWITCH_NAMESPACE, [
    ['link', 'add', switchPort, 'type', 'veth', 'peer', 'name', LAB_INTERFACE, 'netns', namespace],
    ['link', 'set', switchPort, 'master', BRIDGE, 'up'],
  ]);
  await runIpBatch(namespace, [
    ['link', 'set', 'lo', 'up'],
    ['link', 'set', LAB_INTERFACE, 'address', host.mac],
    ['addr', 'add', `${host.ipv4}/24`, 'dev', LAB_INTERFACE],
    ['addr', 'add', `${linkLocalAddress(host.mac)}/64`, 'dev', LAB_INTERFACE, 'nodad'],
    ...(host.ipv6Global !== undefined ? [['addr', 'add', `${host.ipv6Global.address}/${host.ipv6Global.prefixLength}`, 'dev', LAB_INTERFACE, 'nodad']] : []),
    ['link', 'set', LAB_INTERFACE, 'up'],
  ]);
}

/** Pids of every process inside a namespace. */
export async function namespacePids(name: string): Promise<number[]> {
  try {
    const output = await run('ip', ['netns', 'pids', name]);
    return output
      .split('\n')
      .map((line) => Number.parseInt(line, 10))
      .filter((pid) => Number.isInteger(pid) && pid > 0);
  } catch {
    return [];
  }
}

export async function deleteNamespace(name: string): Promise<void> {
  await run('ip', ['netns', 'del', name]);
}

/** Removes /etc/netns/<lab>-* left by this lab, present or crashed. */
export async function removeNamespaceConfig(): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(NETNS_ETC);
  } catch {
    return;
  }
  await Promise.all(
    entries
      .filter((entry) => entry.startsWith(LAB_NAMESPACE_PREFIX))
      .map((entry) => rm(join(NETNS_ETC, entry), { recursive: true, force: true })),
  );
}
