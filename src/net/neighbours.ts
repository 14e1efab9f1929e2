// The OS neighbour table. On Linux, iproute2's `ip -j neigh` gives each entry's state, which tells
// a device heard from just now from one remembered from earlier traffic; /proc/net/arp, the
// fallback where iproute2 is missing, cannot tell them apart. macOS has no such file, so its
// arp(8) prints the table.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { NeighbourEntry } from '../engine/net.js';

/** ATF_COM: the entry is complete (the MAC was resolved). */
const ARP_FLAG_COMPLETE = 0x2;

/** Absolute, so a PATH entry cannot stand in for it. */
const MACOS_ARP = '/usr/sbin/arp';
/** The table is read from the kernel with no name lookups (-n): a healthy arp returns at once. */
const ARP_TIMEOUT_MS = 2_000;
/** About 13,000 lines of ~80 bytes: beyond any home network's table; more is cut off, not read. */
const ARP_MAX_BYTES = 1024 * 1024;

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** Debian and most distributions; /sbin/ip where /usr is not merged. Absolute, like arp's path. */
const IPROUTE2_CANDIDATES = ['/usr/sbin/ip', '/sbin/ip', '/bin/ip'];

/**
 * A group MAC (the I/G bit, the lowest bit of the first octet, is set: broadcast ff:ff:…,
 * IPv4 multicast 01:00:5e:…) names no single host (RFC 7042 §2.1; RFC 1112 §6.4).
 */
function isGroupMac(mac: string): boolean {
  return (Number.parseInt(mac.slice(0, 2), 16) & 0x1) !== 0;
}

function isDeviceMac(mac: string): boolean {
  return MAC.test(mac) && mac !== '00:00:00:00:00:00' && !isGroupMac(mac);
}

/**
 * Neighbour states (NUD_*, include/uapi/linux/neighbour.h) as iproute2 names them. REACHABLE: the
 * link layer confirmed the neighbour within base_reachable_time (about 30 s). STALE: the entry
 * outlived that without news, and DELAY/PROBE are the kernel checking a stale entry again because
 * a packet went to it (ip-neighbour(8), "nud"). PERMANENT/NOARP never age.
 */
const CONFIRMED_STATES = new Set(['REACHABLE', 'PERMANENT', 'NOARP']);
const REMEMBERED_STATES = new Set(['STALE', 'DELAY', 'PROBE']);

/**
 * Parses `ip -j -4 neigh show`: `[{"dst":"192.168.1.20","dev":"eth0","lladdr":"00:40:…",
 * "state":["REACHABLE"]}, …]`. INCOMPLETE and FAILED entries (no answer) are skipped.
 */
export function parseIpNeighJson(text: string): NeighbourEntry[] {
  let rows: unknown;
  try {
    rows = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(rows)) return [];
  const entries: NeighbourEntry[] = [];
  for (const row of rows as Record<string, unknown>[]) {
    const { dst: address, lladdr: mac, state } = row ?? {};
    if (typeof address !== 'string' || typeof mac !== 'string' || !Array.isArray(state)) continue;
    if (!IPV4.test(address) || !isDeviceMac(mac)) continue;
    const confirmed = state.some((name) => CONFIRMED_STATES.has(name as string));
    if (!confirmed && !state.some((name) => REMEMBERED_STATES.has(name as string))) continue;
    entries.push({ address, mac: mac.toLowerCase(), confirmed });
  }
  return entries;
}

/**
 * Parses /proc/net/arp:
 * `IP address  HW type  Flags  HW address  Mask  Device`, one header line, then one line per entry.
 */
export function parseProcNetArp(text: string): NeighbourEntry[] {
  const entries: NeighbourEntry[] = [];
  for (const line of text.split('\n').slice(1)) {
    const [address, , flagsText, mac] = line.trim().split(/\s+/);
    if (address === undefined || flagsText === undefined || mac === undefined) continue;
    const flags = Number.parseInt(flagsText, 16);
    if (!Number.isFinite(flags) || (flags & ARP_FLAG_COMPLETE) === 0) continue;
    if (!isDeviceMac(mac) || !IPV4.test(address)) continue;
    // ATF_COM is set for every resolved state, a stale one too: the file cannot tell.
    entries.push({ address, mac: mac.toLowerCase(), confirmed: true });
  }
  return entries;
}

