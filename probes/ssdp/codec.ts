// SSDP (UPnP Device Architecture 1.1 §1, 2.0 for IPv6) M-SEARCH requests, their responses and
// NOTIFY announcements, and the UPnP device description XML (§2). Strict, size-capped parsing;
// XML without entities or DOCTYPE. Pure.
import { XMLParser } from 'fast-xml-parser';
import { decodeXmlEntities, printable } from '../../src/core/sanitize.js';
import { formatIpv6, parseIpv6, splitZone } from '../../src/core/policy.js';
import { DATA_ONLY_XML } from '../../src/core/xml.js';

export const SSDP_GROUP = '239.255.255.250';
/** The link-local SSDP group (UDA 2.0 §1.1.2). */
export const SSDP_GROUP_V6 = 'ff02::c';
export const SSDP_PORT = 1900;
export const MAX_SSDP_RESPONSE_BYTES = 8192;
export const MAX_DESCRIPTION_BYTES = 64 * 1024;

const MAX_HEADERS = 64;
const MAX_HEADER_VALUE = 1024;
const MAX_DEVICES = 32;
const MAX_SERVICES = 128;
const MAX_DEVICE_DEPTH = 8;

/** `host:port` as an HTTP HOST header names it: IPv6 in brackets, without the zone (RFC 7230 §5.4). */
export function hostHeader(address: string, port: number): string {
  return address.includes(':') ? `[${splitZone(address).address}]:${port}` : `${address}:${port}`;
}

/** A multicast search to the IPv4 or IPv6 group; MX is the seconds devices may wait before answering (1 keeps scans short). */
export function buildMulticastSearch(searchTarget: string, mx = 1, group: string = SSDP_GROUP): string {
  return [
    'M-SEARCH * HTTP/1.1',
    `HOST: ${group === SSDP_GROUP ? `${SSDP_GROUP}:${SSDP_PORT}` : `[${group.toUpperCase()}]:${SSDP_PORT}`}`,
    'MAN: "ssdp:discover"',
    `MX: ${mx}`,
    `ST: ${searchTarget}`,
    'USER-AGENT: iotscan/1 UPnP/1.1 iotscan/1',
    '',
    '',
  ].join('\r\n');
}

/** A unicast search (UDA 1.1 §1.3.3): HOST is the device itself and there is no MX. */
export function buildUnicastSearch(address: string, searchTarget: string): string {
  return [
    'M-SEARCH * HTTP/1.1',
    `HOST: ${hostHeader(address, SSDP_PORT)}`,
    'MAN: "ssdp:discover"',
    `ST: ${searchTarget}`,
    'USER-AGENT: iotscan/1 UPnP/1.1 iotscan/1',
    '',
    '',
  ].join('\r\n');
}

export interface SsdpResponse {
  /** Lower-case names; the first occurrence of a header wins. */
  headers: Record<string, string>;
}

/** Parses a search response (`HTTP/1.1 200 OK` + headers); anything else or anything odd gives undefined. */
export function parseSsdpResponse(bytes: Uint8Array): SsdpResponse | undefined {
  const message = parseSsdpMessage(bytes);
  if (message === undefined || !/^HTTP\/1\.[01] 200(?: .*)?$/i.test(message.startLine)) return undefined;
  if (message.headers['st'] === undefined && message.headers['usn'] === undefined) return undefined;
  return { headers: message.headers };
}

export interface SsdpNotify {
  /** `ssdp:alive`, `ssdp:byebye` or `ssdp:update`, lower-cased. */
  nts: string;
  /** Lower-case names; the first occurrence of a header wins. */
  headers: Record<string, string>;
}

/** Parses a `NOTIFY * HTTP/1.1` announcement (UDA 1.1 §1.2); it needs NT, NTS and USN. */
export function parseSsdpNotify(bytes: Uint8Array): SsdpNotify | undefined {
  const message = parseSsdpMessage(bytes);
  if (message === undefined || !/^NOTIFY \* HTTP\/1\.[01]$/i.test(message.startLine)) return undefined;
  const { headers } = message;
  const nts = headers['nts']?.toLowerCase();
  if (nts === undefined || !/^ssdp:(alive|byebye|update)$/.test(nts) || headers['nt'] === undefined || headers['usn'] === undefined) return undefined;
  return { nts, headers };
}

/** The device part of a USN (`uuid:…` before `::`), lower-cased: one id for one device on either family. */
export function usnDevice(usn: string): string | undefined {
  const match = /^(uuid:[^:\s]{1,128})/i.exec(usn.trim());
  return match?.[1]?.toLowerCase();
}

/**
 * The MAC inside an IPv6 address whose interface identifier is a modified EUI-64: the MAC with
 * ff:fe in the middle and the universal/local bit inverted (RFC 4291 §2.5.1 and Appendix A). Linux
 * forms link-local and SLAAC addresses this way unless told otherwise (kernel ip-sysctl,
 * addr_gen_mode 0), and AVM's FRITZ!OS does too (home-assistant/core#71418: a FRITZ!Box 7590 with
 * MAC 44:4e:6d:69:ce:8b answers SSDP from fe80::464e:6dff:fe69:ce8b). Random or stable-private
 * identifiers (RFC 4941, RFC 7217) give undefined, and so does anything that is not IPv6.
 */
