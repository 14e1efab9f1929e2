// The crowd: many light hosts beside the lab devices, for benchmarks (`labUp({ extraHosts: N })`).
//
// All crowd hosts live in ONE namespace, `<lab>-crowd`, so labDown removes them with the rest of
// the lab. Its eth0 is a veth whose far end is a port of the lab switch; every host is a macvlan
// (bridge mode) on that eth0 with its own MAC and address. A Linux bridge takes at most 1024 ports
// (BR_MAX_PORTS); macvlans behind one port have no such limit.
//
// Many hosts in one namespace share one routing table and one ARP responder, which a real network
// of separate hosts does not. So that each crowd host still behaves like a machine of its own:
// - arp_ignore=1 / arp_announce=2: each macvlan answers ARP only for its own address and asks
//   with its own address as sender;
// - one routing table per host, chosen by source address (`ip rule from A`): a reply leaves
//   through the macvlan that owns its source address, with that host's MAC. accept_local=1 keeps
//   the kernel from checking every received packet's source against those rules: each broadcast
//   ARP request reaches every macvlan, and walking a thousand rules for each of those copies made
//   an ARP sweep of a thousand hosts take tens of seconds instead of about two;
// - ICMP rate limits are lifted: they are per namespace, so a thousand hosts would otherwise share
//   one host's budget of "port unreachable" answers;
// - the scanner's MAC is a permanent neighbour entry on every macvlan. The kernel's neighbour
//   table is one machine-wide table (gc_thresh3, 1024 entries by default, counts every namespace);
//   a thousand crowd entries for the scanner would fill it. Permanent entries do not count. A real
//   host learns the scanner from its ARP request anyway, so nothing observable changes.
// IPv6 is off in the crowd: a thousand link-local addresses doing DAD would flood the switch.
//
// Address layout (all inside 192.168.76.0/22, every crowd host has a /22 prefix):
//   1. 192.168.77.110-254  the lab's own /24, above every lab device (a crowd of <= 145 stays there)
//   2. 192.168.78.1 - 192.168.79.254
//   3. 192.168.76.1-255, then 192.168.78.0 (valid host addresses in a /22)
//   4. free addresses of 192.168.77.1-109, between the lab devices, last
// Never used: the lab devices' addresses (and the address a device moves to), the scanner's,
// 192.168.77.0 and .255 (network and broadcast of the lab /24 the devices and the scanner live
// in), 192.168.76.0 and 192.168.79.255 (network and broadcast of the /22).
// One host in five listens: every tenth on TCP 80 (a small web page), the other listening ones on
// TCP 22 (SSH, keys only); every other port answers with RST.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LAB_STATE_DIR } from './attempts.js';
import { LabError, SWITCH_NAMESPACE, namespaceFor, run } from './namespaces.js';
import { LAB_DEVICES, SCANNER_ADDRESS, SCANNER_MAC, SCANNER_NAMESPACE } from './registry.js';

export const CROWD_ID = 'crowd';
export const CROWD_NAMESPACE = namespaceFor(CROWD_ID);
export const CROWD_BLOCK = '192.168.76.0/22';
const CROWD_PREFIX_LENGTH = 22;
/** The lab switch's bridge (namespaces.ts creates it under this name). */
const SWITCH_BRIDGE = 'br0';
const SWITCH_PORT = `ve-${CROWD_ID}`;
/** Per-host routing tables start here; the main (254) and local (255) tables lie below. */
const FIRST_TABLE = 1000;
const RULE_PRIORITY = 1000;
/** ip -batch of a thousand hosts runs several thousand netlink requests. */
const BATCH_TIMEOUT_MS = 120_000;

export const CROWD_SERVICES = { http: 80, ssh: 22 } as const;
export type CrowdService = keyof typeof CROWD_SERVICES;

export interface CrowdHost {
  ipv4: string;
  mac: string;
  /** The macvlan in the crowd namespace. */
  interfaceName: string;
  /** The one TCP service this host runs, if any. */
  service?: CrowdService;
}

