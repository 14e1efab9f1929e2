// One scan: discover → identify → check → judge, as a stream of events. Owns concurrency,
// timeouts, budgets and cancellation; touches the world only through `deps.net`.
import type { ScanEvent } from '../core/events.js';
import type { Host, Observation, ProbeStatus, Service, Transport } from '../core/model.js';
import { emptyFields, firstValue, withFields, type FieldBag } from '../core/fields.js';
import { identifyDevice, identifyService } from '../core/identify.js';
import { judgeHost } from '../core/judge.js';
import { judgeSharedKeys } from '../core/judge-shared.js';
import { deviceKeys, keyList } from '../core/device-keys.js';
import { isLocallyAdministered, normaliseMac } from '../core/mac.js';
import { planCredentialAttempts, type PlannedAttempt } from '../core/plan.js';
import { readLockoutRun, type WrongLogin } from '../core/lockout.js';
import { randomBytes } from 'node:crypto';
import { compareAddresses, createScopeGuard, isIpv6GlobalUnicast, type TargetSet } from '../core/policy.js';
import type { SignaturePack } from '../signatures/compile.js';
import { Channel, createLimiter, type Clock } from './concurrency.js';
import type { NeighbourEntry, Net } from './net.js';
import type { CredentialDriver, DiscoveryProbe, PageChecks, Probe, ProbeCategory, ProbeOutput, ServiceProbe, ServiceSubject } from './probe.js';
import { IOT_PORTS, LIVENESS_PORTS, portName } from './ports.js';

/** The lockout test needs a few services at most to answer "does this device slow guessing down?". */
const MAX_LOCKOUT_SERVICES_PER_HOST = 2;

/** A user name and password no device has: the test's logins can lock out no real account. */
function madeUpCredential(): { username: string; password: string } {
  return { username: `iotscan-${randomBytes(4).toString('hex')}`, password: randomBytes(12).toString('base64url') };
}

export interface ScanConfig {
  runId: string;
  targets: TargetSet;
  profile: string;
  toolVersion: string;
  /** `try` logs in with published pairs; `dry-run` only lists what would be tried; `off` does neither. */
  credentials: 'off' | 'dry-run' | 'try';
  attemptsPerService: number;
  /** Pause between two login attempts on the same service. */
  attemptSpacingMs: number;
  /** Wrong logins in a row for the opt-in lockout test (with credentials `try`); 0 = no test. */
  lockoutAttempts: number;
  discoveryWindowMs: number;
  connectTimeoutMs: number;
  /** Per liveness connect: a live host on a home network answers well within it (nmap -T4's ceiling is 1.25 s). */
  livenessTimeoutMs: number;
  readTimeoutMs: number;
  maxSockets: number;
  /**
   * Interfaces whose IPv4 network lies inside the targets: IPv6 link-local addresses on them
   * (`fe80::…%eth0`, learnt from mDNS or SSDP) are the same home segment and so in scope.
   */
  linkLocalZones: readonly string[];
  /** The machine's own global IPv6 networks on those links (`2001:db8:1::/64`): addresses there are the same home link. */
  onLinkIpv6Prefixes: readonly string[];
  /** `discovery` stops after liveness and the port scan (who is there, what is open). */
  depth: 'discovery' | 'full';
  /** The scanning machine's own addresses: its host is "this computer", not an unknown device. */
  localAddresses: readonly string[];
}

export interface ScanDeps {
  net: Net;
  pack: SignaturePack;
  probes: readonly Probe[];
  drivers: readonly CredentialDriver[];
  pageChecks: PageChecks;
  clock: Clock;
  /** The IEEE OUI register's organisation for a MAC, if known. */
  macVendor(mac: string): string | undefined;
  /**
   * An outside port scanner (`--engine nmap`): finds a host's open ports and what runs there in
   * its own way; its results join the same observations, and iotscan's probes and judge follow.
   */
  portScanner?: (address: string, ports: readonly number[], signal: AbortSignal) => Promise<ExternalPortResult[] | { error: string }>;
}

export interface ExternalPortResult {
  port: number;
  transport: Transport;
  fields: Record<string, string>;
}

