// The leaf certificate's facts as observation fields. node:crypto parses the certificate and
// checks its signature (nothing here touches the network); the DER walk in codec.ts reads what
// node:crypto does not hand out as plain values.
import { X509Certificate, createHash } from 'node:crypto';
import { distinguishedNameText, parseCertificateDer } from './codec.js';

/** Key sizes of the named curves TLS certificates use (RFC 8422 §5.1.1, SEC 2). */
const CURVE_BITS: ReadonlyMap<string, number> = new Map([
  ['prime192v1', 192],
  ['secp224r1', 224],
  ['prime256v1', 256],
  ['secp256k1', 256],
  ['secp384r1', 384],
  ['secp521r1', 521],
]);

export function certificateFields(der: Uint8Array): Record<string, string> {
  const fields: Record<string, string> = { 'tls.cert.sha256': createHash('sha256').update(der).digest('hex') };
  const facts = parseCertificateDer(der);
  if (facts !== undefined) {
    fields['tls.cert.signature-algorithm'] = facts.signatureAlgorithm;
    fields['tls.cert.not-before'] = facts.notBefore;
    fields['tls.cert.not-after'] = facts.notAfter;
    if (facts.subjectAltNames.length > 0) fields['tls.cert.san'] = facts.subjectAltNames.join(',');
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(der);
  } catch {
    // Not a certificate OpenSSL can read: the hash is still worth keeping (shared-key checks).
    return fields;
  }
  fields['tls.cert.subject'] = distinguishedNameText(certificate.subject);
  fields['tls.cert.issuer'] = distinguishedNameText(certificate.issuer);
  Object.assign(fields, keyFields(certificate));
  const selfSigned = selfSignature(certificate);
  if (selfSigned !== undefined) fields['tls.cert.self-signed'] = selfSigned ? 'yes' : 'no';
  return fields;
}

function keyFields(certificate: X509Certificate): Record<string, string> {
  let type: string | undefined;
  let details: { modulusLength?: number; namedCurve?: string } | undefined;
  try {
    type = certificate.publicKey.asymmetricKeyType;
    details = certificate.publicKey.asymmetricKeyDetails;
  } catch {
    // A key type OpenSSL does not support: nothing to say about it.
    return {};
  }
  if (type === undefined) return {};
  const keyType = type === 'rsa-pss' ? 'rsa' : type;
  let bits: number | undefined;
  if (keyType === 'rsa' || keyType === 'dsa') bits = details?.modulusLength;
  else if (keyType === 'ec') bits = CURVE_BITS.get(details?.namedCurve ?? '');
  else if (keyType === 'ed25519') bits = 256;
  else if (keyType === 'ed448') bits = 448;
  return { 'tls.cert.key-type': keyType, ...(bits !== undefined && { 'tls.cert.key-bits': String(bits) }) };
}

/** Self-signed: issued by itself and signed by its own key. Undefined when that cannot be checked. */
function selfSignature(certificate: X509Certificate): boolean | undefined {
  if (certificate.issuer !== certificate.subject) return false;
  try {
    return certificate.verify(certificate.publicKey);
  } catch {
    return undefined;
  }
}
