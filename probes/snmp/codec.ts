// SNMPv2c GetRequest / Response in BER (RFC 3416 PDUs, X.690 basic encoding rules), just enough
// for a handful of scalar OIDs. Every length is checked against the bytes that are really there.
import { Asn1Error, decodeOid, expectTlv, readTlv, type Tlv } from '../../src/core/asn1.js';
import { decodeTextSafe } from '../../src/core/sanitize.js';

export const SNMP_VERSION_2C = 1;

/** RFC 1213 system group scalars. */
export const SYSTEM_OIDS = {
  sysDescr: '1.3.6.1.2.1.1.1.0',
  sysObjectID: '1.3.6.1.2.1.1.2.0',
  sysContact: '1.3.6.1.2.1.1.4.0',
  sysName: '1.3.6.1.2.1.1.5.0',
  sysLocation: '1.3.6.1.2.1.1.6.0',
} as const;

/**
 * Synology's enterprise number and SYNOLOGY-SYSTEM-MIB modelName / version, from the Synology
 * DiskStation MIB Guide (https://global.download.synology.com/download/Document/Software/DeveloperGuide/Firmware/DSM/All/enu/Synology_DiskStation_MIB_Guide.pdf).
 */
export const SYNOLOGY_ENTERPRISE = '1.3.6.1.4.1.6574';
export const SYNOLOGY_OIDS = {
  model: '1.3.6.1.4.1.6574.1.5.1.0',
  version: '1.3.6.1.4.1.6574.1.5.3.0',
} as const;

const TAG_INTEGER = 0x02;
const TAG_OCTET_STRING = 0x04;
const TAG_NULL = 0x05;
const TAG_OID = 0x06;
const TAG_SEQUENCE = 0x30;
const TAG_IP_ADDRESS = 0x40;
const TAG_COUNTER32 = 0x41;
const TAG_GAUGE32 = 0x42;
const TAG_TIMETICKS = 0x43;
const TAG_OPAQUE = 0x44;
const TAG_COUNTER64 = 0x46;
const TAG_NO_SUCH_OBJECT = 0x80;
const TAG_NO_SUCH_INSTANCE = 0x81;
const TAG_END_OF_MIB_VIEW = 0x82;
const PDU_GET_REQUEST = 0xa0;
const PDU_RESPONSE = 0xa2;

const MAX_MESSAGE_BYTES = 65507;
const MAX_OID_ARCS = 128;
const MAX_VARBINDS = 64;

// ---------- encoding ----------

function encodeLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return [0x80 | bytes.length, ...bytes];
}

function tlv(tag: number, content: readonly number[]): number[] {
  return [tag, ...encodeLength(content.length), ...content];
}

function encodeInteger(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  do {
    bytes.unshift(rest & 0xff);
    rest = Math.floor(rest / 256);
  } while (rest !== 0 && rest !== -1);
  // Keep the sign bit right: a positive value whose top bit is set needs a leading zero.
  if (value >= 0 && ((bytes[0] ?? 0) & 0x80) !== 0) bytes.unshift(0);
  if (value < 0 && ((bytes[0] ?? 0) & 0x80) === 0) bytes.unshift(0xff);
  return tlv(TAG_INTEGER, bytes);
}

export function encodeOid(oid: string): number[] {
  const arcs = oid.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((arc) => !Number.isInteger(arc) || arc < 0 || arc > 0xffffffff)) {
    throw new Error(`not an OID: ${oid}`);
  }
  const [first = 0, second = 0, ...rest] = arcs;
  const content: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const chunk: number[] = [arc & 0x7f];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128)) chunk.unshift(0x80 | (value & 0x7f));
    content.push(...chunk);
  }
  return tlv(TAG_OID, content);
}

export function buildGetRequest(community: string, requestId: number, oids: readonly string[]): Uint8Array {
  const varbinds = oids.flatMap((oid) => tlv(TAG_SEQUENCE, [...encodeOid(oid), TAG_NULL, 0]));
  const pdu = tlv(PDU_GET_REQUEST, [...encodeInteger(requestId), ...encodeInteger(0), ...encodeInteger(0), ...tlv(TAG_SEQUENCE, varbinds)]);
  const message = tlv(TAG_SEQUENCE, [...encodeInteger(SNMP_VERSION_2C), ...tlv(TAG_OCTET_STRING, [...new TextEncoder().encode(community)]), ...pdu]);
  return Uint8Array.from(message);
}

// ---------- decoding ----------

export type SnmpValue =
  | { type: 'octets'; bytes: Uint8Array }
  | { type: 'oid'; oid: string }
  | { type: 'integer'; value: bigint }
  | { type: 'ip'; address: string }
  | { type: 'null' }
  | { type: 'missing'; reason: 'noSuchObject' | 'noSuchInstance' | 'endOfMibView' }
  | { type: 'other'; tag: number };

