// The parts of an X.509 certificate (RFC 5280 §4.1) that node:crypto does not hand out as plain
// values: the signature algorithm, the validity dates and the subjectAltName entries, read by a
// small DER walk. Pure; every length is checked against the bytes that are really there.
import { Asn1Error, decodeOid, expectTlv, readTlv, type Tlv } from '../../src/core/asn1.js';
import { decodeLatin1Safe, printable } from '../../src/core/sanitize.js';

export interface DerCertificateFacts {
  /** OpenSSL's name for the signature algorithm (`sha256WithRSAEncryption`), or the dotted OID. */
  signatureAlgorithm: string;
  /** ISO 8601. */
  notBefore: string;
  notAfter: string;
  /** dNSName, iPAddress, rfc822Name and URI entries, in certificate order. */
  subjectAltNames: string[];
}

/**
 * Signature algorithm OIDs, named as OpenSSL prints them: RFC 3279 §2.2 (RSA with MD2/MD5/SHA-1,
 * DSA and ECDSA with SHA-1), RFC 4055 §5 (RSA with SHA-2, RSASSA-PSS), RFC 5758 §3 (DSA and ECDSA
 * with SHA-2), RFC 8410 §3 (Ed25519, Ed448).
 */
const SIGNATURE_ALGORITHMS: ReadonlyMap<string, string> = new Map([
  ['1.2.840.113549.1.1.2', 'md2WithRSAEncryption'],
  ['1.2.840.113549.1.1.4', 'md5WithRSAEncryption'],
  ['1.2.840.113549.1.1.5', 'sha1WithRSAEncryption'],
  ['1.2.840.113549.1.1.10', 'rsassaPss'],
  ['1.2.840.113549.1.1.11', 'sha256WithRSAEncryption'],
  ['1.2.840.113549.1.1.12', 'sha384WithRSAEncryption'],
  ['1.2.840.113549.1.1.13', 'sha512WithRSAEncryption'],
  ['1.2.840.113549.1.1.14', 'sha224WithRSAEncryption'],
  ['1.2.840.10040.4.3', 'dsaWithSHA1'],
  ['2.16.840.1.101.3.4.3.1', 'dsa_with_SHA224'],
  ['2.16.840.1.101.3.4.3.2', 'dsa_with_SHA256'],
  ['1.2.840.10045.4.1', 'ecdsa-with-SHA1'],
  ['1.2.840.10045.4.3.1', 'ecdsa-with-SHA224'],
  ['1.2.840.10045.4.3.2', 'ecdsa-with-SHA256'],
  ['1.2.840.10045.4.3.3', 'ecdsa-with-SHA384'],
  ['1.2.840.10045.4.3.4', 'ecdsa-with-SHA512'],
  ['1.3.101.112', 'ED25519'],
  ['1.3.101.113', 'ED448'],
]);

const SUBJECT_ALT_NAME_OID = '2.5.29.17';

const TAG_BOOLEAN = 0x01;
const TAG_INTEGER = 0x02;
const TAG_OCTET_STRING = 0x04;
const TAG_OID = 0x06;
const TAG_UTC_TIME = 0x17;
const TAG_GENERALIZED_TIME = 0x18;
const TAG_SEQUENCE = 0x30;
const TAG_VERSION = 0xa0;
const TAG_ISSUER_UNIQUE_ID = 0x81;
const TAG_SUBJECT_UNIQUE_ID = 0x82;
const TAG_EXTENSIONS = 0xa3;
/** GeneralName choices (RFC 5280 §4.2.1.6), implicitly tagged. */
const NAME_RFC822 = 0x81;
const NAME_DNS = 0x82;
const NAME_URI = 0x86;
const NAME_IP = 0x87;

const MAX_SUBJECT_ALT_NAMES = 64;
const MAX_NAME_LENGTH = 255;
const MAX_OID_ARCS = 64;




function children(bytes: Uint8Array, parent: Tlv): Tlv[] {
  const list: Tlv[] = [];
  for (let offset = parent.start; offset < parent.end; ) {
    const child = readTlv(bytes, offset, parent.end);
    list.push(child);
    offset = child.end;
  }
  return list;
}


/** RFC 5280 §4.1.2.5: UTCTime YYMMDDHHMMSSZ (YY < 50 is 20YY) or GeneralizedTime YYYYMMDDHHMMSSZ. */
function decodeTime(bytes: Uint8Array, element: Tlv): string {
  const text = decodeLatin1Safe(bytes.subarray(element.start, element.end), 32);
  let match: RegExpExecArray | null;
  let year: number;
  if (element.tag === TAG_UTC_TIME) {
    match = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (match === null) throw new Asn1Error('bad UTCTime');
    const short = Number(match[1]);
    year = short < 50 ? 2000 + short : 1900 + short;
  } else if (element.tag === TAG_GENERALIZED_TIME) {
    match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (match === null) throw new Asn1Error('bad GeneralizedTime');
    year = Number(match[1]);
  } else {
    throw new Asn1Error('validity is not a time');
  }
  const [month, day, hour, minute, second] = match.slice(2).map(Number) as [number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Date.UTC rolls 31 February into March: a date that does not round-trip is not a date.
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) throw new Asn1Error('impossible date');
  return date.toISOString().replace('.000Z', 'Z');
}

function decodeIpAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length === 16) {
    const groups: string[] = [];
    for (let index = 0; index < 16; index += 2) groups.push((((bytes[index] ?? 0) << 8) | (bytes[index + 1] ?? 0)).toString(16));
    // RFC 5952 §4.2: the longest run of two or more zero groups becomes `::`.
    let bestStart = -1;
    let bestLength = 0;
    for (let start = 0; start < 8; ) {
      let end = start;
      while (end < 8 && groups[end] === '0') end += 1;
      if (end - start > bestLength && end - start >= 2) {
        bestStart = start;
        bestLength = end - start;
      }
      start = end === start ? start + 1 : end;
    }
    if (bestStart < 0) return groups.join(':');
    return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
  }
  return `invalid-ip-${bytes.length}-bytes`;
}

