// The machine's own interfaces, for joining multicast groups and sending multicast on each of them.
import { networkInterfaces } from 'node:os';
import { isIpv6LinkLocal } from '../core/policy.js';

/**
 * Every IPv4 address of this machine's interfaces. Loopback is left out unless it is the only
 * one (inside a namespace with nothing but `lo`, multicast can still be exercised locally).
 */
export function ipv4InterfaceAddresses(): string[] {
  const external: string[] = [];
  const loopback: string[] = [];
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.family !== 'IPv4') continue;
      (entry.internal ? loopback : external).push(entry.address);
    }
  }
  return external.length > 0 ? external : loopback;
}

/**
 * The names of the interfaces that carry a link-local IPv6 address: IPv6 multicast (ff02::/16)
 * needs one of them per send and per group join, and they are the zones neighbours are heard in.
 */
export function ipv6MulticastInterfaces(): string[] {
  const names: string[] = [];
  for (const [name, entries] of Object.entries(networkInterfaces())) {
    if ((entries ?? []).some((entry) => entry.family === 'IPv6' && !entry.internal && isIpv6LinkLocal(entry.address))) names.push(name);
  }
  return names;
}

/** 224.0.0.0/4 */
export function isIpv4Multicast(address: string): boolean {
  const first = Number(address.split('.')[0]);
  return /^\d+\.\d+\.\d+\.\d+$/.test(address) && first >= 224 && first <= 239;
}
