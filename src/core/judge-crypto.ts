// Transport-security rules: what a TLS or SSH service offers, judged against the deprecation list
// in signatures/weak-crypto.yaml. Pure.
import type { Observation } from './model.js';
import { where, withField, type Draft, type Rule } from './judge-kit.js';

/** `name` may end in `*` to cover a family (hmac-md5*, arcfour*). */
function deprecated<T extends { name: string }>(list: readonly T[], offered: string): T | undefined {
  return list.find((entry) => (entry.name.endsWith('*') ? offered.startsWith(entry.name.slice(0, -1)) : offered === entry.name));
}

function offeredList(o: Observation, field: string): string[] {
  return (o.fields[field] ?? '').split(',').map((name) => name.trim()).filter((name) => name.length > 0);
}

export const sshWeakAlgorithms: Rule = (host, knowledge) =>
  withField(host, 'ssh.kex').flatMap((o): Draft[] => {
    const weak: Record<string, string> = {};
    for (const [label, field, list] of [
      ['key exchange', 'ssh.kex', knowledge.weakCrypto.ssh.kex],
      ['ciphers', 'ssh.ciphers', knowledge.weakCrypto.ssh.ciphers],
      ['integrity (MAC)', 'ssh.macs', knowledge.weakCrypto.ssh.macs],
    ] as const) {
      const names = offeredList(o, field).filter((name) => deprecated(list, name) !== undefined);
      if (names.length > 0) weak[label] = names.join(', ');
    }
    if (Object.keys(weak).length === 0) return [];
    return [
      {
        check: 'ssh-weak-algorithms',
        confidence: 'high',
        ...where(o),
        summary: `The SSH server on port ${o.port ?? 22} still offers outdated encryption (${Object.keys(weak).join(', ')}).`,
        observations: [o.id],
        facts: weak,
      },
    ];
  });

export const weakTls: Rule = (host, knowledge) =>
  withField(host, 'tls.version').flatMap((o): Draft[] => {
    const { tls } = knowledge.weakCrypto;
    const problems: Record<string, string> = {};
    const legacy = offeredList(o, 'tls.legacy-versions').filter((version) => deprecated(tls.legacyVersions, version) !== undefined);
    if (deprecated(tls.legacyVersions, o.fields['tls.version'] ?? '') && !legacy.includes(o.fields['tls.version'] ?? '')) legacy.push(o.fields['tls.version'] ?? '');
    if (legacy.length > 0) problems['old protocol versions accepted'] = legacy.join(', ');
    const bits = Number(o.fields['tls.cert.key-bits']);
    if (o.fields['tls.cert.key-type'] === 'rsa' && Number.isFinite(bits) && bits < tls.minRsaBits) problems['RSA key size'] = `${bits} bits (at least ${tls.minRsaBits} expected)`;
    const signature = deprecated(tls.signatureAlgorithms, o.fields['tls.cert.signature-algorithm'] ?? '');
    if (signature) problems['certificate signature'] = `${signature.name}: ${signature.why}`;
    if (Object.keys(problems).length === 0) return [];
    // An old protocol or a short key is something an attacker on the network can exploit; a weak signature alone only matters with a trusted CA.
    const severe = legacy.length > 0 || 'RSA key size' in problems;
    return [
      {
        check: 'weak-tls',
        severity: severe ? 'medium' : 'low',
        confidence: 'high',
        ...where(o),
        summary: `The encrypted (TLS) service on port ${o.port ?? 443} uses outdated cryptography: ${Object.keys(problems).join('; ')}.`,
        observations: [o.id],
        facts: problems,
      },
    ];
  });

export const selfSignedOrExpiredCert: Rule = (host) =>
  withField(host, 'tls.cert.sha256').flatMap((o): Draft[] => {
    const problems: string[] = [];
    if (o.fields['tls.cert.self-signed'] === 'yes') problems.push('self-signed');
    const notAfter = Date.parse(o.fields['tls.cert.not-after'] ?? '');
    const judgedAt = Date.parse(host.judgedAt);
    if (Number.isFinite(notAfter) && Number.isFinite(judgedAt) && notAfter < judgedAt) problems.push(`expired on ${o.fields['tls.cert.not-after']?.slice(0, 10) ?? ''}`);
    if (problems.length === 0) return [];
    return [
      {
        check: 'self-signed-or-expired-cert',
        confidence: 'high',
        ...where(o),
        summary: `The certificate on port ${o.port ?? 443} is ${problems.join(' and ')}, so your browser cannot tell this device from an impostor. Common on home devices.`,
        observations: [o.id],
        facts: { subject: o.fields['tls.cert.subject'] ?? '', issuer: o.fields['tls.cert.issuer'] ?? '', 'valid until': o.fields['tls.cert.not-after'] ?? '' },
      },
    ];
  });
