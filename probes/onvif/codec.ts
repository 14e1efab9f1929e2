// ONVIF device management service (ONVIF Core Specification, github.com/onvif/specs doc/Core.xml):
// the GetDeviceInformation request, sent without any WS-Security header, and what the answer says
// about authentication. Strict, size-capped parsing; XML without entities or DOCTYPE. Pure.
//
// - GetDeviceInformation returns Manufacturer, Model, FirmwareVersion, SerialNumber and HardwareId;
//   its access class is READ_SYSTEM, which the default access policy does not grant to anonymous
//   users (Core Spec, "System > GetDeviceInformation" and "Default Access Policy Definition").
// - Without credentials a device that supports HTTP digest answers 401; one that supports only the
//   WS-UsernameToken answers HTTP 400 with the SOAP fault env:Sender / ter:NotAuthorized
//   ("Security > Authentication over HTTP and HTTPS"; the fault's reason text is "Sender not
//   Authorized", "Generic faults" table).
import { XMLParser } from 'fast-xml-parser';
import { decodeXmlEntities, printable } from '../../src/core/sanitize.js';
import { DATA_ONLY_XML, firstChild as child } from '../../src/core/xml.js';

/** The fixed entry point of the device management service (Core Spec, "Services overview"). */
export const DEVICE_SERVICE_PATH = '/onvif/device_service';
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** The SOAP 1.2 media type, as the Core Spec's own GetDeviceInformation example sends it. */
export const SOAP_CONTENT_TYPE = 'application/soap+xml; charset=utf-8';

const DEVICE_WSDL = 'http://www.onvif.org/ver10/device/wsdl';
const MAX_VALUE_LENGTH = 128;

/** The only request this probe sends: read-only, with an empty SOAP header (no credentials). */
export function buildGetDeviceInformation(): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">' +
    `<s:Body><GetDeviceInformation xmlns="${DEVICE_WSDL}"/></s:Body>` +
    '</s:Envelope>'
  );
}

export interface DeviceInformation {
  manufacturer?: string;
  model?: string;
  firmware?: string;
  serial?: string;
  hardwareId?: string;
}

export type OnvifAnswer =
  /** 200 with a GetDeviceInformationResponse: the device told a stranger what it is. */
  | { auth: 'open'; information: DeviceInformation }
  /** 401, or the NotAuthorized fault. */
  | { auth: 'required'; evidence: string }
  /** Anything else: not ONVIF here, another fault, garbage. */
  | { auth: 'unknown'; reason: string };

const parser = new XMLParser(DATA_ONLY_XML);

const INFORMATION_ELEMENTS: ReadonlyArray<readonly [string, keyof DeviceInformation]> = [
  ['Manufacturer', 'manufacturer'],
  ['Model', 'model'],
  ['FirmwareVersion', 'firmware'],
  ['SerialNumber', 'serial'],
  ['HardwareId', 'hardwareId'],
];

/** Reads the HTTP answer to GetDeviceInformation. */
export function readDeviceInformationAnswer(status: number, body: string): OnvifAnswer {
  if (status === 401) return { auth: 'required', evidence: 'HTTP 401' };
  if (body.length > MAX_RESPONSE_BYTES) return { auth: 'unknown', reason: 'response too large' };
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) return { auth: 'unknown', reason: 'DOCTYPE or ENTITY declaration' };
  let document: unknown;
  try {
    document = parser.parse(body, true);
  } catch {
    return { auth: 'unknown', reason: `HTTP ${status}, not well-formed XML` };
  }
  const soapBody = child(child(document, 'Envelope'), 'Body');
  const fault = child(soapBody, 'Fault');
  if (fault !== undefined) {
    return isNotAuthorized(fault)
      ? { auth: 'required', evidence: `HTTP ${status}, SOAP fault NotAuthorized` }
      : { auth: 'unknown', reason: `HTTP ${status}, SOAP fault ${printable(subcodes(fault).join(' ') || 'without subcode', 128)}` };
  }
  const response = child(soapBody, 'GetDeviceInformationResponse');
  if (status !== 200 || typeof response !== 'object' || response === null) {
    return { auth: 'unknown', reason: `HTTP ${status}, no GetDeviceInformationResponse` };
  }
  const information: DeviceInformation = {};
  for (const [element, key] of INFORMATION_ELEMENTS) {
    const value = text(child(response, element));
    if (value !== undefined && value !== '') information[key] = printable(value, MAX_VALUE_LENGTH);
  }
  return { auth: 'open', information };
}

/**
 * ter:NotAuthorized as a subcode (any prefix), or the generic fault's reason text, in a SOAP 1.2
 * Reason or (from devices that answer in SOAP 1.1, §4.4) a faultstring.
 */
function isNotAuthorized(fault: unknown): boolean {
  if (subcodes(fault).some((code) => /(^|:)NotAuthori[sz]ed$/i.test(code))) return true;
  const reasons = [text(child(child(fault, 'Reason'), 'Text')), text(child(fault, 'faultstring'))];
  return reasons.some((reason) => reason !== undefined && /\bsender not authori[sz]ed\b/i.test(reason));
}

/** The subcode values, outermost first (SOAP 1.2 Part 1 §5.4.6 nests them). */
function subcodes(fault: unknown): string[] {
  const values: string[] = [];
  let subcode = child(child(fault, 'Code'), 'Subcode');
  for (let depth = 0; subcode !== undefined && depth < 4; depth += 1) {
    const value = text(child(subcode, 'Value'));
    if (value !== undefined) values.push(value);
    subcode = child(subcode, 'Subcode');
  }
  return values;
}

function text(node: unknown): string | undefined {
  if (typeof node !== 'string' && typeof node !== 'number') return undefined;
  return decodeXmlEntities(String(node)).trim();
}
