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
  if (spec.includes(':')) throw new TargetError(ipv6TargetProblem(spec));
  throw new TargetError(`"${spec}" is not an IPv4 address or range; host names are not resolved (give an address such as 192.168.1.20 or a range such as 192.168.1.0/24)`);
}

/** Why an IPv6 spec that is not a link-local address with its zone cannot be a target. */
function ipv6TargetProblem(spec: string): string {
  const { address, zone } = splitZone(spec);
  if (parseIpv6(address) === undefined) return `"${spec}" is not a valid IPv6 address`;
  if (isIpv6Multicast(address)) return `"${spec}" is a multicast group, not a device; it is never a target`;
  if (isIpv6LinkLocal(address) && zone !== undefined) return `"${spec}": "${zone}" is not an interface name (such as eth0 or wlan0)`;
  if (isIpv6LinkLocal(address)) return `"${spec}": a link-local IPv6 address needs the interface it is on, as in fe80::1%eth0`;
  return `"${spec}": IPv6 targets other than link-local ones (fe80::1%eth0) are not supported yet; give IPv4 addresses or ranges`;
}

/** Expands and checks every target, or throws a TargetError with one clear line. */
export function resolveTargets(specs: readonly string[], options: ScopeOptions): TargetSet {
  if (specs.length === 0) throw new TargetError('no targets: give an address or range, or let iotscan use your own network');
  const seen = new Set<number>();
  const normalised: string[] = [];
  const linkLocal: string[] = [];
  for (const spec of specs) {
    // A neighbour on one link (fe80::1%eth0): local by definition, a single address.
    const scoped = canonicalScopedLinkLocal(spec.trim());
    if (scoped !== undefined) {
      if (!linkLocal.includes(scoped)) {
        if (seen.size + linkLocal.length + 1 > options.maxAddresses) throw new TargetError(`"${spec}" makes more than ${options.maxAddresses} addresses; scan a smaller range or raise --max-hosts`);
        linkLocal.push(scoped);
        normalised.push(scoped);
      }
      continue;
    }
    const { normalised: label, first, last } = expandOne(spec.trim());
    if (last - first + 1 + seen.size + linkLocal.length > options.maxAddresses) {
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
  return { specs: normalised, addresses: [...[...seen].sort((a, b) => a - b).map(numberToIpv4), ...linkLocal] };
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

// IPv6. The scanner contacts IPv6 neighbours only by their link-local address with the zone
// (interface) it was heard on, `fe80::1%eth0`: that is the address the socket API needs, and the
// zone ties the neighbour to one link the user has put in scope. Multicast groups (ff00::/8) are
// for discovery only and never a target.

/** `fe80::1%eth0` → address and zone; no zone → zone undefined. */
export function splitZone(address: string): { address: string; zone: string | undefined } {
  const index = address.indexOf('%');
  return index < 0 ? { address, zone: undefined } : { address: address.slice(0, index), zone: address.slice(index + 1) };
}

/** Eight 16-bit groups, or undefined when the text is not an IPv6 address (no zone allowed). */
export function parseIpv6(text: string): number[] | undefined {
  if (text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let body = text;
  const tail: number[] = [];
  // A trailing dotted IPv4 part (::ffff:192.0.2.1) stands for the last two groups.
  const dotted = /:(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (dotted) {
    const value = ipv4ToNumber(dotted[1] ?? '');
    if (value === undefined) return undefined;
    tail.push(Math.floor(value / 65536), value % 65536);
    body = body.slice(0, body.length - (dotted[1] ?? '').length);
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const values: number[] = [];
    for (const group of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
      values.push(Number.parseInt(group, 16));
    }
    return values;
  };
  const head = groups(halves[0] ?? '');
  const rest = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (head === undefined || rest === undefined) return undefined;
  const given = head.length + rest.length + tail.length;
  if (halves.length === 1) return given === 8 ? [...head, ...tail] : undefined;
  if (given > 7) return undefined;
  return [...head, ...Array<number>(8 - given).fill(0), ...rest, ...tail];
}

/** RFC 5952 text: lower case, leading zeros dropped, the longest run of two or more zero groups as `::`. */
export function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let start = 0; start < groups.length; ) {
    if (groups[start] !== 0) {
      start += 1;
      continue;
    }
    let end = start;
    while (end < groups.length && groups[end] === 0) end += 1;
    if (end - start > bestLength) [bestStart, bestLength] = [start, end - start];
    start = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestLength < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

export function isIpv6(text: string): boolean {
  return parseIpv6(splitZone(text).address) !== undefined;
}

/** ff00::/8 */
export function isIpv6Multicast(address: string): boolean {
  const groups = parseIpv6(splitZone(address).address);
  return groups !== undefined && ((groups[0] ?? 0) & 0xff00) === 0xff00;
}

/** fe80::/10 */
export function isIpv6LinkLocal(address: string): boolean {
  const groups = parseIpv6(splitZone(address).address);
  return groups !== undefined && ((groups[0] ?? 0) & 0xffc0) === 0xfe80;
}

/** Interface names as the OS gives them (Linux allows at most 15 characters), or a numeric index. */
const ZONE = /^[\w.-]{1,15}$/;

/** `FE80::0:1%eth0` → `fe80::1%eth0`; undefined unless it is a link-local address with a zone. */
export function canonicalScopedLinkLocal(address: string): string | undefined {
  const { address: bare, zone } = splitZone(address);
  const groups = parseIpv6(bare);
  if (groups === undefined || zone === undefined || !ZONE.test(zone) || ((groups[0] ?? 0) & 0xffc0) !== 0xfe80) return undefined;
  return `${formatIpv6(groups)}%${zone}`;
}

export interface NamedInterfaceAddress extends InterfaceAddress {
  /** The interface name (`eth0`), which is the zone of link-local addresses heard on it. */
  name: string;
}

/**
 * The links whose IPv6 link-local neighbours are in scope: those where the targets cover the
 * whole IPv4 subnet of the machine's own address (narrowed to its /24 as defaultTargetSpecs
 * does). Scanning "my network" takes in that network's IPv6-only devices; naming one IPv4 host does not.
 */
export function linkLocalZonesInScope(interfaces: readonly NamedInterfaceAddress[], targetAddresses: readonly string[]): string[] {
  const targets = new Set(targetAddresses);
  const zones: string[] = [];
  for (const entry of interfaces) {
    if (entry.internal || entry.family !== 'IPv4' || zones.includes(entry.name) || !ZONE.test(entry.name)) continue;
    const address = ipv4ToNumber(entry.address);
    const mask = ipv4ToNumber(entry.netmask);
    if (address === undefined || mask === undefined) continue;
    const prefix = Math.max(mask.toString(2).replace(/0+$/, '').length, 24);
    if (prefix > 30) continue;
    const size = 2 ** (32 - prefix);
    const network = Math.floor(address / size) * size;
    let covered = true;
    for (let value = network + 1; value < network + size - 1 && covered; value++) {
      // The machine's own address need not be a target.
      if (value !== address && !targets.has(numberToIpv4(value))) covered = false;
    }
    if (covered) zones.push(entry.name);
  }
  return zones;
}

/** 2000::/3, the global unicast range: an address reachable from the Internet if a firewall lets it. */
export function isIpv6GlobalUnicast(address: string): boolean {
  const groups = parseIpv6(splitZone(address).address);
  return groups !== undefined && ((groups[0] ?? 0) & 0xe000) === 0x2000;
}

/** An IPv6 network as `address/length`, e.g. `2001:db8:77::/64`. */
interface Ipv6Prefix {
  groups: number[];
  length: number;
}

function ipv6Prefix(cidr: string): Ipv6Prefix | undefined {
  const [address = '', lengthText = ''] = cidr.split('/');
  const groups = parseIpv6(address);
  const length = Number(lengthText);
  if (groups === undefined || !Number.isInteger(length) || length < 16 || length > 128) return undefined;
  return { groups, length };
}

function inIpv6Prefix(groups: readonly number[], prefix: Ipv6Prefix): boolean {
  for (let bit = 0; bit < prefix.length; bit += 16) {
    const width = Math.min(16, prefix.length - bit);
    const mask = (0xffff << (16 - width)) & 0xffff;
    const index = bit / 16;
    if (((groups[index] ?? 0) & mask) !== ((prefix.groups[index] ?? 0) & mask)) return false;
  }
  return true;
}

/**
 * The global IPv6 networks (`address/length`) the machine itself has on links in scope: devices
 * there are on the same home link as the targeted IPv4 subnet, reached with the same right.
 */
export function onLinkIpv6Prefixes(interfaces: readonly (NamedInterfaceAddress & { cidr?: string | null })[], zones: readonly string[]): string[] {
  return interfaces
    .filter((entry) => !entry.internal && entry.family === 'IPv6' && zones.includes(entry.name) && isIpv6GlobalUnicast(entry.address))
    .flatMap((entry) => (entry.cidr && ipv6Prefix(entry.cidr) !== undefined ? [entry.cidr] : []));
}

/**
 * The one yes/no for contacting an address: an IPv4 target, an explicit link-local target, a
 * link-local neighbour (with its zone) on a link in scope, or a global IPv6 address inside one of
 * the machine's own on-link prefixes of such a link. Multicast is never a target.
 */
export function createScopeGuard(targetAddresses: readonly string[], linkLocalZones: readonly string[], onLinkPrefixes: readonly string[] = []): (address: string) => boolean {
  const targets = new Set(targetAddresses.map((address) => canonicalScopedLinkLocal(address) ?? address));
  const zones = new Set(linkLocalZones);
  const prefixes = onLinkPrefixes.map(ipv6Prefix).filter((prefix): prefix is Ipv6Prefix => prefix !== undefined);
  return (address) => {
    if (isIpv4(address)) {
      const first = Number(address.split('.')[0]);
      return first < 224 && targets.has(address);
    }
    if (isIpv6GlobalUnicast(address) && !address.includes('%')) {
      const groups = parseIpv6(address);
      return groups !== undefined && prefixes.some((prefix) => inIpv6Prefix(groups, prefix));
    }
    const scoped = canonicalScopedLinkLocal(address);
    if (scoped === undefined) return false;
    return targets.has(scoped) || zones.has(splitZone(scoped).zone ?? '');
  };
}
