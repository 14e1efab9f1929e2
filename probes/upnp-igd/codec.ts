// UPnP IGD SOAP (UPnP Device Architecture §3, WANIPConnection:2 service template): read-only
// actions only. Builds the envelope and reads the response or the UPnP fault. Pure.
import { XMLParser } from 'fast-xml-parser';
import { decodeXmlEntities, printable } from '../../src/core/sanitize.js';
import { DATA_ONLY_XML, firstChild as child } from '../../src/core/xml.js';

/** The WAN connection services whose port mappings can be read. */
export const IGD_SERVICE_TYPE = /^urn:schemas-upnp-org:service:(?:WANIPConnection:[12]|WANPPPConnection:1)$/;

/** The only actions this probe ever sends: both read state, neither changes it. */
export type ReadOnlyAction = 'GetExternalIPAddress' | 'GetGenericPortMappingEntry';

/** UPnP error 713 SpecifiedArrayIndexInvalid: past the last port mapping. */
export const ERROR_ARRAY_INDEX_INVALID = 713;
export const MAX_SOAP_RESPONSE_BYTES = 32 * 1024;

export function buildSoapRequest(
  serviceType: string,
  action: ReadOnlyAction,
  args: ReadonlyArray<readonly [string, string]>,
): { body: string; soapAction: string } {
  const argumentXml = args.map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`).join('');
  const body =
    '<?xml version="1.0"?>\r\n' +
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">' +
    `<s:Body><u:${action} xmlns:u="${escapeXml(serviceType)}">${argumentXml}</u:${action}></s:Body></s:Envelope>\r\n`;
  return { body, soapAction: `"${serviceType}#${action}"` };
}

export type SoapResult =
  | { kind: 'ok'; values: Record<string, string> }
  | { kind: 'fault'; errorCode?: number; description?: string }
  | { kind: 'invalid'; reason: string };

const parser = new XMLParser(DATA_ONLY_XML);

export function parseSoapResponse(xml: string, action: ReadOnlyAction): SoapResult {
  if (xml.length > MAX_SOAP_RESPONSE_BYTES) return { kind: 'invalid', reason: 'response too large' };
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return { kind: 'invalid', reason: 'DOCTYPE or ENTITY declaration' };
  let document: unknown;
  try {
    document = parser.parse(xml, true);
  } catch {
    return { kind: 'invalid', reason: 'not well-formed XML' };
  }
  const body = child(child(document, 'Envelope'), 'Body');
  const fault = child(body, 'Fault');
  if (fault !== undefined) {
    const error = child(child(fault, 'detail'), 'UPnPError');
    const code = Number(text(child(error, 'errorCode')));
    const description = text(child(error, 'errorDescription'));
    const result: SoapResult = { kind: 'fault' };
    if (Number.isInteger(code)) result.errorCode = code;
    if (description !== undefined) result.description = description;
    return result;
  }
  const response = child(body, `${action}Response`);
  if (typeof response !== 'object' || response === null) {
    return response === '' ? { kind: 'ok', values: {} } : { kind: 'invalid', reason: `no ${action}Response` };
  }
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(response as Record<string, unknown>)) {
    const valueText = text(value);
    if (valueText !== undefined) values[name] = valueText;
  }
  return { kind: 'ok', values };
}

/** GetGenericPortMappingEntry output arguments as observation fields. */
export function portMappingFields(values: Readonly<Record<string, string>>): Record<string, string> {
  const fields: Record<string, string> = {};
  const pairs: ReadonlyArray<readonly [string, string]> = [
    ['NewProtocol', 'upnp.portmap.protocol'],
    ['NewExternalPort', 'upnp.portmap.external-port'],
    ['NewInternalClient', 'upnp.portmap.internal-client'],
    ['NewInternalPort', 'upnp.portmap.internal-port'],
    ['NewPortMappingDescription', 'upnp.portmap.description'],
    ['NewEnabled', 'upnp.portmap.enabled'],
  ];
  for (const [argument, field] of pairs) {
    const value = values[argument];
    if (value !== undefined) fields[field] = value;
  }
  return fields;
}

function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function text(node: unknown): string | undefined {
  if (typeof node !== 'string' && typeof node !== 'number') return undefined;
  return printable(decodeXmlEntities(String(node)), 256);
}