export interface VarBind {
  oid: string;
  value: SnmpValue;
}

export interface SnmpResponse {
  version: number;
  community: string;
  requestId: number;
  errorStatus: number;
  errorIndex: number;
  varbinds: VarBind[];
}




function decodeInteger(bytes: Uint8Array, element: Tlv): bigint {
  const length = element.end - element.start;
  if (length < 1 || length > 9) throw new Asn1Error('bad integer length');
  let value = 0n;
  for (let index = element.start; index < element.end; index += 1) value = (value << 8n) | BigInt(bytes[index] ?? 0);
  if (element.tag === TAG_INTEGER && ((bytes[element.start] ?? 0) & 0x80) !== 0) value -= 1n << BigInt(8 * length);
  return value;
}

function smallInteger(bytes: Uint8Array, element: Tlv): number {
  const value = decodeInteger(bytes, element);
  if (value < -0x80000000n || value > 0xffffffffn) throw new Asn1Error('integer out of range');
  return Number(value);
}


function decodeValue(bytes: Uint8Array, element: Tlv): SnmpValue {
  switch (element.tag) {
    case TAG_OCTET_STRING:
    case TAG_OPAQUE:
      return { type: 'octets', bytes: bytes.slice(element.start, element.end) };
    case TAG_OID:
      return { type: 'oid', oid: decodeOid(bytes, element, MAX_OID_ARCS) };
    case TAG_INTEGER:
    case TAG_COUNTER32:
    case TAG_GAUGE32:
    case TAG_TIMETICKS:
    case TAG_COUNTER64:
      return { type: 'integer', value: decodeInteger(bytes, element) };
    case TAG_IP_ADDRESS:
      if (element.end - element.start !== 4) throw new Asn1Error('bad IpAddress');
      return { type: 'ip', address: [...bytes.subarray(element.start, element.end)].join('.') };
    case TAG_NULL:
      return { type: 'null' };
    case TAG_NO_SUCH_OBJECT:
      return { type: 'missing', reason: 'noSuchObject' };
    case TAG_NO_SUCH_INSTANCE:
      return { type: 'missing', reason: 'noSuchInstance' };
    case TAG_END_OF_MIB_VIEW:
      return { type: 'missing', reason: 'endOfMibView' };
    default:
      return { type: 'other', tag: element.tag };
  }
}

/** Decodes an SNMP Response message; anything malformed gives undefined. */
export function parseResponse(bytes: Uint8Array): SnmpResponse | undefined {
  try {
    if (bytes.length > MAX_MESSAGE_BYTES) return undefined;
    const message = expectTlv(bytes, 0, bytes.length, TAG_SEQUENCE);
    const version = expectTlv(bytes, message.start, message.end, TAG_INTEGER);
    const community = expectTlv(bytes, version.end, message.end, TAG_OCTET_STRING);
    const pdu = expectTlv(bytes, community.end, message.end, PDU_RESPONSE);
    const requestId = expectTlv(bytes, pdu.start, pdu.end, TAG_INTEGER);
    const errorStatus = expectTlv(bytes, requestId.end, pdu.end, TAG_INTEGER);
    const errorIndex = expectTlv(bytes, errorStatus.end, pdu.end, TAG_INTEGER);
    const list = expectTlv(bytes, errorIndex.end, pdu.end, TAG_SEQUENCE);
    const varbinds: VarBind[] = [];
    for (let offset = list.start; offset < list.end; ) {
      const varbind = expectTlv(bytes, offset, list.end, TAG_SEQUENCE);
      const name = expectTlv(bytes, varbind.start, varbind.end, TAG_OID);
      const value = readTlv(bytes, name.end, varbind.end);
      varbinds.push({ oid: decodeOid(bytes, name, MAX_OID_ARCS), value: decodeValue(bytes, value) });
      if (varbinds.length > MAX_VARBINDS) return undefined;
      offset = varbind.end;
    }
    return {
      version: smallInteger(bytes, version),
      community: new TextDecoder().decode(bytes.subarray(community.start, community.end)),
      requestId: smallInteger(bytes, requestId),
      errorStatus: smallInteger(bytes, errorStatus),
      errorIndex: smallInteger(bytes, errorIndex),
      varbinds,
    };
  } catch (error) {
    if (error instanceof Asn1Error) return undefined;
    throw error;
  }
}

/** A value as text for an observation field; undefined for a missing object. */
export function valueText(value: SnmpValue): string | undefined {
  switch (value.type) {
    case 'octets':
      return decodeTextSafe(value.bytes, 512);
    case 'oid':
      return value.oid;
    case 'integer':
      return value.value.toString();
    case 'ip':
      return value.address;
    case 'null':
    case 'missing':
    case 'other':
      return undefined;
  }
}
