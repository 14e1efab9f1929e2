// TLS probe: one handshake offering every version and suite this runtime has, to learn the
// negotiated version and cipher and the device's certificate; then one handshake per legacy
// version (TLS 1.0, 1.1) to learn whether the server still accepts it. Nothing is sent after a
// handshake and nothing is verified against a CA: devices sign their own certificates.
import type { Failure, TlsHandshake, TlsVersion } from '../../src/engine/net.js';
import { portName } from '../../src/engine/ports.js';
import type { ProbeContext, ProbeOutput, ServiceProbe, ServiceSubject } from '../../src/engine/probe.js';
import { certificateFields } from './certificate.js';
import { LEGACY_VERSIONS, answeredInCleartext, legacyVersionsField } from './codec.js';
import type { LegacyOutcome, LegacyVersion } from './codec.js';

/**
 * Ports where TLS is the rule: HTTPS (443, 8443, Synology DSM 5001), MQTT over TLS (8883),
 * Chromecast's CASTV2 (8009), IMAPS (993), POP3S (995), SIP over TLS (5061). Ports the scan list
 * names for a cleartext protocol (MQTT on 1883, SMB on 445) get no handshake, even when their own
 * probe did not answer; a port learnt elsewhere (an mDNS or UPnP record) gets one unless a
 * cleartext probe recognised it.
 */
const TLS_PORTS: ReadonlySet<number> = new Set([443, 993, 995, 5001, 5061, 8009, 8443, 8883]);
/** SSLv3 cannot be offered: Node refuses it as a version and has SSLv3_method disabled. */
const OLDEST_OFFERED: TlsVersion = 'TLSv1';
const NEWEST_OFFERED: TlsVersion = 'TLSv1.3';
/** Security level 0 lets OpenSSL 3 offer the SHA-1/MD5 signatures TLS 1.0 and 1.1 depend on. */
const ALL_CIPHERS = 'DEFAULT@SECLEVEL=0';

export const tlsProbe: ServiceProbe = {
  kind: 'service',
  id: 'tls',
  protocol: 'tls',
  // Safe, not version: it runs after the version probes, so it can skip ports they recognised.
  categories: ['safe'],
  transport: 'tcp',
  // No fixed list: appliesTo decides from what the version probes saw.
  defaultPorts: [],
  fields: [
    'tls.version',
    'tls.cipher',
    'tls.legacy-versions',
    'tls.cert.subject',
    'tls.cert.issuer',
    'tls.cert.not-before',
    'tls.cert.not-after',
    'tls.cert.key-type',
    'tls.cert.key-bits',
    'tls.cert.signature-algorithm',
    'tls.cert.sha256',
    'tls.cert.self-signed',
    'tls.cert.san',
  ],
  appliesTo: (subject: ServiceSubject) =>
    subject.transport === 'tcp' &&
    (TLS_PORTS.has(subject.port) || (portName(subject.port) === 'unknown' && !answeredInCleartext(subject.serviceFields.keys()))),
  run,
};

function handshake(ctx: ProbeContext, minVersion: TlsVersion, maxVersion: TlsVersion): Promise<TlsHandshake | Failure> {
  const { address, port } = ctx.subject;
  return ctx.net.tls({ address, port, minVersion, maxVersion, ciphers: ALL_CIPHERS, timeoutMs: ctx.timeoutMs, signal: ctx.signal });
}

async function legacyOutcome(ctx: ProbeContext, version: LegacyVersion, first: TlsHandshake): Promise<LegacyOutcome> {
  // The first handshake already settled the version it negotiated.
  if (first.version === version) return 'accepted';
  const result = await handshake(ctx, version, version);
  if (result.ok) return result.version === version ? 'accepted' : 'refused';
  return result.status === 'protocol-mismatch' ? 'refused' : 'unknown';
}

async function* run(ctx: ProbeContext): AsyncIterable<ProbeOutput> {
  const first = await handshake(ctx, OLDEST_OFFERED, NEWEST_OFFERED);
  if (!first.ok) {
    yield { kind: 'status', status: first.status, ...(first.detail === undefined ? {} : { detail: first.detail }) };
    return;
  }
  const fields: Record<string, string> = { 'tls.version': first.version, 'tls.cipher': first.cipher };
  if (first.certificate !== undefined) Object.assign(fields, certificateFields(first.certificate));
  // Both legacy handshakes at once: a server that ignores them costs one timeout, not two.
  const outcomes = await Promise.all(LEGACY_VERSIONS.map(async (version) => [version, await legacyOutcome(ctx, version, first)] as const));
  const legacy = legacyVersionsField(new Map(outcomes));
  if (legacy !== undefined) fields['tls.legacy-versions'] = legacy;
  yield { kind: 'observation', port: ctx.subject.port, transport: 'tcp', fields };
  yield { kind: 'status', status: ctx.signal.aborted ? 'aborted' : 'success' };
}