export function eui64Mac(address: string): string | undefined {
  const groups = parseIpv6(splitZone(address).address);
  if (groups === undefined) return undefined;
  const [, , , , g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
  if ((g5 & 0xff) !== 0xff || g6 >> 8 !== 0xfe) return undefined;
  const octets = [(g4 >> 8) ^ 0x02, g4 & 0xff, g5 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff];
  return octets.map((octet) => octet.toString(16).padStart(2, '0')).join(':');
}

/**
 * The address observations about a sender carry: the sender itself, except that an IPv6 sender
 * that is known to be a device with an IPv4 address is named by that address. It is known when
 * an IPv4 sender used the same USN uuid, or when its EUI-64 interface identifier holds the MAC of
 * an IPv4 neighbour (a device that speaks SSDP only over IPv6 still has its IPv4 ARP entry).
 */
export function deviceAddresses(
  senders: readonly { address: string; devices: ReadonlySet<string> }[],
  ipv4Neighbours: readonly { address: string; mac: string }[] = [],
): (sender: string) => string {
  const ipv4ByDevice = new Map<string, string>();
  for (const sender of senders) {
    if (sender.address.includes(':')) continue;
    for (const device of sender.devices) if (!ipv4ByDevice.has(device)) ipv4ByDevice.set(device, sender.address);
  }
  const ipv4ByMac = new Map<string, string>();
  for (const neighbour of ipv4Neighbours) {
    const mac = neighbour.mac.toLowerCase();
    if (!neighbour.address.includes(':') && !ipv4ByMac.has(mac)) ipv4ByMac.set(mac, neighbour.address);
  }
  const devicesOf = new Map(senders.map((sender) => [sender.address, sender.devices]));
  return (sender) => {
    if (!sender.includes(':')) return sender;
    for (const device of devicesOf.get(sender) ?? []) {
      const ipv4 = ipv4ByDevice.get(device);
      if (ipv4 !== undefined) return ipv4;
    }
    const mac = eui64Mac(sender);
    return (mac === undefined ? undefined : ipv4ByMac.get(mac)) ?? sender;
  };
}

/** Start line and headers of an SSDP datagram (HTTP over UDP); undefined for anything odd. */
function parseSsdpMessage(bytes: Uint8Array): { startLine: string; headers: Record<string, string> } | undefined {
  if (bytes.length === 0 || bytes.length > MAX_SSDP_RESPONSE_BYTES) return undefined;
  let text = '';
  for (const byte of bytes) {
    // Headers are ASCII text; NUL or other C0 bytes (except CR, LF, tab) mean this is not SSDP.
    if (byte < 0x20 && byte !== 0x0d && byte !== 0x0a && byte !== 0x09) return undefined;
    text += String.fromCharCode(byte);
  }
  const lines = text.split(/\r?\n/);
  const headers: Record<string, string> = {};
  let count = 0;
  for (const line of lines.slice(1)) {
    if (line === '') break;
    const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (match === null) return undefined;
    count += 1;
    if (count > MAX_HEADERS) return undefined;
    const name = (match[1] ?? '').toLowerCase();
    if (!(name in headers)) headers[name] = (match[2] ?? '').slice(0, MAX_HEADER_VALUE);
  }
  return { startLine: lines[0] ?? '', headers };
}

/** An address in one spelling, so two spellings of one IPv6 address compare equal; the zone is dropped. */
function comparable(address: string): string {
  const bare = splitZone(address).address;
  const groups = parseIpv6(bare);
  return groups === undefined ? bare : formatIpv6(groups);
}

/**
 * A URL with an IPv6 zone (`http://[fe80::1%25eth0]/`, RFC 6874) without it: WHATWG URLs have no
 * zones, and the zone that counts is the responder's, which the datagram came with.
 */
export function withoutUrlZone(location: string): string {
  return location.replace(/^(http:\/\/\[[0-9a-fA-F:.]+)%25[\w.-]{1,15}\]/i, '$1]');
}

/**
 * Where a LOCATION may be fetched: only plain http on the responder's own address (an IPv6
 * responder's link-local address may appear without its zone, or with it as `%25eth0`). Anything
 * else (another host, https, garbage) gives undefined and is reported, never fetched.
 */
export function sameHostLocation(location: string, responder: string): { port: number; path: string } | undefined {
  let url: URL;
  try {
    url = new URL(withoutUrlZone(location));
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' || url.username !== '' || url.password !== '') return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (comparable(host) !== comparable(responder)) return undefined;
  const port = url.port === '' ? 80 : Number(url.port);
  return { port, path: `${url.pathname}${url.search}` };
}

export interface DescribedDevice {
  /** `upnp.*` fields of the device, only those present. */
  fields: Record<string, string>;
}

export interface DescribedService {
  serviceType: string;
  /** An absolute path when the control URL is on the LOCATION's host and port, else the full URL. */
  controlURL?: string;
  /**
   * The service's eventSubURL, resolved against URLBase or the LOCATION (UDA 1.1 §4.1.2): a path when it
   * is on the LOCATION's host and port, the full URL when only the port differs, and absent when
   * it points at another host, which nobody should be asked to subscribe to.
   */
  eventSubURL?: string;
}

export interface DeviceDescription {
  devices: DescribedDevice[];
  services: DescribedService[];
}

export type DescriptionResult = { ok: true; description: DeviceDescription } | { ok: false; reason: string };

const DEVICE_FIELDS = [
  'deviceType',
  'friendlyName',
  'manufacturer',
  'manufacturerURL',
  'modelName',
  'modelNumber',
  'modelDescription',
  'serialNumber',
  'UDN',
  'presentationURL',
] as const;

const xmlParser = new XMLParser({ ...DATA_ONLY_XML, isArray: (name: string) => name === 'device' || name === 'service' });

/** Parses a device description; `location` is the URL it came from (for resolving control URLs). */
export function parseDeviceDescription(xml: string, location: string): DescriptionResult {
  if (xml.length > MAX_DESCRIPTION_BYTES) return { ok: false, reason: 'description too large' };
  // Entity declarations are how XML bombs and external entity reads start: refuse the document.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return { ok: false, reason: 'DOCTYPE or ENTITY declaration' };
  let document: unknown;
  try {
    document = xmlParser.parse(xml, true);
  } catch (error) {
    return { ok: false, reason: `not well-formed XML: ${error instanceof Error ? printable(error.message, 120) : 'parse error'}` };
  }
  const root = child(document, 'root');
  const rootDevice = asList(child(root, 'device'))[0];
  if (rootDevice === undefined) return { ok: false, reason: 'no root device' };
  const baseText = text(child(root, 'URLBase'));
  const base = resolveBase(baseText, location);
  const description: DeviceDescription = { devices: [], services: [] };
  collectDevice(rootDevice, base, location, description, 0);
  return { ok: true, description };
}

function collectDevice(device: unknown, base: string, location: string, into: DeviceDescription, depth: number): void {
  if (depth > MAX_DEVICE_DEPTH || into.devices.length >= MAX_DEVICES) return;
  const fields: Record<string, string> = {};
  for (const name of DEVICE_FIELDS) {
    const value = text(child(device, name));
    if (value !== undefined && value !== '') fields[name === 'UDN' ? 'upnp.udn' : `upnp.${name}`] = value;
  }
  into.devices.push({ fields });
  for (const service of asList(child(child(device, 'serviceList'), 'service'))) {
    if (into.services.length >= MAX_SERVICES) break;
    const serviceType = text(child(service, 'serviceType'));
    if (serviceType === undefined || serviceType === '') continue;
    const described: DescribedService = { serviceType };
    const control = text(child(service, 'controlURL'));
    if (control !== undefined && control !== '') {
      const resolved = resolveControlUrl(control, base, location);
      if (resolved !== undefined) described.controlURL = resolved;
    }
    const event = text(child(service, 'eventSubURL'));
    if (event !== undefined && event !== '') {
      const resolved = resolveControlUrl(event, base, location);
      if (resolved !== undefined && onLocationHost(resolved, location)) described.eventSubURL = resolved;
    }
    into.services.push(described);
  }
  for (const embedded of asList(child(child(device, 'deviceList'), 'device'))) {
    collectDevice(embedded, base, location, into, depth + 1);
  }
}

function resolveBase(urlBase: string | undefined, location: string): string {
  if (urlBase !== undefined && urlBase !== '') {
    try {
      return new URL(urlBase, location).href;
    } catch {
      // A broken URLBase: fall back to the LOCATION, as UDA 1.1 does (it dropped URLBase).
    }
  }
  return location;
}

/** A control or event URL resolved against URLBase (or the LOCATION): a path when it is on the LOCATION's host and port, else the full URL. */
export function resolveControlUrl(control: string, base: string, location: string): string | undefined {
  try {
    const resolved = new URL(control, base);
    const origin = new URL(location);
    if (resolved.protocol === origin.protocol && resolved.host === origin.host) return `${resolved.pathname}${resolved.search}`;
    return printable(resolved.href, 512);
  } catch {
    return undefined;
  }
}

/** A path from resolveControlUrl, or a plain http URL on the LOCATION's host (another port is fine). */
function onLocationHost(resolved: string, location: string): boolean {
  if (resolved.startsWith('/')) return true;
  try {
    const url = new URL(resolved);
    return url.protocol === 'http:' && url.username === '' && url.password === '' && url.hostname === new URL(location).hostname;
  } catch {
    return false;
  }
}

function child(node: unknown, name: string): unknown {
  if (typeof node !== 'object' || node === null) return undefined;
  return (node as Record<string, unknown>)[name];
}

function asList(node: unknown): unknown[] {
  if (Array.isArray(node)) return node;
  return node === undefined || node === null || node === '' ? [] : [node];
}

/** Element text with the five predefined XML entities and character references decoded. */
function text(node: unknown): string | undefined {
  const value = Array.isArray(node) ? node[0] : node;
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  return printable(decodeXmlEntities(String(value)), 512);
}
