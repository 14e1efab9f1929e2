// The one place that wires everything together: arguments in, exit code out. A user's mistake
// gets one clear line and a non-zero exit, never a stack trace.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { ScanEvent } from '../core/events.js';
import { SignatureError } from '../core/match.js';
import { DEFAULT_ATTEMPTS_PER_SERVICE, MAX_ATTEMPTS_PER_SERVICE } from '../core/plan.js';
import { DEFAULT_MAX_ADDRESSES, TargetError, defaultTargetSpecs, linkLocalZonesInScope, onLinkIpv6Prefixes, resolveTargets } from '../core/policy.js';
import { initialScanState, reduceScan } from '../core/reduce.js';
import { systemClock } from '../engine/concurrency.js';
import { declaredFields } from '../engine/fields.js';
import { runScan, type ScanConfig } from '../engine/run-scan.js';
import { batchedNmapScanner, nmapAvailable, nmapObservations, runNmapPortScan } from '../engine/nmap.js';
import { JUDGED_CHECKS } from '../core/judge.js';
import { createNodeNet } from '../net/node-net.js';
import { lookupMacVendor } from '../net/oui.js';
import { LabError } from '../lab/namespaces.js';
import { toScanDocument } from '../report/json.js';
import { toNdjsonLine } from '../report/ndjson.js';
import { renderText } from '../report/text.js';
import { renderDiff } from '../report/diff-text.js';
import { diffScans } from '../core/diff.js';
import { printable } from '../core/sanitize.js';
import { defaultDbPath, openStore, type Store } from '../store/store.js';
import { defaultSignatureCacheDir, loadSignatures } from '../signatures/load.js';
import { lintPack } from '../signatures/lint.js';
import { CREDENTIAL_DRIVERS, PAGE_CHECKS, PROBES } from '../../probes/index.js';
import { importedSetFor, VULNS_USAGE, vulnsCommand } from './vulns-command.js';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The catalogue's example for no-bruteforce-protection: ten failed logins, then look for a delay or lockout. */
const LOCKOUT_ATTEMPTS = 10;

const USAGE = `iotscan: see what your home network exposes

  iotscan scan [TARGET...]     scan your own network (default: the private subnets of this machine)
      --format tui|text|json|ndjson   output (default: tui on a terminal, text otherwise)
      --check-credentials     also try a few published default passwords (only on your own devices)
      --dry-run               with --check-credentials: list which logins would be tried, try none
      --consent               confirm these are your devices (the live view asks otherwise, once per network)
      --check-lockout         with --check-credentials: send ${LOCKOUT_ATTEMPTS} wrong logins (a made-up user) to up to two
                              login services per device to see whether they slow guessing down; it can
                              trip a device's lockout for a while, so use it only on your own network
      --attempts N            login attempts per service with --check-credentials (default ${DEFAULT_ATTEMPTS_PER_SERVICE}, at most ${MAX_ATTEMPTS_PER_SERVICE})
      --profile full|discovery   discovery: only find devices and open ports (default: full)
      --engine builtin|nmap   who scans ports: iotscan itself (default) or an installed nmap (-sT -sV)
      --allow-public          allow targets outside private, link-local and loopback ranges
      --max-hosts N           refuse targets larger than N addresses (default ${DEFAULT_MAX_ADDRESSES})
      --db PATH               history database (default: $XDG_DATA_HOME/iotscan/history.db)
      --no-history            do not record this scan
  iotscan history [--limit N] [--db PATH]      list past scans
  iotscan diff [OLD NEW] [--db PATH]          what changed between two scans (default: the last two)
  iotscan label HOST NAME [--db PATH]         name a device (HOST: address, MAC or device id); kept across scans
  iotscan lab up|down|status                  the virtual home network (needs root and iproute2)
  iotscan lab exec -- COMMAND...              run a command inside the lab's scanner namespace
  iotscan demo                                lab up, scan it live, lab down
  iotscan signatures lint                     validate the signature pack
${VULNS_USAGE}

TARGET is an IPv4 address (192.168.1.20), a range (192.168.1.10-50) or a CIDR block (192.168.1.0/24).`;

function toolVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function parse(args: string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional.*$/s, ''));
  }
}

function positiveInteger(value: unknown, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'string') return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new UsageError(`${name} takes a whole number from 1 up, not "${value}"`);
  if (number > max) throw new UsageError(`${name} is at most ${max}`);
  return number;
}

const FORMATS = ['tui', 'text', 'json', 'ndjson'] as const;
type Format = (typeof FORMATS)[number];

async function scanCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    format: { type: 'string' },
    'check-credentials': { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    'check-lockout': { type: 'boolean' },
    consent: { type: 'boolean' },
    engine: { type: 'string' },
    profile: { type: 'string' },
    attempts: { type: 'string' },
    'allow-public': { type: 'boolean' },
    'max-hosts': { type: 'string' },
    db: { type: 'string' },
    'no-history': { type: 'boolean' },
  });
  const formatValue = (values.format as string | undefined) ?? (process.stdout.isTTY ? 'tui' : 'text');
  if (!(FORMATS as readonly string[]).includes(formatValue)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, not "${formatValue}"`);
  const format = formatValue as Format;

  let specs = positionals;
  if (specs.length === 0) {
    const found = defaultTargetSpecs(Object.values(networkInterfaces()).flatMap((list) => list ?? []));
    if (found.specs.length === 0) throw new UsageError('found no private network on this machine\'s interfaces; give a target such as 192.168.1.0/24');
    for (const wide of found.narrowed) process.stderr.write(`iotscan: ${wide} is large; scanning only the /24 around this machine (give the range explicitly to scan more)\n`);
    specs = found.specs;
  }
  const targets = resolveTargets(specs, {
    allowPublic: values['allow-public'] === true,
    maxAddresses: positiveInteger(values['max-hosts'], '--max-hosts', DEFAULT_MAX_ADDRESSES),
  });
  const engine = (values.engine as string | undefined) ?? 'builtin';
  if (engine !== 'builtin' && engine !== 'nmap') throw new UsageError(`--engine must be builtin or nmap, not "${engine}"`);
  if (engine === 'nmap' && !(await nmapAvailable())) throw new UsageError('--engine nmap needs nmap, which was not found on PATH (Debian: apt install nmap)');
  const depth = (values.profile as string | undefined) ?? 'full';
  const store = values['no-history'] === true ? undefined : openStore((values.db as string | undefined) ?? defaultDbPath());
  if (depth !== 'full' && depth !== 'discovery') throw new UsageError(`--profile must be full or discovery, not "${depth}"`);
  if (values['dry-run'] === true && values['check-credentials'] !== true) throw new UsageError('--dry-run lists credential checks: use it with --check-credentials');
  if (values['check-lockout'] === true && (values['check-credentials'] !== true || values['dry-run'] === true)) {
    throw new UsageError('--check-lockout sends wrong logins: use it with --check-credentials and without --dry-run');
  }
  let credentials: ScanConfig['credentials'] = values['check-credentials'] !== true ? 'off' : values['dry-run'] === true ? 'dry-run' : 'try';
  const attemptsPerService = positiveInteger(values.attempts, '--attempts', DEFAULT_ATTEMPTS_PER_SERVICE, MAX_ATTEMPTS_PER_SERVICE);
  if (credentials === 'try' && format === 'tui' && values.consent !== true) credentials = (await consentGiven(store, targets.specs, attemptsPerService)) ? 'try' : 'off';
  const linkLocalZones = zonesInside(targets.addresses);
  const lockoutAttempts = values['check-lockout'] === true && credentials === 'try' ? LOCKOUT_ATTEMPTS : 0;
  const pack = loadSignatures(undefined, { cacheDir: defaultSignatureCacheDir(), imported: importedSetFor(values.db as string | undefined) });
  const config: ScanConfig = {
    runId: randomUUID(),
    targets,
    profile: `${depth === 'discovery' ? 'discovery' : credentials === 'off' ? 'default' : credentials === 'dry-run' ? 'default+credentials-dry-run' : 'default+credentials'}${lockoutAttempts > 0 ? '+lockout' : ''}${engine === 'nmap' ? '+nmap' : ''}`,
    toolVersion: toolVersion(),
    credentials,
    depth,
    linkLocalZones,
    onLinkIpv6Prefixes: onLinkIpv6Prefixes(namedInterfaces(), linkLocalZones),
    localAddresses: Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((entry) => entry.address)),
    attemptsPerService,
    attemptSpacingMs: 1000,
    lockoutAttempts,
    discoveryWindowMs: 2000,
    connectTimeoutMs: 1000,
    livenessTimeoutMs: 1250,
    readTimeoutMs: 2500,
    maxSockets: 256,
  };

  const controller = new AbortController();
  // Every socket of the scan listens to this one signal.
  setMaxListeners(0, controller.signal);
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const recordEvent = store?.recorder();
  const events = runScan(
    config,
    {
      net: createNodeNet(),
      pack,
      probes: PROBES,
      drivers: CREDENTIAL_DRIVERS,
      pageChecks: PAGE_CHECKS,
      clock: systemClock,
      macVendor: lookupMacVendor,
      ...(engine === 'nmap' && { portScanner: nmapPortScanner }),
    },
    controller.signal,
  );

  // One stream, several consumers: the store sees every event before the screen does. The history
  // also names each device: the same one as in earlier runs, whatever its address now.
  async function* recorded(): AsyncIterable<ScanEvent> {
    for await (const event of events) {
      const named = store && event.type === 'host-identified' ? { ...event, host: { ...event.host, ...store.resolveDevice(event.host.keys, new Date().toISOString()) } } : event;
      recordEvent?.(named);
      yield named;
    }
  }

  try {
    let state = initialScanState();
    if (format === 'tui') {
      // Ink and React take half a second to load: only the live view pays for them.
      const { renderScanApp } = await import('../tui/render-scan-app.js');
      state = await renderScanApp(recorded(), { abort: stop, practices: pack.practices });
    } else {
      for await (const event of recorded()) {
        if (format === 'ndjson') process.stdout.write(toNdjsonLine(event));
        state = reduceScan(state, event);
      }
      if (format === 'json') process.stdout.write(`${JSON.stringify(toScanDocument(state, pack), null, 2)}\n`);
      if (format === 'text') process.stdout.write(renderText(state, { knowledge: pack }));
    }
    if (state.status === 'failed') return 1;
    return state.status === 'interrupted' ? 130 : 0;
  } finally {
    // Normally the stream's run-finished already said so; this covers a scan that died abruptly.
    if (controller.signal.aborted) store?.markInterrupted(config.runId);
    store?.close();
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
}

/** nmap -sT -sV on one host, its results as observations (nmap.* fields). */
/** Hosts found within half a second share one nmap run (up to 64 of them). */
const nmapPortScanner = batchedNmapScanner(runNmapPortScan, nmapObservations, { windowMs: 500, maxBatch: 64 });

/**
 * The TUI asks once per network whether these are the user's own devices before logging in; the
 * answer is remembered in the history. Without a history it asks every time.
 */
async function consentGiven(store: Store | undefined, specs: readonly string[], attemptsPerService: number): Promise<boolean> {
  const setting = `credential-consent:${[...specs].sort().join(',')}`;
  if (store?.setting(setting) !== undefined) return true;
  const { askCredentialConsent } = await import('../tui/consent.js');
  const confirmed = await askCredentialConsent({ targets: specs, attemptsPerService });
  if (confirmed) store?.saveSetting(setting, new Date().toISOString());
  return confirmed;
}

/** Links whose IPv4 subnet the targets cover: IPv6 link-local neighbours there are the same home segment. */
function zonesInside(addresses: readonly string[]): string[] {
  return linkLocalZonesInScope(namedInterfaces(), addresses);
}

function namedInterfaces() {
  return Object.entries(networkInterfaces()).flatMap(([name, list]) => (list ?? []).map((entry) => ({ ...entry, name })));
}

function labelCommand(args: string[]): number {
  const { values, positionals } = parse(args, { db: { type: 'string' } });
  const [ref, ...words] = positionals;
  const label = printable(words.join(' ').trim(), 64);
  if (ref === undefined || label === '') throw new UsageError('label needs a device and a name: iotscan label 192.168.1.20 "Kitchen camera"');
  const store = openStore((values.db as string | undefined) ?? defaultDbPath());
  try {
    const deviceId = store.setLabel(ref, label);
    if (deviceId === undefined) throw new UsageError(`no device "${printable(ref, 64)}" in the history; scan first, then label it by its address, MAC or device id`);
    process.stdout.write(`${deviceId} is now "${label}"\n`);
    return 0;
  } finally {
    store.close();
  }
}

function diffCommand(args: string[]): number {
  const { values, positionals } = parse(args, { db: { type: 'string' }, format: { type: 'string' } });
  const format = (values.format as string | undefined) ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not "${format}"`);
  const store = openStore((values.db as string | undefined) ?? defaultDbPath());
  try {
    let [older, newer] = positionals;
    if (positionals.length === 0) {
      const runs = store.listRuns(2);
      if (runs.length < 2) throw new UsageError('diff needs two scans in the history; scan again later');
      [newer, older] = [runs[0]?.id, runs[1]?.id];
    } else if (positionals.length !== 2) {
      throw new UsageError('diff takes two scan ids (see iotscan history), or none for the last two');
    }
    const before = store.loadRunState(older ?? '');
    const after = store.loadRunState(newer ?? '');
    if (!before || !after) throw new UsageError(`no scan "${printable((before ? newer : older) ?? '', 64)}" in the history (see iotscan history)`);
    const changes = diffScans(before, after);
    process.stdout.write(format === 'json' ? `${JSON.stringify(changes, null, 2)}\n` : renderDiff(changes));
    return 0;
  } finally {
    store.close();
  }
}

