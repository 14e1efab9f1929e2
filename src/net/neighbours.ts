// The OS neighbour table. Linux exposes the IPv4 ARP cache as text in /proc/net/arp.
import { readFile } from 'node:fs/promises';
import type { NeighbourEntry } from '../engine/net.js';

/** ATF_COM: the entry is complete (the MAC was resolved). */
const ARP_FLAG_COMPLETE = 0x2;

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
    if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac) || mac === '00:00:00:00:00:00') continue;
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) continue;
    entries.push({ address, mac: mac.toLowerCase() });
  }
  return entries;
}

export async function readNeighbours(): Promise<NeighbourEntry[]> {
  if (process.platform !== 'linux') return [];
  try {
    return parseProcNetArp(await readFile('/proc/net/arp', 'utf8'));
  } catch {
    return [];
  }
}