function decodeSubjectAltNames(bytes: Uint8Array, extensionValue: Tlv): string[] {
  const generalNames = expectTlv(bytes, extensionValue.start, extensionValue.end, TAG_SEQUENCE);
  const names: string[] = [];
  for (const name of children(bytes, generalNames)) {
    if (names.length >= MAX_SUBJECT_ALT_NAMES) break;
    const content = bytes.subarray(name.start, name.end);
    let text: string | undefined;
    if (name.tag === NAME_DNS || name.tag === NAME_RFC822 || name.tag === NAME_URI) text = decodeLatin1Safe(content, MAX_NAME_LENGTH);
    else if (name.tag === NAME_IP) text = decodeIpAddress(content);
    // A comma would split the entry in the comma list.
    if (text !== undefined && text !== '') names.push(text.replaceAll(',', '%2C'));
  }
  return names;
}

/** Reads the facts from a DER certificate; anything malformed gives undefined. */
export function parseCertificateDer(der: Uint8Array): DerCertificateFacts | undefined {
  try {
    const certificate = expectTlv(der, 0, der.length, TAG_SEQUENCE);
    const tbs = expectTlv(der, certificate.start, certificate.end, TAG_SEQUENCE);
    const signatureAlgorithm = expectTlv(der, tbs.end, certificate.end, TAG_SEQUENCE);
    const algorithmOid = decodeOid(der, expectTlv(der, signatureAlgorithm.start, signatureAlgorithm.end, TAG_OID), MAX_OID_ARCS);

    const fields = children(der, tbs);
    let index = fields[0]?.tag === TAG_VERSION ? 1 : 0;
    const [serial, , issuer, validity, subject, publicKeyInfo] = fields.slice(index);
    index += 6;
    if (serial?.tag !== TAG_INTEGER || issuer?.tag !== TAG_SEQUENCE || subject?.tag !== TAG_SEQUENCE || publicKeyInfo?.tag !== TAG_SEQUENCE) {
      throw new Asn1Error('not a TBSCertificate');
    }
    if (validity?.tag !== TAG_SEQUENCE) throw new Asn1Error('no validity');
    const [notBefore, notAfter] = children(der, validity);
    if (notBefore === undefined || notAfter === undefined) throw new Asn1Error('incomplete validity');

    let subjectAltNames: string[] = [];
    for (const field of fields.slice(index)) {
      if (field.tag === TAG_ISSUER_UNIQUE_ID || field.tag === TAG_SUBJECT_UNIQUE_ID) continue;
      if (field.tag !== TAG_EXTENSIONS) throw new Asn1Error('unexpected field after the public key');
      const extensions = expectTlv(der, field.start, field.end, TAG_SEQUENCE);
      for (const extension of children(der, extensions)) {
        if (extension.tag !== TAG_SEQUENCE) throw new Asn1Error('extension is not a sequence');
        const [id, second, third] = children(der, extension);
        if (id?.tag !== TAG_OID || decodeOid(der, id, MAX_OID_ARCS) !== SUBJECT_ALT_NAME_OID) continue;
        const value = second?.tag === TAG_BOOLEAN ? third : second;
        if (value?.tag !== TAG_OCTET_STRING) throw new Asn1Error('extension without a value');
        subjectAltNames = decodeSubjectAltNames(der, value);
      }
    }
    return {
      signatureAlgorithm: SIGNATURE_ALGORITHMS.get(algorithmOid) ?? algorithmOid,
      notBefore: decodeTime(der, notBefore),
      notAfter: decodeTime(der, notAfter),
      subjectAltNames,
    };
  } catch (error) {
    if (error instanceof Asn1Error) return undefined;
    throw error;
  }
}

/**
 * A distinguished name as node:crypto prints it (one `key=value` per line) on one line, the way
 * people read it: `C=DE, O=AVM, CN=fritz.box`.
 */
export function distinguishedNameText(multiline: string, maxLength = 512): string {
  return printable(
    multiline
      .split('\n')
      .filter((part) => part !== '')
      .join(', '),
    maxLength,
  );
}

/** Field namespaces of probes that found a cleartext protocol on a port: no TLS handshake there. */
const CLEARTEXT_NAMESPACES = ['ssh.', 'telnet.', 'ftp.', 'http.', 'rtsp.', 'mqtt.', 'adb.', 'upnp.'] as const;

export function answeredInCleartext(fieldNames: Iterable<string>): boolean {
  for (const name of fieldNames) if (CLEARTEXT_NAMESPACES.some((prefix) => name.startsWith(prefix))) return true;
  return false;
}

export const LEGACY_VERSIONS = ['TLSv1', 'TLSv1.1'] as const;
export type LegacyVersion = (typeof LEGACY_VERSIONS)[number];

/** What one legacy-only handshake showed about the server. */
export type LegacyOutcome = 'accepted' | 'refused' | 'unknown';

/**
 * `tls.legacy-versions`: the accepted legacy versions as a comma list, `none` when every one was
 * refused, and nothing when some attempt ended without an answer (a timeout proves nothing).
 */
export function legacyVersionsField(outcomes: ReadonlyMap<LegacyVersion, LegacyOutcome>): string | undefined {
  const accepted = LEGACY_VERSIONS.filter((version) => outcomes.get(version) === 'accepted');
  if (accepted.length > 0) return accepted.join(',');
  return LEGACY_VERSIONS.every((version) => outcomes.get(version) === 'refused') ? 'none' : undefined;
}