function historyCommand(args: string[]): number {
  const { values } = parse(args, { limit: { type: 'string' }, db: { type: 'string' } });
  const store = openStore((values.db as string | undefined) ?? defaultDbPath());
  try {
    const runs = store.listRuns(positiveInteger(values.limit, '--limit', 20));
    if (runs.length === 0) {
      process.stdout.write(`no scans recorded yet in ${store.path}\n`);
      return 0;
    }
    for (const run of runs) {
      process.stdout.write(`${run.id}  ${run.startedAt}  ${run.status.padEnd(11)}  ${String(run.hosts).padStart(4)} hosts  ${String(run.findings).padStart(4)} findings  ${run.targets.join(' ')}\n`);
    }
    return 0;
  } finally {
    store.close();
  }
}

/**
 * The lab: its devices and their protocol servers (an MQTT broker among them) take a tenth of a
 * second or more to load, which only the lab commands pay.
 */
async function loadLab() {
  const [lab, registry] = await Promise.all([import('../lab/lab.js'), import('../lab/registry.js')]);
  return { ...lab, LAB_SUBNET: registry.LAB_SUBNET, SCANNER_NAMESPACE: registry.SCANNER_NAMESPACE };
}

async function labCommand(args: string[]): Promise<number> {
  const { labUp, labDown, labStatus, labExec, LAB_SUBNET } = await loadLab();
  const [action, ...rest] = args;
  switch (action) {
    case 'up': {
      const status = await labUp();
      process.stdout.write(`lab up: ${status.devices.length} devices on ${LAB_SUBNET}; scan it with: iotscan lab exec -- iotscan scan ${LAB_SUBNET}\n`);
      return 0;
    }
    case 'down':
      await labDown();
      process.stdout.write('lab down\n');
      return 0;
    case 'status': {
      const status = await labStatus();
      process.stdout.write(`lab ${status.up ? 'up' : 'down'}\n`);
      for (const device of status.devices) process.stdout.write(`  ${device.id.padEnd(12)} ${device.ipv4.padEnd(15)} ${device.alive ? 'running' : 'stopped'}\n`);
      const crowd = status.crowd;
      if (crowd !== undefined) process.stdout.write(`  ${'crowd'.padEnd(12)} ${crowd.block.padEnd(15)} ${crowd.alive ? 'running' : 'stopped'}: ${crowd.hosts} light hosts, ${crowd.listening} with a service\n`);
      return status.up ? 0 : 3;
    }
    case 'exec': {
      const command = rest[0] === '--' ? rest.slice(1) : rest;
      if (command.length === 0) throw new UsageError('lab exec needs a command: iotscan lab exec -- COMMAND...');
      return labExec(command);
    }
    default:
      throw new UsageError(`lab takes up, down, status or exec, not "${action ?? ''}"`);
  }
}

