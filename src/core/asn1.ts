// The ASN.1 element reader SNMP (BER) and X.509 certificates (DER) both need: one tag, one
// definite length, content bounds checked against the enclosing element. Network bytes are
// hostile, so every read stays inside its limit and anything odd is an Asn1Error. Pure.

export interface Tlv {
  tag: number;
  /** First content byte. */
  start: number;
  /** One past the last content byte. */
  end: number;
}

export class Asn1Error extends Error {}

/** Reads one TLV at `offset`, refusing anything that does not fit inside `limit`. */
export function readTlv(bytes: Uint8Array, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) throw new Asn1Error('truncated TLV');
  const tag = bytes[offset] ?? 0;
  // Neither SNMP nor certificates use tag numbers above 30.
  if ((tag & 0x1f) === 0x1f) throw new Asn1Error('multi-byte tags are not supported');
  const first = bytes[offset + 1] ?? 0;
  let start = offset + 2;
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    // 0x80 is the indefinite form, which DER forbids and SNMP never uses; four length bytes exceed any datagram or certificate.
    if (count === 0 || count > 4) throw new Asn1Error('bad length form');
    if (start + count > limit) throw new Asn1Error('truncated length');
    length = 0;
    for (let index = 0; index < count; index += 1) length = length * 256 + (bytes[start + index] ?? 0);
    start += count;
  }
  const end = start + length;
  if (end > limit) throw new Asn1Error('length beyond the data');
  return { tag, start, end };
}

/** Reads one TLV and insists on its tag. */
export function expectTlv(bytes: Uint8Array, offset: number, limit: number, tag: number): Tlv {
  const element = readTlv(bytes, offset, limit);
  if (element.tag !== tag) throw new Asn1Error(`expected tag 0x${tag.toString(16)}, got 0x${element.tag.toString(16)}`);
  return element;
}

/** The dotted form of an OBJECT IDENTIFIER, at most `maxArcs` arcs of 32 bits each. */
export function decodeOid(bytes: Uint8Array, element: Tlv, maxArcs: number): string {
  if (element.end - element.start < 1) throw new Asn1Error('empty OID');
  const arcs: number[] = [];
  let value = 0;
  let digits = 0;
  for (let index = element.start; index < element.end; index += 1) {
    const byte = bytes[index] ?? 0;
    value = value * 128 + (byte & 0x7f);
    digits += 1;
    if (digits > 5 || value > 0xffffffff) throw new Asn1Error('OID arc too large');
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0;
      digits = 0;
      if (arcs.length > maxArcs) throw new Asn1Error('OID too long');
    }
  }
  if (digits !== 0) throw new Asn1Error('OID ends inside an arc');
  const [head = 0, ...rest] = arcs;
  const first = head < 80 ? Math.floor(head / 40) : 2;
  return [first, head - first * 40, ...rest].join('.');
}
