// WS-Discovery (April 2005 draft, the version the ONVIF Core Specification uses: namespace
// http://schemas.xmlsoap.org/ws/2005/04/discovery, WS-Addressing 2004/08, SOAP 1.2) over
// SOAP-over-UDP: one Probe out, the ProbeMatches that answers it back. Strict, size-capped
// parsing; XML without entities or DOCTYPE. Pure.
//
// Message shapes: WS-Discovery April 2005 §5.2 (Probe) and §5.3 (Probe Match),
// http://specs.xmlsoap.org/ws/2005/04/discovery/ws-discovery.pdf, as Microsoft documents them for
// WSDAPI ("Probe Message", "ProbeMatches Message", learn.microsoft.com/windows/win32/wsdapi): the
// Probe's MessageID comes back as the ProbeMatches' RelatesTo, and the answer goes by unicast to
// the port the Probe came from.
import { XMLParser } from 'fast-xml-parser';
import { decodeXmlEntities, printable } from '../../src/core/sanitize.js';
import { DATA_ONLY_XML } from '../../src/core/xml.js';

/** The WS-Discovery port (ONVIF Core Specification, "Device discovery"; WS-Discovery §2.4). */
export const WSD_PORT = 3702;
/** An ONVIF camera's ProbeMatches is one or two kilobytes; anything past this is not parsed. */
export const MAX_REPLY_BYTES = 16 * 1024;

const SOAP_ENVELOPE = 'http://www.w3.org/2003/05/soap-envelope';
const ADDRESSING = 'http://schemas.xmlsoap.org/ws/2004/08/addressing';
const DISCOVERY = 'http://schemas.xmlsoap.org/ws/2005/04/discovery';
const PROBE_ACTION = `${DISCOVERY}/Probe`;
const PROBE_MATCHES_ACTION = `${DISCOVERY}/ProbeMatches`;
/** The well-known To of a Probe sent straight to Target Services (WS-Discovery §5.2). */
const DISCOVERY_TO = 'urn:schemas-xmlsoap-org:ws:2005:04:discovery';

const MESSAGE_ID = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_MATCHES = 8;
const MAX_ITEMS = 32;
const MAX_ITEM_LENGTH = 256;
const MAX_FIELD_LENGTH = 1024;

/**
 * A Probe without Types or Scopes: it restricts nothing, so every Target Service on the device
 * matches (an ONVIF camera declares dn:NetworkVideoTransmitter, tds:Device or both; a printer
 * its own types), and the request stays as small as a Probe can be.
 */
export function buildProbe(messageId: string): Uint8Array {
  if (!MESSAGE_ID.test(messageId)) throw new Error(`wsd: not a urn:uuid MessageID: ${messageId}`);
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<s:Envelope xmlns:s="${SOAP_ENVELOPE}" xmlns:a="${ADDRESSING}" xmlns:d="${DISCOVERY}">` +
    '<s:Header>' +
    `<a:Action s:mustUnderstand="true">${PROBE_ACTION}</a:Action>` +
    `<a:MessageID>${messageId}</a:MessageID>` +
    `<a:To s:mustUnderstand="true">${DISCOVERY_TO}</a:To>` +
    '</s:Header>' +
    '<s:Body><d:Probe/></s:Body>' +
    '</s:Envelope>';
  return new TextEncoder().encode(xml);
}

export interface ProbeMatch {
  /** QNames as the device wrote them (`dn:NetworkVideoTransmitter`). */
  types: string[];
  /** Scope URIs (`onvif://www.onvif.org/hardware/...`). */
  scopes: string[];
  /** Transport addresses of the device service (`http://192.168.1.20/onvif/device_service`). */
  xaddrs: string[];
}

export type ProbeMatchesResult =
  | { kind: 'matches'; matches: ProbeMatch[] }
  /** A well-formed ProbeMatches that answers some other Probe. */
  | { kind: 'unrelated' }
  | { kind: 'invalid'; reason: string };

const parser = new XMLParser({ ...DATA_ONLY_XML, isArray: (name: string) => name === 'ProbeMatch' });

/** Reads one datagram as the ProbeMatches answering the Probe with `messageId`. */
export function parseProbeMatches(bytes: Uint8Array, messageId: string): ProbeMatchesResult {
  if (bytes.length === 0) return { kind: 'invalid', reason: 'empty datagram' };
  if (bytes.length > MAX_REPLY_BYTES) return { kind: 'invalid', reason: 'reply too large' };
  const xml = new TextDecoder().decode(bytes);
  // Entity declarations are how XML bombs and external entity reads start: refuse the document.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return { kind: 'invalid', reason: 'DOCTYPE or ENTITY declaration' };
  let document: unknown;
  try {
    document = parser.parse(xml, true);
  } catch {
    return { kind: 'invalid', reason: 'not well-formed XML' };
  }
  const envelope = child(document, 'Envelope');
  const header = child(envelope, 'Header');
  const action = text(child(header, 'Action'));
  const probeMatches = child(child(envelope, 'Body'), 'ProbeMatches');
  if (probeMatches === undefined || (action !== undefined && action !== PROBE_MATCHES_ACTION)) {
    return { kind: 'invalid', reason: 'not a ProbeMatches message' };
  }
  if (text(child(header, 'RelatesTo')) !== messageId) return { kind: 'unrelated' };
  const matches = asList(child(probeMatches, 'ProbeMatch'))
    .slice(0, MAX_MATCHES)
    .map((match) => ({ types: items(child(match, 'Types')), scopes: items(child(match, 'Scopes')), xaddrs: items(child(match, 'XAddrs')) }));
  return { kind: 'matches', matches };
}

/** The observation fields of an answer: lists joined with spaces, as WS-Discovery writes them. */
export function probeMatchFields(matches: readonly ProbeMatch[]): Record<string, string> {
  const fields: Record<string, string> = {};
  const join = (pick: (match: ProbeMatch) => string[]) => printable([...new Set(matches.flatMap(pick))].join(' '), MAX_FIELD_LENGTH);
  const types = join((match) => match.types);
  const scopes = join((match) => match.scopes);
  const xaddrs = join((match) => match.xaddrs);
  if (types !== '') fields['wsd.types'] = types;
  if (scopes !== '') fields['wsd.scopes'] = scopes;
  if (xaddrs !== '') fields['wsd.xaddrs'] = xaddrs;
  return fields;
}

function child(node: unknown, name: string): unknown {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
  return (node as Record<string, unknown>)[name];
}

function asList(node: unknown): unknown[] {
  if (Array.isArray(node)) return node;
  return node === undefined || node === null ? [] : [node];
}

/** Element text with the predefined entities decoded; an element with children is no text. */
function text(node: unknown): string | undefined {
  if (typeof node !== 'string') return undefined;
  return decodeXmlEntities(node).trim();
}

/** A whitespace-separated list (xs:list of QNames or URIs), each item printable and bounded. */
function items(node: unknown): string[] {
  const value = text(node);
  if (value === undefined) return [];
  return value
    .split(/\s+/)
    .filter((item) => item !== '')
    .slice(0, MAX_ITEMS)
    .map((item) => printable(item, MAX_ITEM_LENGTH));
}
