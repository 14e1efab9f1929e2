// Exposure rules: debug and legacy services, and services a device of its kind should not need.
// Pure.
import { deviceWord, where, withField, type Draft, type Rule } from './judge-kit.js';

export const adbOverNetwork: Rule = (host) =>
  withField(host, 'adb.reply').map((o) => {
    const open = o.fields['adb.reply'] === 'cnxn';
    return {
      check: 'adb-over-network',
      // Key authentication still leaves a debug interface reachable; without it anyone gets a shell.
      severity: open ? 'critical' : 'high',
      confidence: 'high',
      ...where(o),
      summary: open
        ? `Android debugging (ADB) on port ${o.port ?? 5555} accepts connections without any approval: anyone on your network can control the ${deviceWord(host.identity)}.`
        : `Android debugging (ADB) is switched on over the network (port ${o.port ?? 5555}); it asks for approval, but it should not be reachable at all.`,
      observations: [o.id],
      facts: { reply: open ? 'connected without authorisation' : 'asks for key authorisation', ...(o.fields['adb.banner'] !== undefined && { device: o.fields['adb.banner'] }) },
    } satisfies Draft;
  });

/** Legacy cleartext management services, by TCP port (rlogin, rsh, rexec). */
const LEGACY_TCP = new Map([
  [512, 'rexec'],
  [513, 'rlogin'],
  [514, 'rsh'],
]);

export const tftpOrLegacyCleartext: Rule = (host) => [
  ...withField(host, 'tftp.reply').map(
    (o): Draft => ({
      check: 'tftp-or-legacy-cleartext',
      confidence: 'high',
      ...where(o),
      summary: `TFTP, a file-transfer service with no password at all, answers on port ${o.port ?? 69}.`,
      observations: [o.id],
      facts: { reply: o.fields['tftp.reply'] ?? '', ...(o.fields['tftp.error'] !== undefined && { message: o.fields['tftp.error'] }) },
    }),
  ),
  ...host.services
    .filter((s) => s.transport === 'tcp' && LEGACY_TCP.has(s.port))
    .map(
      (s): Draft => ({
        check: 'tftp-or-legacy-cleartext',
        confidence: 'medium',
        confidenceReason: 'the port is open; the service behind it was not spoken to',
        port: s.port,
        transport: 'tcp',
        summary: `Port ${s.port} (${LEGACY_TCP.get(s.port) ?? ''}, an old unencrypted remote-access service) is open.`,
        observations: [],
        facts: { service: LEGACY_TCP.get(s.port) ?? '' },
      }),
    ),
];

/** Remote login, file sharing and debug ports: on a device that should not need them, worth a medium. */
const RISKY_PORTS = new Set([21, 22, 23, 139, 445, 2323, 5555, 3389, 5900, 512, 513, 514]);

export const unexpectedOpenServices: Rule = (host, knowledge) => {
  const type = host.identity.type;
  if (type === undefined) return [];
  const profile = knowledge.profiles.find((p) => (p.types as readonly string[]).includes(type));
  if (!profile) return [];
  const expected = new Set(profile.tcp.map((p) => p.port));
  const extra = host.services.filter((s) => s.transport === 'tcp' && !expected.has(s.port));
  if (extra.length === 0) return [];
  const risky = extra.filter((s) => RISKY_PORTS.has(s.port));
  const describe = (s: { port: number; name: string }) => `${s.port} (${s.name})`;
  const first = risky[0] ?? extra[0];
  return [
    {
      check: 'unexpected-open-services',
      severity: risky.length > 0 ? 'medium' : 'info',
      confidence: 'medium',
      confidenceReason: `judged against what a typical ${type} needs (profile ${profile.id}); your model may use the port for a real feature`,
      ...(first && { port: first.port, transport: 'tcp' as const }),
      summary: `This ${type} has ${extra.length === 1 ? 'a service' : `${extra.length} services`} open that a ${type} does not normally need: ${extra.map(describe).join(', ')}.`,
      observations: [],
      facts: { ports: extra.map(describe).join(', '), profile: profile.id },
    },
  ];
};

/** Ports where a login or a device's controls answer: reachable from the Internet, they matter most. */
const MANAGEMENT_PORTS = new Set([21, 22, 23, 80, 443, 554, 1883, 2323, 5555, 7547, 8080, 8443, 8888]);

export const ipv6GlobalServices: Rule = (host) =>
  withField(host, 'ipv6.global-ports').map((o) => {
    const ports = (o.fields['ipv6.global-ports'] ?? '').split(',').map(Number).filter((port) => Number.isInteger(port) && port > 0);
    const management = ports.filter((port) => MANAGEMENT_PORTS.has(port));
    return {
      check: 'ipv6-global-services',
      ...(management.length > 0 && { severity: 'medium' as const }),
      confidence: 'high',
      // One finding per address, filed under its first port.
      ...(ports[0] !== undefined && { port: ports[0], transport: 'tcp' as const }),
      summary: `The ${deviceWord(host.identity)} has the public IPv6 address ${o.fields['ipv6.global-address'] ?? ''} and answers there on port${ports.length === 1 ? '' : 's'} ${ports.join(', ')}: only your router's IPv6 firewall stands between ${ports.length === 1 ? 'it' : 'them'} and the Internet, which a scan from inside cannot check.`,
      observations: [o.id],
      facts: { address: o.fields['ipv6.global-address'] ?? '', ports: ports.join(', ') },
    };
  });