/** Lab up, a live scan from the scanner namespace, lab down on every way out (Ctrl-C too). */
async function demoCommand(args: string[]): Promise<number> {
  parse(args, {});
  const { checkLabPrerequisites, labUp, labDown, LAB_SUBNET, SCANNER_NAMESPACE } = await loadLab();
  const reason = checkLabPrerequisites();
  if (reason) throw new LabError(reason);
  process.stdout.write('Starting the virtual home network...\n');
  await labUp();
  const ignore = () => {};
  // Ctrl-C goes to the scan in the foreground; the demo stays alive to take the lab down.
  process.on('SIGINT', ignore);
  try {
    // The lab's devices are the project's own: consent is given for the trainer.
    const scanArgs = ['scan', LAB_SUBNET, '--check-credentials', '--consent', ...(process.stdout.isTTY ? [] : ['--format', 'text'])];
    return await new Promise<number>((resolve) => {
      const child = spawn('ip', ['netns', 'exec', SCANNER_NAMESPACE, process.execPath, new URL('../../../bin/iotscan.js', import.meta.url).pathname, ...scanArgs], { stdio: 'inherit' });
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 130 : 1)));
      child.on('error', () => resolve(1));
    });
  } finally {
    process.removeListener('SIGINT', ignore);
    await labDown();
    process.stdout.write('Virtual home network removed.\n');
  }
}

