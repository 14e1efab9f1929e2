// ONVIF for lab cameras: a WS-Discovery Target Service on UDP 3702 that answers unicast Probes,
// and the device management service (POST /onvif/device_service) for a device's own HTTP server.
// Read-only: the only operation served is GetDeviceInformation; everything else is refused, so
// nothing a scanner sends can change a device.
//
// - Discovery: ONVIF Core Specification, "Device discovery" (github.com/onvif/specs doc/Core.xml):
//   a device implements the WS-Discovery Target Service role, is discoverable by default, and puts
//   Types, Scopes (onvif://www.onvif.org/...) and XAddrs into its ProbeMatch. Message format:
//   WS-Discovery April 2005 §5.3; the ProbeMatches goes by unicast to the port the Probe came from
//   and carries the Probe's MessageID as RelatesTo (Microsoft, "ProbeMatches Message", WSDAPI docs).
// - Authentication: a device that supports only the WS-UsernameToken answers a request without
//   credentials with HTTP 400 and the SOAP fault env:Sender / ter:NotAuthorized, reason "Sender not
//   Authorized" (Core Spec, "Security > Authentication over HTTP and HTTPS" and "Generic faults").
//   GetDeviceInformation is READ_SYSTEM, not PRE_AUTH (Core Spec, "System > GetDeviceInformation").
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { XMLParser } from 'fast-xml-parser';
import { decodeXmlEntities } from '../../core/sanitize.js';
import { DATA_ONLY_XML } from '../../core/xml.js';
import { serveUdp, type RunningServer } from '../listen.js';

const SOAP_ENVELOPE = 'http://www.w3.org/2003/05/soap-envelope';
const ADDRESSING = 'http://schemas.xmlsoap.org/ws/2004/08/addressing';
const DISCOVERY = 'http://schemas.xmlsoap.org/ws/2005/04/discovery';
const ANONYMOUS = `${ADDRESSING}/role/anonymous`;
const DEVICE_WSDL = 'http://www.onvif.org/ver10/device/wsdl';
const NETWORK_WSDL = 'http://www.onvif.org/ver10/network/wsdl';
const ERROR_NS = 'http://www.onvif.org/ver10/error';
const SOAP_CONTENT_TYPE = 'application/soap+xml; charset=utf-8';
/** A Probe is a few hundred bytes; anything far larger is not one. */
const MAX_PROBE_BYTES = 4096;
const MAX_REQUEST_BODY_BYTES = 16 * 1024;

const parser = new XMLParser(DATA_ONLY_XML);

function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function child(node: unknown, name: string): unknown {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
  return (node as Record<string, unknown>)[name];
}

