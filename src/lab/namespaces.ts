// Linux network namespaces for the lab, through iproute2 (argument arrays, never a shell).
//
// Layout: `<lab>-sw` (`iotlab-sw` by default, see name.ts) holds the bridge `br0` (the home switch); every other lab namespace has one
// veth whose far end is a port of that bridge. Each veth is created from inside the switch
// namespace with its peer placed straight into the device namespace, so no lab interface ever
// exists in the root namespace. No default route, no forwarding: the lab reaches nothing else.
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

/** A namespace with lo up, forwarding off, and name lookups that cannot leave it. */
async function createNamespace(name: string): Promise<void> {
  await run('ip', ['netns', 'add', name]);
  // `ip netns exec` bind-mounts these over /etc: DNS points at nothing, and no mDNS/NSS plug-in
  // can send a query through a host daemon.
  const etc = join(NETNS_ETC, name);
  await mkdir(etc, { recursive: true });
  await writeFile(join(etc, 'resolv.conf'), 'nameserver 127.0.0.1\n');
  await writeFile(join(etc, 'nsswitch.conf'), 'hosts: files\n');
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  await run('ip', [
    'netns',
    'exec',
    name,
    'sysctl',
    '-q',
    '-w',
    'net.ipv4.ip_forward=0',
    'net.ipv6.conf.all.forwarding=0',
  ]);
}

export async function createSwitch(): Promise<void> {
  await createNamespace(SWITCH_NAMESPACE);
  // Without snooping the bridge floods multicast (mDNS, SSDP) to every port, like a cheap switch.
  await run('ip', [
    '-n',
    SWITCH_NAMESPACE,
    'link',
    'add',
    BRIDGE,
    'type',
    'bridge',
    'mcast_snooping',
    '0',
    'forward_delay',
    '0',
    'stp_state',
    '0',
  ]);
  await run('ip', ['-n', SWITCH_NAMESPACE, 'link', 'set', BRIDGE, 'up']);
}

export interface HostLink {
  /** Namespace suffix: the host's namespace is `<lab>-<id>`. */
  id: string;
  ipv4: string;
  mac: string;
}

/** Creates the host's namespace and plugs its eth0 into the switch. */
export async function attachHost(host: HostLink): Promise<void> {
  const namespace = namespaceFor(host.id);
  await createNamespace(namespace);
  const switchPort = `ve-${host.id}`.slice(0, 15);
  await run('ip', [
    '-n',
    SWITCH_NAMESPACE,
    'link',
    'add',
    switchPort,
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'netns',
    namespace,
  ]);
  await run('ip', ['-n', SWITCH_NAMESPACE, 'link', 'set', switchPort, 'master', BRIDGE, 'up']);
  await run('ip', ['-n', namespace, 'link', 'set', 'eth0', 'address', host.mac]);
  await run('ip', ['-n', namespace, 'addr', 'add', `${host.ipv4}/24`, 'dev', 'eth0']);
  await run('ip', ['-n', namespace, 'link', 'set', 'eth0', 'up']);
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