function signaturesCommand(args: string[]): number {
  if (args[0] !== 'lint') throw new UsageError('signatures takes: lint');
  const pack = loadSignatures();
  const problems = lintPack(pack, { declaredFields: declaredFields(), judgedChecks: JUDGED_CHECKS });
  for (const problem of problems) process.stderr.write(`${problem}\n`);
  process.stdout.write(
    `signatures ${pack.info.packVersion}: ${pack.fingerprints.length} fingerprints, ${pack.services.length} service rules, ${pack.credentials.length} credential sets, ${pack.versions.length} version rules, ${pack.practices.size} practices: ${problems.length === 0 ? 'ok' : `${problems.length} problems`}\n`,
  );
  return problems.length === 0 ? 0 : 1;
}

/** `iotscan ... | head`: a reader that stops reading ends the output, not with a stack trace. */
function quietOnClosedStdout(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

export async function main(argv: string[]): Promise<number> {
  quietOnClosedStdout();
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'scan':
        return await scanCommand(rest);
      case 'history':
        return historyCommand(rest);
      case 'diff':
        return diffCommand(rest);
      case 'label':
        return labelCommand(rest);
      case 'lab':
        return await labCommand(rest);
      case 'demo':
        return await demoCommand(rest);
      case 'signatures':
        return signaturesCommand(rest);
      case 'vulns':
        return await vulnsCommand(rest);
      case '--version':
        process.stdout.write(`${toolVersion()}\n`);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}" (try: iotscan --help)`);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof TargetError || error instanceof SignatureError || error instanceof LabError) {
      process.stderr.write(`iotscan: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