/**
 * One line of macOS `arp -an`: `? (192.168.1.20) at 0:40:8c:1a:2b:3c on en0 ifscope [ethernet]`.
 * Apple's arp.c (network_cmds, print_entry) writes `host (address) at `, then the link address
 * with each octet as `%x` (print_lladdr: no leading zero) or `(incomplete)`, then ` on <if>` and
 * the flags ` ifscope`, ` permanent`, ` published`, then the link type. Only 6-octet addresses
 * are Ethernet/Wi-Fi MACs.
 */
const ARP_AN_LINE = /^\S+ \((\d{1,3}(?:\.\d{1,3}){3})\) at ([0-9a-f]{1,2}(?::[0-9a-f]{1,2}){5})(?=\s|$)/i;

/**
 * Parses the output of macOS `arp -an`. Incomplete entries and group MACs are skipped.
 * `permanent` entries stay: arp.c prints it for every entry that never expires, which is both
 * this machine's own address and a static entry an administrator set for a real device.
 */
export function parseArpAn(text: string): NeighbourEntry[] {
  const entries: NeighbourEntry[] = [];
  for (const line of text.split('\n')) {
    const match = ARP_AN_LINE.exec(line.trim());
    if (!match) continue;
    const [, address = '', shortMac = ''] = match;
    const mac = shortMac
      .split(':')
      .map((octet) => octet.padStart(2, '0'))
      .join(':')
      .toLowerCase();
    if (mac === '00:00:00:00:00:00' || isGroupMac(mac)) continue;
    // macOS keeps an entry until it expires (20 minutes by default) and prints no state.
    entries.push({ address, mac, confirmed: true });
  }
  return entries;
}

/** Lines up to the last newline: a table cut off by the size or time bound may end mid-line. */
function completeLines(text: string): string {
  return text.slice(0, text.lastIndexOf('\n') + 1);
}

/**
 * Runs `arp -an` (argument array, no shell) within a time and size bound. A run that fails or is
 * cut off still yields the complete lines it printed: each is a true entry on its own.
 */
export function readArpCommand(command = MACOS_ARP): Promise<NeighbourEntry[]> {
  return new Promise((resolve) => {
    execFile(command, ['-an'], { timeout: ARP_TIMEOUT_MS, maxBuffer: ARP_MAX_BYTES, encoding: 'utf8' }, (_error, stdout) => {
      resolve(parseArpAn(completeLines(typeof stdout === 'string' ? stdout : '')));
    });
  });
}

const IPROUTE2 = IPROUTE2_CANDIDATES.find((path) => existsSync(path));

/**
 * Read in one synchronous call: the kernel writes the table from memory, so nothing waits on a
 * disk, and an asynchronous read needs several event-loop turns, each of which a busy sweep makes
 * long (over a second with 200 hosts under port scan, measured). `ip -j -4 neigh` takes about
 * 3 ms (measured); /proc/net/arp stands in where iproute2 is missing or fails.
 */
function readLinuxNeighbours(): NeighbourEntry[] {
  if (IPROUTE2) {
    try {
      return parseIpNeighJson(execFileSync(IPROUTE2, ['-j', '-4', 'neigh', 'show'], { timeout: ARP_TIMEOUT_MS, maxBuffer: ARP_MAX_BYTES, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    } catch {
      // Fall through to the state-less table.
    }
  }
  try {
    return parseProcNetArp(readFileSync('/proc/net/arp', 'utf8'));
  } catch {
    return [];
  }
}

/** The IPv4 neighbour table of this machine; empty where no reader exists (Windows, say). */
export async function readNeighbours(platform: NodeJS.Platform = process.platform): Promise<NeighbourEntry[]> {
  switch (platform) {
    case 'linux':
      return readLinuxNeighbours();
    case 'darwin':
      return readArpCommand();
    default:
      return [];
  }
}