const toNumber = (address: string): number => address.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
const toAddress = (value: number): string => [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');

const ADDRESS_ORDER: readonly (readonly [string, string])[] = [
  ['192.168.77.110', '192.168.77.254'],
  ['192.168.78.1', '192.168.79.254'],
  ['192.168.76.1', '192.168.76.255'],
  ['192.168.78.0', '192.168.78.0'],
  ['192.168.77.1', '192.168.77.109'],
];

/** Every address a crowd host may take, in the order they are handed out. */
function crowdAddresses(): string[] {
  const taken = new Set([SCANNER_ADDRESS, ...LAB_DEVICES.flatMap(({ spec }) => [spec.ipv4, ...(spec.alternateIpv4 !== undefined ? [spec.alternateIpv4] : [])])]);
  const addresses: string[] = [];
  for (const [first, last] of ADDRESS_ORDER) {
    for (let value = toNumber(first); value <= toNumber(last); value++) {
      const address = toAddress(value);
      if (!taken.has(address)) addresses.push(address);
    }
  }
  return addresses;
}

/** How many crowd hosts the /22 holds beside the lab. */
export const CROWD_CAPACITY = crowdAddresses().length;

/** A locally administered MAC made of the address, so a capture reads back which host sent it. */
function crowdMac(address: string): string {
  const octets = address.split('.').map((octet) => Number(octet).toString(16).padStart(2, '0'));
  return ['02', '00', ...octets].join(':');
}

/** The first `count` crowd hosts; deterministic, so the lab, its server and the benchmark agree. */
export function crowdLayout(count: number): CrowdHost[] {
  if (!Number.isInteger(count) || count < 0) throw new LabError(`the crowd size must be a whole number from 0 up, not ${count}`);
  if (count > CROWD_CAPACITY) throw new LabError(`the crowd holds at most ${CROWD_CAPACITY} hosts in ${CROWD_BLOCK} beside the lab, not ${count}`);
  return crowdAddresses()
    .slice(0, count)
    .map((ipv4, index) => {
      const service: CrowdService | undefined = index % 5 !== 0 ? undefined : index % 10 === 0 ? 'http' : 'ssh';
      return { ipv4, mac: crowdMac(ipv4), interfaceName: `mv${index}`, ...(service !== undefined && { service }) };
    });
}

/**
 * Targets that cover the lab subnet and every crowd host: the /24 blocks they occupy, or the
 * whole /22 when the crowd reaches all four.
 */
export function crowdTargets(hosts: readonly CrowdHost[], labSubnet: string): string[] {
  const blocks = new Set([labSubnet.replace(/\.\d+\/\d+$/, ''), ...hosts.map((host) => host.ipv4.replace(/\.\d+$/, ''))]);
  if (blocks.size === 4) return [CROWD_BLOCK];
  return [...blocks].sort((a, b) => toNumber(`${a}.0`) - toNumber(`${b}.0`)).map((block) => `${block}.0/24`);
}

const crowdStatePath = (): string => join(LAB_STATE_DIR, `${CROWD_ID}.json`);

/** Runs `ip -n <namespace> -batch -`: one process for thousands of requests. */
function ipBatch(namespace: string, lines: string[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = execFile('ip', ['-n', namespace, '-batch', '-'], { timeout: BATCH_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) reject(new LabError(`ip -n ${namespace} -batch: ${stderr.trim().split('\n')[0] || error.message}`, { cause: error }));
      else resolve();
    });
    child.stdin?.end(`${lines.join('\n')}\n`);
  });
}

/**
 * Creates the crowd namespace, plugs it into the lab switch and gives the scanner an on-link route
 * for the /22. The crowd's server process is started by the lab (crowd-main.ts).
 */
export async function createCrowd(hosts: readonly CrowdHost[]): Promise<void> {
  await run('ip', ['netns', 'add', CROWD_NAMESPACE]);
  await run('ip', [
    'netns',
    'exec',
    CROWD_NAMESPACE,
    'sysctl',
    '-q',
    '-w',
    'net.ipv4.ip_forward=0',
    'net.ipv4.conf.all.arp_ignore=1',
    'net.ipv4.conf.all.arp_announce=2',
    'net.ipv4.conf.all.rp_filter=0',
    'net.ipv4.conf.all.accept_local=1',
    'net.ipv4.conf.default.rp_filter=0',
    'net.ipv4.icmp_ratelimit=0',
    'net.ipv4.icmp_msgs_per_sec=100000',
    'net.ipv6.conf.all.disable_ipv6=1',
    'net.ipv6.conf.default.disable_ipv6=1',
  ]);
  await run('ip', ['-n', SWITCH_NAMESPACE, 'link', 'add', SWITCH_PORT, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', CROWD_NAMESPACE]);
  await run('ip', ['-n', SWITCH_NAMESPACE, 'link', 'set', SWITCH_PORT, 'master', SWITCH_BRIDGE, 'up']);

  const lines = ['link set lo up', 'link set eth0 up'];
  for (const [index, host] of hosts.entries()) {
    const table = String(FIRST_TABLE + index);
    lines.push(
      // One broadcast (an ARP request) is copied to every macvlan from this queue.
      `link add ${host.interfaceName} link eth0 address ${host.mac} type macvlan mode bridge bcqueuelen 4096`,
      `addr add ${host.ipv4}/${CROWD_PREFIX_LENGTH} dev ${host.interfaceName} noprefixroute`,
      `link set ${host.interfaceName} up`,
      `route add ${CROWD_BLOCK} dev ${host.interfaceName} src ${host.ipv4} table ${table}`,
      `rule add from ${host.ipv4} lookup ${table} priority ${RULE_PRIORITY}`,
      `neigh replace ${SCANNER_ADDRESS} lladdr ${SCANNER_MAC} dev ${host.interfaceName} nud permanent`,
    );
  }
  await ipBatch(CROWD_NAMESPACE, lines);
  // The lab devices keep their /24; only the scanner learns that the whole /22 is on its link.
  await run('ip', ['-n', SCANNER_NAMESPACE, 'route', 'add', CROWD_BLOCK, 'dev', 'eth0']);
  await writeFile(crowdStatePath(), `${JSON.stringify({ hosts: hosts.length })}\n`);
}

/** The crowd size labUp recorded, or undefined when the lab has no crowd. */
export async function recordedCrowdSize(): Promise<number | undefined> {
  try {
    const state = JSON.parse(await readFile(crowdStatePath(), 'utf8')) as { hosts?: unknown };
    return typeof state.hosts === 'number' && Number.isInteger(state.hosts) && state.hosts > 0 ? state.hosts : undefined;
  } catch {
    return undefined;
  }
}
