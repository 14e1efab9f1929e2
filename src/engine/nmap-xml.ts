// nmap's XML output (`-oX`), read as hostile input: nmap copies what devices sent into it (product
// names, extra info, CPEs), so every value is decoded, made printable and capped, the document is
// size-capped, and no DTD is processed (nmap writes a bare `<!DOCTYPE nmaprun>`; anything more is
// refused). Pure: no I/O.
import { XMLParser } from 'fast-xml-parser';
import type { Transport } from '../core/model.js';
import { normaliseMac } from '../core/mac.js';
import { isIpv4, isIpv6 } from '../core/policy.js';
import { decodeXmlEntities, printable } from '../core/sanitize.js';

/** A /22 of hosts with full -sV fingerprints stays far below this. */
export const MAX_NMAP_XML_BYTES = 32 * 1024 * 1024;
const MAX_HOSTS = 65_536;
const MAX_PORTS_PER_HOST = 2 * 65_536;
const MAX_CPES_PER_SERVICE = 16;
const MAX_VALUE_LENGTH = 256;

export interface NmapPort {
  port: number;
  protocol: Transport;
  /** `open` (only open ports are kept). */
  state: string;
  service?: string;
  product?: string;
  version?: string;
  extrainfo?: string;
  cpe: string[];
}

export interface NmapHost {
  /** IPv4 first, then IPv6. */
  addresses: string[];
  /** Lower-case, colon-separated; nmap names it only for hosts on the scanner's own link. */
  mac?: string;
  macVendor?: string;
  ports: NmapPort[];
}

export class NmapXmlError extends Error {
  override name = 'NmapXmlError';
}

export interface NmapObservation {
  address: string;
  port: number;
  transport: Transport;
  fields: Record<string, string>;
}

/** The only DOCTYPE nmap writes: a name, no internal subset, no external identifier. */
const NMAP_DOCTYPE = /<!DOCTYPE\s+nmaprun\s*>/;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
  isArray: (name) => ['host', 'address', 'port', 'cpe'].includes(name),
});

type Node = Record<string, unknown>;

const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);
const nodes = (value: unknown): Node[] => (Array.isArray(value) ? value.filter(isNode) : isNode(value) ? [value] : []);

/** An attribute or text value, entity references decoded, made printable and capped; undefined when empty. */
function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const cleaned = printable(decodeXmlEntities(value), MAX_VALUE_LENGTH);
  return cleaned === '' ? undefined : cleaned;
}

function readPort(node: Node): NmapPort | undefined {
  const state = text(nodes(node['state'])[0]?.['state']);
  const protocol = node['protocol'];
  const portText = typeof node['portid'] === 'string' ? node['portid'] : '';
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : 0;
  if (state !== 'open' || (protocol !== 'tcp' && protocol !== 'udp') || port < 1 || port > 65_535) return undefined;
  const service = nodes(node['service'])[0];
  // <cpe> is an element with text; fast-xml-parser gives a string, or an object when it had attributes.
  const cpe = (Array.isArray(service?.['cpe']) ? (service['cpe'] as unknown[]) : [])
    .map((entry) => text(isNode(entry) ? entry['#text'] : entry))
    .filter((entry): entry is string => entry !== undefined && entry.startsWith('cpe:'))
    .slice(0, MAX_CPES_PER_SERVICE);
  const result: NmapPort = { port, protocol, state, cpe };
  for (const key of ['service', 'product', 'version', 'extrainfo'] as const) {
    const value = text(service?.[key === 'service' ? 'name' : key]);
    if (value !== undefined) result[key] = value;
  }
  return result;
}

function readHost(node: Node): NmapHost | undefined {
  if (text(nodes(node['status'])[0]?.['state']) !== 'up') return undefined;
  const ipv4: string[] = [];
  const ipv6: string[] = [];
  let mac: string | undefined;
  let macVendor: string | undefined;
  for (const address of nodes(node['address'])) {
    const value = text(address['addr']);
    if (value === undefined) continue;
    const type = address['addrtype'];
    if (type === 'ipv4' && isIpv4(value)) ipv4.push(value);
    else if (type === 'ipv6' && isIpv6(value)) ipv6.push(value);
    else if (type === 'mac' && mac === undefined) {
      mac = normaliseMac(value);
      if (mac !== undefined) macVendor = text(address['vendor']);
    }
  }
  const addresses = [...ipv4, ...ipv6];
  if (addresses.length === 0) return undefined;
  const ports = nodes(nodes(node['ports'])[0]?.['port'])
    .slice(0, MAX_PORTS_PER_HOST)
    .flatMap((port) => readPort(port) ?? []);
  return { addresses, ...(mac !== undefined && { mac }), ...(macVendor !== undefined && { macVendor }), ports };
}

/**
 * The hosts nmap reported up, each with its open ports. Throws NmapXmlError when the document is
 * too large, declares a DTD beyond nmap's bare DOCTYPE, is not well-formed, or is not nmap output.
 */
export function parseNmapXml(xml: string): NmapHost[] {
  if (xml.length > MAX_NMAP_XML_BYTES) throw new NmapXmlError(`nmap output longer than ${MAX_NMAP_XML_BYTES} characters`);
  const body = xml.replace(NMAP_DOCTYPE, '');
  // Entity declarations are how XML bombs and external entity reads start.
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) throw new NmapXmlError('nmap output with a DTD or entity declaration');
  let document: unknown;
  try {
    document = parser.parse(body, true);
  } catch (error) {
    throw new NmapXmlError(`nmap output is not well-formed XML: ${error instanceof Error ? printable(error.message, 120) : 'parse error'}`);
  }
  const run = isNode(document) ? nodes(document['nmaprun'])[0] : undefined;
  if (run === undefined) throw new NmapXmlError('not an nmap XML document (no <nmaprun>)');
  return nodes(run['host'])
    .slice(0, MAX_HOSTS)
    .flatMap((host) => readHost(host) ?? []);
}

/** One observation per open port, in iotscan's field names. */
export function nmapObservations(host: NmapHost): NmapObservation[] {
  const address = host.addresses[0];
  if (address === undefined) return [];
  return host.ports.map((port) => {
    const fields: Record<string, string> = {};
    if (port.service !== undefined) fields['nmap.service'] = port.service;
    if (port.product !== undefined) fields['nmap.product'] = port.product;
    if (port.version !== undefined) fields['nmap.version'] = port.version;
    if (port.extrainfo !== undefined) fields['nmap.extrainfo'] = port.extrainfo;
    if (port.cpe.length > 0) fields['nmap.cpe'] = port.cpe.join(',');
    return { address, port: port.port, transport: port.protocol, fields };
  });
}
