// The machine's own IPv4 interface addresses, for joining multicast groups on each of them.
import { networkInterfaces } from 'node:os';

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

/** 224.0.0.0/4 */
export function isIpv4Multicast(address: string): boolean {
  const first = Number(address.split('.')[0]);
  return /^\d+\.\d+\.\d+\.\d+$/.test(address) && first >= 224 && first <= 239;
}