/** A small XML document as plain data; undefined for anything with a DOCTYPE or not well-formed. */
function parseXml(xml: string): unknown {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return undefined;
  try {
    return parser.parse(xml, true);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// WS-Discovery

export interface WsDiscoveryOptions {
  host: string;
  port: number;
  /** The device's stable endpoint reference, `urn:uuid:…` (Core Spec, "Endpoint reference"). */
  endpoint: string;
  /** QNames with the prefixes `dn:` (network wsdl) and `tds:` (device wsdl). */
  types: readonly string[];
  scopes: readonly string[];
  xaddrs: readonly string[];
}

/** The local part of a QName (`dn:NetworkVideoTransmitter` → `NetworkVideoTransmitter`). */
const localName = (qname: string): string => qname.slice(qname.indexOf(':') + 1);

/**
 * Whether a Probe's Types and Scopes select this device. Types compare by local name (the lab's
 * devices use only ONVIF's two namespaces). Scopes use the RFC 3986 rule every ONVIF device
 * supports: a probe scope matches a device scope equal to it or extending it by whole segments
 * (Core Spec, "Probe and Probe Match" and its scope example).
 */
function selects(probe: unknown, options: WsDiscoveryOptions): boolean {
  const list = (node: unknown) => (typeof node === 'string' ? node.split(/\s+/).filter((item) => item !== '') : []);
  const deviceTypes = new Set(options.types.map(localName));
  const typesMatch = list(child(probe, 'Types')).every((type) => deviceTypes.has(localName(type)));
  const scopesMatch = list(child(probe, 'Scopes')).every((wanted) => {
    const prefix = wanted.replace(/\/+$/, '');
    return options.scopes.some((scope) => scope === prefix || scope.startsWith(`${prefix}/`));
  });
  return typesMatch && scopesMatch;
}

/** The MessageID of a Probe addressed to Target Services, if the datagram is one that selects this device. */
function probeMessageId(datagram: Buffer, options: WsDiscoveryOptions): string | undefined {
  if (datagram.length > MAX_PROBE_BYTES) return undefined;
  const envelope = child(parseXml(datagram.toString('utf8')), 'Envelope');
  const header = child(envelope, 'Header');
  const probe = child(child(envelope, 'Body'), 'Probe');
  const raw = child(header, 'MessageID');
  if (child(header, 'Action') !== `${DISCOVERY}/Probe` || probe === undefined || typeof raw !== 'string') return undefined;
  const messageId = decodeXmlEntities(raw);
  if (!/^[\x21-\x7e]{1,256}$/.test(messageId)) return undefined;
  return selects(probe, options) ? messageId : undefined;
}

export async function startWsDiscoveryResponder(options: WsDiscoveryOptions): Promise<RunningServer> {
  // WS-Discovery AppSequence: InstanceId changes at each start, MessageNumber counts the messages sent since.
  const instanceId = Math.floor(Date.now() / 1000);
  let messageNumber = 0;

  const probeMatches = (relatesTo: string): Buffer =>
    Buffer.from(
      '<?xml version="1.0" encoding="UTF-8"?>' +
        `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${SOAP_ENVELOPE}" xmlns:wsa="${ADDRESSING}" xmlns:wsdd="${DISCOVERY}" ` +
        `xmlns:dn="${NETWORK_WSDL}" xmlns:tds="${DEVICE_WSDL}">` +
        '<SOAP-ENV:Header>' +
        `<wsa:MessageID>urn:uuid:${randomUUID()}</wsa:MessageID>` +
        `<wsa:RelatesTo>${escapeXml(relatesTo)}</wsa:RelatesTo>` +
        `<wsa:To SOAP-ENV:mustUnderstand="true">${ANONYMOUS}</wsa:To>` +
        `<wsa:Action SOAP-ENV:mustUnderstand="true">${DISCOVERY}/ProbeMatches</wsa:Action>` +
        `<wsdd:AppSequence InstanceId="${instanceId}" MessageNumber="${++messageNumber}"/>` +
        '</SOAP-ENV:Header>' +
        '<SOAP-ENV:Body><wsdd:ProbeMatches><wsdd:ProbeMatch>' +
        `<wsa:EndpointReference><wsa:Address>${escapeXml(options.endpoint)}</wsa:Address></wsa:EndpointReference>` +
        `<wsdd:Types>${escapeXml(options.types.join(' '))}</wsdd:Types>` +
        `<wsdd:Scopes>${escapeXml(options.scopes.join(' '))}</wsdd:Scopes>` +
        `<wsdd:XAddrs>${escapeXml(options.xaddrs.join(' '))}</wsdd:XAddrs>` +
        '<wsdd:MetadataVersion>1</wsdd:MetadataVersion>' +
        '</wsdd:ProbeMatch></wsdd:ProbeMatches></SOAP-ENV:Body>' +
        '</SOAP-ENV:Envelope>',
      'utf8',
    );

  return serveUdp(options.host, options.port, (datagram) => {
    const messageId = probeMessageId(datagram, options);
    return messageId === undefined ? undefined : probeMatches(messageId);
  });
}

// ---------------------------------------------------------------------------------------------
// Device management service

export interface OnvifDeviceInformation {
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
}

/**
 * `open`: user authentication switched off, every request is served. `username-token`: the device
 * knows only WS-UsernameToken and has no ONVIF user (Axis: "By creating a user you automatically
 * enable ONVIF communication", AXIS P3224-V Mk II user manual, System Options > Security > ONVIF),
 * so every request is refused as not authorized.
 */
export type OnvifServiceOptions = { auth: 'open'; information: OnvifDeviceInformation } | { auth: 'username-token' };

function envelope(body: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${SOAP_ENVELOPE}" xmlns:tds="${DEVICE_WSDL}" xmlns:ter="${ERROR_NS}">` +
    `<SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`
  );
}

/** A SOAP 1.2 fault in the Core Spec's layout ("SOAP errors"). */
function fault(code: 'Sender' | 'Receiver', subcode: string, reason: string): string {
  return envelope(
    '<SOAP-ENV:Fault>' +
      `<SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:${code}</SOAP-ENV:Value>` +
      `<SOAP-ENV:Subcode><SOAP-ENV:Value>ter:${subcode}</SOAP-ENV:Value></SOAP-ENV:Subcode></SOAP-ENV:Code>` +
      `<SOAP-ENV:Reason><SOAP-ENV:Text xml:lang="en">${reason}</SOAP-ENV:Text></SOAP-ENV:Reason>` +
      '</SOAP-ENV:Fault>',
  );
}

function deviceInformation(information: OnvifDeviceInformation): string {
  return envelope(
    '<tds:GetDeviceInformationResponse>' +
      `<tds:Manufacturer>${escapeXml(information.manufacturer)}</tds:Manufacturer>` +
      `<tds:Model>${escapeXml(information.model)}</tds:Model>` +
      `<tds:FirmwareVersion>${escapeXml(information.firmwareVersion)}</tds:FirmwareVersion>` +
      `<tds:SerialNumber>${escapeXml(information.serialNumber)}</tds:SerialNumber>` +
      `<tds:HardwareId>${escapeXml(information.hardwareId)}</tds:HardwareId>` +
      '</tds:GetDeviceInformationResponse>',
  );
}

/** The answer to one SOAP request body: HTTP status and envelope. */
function answer(body: string, options: OnvifServiceOptions): { status: number; xml: string } {
  const soapBody = child(child(parseXml(body), 'Envelope'), 'Body');
  if (soapBody === undefined) return { status: 400, xml: fault('Sender', 'WellFormed', 'Well-formed Error') };
  // The lab serves no PRE_AUTH operation, so without an ONVIF user nothing is served at all.
  if (options.auth === 'username-token') return { status: 400, xml: fault('Sender', 'NotAuthorized', 'Sender not Authorized') };
  if (child(soapBody, 'GetDeviceInformation') === undefined) {
    return { status: 500, xml: fault('Receiver', 'ActionNotSupported', 'Optional Action Not Implemented') };
  }
  return { status: 200, xml: deviceInformation(options.information) };
}

/**
 * Serves one POST to /onvif/device_service on a device's HTTP server. A body that is not SOAP 1.2
 * gets 415, an oversized one 400 (Core Spec, "HTTP errors").
 */
export function handleOnvifRequest(request: IncomingMessage, response: ServerResponse, options: OnvifServiceOptions): void {
  const reply = (status: number, xml?: string): void => {
    if (xml === undefined) {
      response.writeHead(status, { 'Content-Length': 0, Connection: 'close' }).end();
      return;
    }
    response.writeHead(status, { 'Content-Type': SOAP_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(xml) }).end(xml);
  };
  if (!/^application\/soap\+xml\b/i.test(request.headers['content-type'] ?? '')) {
    request.resume();
    reply(415);
    return;
  }
  const chunks: Buffer[] = [];
  let length = 0;
  // Past the cap the rest is read and dropped (the server's request timeout bounds how long).
  request.on('data', (chunk: Buffer) => {
    length += chunk.length;
    if (length <= MAX_REQUEST_BODY_BYTES) chunks.push(chunk);
  });
  request.on('end', () => {
    if (length > MAX_REQUEST_BODY_BYTES) {
      reply(400);
      return;
    }
    const { status, xml } = answer(Buffer.concat(chunks).toString('utf8'), options);
    reply(status, xml);
  });
}
