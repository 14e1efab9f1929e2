// The scope guard: one place that says yes or no to every address, and turns the user's target
// words into addresses. Pure.

export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

export const DEFAULT_MAX_ADDRESSES = 4096;

function ipv4ToNumber(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function numberToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export function isIpv4(text: string): boolean {
  return ipv4ToNumber(text) !== undefined;
}

/** Sorts IPv4 addresses numerically (others after them, as text). */
export function compareAddresses(a: string, b: string): number {
  const x = ipv4ToNumber(a);
  const y = ipv4ToNumber(b);
  if (x !== undefined && y !== undefined) return x - y;
  if (x !== undefined) return -1;
  if (y !== undefined) return 1;
  return a.localeCompare(b);
}

const LOCAL_RANGES: readonly { base: string; prefix: number; label: string }[] = [
  { base: '10.0.0.0', prefix: 8, label: 'private' },
  { base: '172.16.0.0', prefix: 12, label: 'private' },
  { base: '192.168.0.0', prefix: 16, label: 'private' },
  { base: '169.254.0.0', prefix: 16, label: 'link-local' },
  { base: '127.0.0.0', prefix: 8, label: 'loopback' },
];

function inPrefix(value: number, base: number, prefix: number): boolean {
  const size = 2 ** (32 - prefix);
  return Math.floor(value / size) === Math.floor(base / size);
}

/** Private, link-local and loopback IPv4 addresses: what a household's own network uses. */
export function isLocalAddress(address: string): boolean {
  const value = ipv4ToNumber(address);
  if (value === undefined) return false;
  return LOCAL_RANGES.some((range) => inPrefix(value, ipv4ToNumber(range.base) ?? 0, range.prefix));
}

export interface ScopeOptions {
  allowPublic: boolean;
  maxAddresses: number;
}

export interface TargetSet {
  /** What the user asked for, normalised (e.g. `192.168.1.0/24`). */
  specs: string[];
  addresses: string[];
}

function expandOne(spec: string): { normalised: string; first: number; last: number } {
  const cidr = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(spec);
  if (cidr) {
    const base = ipv4ToNumber(cidr[1] ?? '');
    const prefix = Number(cidr[2]);
    if (base === undefined || prefix > 32) throw new TargetError(`"${spec}" is not a valid IPv4 range (use a form like 192.168.1.0/24)`);
    const size = 2 ** (32 - prefix);
    const network = Math.floor(base / size) * size;
    // Network and broadcast addresses are nobody's device.
    const [first, last] = prefix >= 31 ? [network, network + size - 1] : [network + 1, network + size - 2];
    return { normalised: `${numberToIpv4(network)}/${prefix}`, first, last };
  }
  const range = /^(\d+\.\d+\.\d+\.\d+)-(\d+\.\d+\.\d+\.\d+|\d{1,3})$/.exec(spec);
  if (range) {
    const first = ipv4ToNumber(range[1] ?? '');
    const endText = range[2] ?? '';
    const last = endText.includes('.') ? ipv4ToNumber(endText) : first === undefined ? undefined : Math.floor(first / 256) * 256 + Number(endText);
    if (first === undefined || last === undefined || last < first || (!endText.includes('.') && Number(endText) > 255)) {
      throw new TargetError(`"${spec}" is not a valid address range (use a form like 192.168.1.10-50)`);
    }
    return { normalised: `${numberToIpv4(first)}-${numberToIpv4(last)}`, first, last };
  }
  const single = ipv4ToNumber(spec);
  if (single !== undefined) return { normalised: spec, first: single, last: single };
  if (spec.includes(':')) throw new TargetError(`"${spec}": IPv6 targets are not supported yet; give IPv4 addresses or ranges`);
  throw new TargetError(`"${spec}" is not an IPv4 address or range; host names are not resolved (give an address such as 192.168.1.20 or a range such as 192.168.1.0/24)`);
}

/** Expands and checks every target, or throws a TargetError with one clear line. */
export function resolveTargets(specs: readonly string[], options: ScopeOptions): TargetSet {
  if (specs.length === 0) throw new TargetError('no targets: give an address or range, or let iotscan use your own network');
  const seen = new Set<number>();
  const normalised: string[] = [];
  for (const spec of specs) {
    const { normalised: label, first, last } = expandOne(spec.trim());
    if (last - first + 1 + seen.size > options.maxAddresses) {
      throw new TargetError(`"${spec}" makes more than ${options.maxAddresses} addresses; scan a smaller range or raise --max-hosts`);
    }
    for (let value = first; value <= last; value++) {
      const address = numberToIpv4(value);
      if (!options.allowPublic && !isLocalAddress(address)) {
        throw new TargetError(`"${spec}" includes ${address}, which is not on a home network (private, link-local or loopback); iotscan refuses public addresses unless you add --allow-public`);
      }
      seen.add(value);
    }
    normalised.push(label);
  }
  return { specs: normalised, addresses: [...seen].sort((a, b) => a - b).map(numberToIpv4) };
}

export interface InterfaceAddress {
  address: string;
  netmask: string;
  internal: boolean;
  family: string;
}

/**
 * The default target: the private IPv4 subnets of the machine's own interfaces. Subnets wider
 * than a /24 are narrowed to the /24 around the machine's address, so a default scan stays small.
 */
export function defaultTargetSpecs(interfaces: readonly InterfaceAddress[]): { specs: string[]; narrowed: string[] } {
  const specs = new Set<string>();
  const narrowed: string[] = [];
  for (const entry of interfaces) {
    if (entry.internal || entry.family !== 'IPv4' || !isLocalAddress(entry.address) || entry.address.startsWith('127.')) continue;
    const address = ipv4ToNumber(entry.address);
    const mask = ipv4ToNumber(entry.netmask);
    if (address === undefined || mask === undefined) continue;
    const prefix = mask.toString(2).replace(/0+$/, '').length;
    const usedPrefix = Math.max(prefix, 24);
    if (usedPrefix !== prefix) narrowed.push(`${entry.address}/${prefix}`);
    const size = 2 ** (32 - usedPrefix);
    specs.add(`${numberToIpv4(Math.floor(address / size) * size)}/${usedPrefix}`);
  }
  return { specs: [...specs], narrowed };
}