interface HostState {
  address: string;
  observations: Observation[];
  fields: FieldBag;
  openTcp: Set<number>;
  scannedTcp: Set<number>;
  /** Protocol a probe recognised on each port (`tcp/22` → ssh). */
  protocols: Map<string, { protocol: string; bannerField?: string }>;
  mac?: string;
  /** Other addresses of the same device (IPv6 from AAAA records, IPv4 from A records). */
  aliases: Set<string>;
  /** What the pipeline concluded, once it has. */
  described?: Host;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const NEIGHBOUR_POLL_MS = 200;
/**
 * Liveness connects in flight, apart from maxSockets: a knock at an absent address only waits on
 * ARP (at most livenessTimeoutMs), so two /24s go out in one wave instead of two. Each unanswered
 * knock holds an incomplete neighbour entry, and Linux keeps at most gc_thresh3 (1024 by default,
 * for the whole machine) non-permanent entries (kernel ip-sysctl docs): half of that is left for
 * the live hosts' entries.
 */
const KNOCKS_IN_FLIGHT = 512;
/**
 * UDP service probes in flight, apart from maxSockets: each holds one datagram socket and no state
 * on the device, and a silent host keeps it for two one-second waits. Sharing the TCP budget made
 * five such probes on each of 200 silent hosts queue for about 6 s (measured).
 */
const UDP_PROBES_IN_FLIGHT = 1024;
/**
 * How long a remembered neighbour entry may take to be confirmed after it was first seen: the
 * kernel's delay_first_probe_time (5 s) and the first unicast probe's answer, with a margin.
 */
const REMEMBERED_RECHECK_MS = 6_500;
const THIS_COMPUTER = 'this computer (the scanner)';
const THIS_COMPUTER_KEY = 'this-computer';

const portKey = (transport: Transport, port: number) => `${transport}/${port}`;

export async function* runScan(config: ScanConfig, deps: ScanDeps, signal: AbortSignal): AsyncIterable<ScanEvent> {
  const channel = new Channel<ScanEvent>();
  const finished = execute(config, deps, signal, (event) => channel.push(event))
    .catch((error: unknown) => {
      channel.push({ type: 'run-finished', status: 'failed', finishedAt: deps.clock.now().toISOString(), error: error instanceof Error ? error.message : String(error) });
    })
    .finally(() => channel.close());
  yield* channel;
  await finished;
}

async function execute(config: ScanConfig, deps: ScanDeps, signal: AbortSignal, emit: (event: ScanEvent) => void): Promise<void> {
  const { net, pack, clock } = deps;
  emit({
    type: 'run-started',
    run: {
      id: config.runId,
      startedAt: clock.now().toISOString(),
      status: 'running',
      targets: config.targets.specs,
      profile: config.profile,
      toolVersion: config.toolVersion,
      signatures: pack.info,
    },
  });

  const inScopeAddress = createScopeGuard(config.targets.addresses, config.linkLocalZones, config.onLinkIpv6Prefixes);
  const localAddresses = new Set(config.localAddresses);
  /** Address → the host it belongs to, for every alias learnt from A/AAAA records. */
  const aliasOf = new Map<string, HostState>();
  const neverTcp = new Set(pack.neverProbe.filter((p) => p.transport === 'tcp').map((p) => p.port));
  const scanPorts = [...IOT_PORTS.keys()].filter((port) => !neverTcp.has(port));
  const sockets = createLimiter(config.maxSockets);
  const udpProbes = createLimiter(UDP_PROBES_IN_FLIGHT);
  const hosts = new Map<string, HostState>();
  const hostTasks: Promise<void>[] = [];
  const discoveryDone = deferred();
  const livenessDone = deferred();
  const knocks = createLimiter(KNOCKS_IN_FLIGHT);
  /** Remembered neighbour entries of addresses nothing else found, and when each was first seen (ms). */
  const remembered = new Map<string, number>();
  let observationCount = 0;
  const progress = { identify: { done: 0, total: 0 }, check: { done: 0, total: 0 }, judge: { done: 0, total: 0 } };
  const advance = (phase: keyof typeof progress) => {
    progress[phase].done++;
    emit({ type: 'progress', phase, ...progress[phase] });
  };

  const record = (host: HostState, probe: string, output: Extract<ProbeOutput, { kind: 'observation' }>, port?: number, transport?: Transport) => {
    const observedPort = output.port ?? port;
    const observedTransport = output.transport ?? transport;
    const observation: Observation = {
      id: `o${++observationCount}`,
      address: host.address,
      probe,
      ...(observedPort !== undefined && { port: observedPort }),
      ...(observedTransport !== undefined && { transport: observedTransport }),
      fields: output.fields,
    };
    host.observations.push(observation);
    host.fields = withFields(host.fields, output.fields);
    // The addresses a device was heard from: its mDNS records, and the IPv6 sender of SSDP
    // answers filed under its IPv4 address.
    for (const field of ['mdns.a', 'mdns.aaaa', 'ssdp.sender']) {
      for (const alias of (output.fields[field] ?? '').split(',')) {
        const address = alias.trim();
        if (address === '' || address === host.address || hosts.has(address) || !inScopeAddress(address)) continue;
        host.aliases.add(address);
        aliasOf.set(address, host);
      }
    }
    emit({ type: 'observation', observation });
  };

  const serviceFields = (host: HostState, transport: Transport, port: number): FieldBag =>
    host.observations.filter((o) => o.port === port && (o.transport ?? 'tcp') === transport).reduce((bag, o) => withFields(bag, o.fields), emptyFields());

  const subjectOf = (host: HostState, transport: Transport, port: number): ServiceSubject => ({
    address: host.address,
    port,
    transport,
    hostFields: host.fields,
    serviceFields: serviceFields(host, transport, port),
  });

  /** Runs one service probe and turns its outputs into events; expected failures are values. */
  const runServiceProbe = async (host: HostState, probe: ServiceProbe, port: number) => {
    const started = Date.now();
    // Assigned inside the limiter's callback, so TypeScript cannot narrow it.
    let status = 'unknown-error' as ProbeStatus;
    let detail: string | undefined;
    let observed = false;
    await (probe.transport === 'udp' ? udpProbes : sockets)(async () => {
      try {
        for await (const output of probe.run({ subject: subjectOf(host, probe.transport, port), net, signal, timeoutMs: config.readTimeoutMs })) {
          if (output.kind === 'observation') {
            observed = true;
            record(host, probe.id, output, port, probe.transport);
          } else {
            status = output.status;
            detail = output.detail;
          }
        }
      } catch (error) {
        // A probe's surprise is recorded and the scan goes on.
        status = signal.aborted ? 'aborted' : 'unknown-error';
        detail = error instanceof Error ? error.message : String(error);
      }
    });
    // The version probe names a port's protocol; a safe probe names it only when none did (SNMP, say).
    const key = portKey(probe.transport, port);
    if (observed && status === 'success' && (probe.categories.includes('version') || !host.protocols.has(key))) {
      host.protocols.set(key, { protocol: probe.protocol, ...(probe.bannerField !== undefined && { bannerField: probe.bannerField }) });
    }
    emit({ type: 'probe-finished', probe: probe.id, address: host.address, port, status, durationMs: Date.now() - started, ...(detail !== undefined && { detail }) });
  };

  const serviceProbes = (category: ProbeCategory) =>
    deps.probes.filter((p): p is ServiceProbe => p.kind === 'service' && p.categories.includes(category));

  const runProbesOfCategory = async (host: HostState, category: ProbeCategory) => {
    const runs: Promise<void>[] = [];
    for (const probe of serviceProbes(category)) {
      const ports = probe.transport === 'udp' ? probe.defaultPorts.slice(0, 1) : [...host.openTcp];
      for (const port of ports) {
        // A probe with no default ports decides by what was seen (the UPnP control port, say).
        const portFits = probe.defaultPorts.length === 0 || probe.defaultPorts.includes(port);
        if (!portFits || !probe.appliesTo(subjectOf(host, probe.transport, port))) continue;
        runs.push(runServiceProbe(host, probe, port));
      }
    }
    await Promise.all(runs);
  };


  const scanTcpPorts = async (host: HostState, ports: readonly number[]) => {
    await Promise.all(
      ports
        .filter((port) => !host.scannedTcp.has(port) && !neverTcp.has(port))
        .map((port) => {
          host.scannedTcp.add(port);
          return sockets(async () => {
            if (signal.aborted) return;
            const result = await net.connectTcp(host.address, port, { timeoutMs: config.connectTimeoutMs, signal });
            if (!result.ok) return;
            result.conn.close();
            host.openTcp.add(port);
            emit({ type: 'service-found', address: host.address, service: { transport: 'tcp', port, name: portName(port) } });
          });
        }),
    );
  };

  /** A service as its fields name it: protocol, then product, version and CPE from signatures/services. */
  const serviceRecord = (transport: Transport, port: number, protocol: string, matchFields: FieldBag, banner: string | undefined): Service => {
    const identity = identifyService(pack.services, protocol, matchFields);
    return {
      transport,
      port,
      name: protocol,
      ...(identity?.product !== undefined && { product: identity.product }),
      ...(identity?.version !== undefined && { version: identity.version }),
      ...(identity?.cpe !== undefined && { cpe: identity.cpe }),
      ...(banner !== undefined && { banner }),
    };
  };

  /** The services of a host as the latest evidence names them. */
  const describeServices = (host: HostState): Service[] => {
    const ssdpServer = firstValue(host.fields, 'ssdp.server');
    const services = [...host.openTcp].sort((a, b) => a - b).map((port) => {
      const known = host.protocols.get(portKey('tcp', port));
      const fields = serviceFields(host, 'tcp', port);
      // An HTTP server that serves a UPnP description is the device's UPnP stack, and UPnP
      // stacks announce themselves in the SSDP SERVER header, not on their port.
      if (fields.has('upnp.deviceType')) {
        return serviceRecord('tcp', port, 'upnp', ssdpServer === undefined ? fields : withFields(fields, { 'ssdp.server': ssdpServer }), ssdpServer);
      }
      const banner = known?.bannerField !== undefined ? firstValue(fields, known.bannerField) : undefined;
      // TLS is a layer, not the service: a port known to carry HTTPS or MQTT over TLS keeps that name.
      const protocol = known?.protocol === 'tls' && portName(port) !== 'unknown' ? portName(port) : (known?.protocol ?? portName(port));
      return serviceRecord('tcp', port, protocol, fields, banner);
    });
    for (const [key, known] of host.protocols) {
      if (!key.startsWith('udp/')) continue;
      const port = Number(key.slice(4));
      const fields = serviceFields(host, 'udp', port);
      services.push(serviceRecord('udp', port, known.protocol, fields, known.bannerField !== undefined ? firstValue(fields, known.bannerField) : undefined));
    }
    return services;
  };

  const describeHost = (host: HostState): Host => {
    const vendor = host.mac ? deps.macVendor(host.mac) : undefined;
    const randomised = host.mac ? isLocallyAdministered(host.mac) : undefined;
    const fields = vendor ? withFields(host.fields, { 'mac.vendor': vendor }) : host.fields;
    const names = [
      ...(host.fields.get('mdns.hostname') ?? []).map((name) => name.replace(/\.local\.?$/, '')),
      ...(host.fields.get('upnp.friendlyName') ?? []),
      ...(host.fields.get('mdns.instance') ?? []),
      ...(host.fields.get('snmp.sysName') ?? []),
    ];
    const local = localAddresses.has(host.address);
    const identity = identifyDevice(pack, fields, vendor);
    return {
      id: host.mac && !randomised ? `mac:${host.mac}` : `ip:${host.address}`,
      addresses: [host.address, ...[...host.aliases].sort()],
      // The scanner is the same machine in every run, whatever it looks like from outside.
      keys: local ? [THIS_COMPUTER_KEY] : keyList(deviceKeys(host.fields, host.mac)),
      ...(host.mac !== undefined && { mac: host.mac, macRandomised: randomised ?? false }),
      ...(vendor !== undefined && { vendor }),
      names: [...new Set(local ? [THIS_COMPUTER, ...names] : names)].filter((name) => name.length > 0),
      identity: local ? { ...identity, type: identity.type ?? 'computer', signals: [...identity.signals, { source: 'local-interface', fields: { address: host.address } }] } : identity,
    };
  };

  /**
   * The pages a matched fingerprint names, fetched once each without credentials on each HTTP
   * port: plain GETs, so they need no consent. A settings page that answers without a login is
   * no-auth-admin; a status page showing private data, or a picture URL, is recorded for the judge.
   */
  const checkKnownPaths = async (host: HostState, identity: Host['identity']) => {
    const driver = deps.drivers.find((d) => d.protocol === 'http');
    const matched = new Set(identity.signals.map((s) => s.source));
    const fingerprints = pack.fingerprints.filter((f) => matched.has(f.spec.id)).map((f) => f.spec);
    const adminPaths = fingerprints.flatMap((f) => f.adminPaths ?? []);
    const infoPaths = fingerprints.flatMap((f) => f.infoPaths ?? []);
    const mediaPaths = fingerprints.flatMap((f) => f.mediaPaths ?? []);
    const httpPorts = [...host.protocols].filter(([key, { protocol }]) => key.startsWith('tcp/') && protocol === 'http').map(([key]) => Number(key.slice(4)));
    const context = (port: number) => ({ subject: subjectOf(host, 'tcp', port), net, signal, timeoutMs: config.readTimeoutMs });
    const recordPage = (port: number, fields: Record<string, string> | undefined) => {
      if (fields !== undefined) record(host, 'http-paths', { kind: 'observation', fields }, port, 'tcp');
    };
    await Promise.all(
      httpPorts.flatMap((port) => [
        ...adminPaths.map(async ({ path }) => {
          if (!driver) return;
          const requirement = await driver.requiresLogin({ ...context(port), params: { path, strategy: 'basic-auth' } });
          if (requirement.kind === 'no-login') {
            record(host, 'creds/http', { kind: 'observation', fields: { 'cred.protocol': 'http', 'cred.login-required': 'no', 'cred.evidence': requirement.detail } }, port, 'tcp');
          }
        }),
        ...infoPaths.map(async (entry) => recordPage(port, await deps.pageChecks.info(context(port), entry))),
        ...mediaPaths.map(async (entry) => recordPage(port, await deps.pageChecks.media(context(port), entry))),
      ]),
    );
  };

  /** The services with a credential driver and the signature pairs that apply to each, most likely first. */
  const loginServices = (host: HostState, identity: Host['identity']) => {
    const matched = new Set(identity.signals.map((s) => s.source));
    const serial = firstValue(host.fields, 'upnp.serialNumber');
    const seen = { ...(host.mac !== undefined && { mac: host.mac }), ...(serial !== undefined && { serial }) };
    return [...host.protocols].flatMap(([key, { protocol }]) => {
      const [transport, portText] = key.split('/') as [Transport, string];
      const port = Number(portText);
      const driver = deps.drivers.find((d) => d.protocol === protocol);
      if (!driver) return [];
      const candidates = planCredentialAttempts(pack.credentials, protocol, matched, serviceFields(host, transport, port), config.attemptsPerService, seen).filter(
        (a) => driver.strategies.includes(a.set.strategy) && (a.set.ports === undefined || a.set.ports.includes(port)),
      );
      return candidates.length > 0 ? [{ transport, port, protocol, driver, candidates }] : [];
    });
  };

  const credentialContext = (host: HostState, transport: Transport, port: number, set: PlannedAttempt['set']) => ({
    subject: subjectOf(host, transport, port),
    net,
    signal,
    timeoutMs: config.readTimeoutMs,
    params: { ...set.params, strategy: set.strategy },
  });

  const tryCredentials = async (host: HostState, identity: Host['identity']) => {
    await Promise.all(
      loginServices(host, identity).map(async ({ transport, port, protocol, driver, candidates }) => {
        const first = candidates[0];
        if (!first) return;
        // What the device sees is what counts: a baseline wrong login takes one place in the budget.
        const plan = driver.baselineSpendsAttempt.includes(first.set.strategy) ? candidates.slice(0, config.attemptsPerService - 1) : candidates;
        if (plan.length === 0) return;
        const base = { 'cred.protocol': protocol };
        if (config.credentials === 'dry-run') {
          // Which set and user would be tried, in order; the password stays in the signature file.
          for (const attempt of plan) record(host, `creds/${protocol}`, { kind: 'observation', fields: { ...base, 'cred.planned': attempt.set.id, 'cred.username': attempt.username } }, port, transport);
          return;
        }
        const context = (set: PlannedAttempt['set']) => credentialContext(host, transport, port, set);
        const requirement = await driver.requiresLogin(context(first.set));
        if (requirement.kind === 'no-login') {
          // No login asked is a different finding, never a credential hit; generic guesses prove nothing here.
          if ('fingerprints' in first.set.appliesTo) record(host, `creds/${protocol}`, { kind: 'observation', fields: { ...base, 'cred.login-required': 'no', 'cred.evidence': requirement.detail } }, port, transport);
          return;
        }
        if (requirement.kind !== 'login-required') return;
        for (const [index, attempt] of plan.entries()) {
          if (signal.aborted) return;
          if (index > 0) await clock.sleep(config.attemptSpacingMs, signal);
          const outcome = await driver.attempt(context(attempt.set), { username: attempt.username, password: attempt.password });
          if (outcome.kind === 'rejected') continue;
          if (outcome.kind === 'success') {
            record(host, `creds/${protocol}`, {
              kind: 'observation',
              fields: { ...base, 'cred.result': 'accepted', 'cred.signature': attempt.set.id, 'cred.check': attempt.set.check, 'cred.username': attempt.username, 'cred.evidence': outcome.evidence },
            }, port, transport);
          } else {
            emit({ type: 'warning', message: `${host.address}:${port} ${protocol}: stopped trying logins (${outcome.reason})` });
          }
          return;
        }
      }),
    );
  };

  /**
   * The opt-in no-bruteforce-protection test: a run of wrong logins with a user name no one has
   * (so no real account can be locked), spaced like every login, on at most two services per
   * device. What the device did with them is read by core/lockout.ts.
   */
  const testLockout = async (host: HostState, identity: Host['identity']) => {
    // SNMP has no login to lock: every datagram stands alone.
    const services = loginServices(host, identity).filter((service) => service.protocol !== 'snmp').slice(0, MAX_LOCKOUT_SERVICES_PER_HOST);
    await Promise.all(
      services.map(async ({ transport, port, protocol, driver, candidates }) => {
        const set = candidates[0]?.set;
        if (set === undefined) return;
        const context = credentialContext(host, transport, port, set);
        if ((await driver.requiresLogin(context)).kind !== 'login-required') return;
        const run: WrongLogin[] = [];
        for (let index = 0; index < config.lockoutAttempts && !signal.aborted; index += 1) {
          if (index > 0) await clock.sleep(config.attemptSpacingMs, signal);
          const started = clock.now().getTime();
          const outcome = await driver.attempt(context, madeUpCredential());
          run.push({ outcome: outcome.kind, ms: clock.now().getTime() - started });
          if (outcome.kind !== 'rejected') break;
        }
        if (signal.aborted) return;
        const reading = readLockoutRun(run);
        record(host, `lockout/${protocol}`, { kind: 'observation', fields: { 'lockout.protocol': protocol, 'lockout.attempts': String(run.length), 'lockout.result': reading.result, 'lockout.detail': reading.detail } }, port, transport);
      }),
    );
  };

  /**
   * A device with a global IPv6 address: which of its open ports also answer there. Those are the
   * ones the router's IPv6 firewall alone keeps from the Internet (no NAT stands in front of them).
   */
  const checkGlobalIpv6 = async (host: HostState) => {
    const globals = [...host.aliases].filter(isIpv6GlobalUnicast);
    const ports = [...host.openTcp].sort((a, b) => a - b);
    for (const address of globals) {
      const answering: number[] = [];
      await Promise.all(
        ports.map(async (port) => {
          const connected = await net.connectTcp(address, port, { timeoutMs: config.connectTimeoutMs, signal });
          if (!connected.ok) return;
          connected.conn.close();
          answering.push(port);
        }),
      );
      if (answering.length === 0) continue;
      const fields = { 'ipv6.global-address': address, 'ipv6.global-ports': answering.sort((a, b) => a - b).join(',') };
      record(host, 'ipv6-global', { kind: 'observation', fields });
    }
  };

  /** The outside scanner's view of one host; on failure the built-in port scan takes over. */
  const scanWithPortScanner = async (host: HostState, portScanner: NonNullable<ScanDeps['portScanner']>) => {
    const result = await portScanner(host.address, scanPorts, signal);
    if ('error' in result) {
      emit({ type: 'warning', message: `${host.address}: the outside port scanner failed (${result.error}); using the built-in scan` });
      await scanTcpPorts(host, scanPorts);
      return;
    }
    for (const port of scanPorts) host.scannedTcp.add(port);
    for (const found of result) {
      record(host, 'nmap', { kind: 'observation', fields: found.fields }, found.port, found.transport);
      if (found.transport !== 'tcp' || host.openTcp.has(found.port)) continue;
      host.openTcp.add(found.port);
      emit({ type: 'service-found', address: host.address, service: { transport: 'tcp', port: found.port, name: portName(found.port) } });
    }
  };

  const pipeline = async (host: HostState) => {
    if (deps.portScanner) await scanWithPortScanner(host, deps.portScanner);
    else await scanTcpPorts(host, scanPorts);
    await discoveryDone.promise;
    // Ports learned from discovery (UPnP description, mDNS SRV) are scanned too.
    const learned = host.observations.filter((o) => o.port !== undefined && (o.transport ?? 'tcp') === 'tcp' && o.port > 0).map((o) => o.port as number);
    await scanTcpPorts(host, [...new Set(learned)]);
    if (signal.aborted) return;
    if (config.depth === 'discovery') {
      host.described = describeHost(host);
      emit({ type: 'host-identified', address: host.address, host: host.described });
      for (const phase of ['identify', 'check', 'judge'] as const) advance(phase);
      return;
    }
    await runProbesOfCategory(host, 'version');
    advance('identify');
    await runProbesOfCategory(host, 'safe');
    for (const key of [...host.protocols.keys()]) if (key.startsWith('tcp/')) host.openTcp.add(Number(key.slice(4)));
    let described = describeHost(host);
    await Promise.all([checkKnownPaths(host, described.identity), checkGlobalIpv6(host)]);
    if (config.credentials !== 'off' && !signal.aborted) {
      await tryCredentials(host, described.identity);
      if (config.credentials === 'try' && config.lockoutAttempts > 0) await testLockout(host, described.identity);
      described = describeHost(host);
    }
    advance('check');
    const services = describeServices(host);
    for (const service of services) emit({ type: 'service-found', address: host.address, service });
    host.described = described;
    emit({ type: 'host-identified', address: host.address, host: described });
    for (const finding of judgeHost({ address: host.address, observations: host.observations, services, identity: described.identity, judgedAt: clock.now().toISOString() }, pack)) {
      emit({ type: 'finding', address: host.address, finding });
    }
    advance('judge');
  };

  const knownHost = (address: string): HostState | undefined => hosts.get(address) ?? aliasOf.get(address);

  const foundHost = (address: string, via: 'mdns' | 'ssdp' | 'tcp' | 'neighbour'): HostState | undefined => {
    if (!inScopeAddress(address)) return undefined;
    const existing = knownHost(address);
    if (existing) return existing;
    const host: HostState = { address, observations: [], fields: emptyFields(), openTcp: new Set(), scannedTcp: new Set(), protocols: new Map(), aliases: new Set() };
    hosts.set(address, host);
    emit({ type: 'host-found', address, via });
    for (const phase of ['identify', 'check', 'judge'] as const) {
      progress[phase].total++;
      emit({ type: 'progress', phase, ...progress[phase] });
    }
    hostTasks.push(pipeline(host));
    return host;
  };

  const runDiscoveryProbe = async (probe: DiscoveryProbe) => {
    const started = Date.now();
    let status: ProbeStatus = 'unknown-error';
    let detail: string | undefined;
    try {
      for await (const output of probe.run({ net, signal, windowMs: config.discoveryWindowMs, inScope: inScopeAddress, liveHosts: () => [...hosts.keys()], livenessDone: livenessDone.promise })) {
        if (output.kind === 'status') {
          status = output.status;
          detail = output.detail;
          continue;
        }
        const host = output.address === undefined ? undefined : foundHost(output.address, probe.id === 'mdns' ? 'mdns' : 'ssdp');
        if (host) record(host, probe.id, output);
      }
    } catch (error) {
      detail = error instanceof Error ? error.message : String(error);
    }
    emit({ type: 'probe-finished', probe: probe.id, address: '*', status, durationMs: Date.now() - started, ...(detail !== undefined && { detail }) });
  };

  /**
   * A confirmed neighbour (ARP) entry: the host answered at layer 2 just now, so it is live, and
   * its MAC is known. A remembered one (STALE, DELAY, PROBE) only gives a MAC to a host found
   * otherwise: a device that left keeps its entry for minutes, so on its own it is kept in
   * `remembered` until the kernel's re-check says whether the device is still there.
   */
  const noteNeighbour = (entry: NeighbourEntry) => {
    const mac = normaliseMac(entry.mac);
    if (!mac) return;
    const host = entry.confirmed ? foundHost(entry.address, 'neighbour') : knownHost(entry.address);
    if (!host) {
      if (inScopeAddress(entry.address) && !remembered.has(entry.address)) remembered.set(entry.address, Date.now());
      return;
    }
    remembered.delete(entry.address);
    if (host.mac === undefined) {
      host.mac = mac;
      host.fields = withFields(host.fields, { 'mac.address': mac });
    }
  };

  /**
   * Waits for the kernel's verdict on remembered entries nothing else found. A packet to a stale
   * entry (the knock) starts the re-check: DELAY for delay_first_probe_time, then unicast ARP
   * probes before REACHABLE or FAILED (kernel ip-sysctl docs, neigh/default). A device still there
   * turns REACHABLE and becomes a host; one that left never does and is not reported.
   */
  const settleRememberedNeighbours = async () => {
    while (remembered.size > 0 && !signal.aborted) {
      await clock.sleep(NEIGHBOUR_POLL_MS, signal);
      const table = new Map((await net.neighbours()).map((entry) => [entry.address, entry]));
      for (const [address, since] of remembered) {
        const entry = table.get(address);
        if (entry?.confirmed) noteNeighbour(entry);
        if (!entry || knownHost(address) || Date.now() - since > REMEMBERED_RECHECK_MS) remembered.delete(address);
      }
    }
  };

  /**
   * Liveness, in two rounds. Round one: one connect per address makes the kernel resolve every
   * neighbour at once, and the neighbour table, polled meanwhile, names live on-link hosts within
   * a fraction of a second (as nmap's ARP ping does). Round two: addresses on a segment where
   * nobody answered at layer 2 (a routed subnet) get the other liveness ports.
   */
  const sweep = async () => {
    const total = config.targets.addresses.length;
    let done = 0;
    const pending = new Map<string, AbortController>();
    const onLink = new Set<string>();
    const segment = (address: string) => address.slice(0, address.lastIndexOf('.'));
    let sweeping = true;
    const poll = async () => {
      while (sweeping && !signal.aborted) {
        await clock.sleep(NEIGHBOUR_POLL_MS, signal);
        for (const entry of await net.neighbours()) {
          if (!inScopeAddress(entry.address)) continue;
          noteNeighbour(entry);
          if (!entry.confirmed) continue;
          onLink.add(segment(entry.address));
          pending.get(entry.address)?.abort();
        }
      }
    };
    /** True when the address is live; ports are tried in parallel, the first answer ends the rest. */
    const knock = async (address: string, ports: readonly number[]): Promise<boolean> => {
      const found = new AbortController();
      pending.set(address, found);
      const onAbort = () => found.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      await Promise.all(
        ports.map((port) =>
          knocks(async () => {
            if (found.signal.aborted) return;
            const result = await net.connectTcp(address, port, { timeoutMs: config.livenessTimeoutMs, signal: found.signal });
            // A refused connection is a live host too.
            if (result.ok || result.status === 'connection-refused') {
              if (result.ok) result.conn.close();
              foundHost(address, 'tcp');
              found.abort();
            }
          }),
        ),
      );
      signal.removeEventListener('abort', onAbort);
      pending.delete(address);
      return hosts.has(address);
    };
    const [first = 80, ...others] = LIVENESS_PORTS.filter((port) => !neverTcp.has(port));
    const polling = poll();
    const unanswered: string[] = [];
    await Promise.all(
      config.targets.addresses.map(async (address) => {
        if (!(await knock(address, [first]))) unanswered.push(address);
        else emit({ type: 'progress', phase: 'discover', done: ++done, total });
      }),
    );
    await Promise.all(
      unanswered.map(async (address) => {
        // On a segment whose neighbours answered at layer 2, silence means nobody is there, unless
        // the address has a remembered entry: a device that drops port 80 may still be there.
        if ((!onLink.has(segment(address)) || remembered.has(address)) && !signal.aborted) await knock(address, others);
        emit({ type: 'progress', phase: 'discover', done: ++done, total });
      }),
    );
    sweeping = false;
    await polling;
  };

  const discoveryProbes = deps.probes.filter((p): p is DiscoveryProbe => p.kind === 'discovery');
  await Promise.all([sweep().finally(() => livenessDone.resolve()), ...discoveryProbes.map(runDiscoveryProbe)]);
  // Every live neighbour is resolved by now, including discovery responders the sweep skipped.
  for (const entry of await net.neighbours()) if (inScopeAddress(entry.address)) noteNeighbour(entry);
  discoveryDone.resolve();
  hostTasks.push(settleRememberedNeighbours());
  // Host pipelines may start more hosts while running; wait until none is left.
  for (let settled = 0; settled < hostTasks.length; ) {
    const batch = hostTasks.slice(settled);
    settled = hostTasks.length;
    await Promise.all(batch);
  }
  const devices = mergeDevices([...hosts.values()], emit);
  for (const { address, finding } of judgeSharedKeys(devices, pack)) emit({ type: 'finding', address, finding });
  emit({ type: 'run-finished', status: signal.aborted ? 'interrupted' : 'completed', finishedAt: clock.now().toISOString() });
}

/**
 * One host per device: addresses whose pipelines found the same strong key (vendor MAC, UDN,
 * serial, TXT id) are merged into the lowest address. Returns each device with all its evidence.
 */
function mergeDevices(states: readonly HostState[], emit: (event: ScanEvent) => void): { address: string; observations: Observation[] }[] {
  const ordered = [...states].sort((a, b) => compareAddresses(a.address, b.address));
  const ownerOfKey = new Map<string, HostState>();
  const deviceOf = new Map<HostState, HostState>();
  for (const state of ordered) {
    const keys = deviceKeys(state.fields, state.mac).strong;
    const owner = keys.map((key) => ownerOfKey.get(key)).find((found) => found !== undefined);
    const device = owner === undefined ? state : (deviceOf.get(owner) ?? owner);
    deviceOf.set(state, device);
    for (const key of keys) if (!ownerOfKey.has(key)) ownerOfKey.set(key, device);
  }
  const evidence = new Map<HostState, Observation[]>();
  for (const state of ordered) {
    const device = deviceOf.get(state) ?? state;
    evidence.set(device, [...(evidence.get(device) ?? []), ...state.observations]);
    if (device === state) continue;
    emit({ type: 'host-merged', address: state.address, into: device.address });
    if (device.described && state.described) {
      const addresses = [...new Set([...device.described.addresses, ...state.described.addresses])];
      const keys = [...new Set([...device.described.keys, ...state.described.keys])].sort();
      device.described = { ...device.described, addresses, keys, names: [...new Set([...device.described.names, ...state.described.names])] };
      emit({ type: 'host-identified', address: device.address, host: device.described });
    }
  }
  return [...evidence].map(([device, observations]) => ({ address: device.address, observations }));
}
