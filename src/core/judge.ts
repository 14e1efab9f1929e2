// Observations become findings: which practice is broken, how badly, how sure we are, and what a
// household should do. Pure: the same evidence and pack always give the same findings.
import type { Finding, Practice, Service, Severity } from './model.js';
import { severityRank } from './model.js';
import { assessVersion, describeOrigin, type MatchedVulnerability } from './vulns.js';
import { compareVersions, distributionRevision } from './versions.js';
import { deviceWord, where, withField, type Draft, type HostEvidence, type Knowledge, type Rule } from './judge-kit.js';
import { selfSignedOrExpiredCert, sshWeakAlgorithms, weakTls } from './judge-crypto.js';
import { adbOverNetwork, ipv6GlobalServices, tftpOrLegacyCleartext, unexpectedOpenServices } from './judge-exposure.js';
import { cleartextPersonalMedia, unauthInfoEndpoint } from './judge-pages.js';
import { onvifUnauth } from './judge-onvif.js';
import { udpReflectorOther } from './judge-reflectors.js';
import { upnpSubscribeCallback } from './judge-upnp-events.js';

export type { HostEvidence } from './judge-kit.js';

/** A possessive first name ("Anna's TV") in a name a device broadcasts. */
const PERSONAL_NAME = /(^|[\s"'(])\p{Lu}\p{Ll}+['’]s(\s|$)/u;
const MAC_LIKE = /\b(?:[0-9a-f]{2}[:-]){5}[0-9a-f]{2}\b|\b[0-9a-f]{12}\b/i;
const SERIAL_KEY = /^(serial|sn|serialnumber|serial_number|deviceid|device_id|id|uuid|bridgeid)$/i;
const MODEL_KEY = /^(model|md|mdl|product|ty|am)$/i;
const FIRMWARE_KEY = /^(fw|firmware|fwversion|ver|version|vers|version_build|srcvers|osvers)$/i;

const telnetOpen: Rule = (host) =>
  withField(host, 'telnet.prompt')
    .filter((o) => o.fields['telnet.prompt'] !== 'none' || (o.fields['telnet.banner'] ?? '') !== '')
    .map((o) => ({
      check: 'telnet-open',
      confidence: 'high',
      ...where(o),
      summary: `Telnet, an unencrypted remote-login service, answers on port ${o.port ?? 23}${o.fields['telnet.prompt'] === 'login' ? ' with a login prompt' : ''}.`,
      observations: [o.id],
      facts: { prompt: o.fields['telnet.prompt'] ?? 'none' },
    }));

/** What an accepted pair says about the password, by the check its credential set proves. */
const PASSWORD_KIND: Readonly<Record<string, string>> = {
  'default-cred-accepted': 'a published default password',
  'weak-guessable-cred': 'an easily guessed password',
  'password-derived-from-id': 'a password worked out from identifiers it broadcasts (its MAC address or serial number)',
};

const credentialAccepted: Rule = (host) =>
  withField(host, 'cred.result', 'accepted').map((o) => {
    const check = o.fields['cred.check'] ?? 'default-cred-accepted';
    return {
      check,
      confidence: 'high',
      ...where(o),
      summary: `The ${o.fields['cred.protocol'] ?? ''} login on port ${o.port ?? '?'} accepts ${PASSWORD_KIND[check] ?? 'a known password'} (user "${o.fields['cred.username'] ?? ''}"): anyone on your network can log in.`,
      observations: [o.id],
      facts: { protocol: o.fields['cred.protocol'] ?? '', username: o.fields['cred.username'] ?? '', proof: o.fields['cred.evidence'] ?? '' },
      ...(o.fields['cred.signature'] !== undefined && { signature: o.fields['cred.signature'] }),
    } satisfies Draft;
  });

const noAuthAdmin: Rule = (host) =>
  withField(host, 'cred.login-required', 'no').map((o) => ({
    check: 'no-auth-admin',
    confidence: 'medium',
    confidenceReason: 'the page answered without asking for a login; check it is really the settings page',
    ...where(o),
    summary: `The admin page on port ${o.port ?? '?'} opens without any password.`,
    observations: [o.id],
    facts: { protocol: o.fields['cred.protocol'] ?? '' },
  }));

const noBruteforceProtection: Rule = (host) =>
  withField(host, 'lockout.result', 'none-seen').map((o) => ({
    check: 'no-bruteforce-protection',
    confidence: 'medium',
    confidenceReason: 'a lockout after more wrong logins than the test sends cannot be ruled out',
    ...where(o),
    summary: `The ${o.fields['lockout.protocol'] ?? ''} login on port ${o.port ?? '?'} let ${o.fields['lockout.attempts'] ?? 'many'} wrong passwords be tried in a row without slowing down or locking, so a guessing program is never stopped.`,
    observations: [o.id],
    facts: { protocol: o.fields['lockout.protocol'] ?? '', test: o.fields['lockout.detail'] ?? '' },
  }));

const TLS_PORTS = new Set([443, 8443, 5001, 7443]);

const cleartextAdminLogin: Rule = (host) => {
  const hasTlsAlternative = host.services.some((s) => s.transport === 'tcp' && TLS_PORTS.has(s.port));
  return host.observations
    .filter((o) => o.fields['http.auth-scheme'] === 'basic' || o.fields['http.login-form'] === 'yes')
    .map((o) => ({
      check: 'cleartext-admin-login',
      confidence: hasTlsAlternative ? 'medium' : 'high',
      ...(hasTlsAlternative && { confidenceReason: 'the device also has an HTTPS port, which may offer the same login encrypted' }),
      ...where(o),
      summary: `The ${deviceWord(host.identity)}'s login on port ${o.port ?? 80} is sent over plain HTTP, so the password crosses your network unencrypted.`,
      observations: [o.id],
      facts: { login: o.fields['http.auth-scheme'] === 'basic' ? 'HTTP Basic authentication' : 'password form' },
    }));
};

const mdnsTxtLeak: Rule = (host) => {
  const leaks = new Map<string, string>();
  const ids: string[] = [];
  for (const o of withField(host, 'mdns.service')) {
    let leaked = false;
    const note = (what: string, value: string) => {
      leaks.set(what, value);
      leaked = true;
    };
    for (const [field, value] of Object.entries(o.fields)) {
      if (!field.startsWith('mdns.txt.') && field !== 'mdns.instance') continue;
      const key = field.slice('mdns.txt.'.length);
      if (PERSONAL_NAME.test(value)) note('a person\'s name', value);
      if (MAC_LIKE.test(value)) note('a hardware (MAC) address', value);
      if (field.startsWith('mdns.txt.') && SERIAL_KEY.test(key) && value.length >= 6) note('a serial number or device id', value);
    }
    const keys = Object.keys(o.fields).filter((f) => f.startsWith('mdns.txt.')).map((f) => f.slice('mdns.txt.'.length));
    const model = keys.find((k) => MODEL_KEY.test(k));
    const firmware = keys.find((k) => FIRMWARE_KEY.test(k));
    if (model && firmware) note('model and firmware version', `${o.fields[`mdns.txt.${model}`] ?? ''} ${o.fields[`mdns.txt.${firmware}`] ?? ''}`.trim());
    if (leaked) ids.push(o.id);
  }
  if (leaks.size === 0) return [];
  return [
    {
      check: 'mdns-txt-leak',
      confidence: 'high',
      port: 5353,
      transport: 'udp',
      summary: `The ${deviceWord(host.identity)} announces ${[...leaks.keys()].join(', ')} to every device on your network (mDNS).`,
      observations: ids,
      facts: Object.fromEntries(leaks),
    },
  ];
};

const upnpDescriptionLeak: Rule = (host) => {
  const leaks: Record<string, string> = {};
  const ids: string[] = [];
  let port: number | undefined;
  for (const o of withField(host, 'upnp.deviceType')) {
    const serial = o.fields['upnp.serialNumber'];
    const name = o.fields['upnp.friendlyName'];
    let leaked = false;
    if (serial !== undefined && serial.length >= 4) {
      leaks['serial number'] = serial;
      leaked = true;
    }
    if (name !== undefined && PERSONAL_NAME.test(name)) {
      leaks["a person's name"] = name;
      leaked = true;
    }
    for (const value of Object.values(o.fields)) {
      if (MAC_LIKE.test(value) && !value.startsWith('uuid:')) {
        leaks['a hardware (MAC) address'] = value;
        leaked = true;
      }
    }
    if (leaked) {
      ids.push(o.id);
      port ??= o.port;
    }
  }
  if (ids.length === 0) return [];
  return [
    {
      check: 'upnp-description-leak',
      confidence: 'high',
      ...(port !== undefined && { port }),
      transport: 'tcp',
      summary: `The ${deviceWord(host.identity)}'s UPnP description, readable by anyone on your network, shows its ${Object.keys(leaks).join(', ')}.`,
      observations: ids,
      facts: leaks,
    },
  ];
};

function versionLookup(service: Service, knowledge: Knowledge) {
  if (service.product === undefined || service.version === undefined) return undefined;
  return assessVersion(knowledge.versions, service.product, service.version);
}

/** A finding lists this many vulnerability ids, then "and N more". */
const LISTED_IDS = 20;

function listIds(ids: readonly string[]): string {
  const shown = ids.slice(0, LISTED_IDS).join(', ');
  return ids.length > LISTED_IDS ? `${shown} and ${ids.length - LISTED_IDS} more` : shown;
}

/** Which imported files named which ids: "NVD file nvdcve-2.0-2024.json.gz, imported 2026-11-20: CVE-…". */
function importedFrom(vulnerabilities: readonly MatchedVulnerability[]): string | undefined {
  const bySource = new Map<string, string[]>();
  for (const v of vulnerabilities) {
    if (v.importedFrom === undefined) continue;
    const source = describeOrigin(v.importedFrom);
    bySource.set(source, [...(bySource.get(source) ?? []), ...v.cves]);
  }
  return bySource.size === 0 ? undefined : [...bySource].map(([source, ids]) => `${source}: ${listIds(ids)}`).join('; ');
}

const vulnerableVersion: Rule = (host, knowledge) =>
  host.services.flatMap((service): Draft[] => {
    const assessment = versionLookup(service, knowledge);
    if (!assessment || assessment.vulnerabilities.length === 0) return [];
    const backport = distributionRevision(service.banner ?? '');
    const worst = assessment.vulnerabilities.reduce<Severity>((max, v) => (severityRank(v.severity) > severityRank(max) ? v.severity : max), 'info');
    const fixed = assessment.vulnerabilities.map((v) => v.fixed).filter((v): v is string => v !== undefined);
    const cves = assessment.vulnerabilities.flatMap((v) => v.cves);
    const exploited = assessment.vulnerabilities.some((v) => v.knownExploited === true);
    // The shipped rule, or the imported file and date, each CVE came from.
    const shipped = assessment.vulnerabilities.find((v) => v.importedFrom === undefined);
    const imported = importedFrom(assessment.vulnerabilities);
    return [
      {
        check: 'known-vulnerable-version',
        severity: worst,
        confidence: backport ? 'low' : 'medium',
        confidenceReason: backport
          ? `the banner carries a distribution revision (${backport}): your vendor may have backported the fix without changing the version`
          : 'the version comes from a banner, not from a test of the flaw',
        port: service.port,
        transport: service.transport,
        summary: `${service.product} ${service.version} on port ${service.port} has ${cves.length} published vulnerabilit${cves.length === 1 ? 'y' : 'ies'}${exploited ? ', some exploited in the wild' : ''}.`,
        observations: [],
        facts: {
          product: `${service.product} ${service.version}`,
          cves: listIds(cves),
          ...(fixed.length > 0 && { 'fixed in': fixed.sort(compareVersions).at(-1) ?? '' }),
          ...(shipped !== undefined && { rule: shipped.rule }),
          ...(imported !== undefined && { 'imported from': imported }),
        },
      },
    ];
  });

const eolComponent: Rule = (host, knowledge) =>
  host.services.flatMap((service): Draft[] => {
    const eol = versionLookup(service, knowledge)?.eol;
    if (!eol) return [];
    return [
      {
        check: 'eol-component',
        confidence: 'medium',
        confidenceReason: 'the version comes from a banner',
        port: service.port,
        transport: service.transport,
        summary: `${service.product} ${service.version ?? ''} on port ${service.port} is no longer maintained: ${eol.reason}`,
        observations: [],
        facts: { product: `${service.product} ${service.version ?? ''}`.trim(), 'supported from': eol.before },
      },
    ];
  });

const versionDisclosure: Rule = (host, knowledge) =>
  host.services
    .filter((s) => s.version !== undefined && s.product !== undefined)
    .map((service) => {
      const assessment = versionLookup(service, knowledge);
      const outdated = assessment !== undefined && (assessment.vulnerabilities.length > 0 || assessment.eol !== undefined);
      return {
        check: 'version-banner-disclosure',
        // An exact version only helps an attacker much when it points at known flaws.
        severity: outdated ? 'low' : 'info',
        confidence: 'high',
        port: service.port,
        transport: service.transport,
        summary: `Port ${service.port} tells anyone who asks that it runs ${service.product} ${service.version ?? ''}.`,
        observations: [],
        facts: { banner: service.banner ?? `${service.product} ${service.version ?? ''}` },
      } satisfies Draft;
    });

const ftpAnonymous: Rule = (host) =>
  withField(host, 'ftp.anonymous', 'accepted').map((o) => ({
    check: 'ftp-anonymous',
    confidence: 'high',
    ...where(o),
    summary: `The FTP server on port ${o.port ?? 21} lets anyone log in as "anonymous"${o.fields['ftp.anonymous.listing'] === 'allowed' ? ' and list its files' : ''}.`,
    observations: [o.id],
    facts: {
      listing: o.fields['ftp.anonymous.listing'] ?? 'not tried',
      ...(o.fields['ftp.anonymous.entries'] !== undefined && { entries: o.fields['ftp.anonymous.entries'] }),
    },
  }));

const mqttAnonymous: Rule = (host) =>
  withField(host, 'mqtt.connack', 'accepted').map((o) => ({
    check: 'mqtt-anonymous',
    confidence: 'high',
    ...where(o),
    summary: `The MQTT broker on port ${o.port ?? 1883} accepts clients without a password${o.fields['mqtt.topics'] !== undefined ? `; ${o.fields['mqtt.topics']} topics could be read` : ''}.`,
    observations: [o.id],
    facts: { topics: o.fields['mqtt.topics'] ?? 'not counted' },
  }));

const snmpDefaultCommunity: Rule = (host) =>
  withField(host, 'snmp.community', 'public').map((o) => ({
    check: 'snmp-default-community',
    confidence: 'high',
    port: o.port ?? 161,
    transport: 'udp',
    summary: 'SNMP answers the well-known community "public", giving out the system description to anyone on your network.',
    observations: [o.id],
    facts: Object.fromEntries(
      (['snmp.sysDescr', 'snmp.sysContact', 'snmp.sysLocation'] as const).flatMap((f) => (o.fields[f] ? [[f.slice(5), o.fields[f]]] : [])),
    ),
  }));

const rtspNoAuth: Rule = (host) =>
  withField(host, 'rtsp.describe-status', '200').map((o) => ({
    check: 'rtsp-no-auth',
    confidence: 'high',
    ...where(o),
    summary: `The video stream ${o.fields['rtsp.describe-path'] ?? ''} on port ${o.port ?? 554} can be opened without a password.`,
    observations: [o.id],
    facts: { path: o.fields['rtsp.describe-path'] ?? '' },
  }));

const igdUnauthenticated: Rule = (host) =>
  withField(host, 'upnp.igd.unauthenticated', 'yes').map((o) => ({
    check: 'upnp-igd-unauth-portmap',
    confidence: 'high',
    ...where(o),
    summary: 'The router lets any device on your network read (and, by design of UPnP, add) Internet port forwards without a password.',
    observations: [o.id],
    facts: { 'control URL': o.fields['upnp.igd.control-url'] ?? '' },
  }));

/** Internal ports whose forwarding to the Internet is serious: admin, remote login, cameras. */
const SENSITIVE_FORWARDS = new Set([21, 22, 23, 80, 443, 554, 2323, 8080, 8443, 8554, 5000, 5001, 37777, 34567]);

const portmapsPresent: Rule = (host) => {
  const mappings = withField(host, 'upnp.portmap.internal-client');
  if (mappings.length === 0) return [];
  const lines = mappings.map((o) => {
    const f = o.fields;
    return `${f['upnp.portmap.protocol'] ?? ''} ${f['upnp.portmap.external-port'] ?? '?'} -> ${f['upnp.portmap.internal-client'] ?? '?'}:${f['upnp.portmap.internal-port'] ?? '?'}${f['upnp.portmap.description'] ? ` (${f['upnp.portmap.description']})` : ''}`;
  });
  const sensitive = mappings.some((o) => SENSITIVE_FORWARDS.has(Number(o.fields['upnp.portmap.internal-port'])));
  const first = mappings[0];
  return [
    {
      check: 'upnp-portmaps-present',
      severity: sensitive ? 'high' : 'medium',
      confidence: 'high',
      ...(first && where(first)),
      summary: `The router forwards ${mappings.length} port${mappings.length === 1 ? '' : 's'} from the Internet to devices at home${sensitive ? ', including a login or camera service' : ''}.`,
      observations: mappings.map((o) => o.id),
      facts: Object.fromEntries(lines.map((line, i) => [`forward ${i + 1}`, line])),
    },
  ];
};

const ssdpUnicastReply: Rule = (host) =>
  withField(host, 'ssdp.unicast-reply-bytes')
    .filter((o) => Number(o.fields['ssdp.unicast-reply-bytes']) > Number(o.fields['ssdp.unicast-request-bytes'] ?? Infinity))
    .map((o) => {
      const ratio = Number(o.fields['ssdp.unicast-reply-bytes']) / Math.max(1, Number(o.fields['ssdp.unicast-request-bytes']));
      return {
        check: 'ssdp-unicast-reply',
        confidence: 'high',
        port: 1900,
        transport: 'udp' as const,
        summary: `The ${deviceWord(host.identity)} answers a direct SSDP search with ${ratio.toFixed(1)} times more data than it was sent. Normal inside a home; harmful only if the Internet can reach it.`,
        observations: [o.id],
        facts: { 'bytes in': o.fields['ssdp.unicast-request-bytes'] ?? '', 'bytes out': o.fields['ssdp.unicast-reply-bytes'] ?? '', factor: ratio.toFixed(1) },
      };
    });

const mdnsUnicast: Rule = (host) =>
  withField(host, 'mdns.unicast-reply', 'yes').map((o) => ({
    check: 'mdns-unicast-offlink',
    // Answering a unicast query from the LAN is normal; only an off-link answer would be serious.
    severity: 'info',
    confidence: 'low',
    confidenceReason: 'tested from inside the home network only; an answer to a query from outside it would be the real problem',
    port: 5353,
    transport: 'udp',
    summary: 'The device answers direct (unicast) mDNS questions. That is normal inside a home; it matters only if it also answers from outside your network.',
    observations: [o.id],
    facts: {},
  }));

const identification: Rule = (host) =>
  host.identity.vendor !== undefined && (host.identity.model !== undefined || host.identity.type !== undefined)
    ? [
        {
          check: 'model-identified',
          confidence: host.identity.signals.some((s) => s.source !== 'oui') ? 'high' : 'low',
          summary: `Identified as ${[host.identity.vendor, host.identity.model].filter(Boolean).join(' ')}${host.identity.firmware ? ` (firmware ${host.identity.firmware})` : ''}: you can look up its support status.`,
          observations: [],
          facts: { signals: host.identity.signals.map((s) => s.source).join(', ') },
        },
      ]
    : [
        {
          check: 'device-unidentified',
          confidence: 'high',
          summary: host.identity.vendor
            ? `Only the maker (${host.identity.vendor}) could be told from the network, not the model.`
            : 'The device could not be identified from what it says on the network.',
          observations: [],
          facts: {},
        },
      ];

const RULES: Readonly<Record<string, Rule>> = {
  'telnet-open': telnetOpen,
  'default-cred-accepted': credentialAccepted,
  'no-auth-admin': noAuthAdmin,
  'no-bruteforce-protection': noBruteforceProtection,
  'cleartext-admin-login': cleartextAdminLogin,
  'mdns-txt-leak': mdnsTxtLeak,
  'upnp-description-leak': upnpDescriptionLeak,
  'known-vulnerable-version': vulnerableVersion,
  'eol-component': eolComponent,
  'version-banner-disclosure': versionDisclosure,
  'ftp-anonymous': ftpAnonymous,
  'mqtt-anonymous': mqttAnonymous,
  'snmp-default-community': snmpDefaultCommunity,
  'rtsp-no-auth': rtspNoAuth,
  'upnp-igd-unauth-portmap': igdUnauthenticated,
  'upnp-portmaps-present': portmapsPresent,
  'ssdp-unicast-reply': ssdpUnicastReply,
  'mdns-unicast-offlink': mdnsUnicast,
  'model-identified': identification,
  'ssh-weak-algorithms': sshWeakAlgorithms,
  'weak-tls': weakTls,
  'self-signed-or-expired-cert': selfSignedOrExpiredCert,
  'adb-over-network': adbOverNetwork,
  'tftp-or-legacy-cleartext': tftpOrLegacyCleartext,
  'unexpected-open-services': unexpectedOpenServices,
  'unauth-info-endpoint': unauthInfoEndpoint,
  'ipv6-global-services': ipv6GlobalServices,
  'upnp-subscribe-callback': upnpSubscribeCallback,
  'onvif-unauth': onvifUnauth,
  'udp-reflector-other': udpReflectorOther,
  'cleartext-personal-media': cleartextPersonalMedia,
};

/**
 * Every check id the judge can report: identification also reports device-unidentified,
 * credentials also weak-guessable-cred and password-derived-from-id, and the cross-host pass
 * shared-tls-or-ssh-key.
 */
export const JUDGED_CHECKS: readonly string[] = [
  ...Object.keys(RULES),
  'device-unidentified',
  'weak-guessable-cred',
  'password-derived-from-id',
  'shared-tls-or-ssh-key',
];

function finish(draft: Draft, practice: Practice): Finding {
  return {
    check: draft.check,
    title: practice.title,
    severity: draft.severity ?? practice.severity,
    confidence: draft.confidence,
    ...(draft.confidenceReason !== undefined && { confidenceReason: draft.confidenceReason }),
    ...(draft.port !== undefined && { port: draft.port }),
    ...(draft.transport !== undefined && { transport: draft.transport }),
    summary: draft.summary,
    evidence: { observations: draft.observations, facts: draft.facts },
    practices: { en303645: practice.en303645, is3c: practice.is3c, owasp: practice.owasp },
    remedy: practice.remedy,
    ...(draft.signature !== undefined && { signature: draft.signature }),
  };
}

/** A rule's draft as a finding, with the practice references and remedy from the catalogue. */
export function finishDraft(draft: Draft, knowledge: Pick<Knowledge, 'practices'>): Finding {
  const practice = knowledge.practices.get(draft.check);
  // A check missing from the catalogue is a bug (the signature lint catches it).
  if (!practice) throw new Error(`judge: check "${draft.check}" is missing from signatures/practices`);
  return finish(draft, practice);
}

/** All findings for one host, worst first. */
export function judgeHost(host: HostEvidence, knowledge: Knowledge): Finding[] {
  const findings = Object.values(RULES).flatMap((rule) => rule(host, knowledge).map((draft) => finishDraft(draft, knowledge)));
  return findings.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.check.localeCompare(b.check) || (a.port ?? 0) - (b.port ?? 0));
}
