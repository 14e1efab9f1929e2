// `npm run bench`: iotscan against nmap in one run, from the lab's scanner namespace, on the same
// network: wall time, the ratio nmap / iotscan, recall of the lab's truth and peak memory.
//
//   npm run bench                      the lab's devices: iotscan (discovery only, plain and
//                                      --check-credentials) versus nmap -sT -T4 -sV on the same
//                                      ports, and the time the checks add to the discovery scan
//   npm run bench -- --hosts N[,M...]  the lab plus N light crowd hosts (src/lab/crowd.ts):
//                                      (1) discovery + port scan: iotscan --profile discovery versus
//                                          nmap -sn, then nmap -sT -T4 --top-ports 100 on what it found
//                                      (2) full identification: iotscan scan versus
//                                          nmap -sT -sV -T4 on the ports iotscan scans
//                                      several sizes print a per-host table to judge growth
//
// Every step is time-bounded; the lab is taken down at the end, on failure and on Ctrl-C.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseNmapXml } from '../src/engine/nmap-xml.js';
import { IOT_PORTS } from '../src/engine/ports.js';
import { CROWD_CAPACITY, crowdLayout, crowdTargets } from '../src/lab/crowd.js';
import { labDown, labUp } from '../src/lab/lab.js';
import { LAB_DEVICES, LAB_SUBNET } from '../src/lab/registry.js';
import type { ScanDocument } from '../src/report/json.js';
import { loadSignatures } from '../src/signatures/load.js';
import { GNU_TIME, hasGnuTime, runInScanner, type Measured } from './measure.js';
import { labTruth, type LabTruth } from './truth.js';

const cli = fileURLToPath(new URL('../../bin/iotscan.js', import.meta.url));
const STEP_TIMEOUT_MS = 10 * 60_000;
/** nmap -sV over a /22 takes minutes; every step still ends. */
const CROWD_STEP_TIMEOUT_MS = (hosts: number) => STEP_TIMEOUT_MS + hosts * 1_000;

const neverProbe = new Set(loadSignatures().neverProbe.filter((p) => p.transport === 'tcp').map((p) => p.port));
/** The TCP ports iotscan's port scan tries. */
const iotscanPorts = [...IOT_PORTS.keys()].filter((port) => !neverProbe.has(port));

interface Outcome {
  label: string;
  seconds: number;
  peakKiB: number | undefined;
  hosts: Set<string>;
  open: Set<string>;
  versions: number;
  findings?: Set<string>;
  /** Why the figures are missing or partial. */
  failure?: string;
}

class Interrupted extends Error {}

function failureOf(run: Measured): string | undefined {
  if (run.stopped !== undefined) return run.stopped;
  if (run.code !== 0) return `exit code ${String(run.code)}: ${run.stderrTail.trim().split('\n').pop() ?? ''}`;
  return undefined;
}

/** `judged`: the run judged findings (a discovery-only run has none to count). */
function iotscanOutcome(label: string, run: Measured, judged = true): Outcome {
  const base = { label, seconds: run.seconds, peakKiB: run.peakKiB, hosts: new Set<string>(), open: new Set<string>(), versions: 0 };
  const failure = failureOf(run);
  if (failure !== undefined) return { ...base, failure };
  let doc: ScanDocument;
  try {
    doc = JSON.parse(run.stdout) as ScanDocument;
  } catch {
    return { ...base, failure: 'output is not JSON' };
  }
  return {
    ...base,
    hosts: new Set(doc.hosts.flatMap((h) => h.addresses)),
    open: new Set(doc.hosts.flatMap((h) => h.services.filter((s) => s.transport === 'tcp').map((s) => `${h.addresses[0] ?? ''}:${s.port}`))),
    versions: doc.hosts.flatMap((h) => h.services).filter((s) => s.version !== null).length,
    ...(judged && { findings: new Set(doc.hosts.flatMap((h) => h.findings.map((f) => `${h.addresses[0] ?? ''} ${f.check} ${String(f.port)}`))) }),
  };
}

function nmapOutcome(label: string, runs: Measured[]): Outcome {
  const seconds = runs.reduce((sum, run) => sum + run.seconds, 0);
  const peaks = runs.map((run) => run.peakKiB).filter((peak): peak is number => peak !== undefined);
  const base = { label, seconds, peakKiB: peaks.length > 0 ? Math.max(...peaks) : undefined, hosts: new Set<string>(), open: new Set<string>(), versions: 0 };
  for (const run of runs) {
    const failure = failureOf(run);
    if (failure !== undefined) return { ...base, failure };
  }
  const last = runs[runs.length - 1];
  try {
    // The hosts come from the first run (host discovery), the ports from the last.
    for (const host of parseNmapXml(runs[0]?.stdout ?? '')) for (const address of host.addresses) base.hosts.add(address);
    for (const host of parseNmapXml(last?.stdout ?? '')) {
      for (const port of host.ports) {
        if (port.protocol !== 'tcp') continue;
        base.open.add(`${host.addresses[0] ?? ''}:${port.port}`);
        if (port.version !== undefined) base.versions++;
      }
    }
  } catch (error) {
    return { ...base, failure: error instanceof Error ? error.message : String(error) };
  }
  return base;
}

const recall = (seen: Set<string>, truth: readonly string[]) => `${truth.filter((t) => seen.has(t)).length}/${truth.length}`;
const mib = (kib: number | undefined) => (kib === undefined ? 'n/a' : `${(kib / 1024).toFixed(1)} MiB`);

function line(outcome: Outcome, truth: LabTruth): string {
  const cells = [
    outcome.label.padEnd(46),
    `${outcome.seconds.toFixed(2).padStart(8)} s`,
    `hosts ${recall(outcome.hosts, truth.hosts).padStart(9)}`,
    `open ports ${recall(outcome.open, truth.openPorts).padStart(9)}`,
    `versions ${String(outcome.versions).padStart(4)}`,
    `peak ${mib(outcome.peakKiB).padStart(10)}`,
    ...(outcome.findings ? [`findings ${recall(outcome.findings, truth.findings)}`] : []),
    ...(outcome.failure ? [`FAILED: ${outcome.failure}`] : []),
  ];
  return `  ${cells.join('  ')}`;
}

/** What a tool missed of the truth, a few examples each, so a shortfall can be looked into. */
function missed(outcome: Outcome, truth: LabTruth): string | undefined {
  const parts = (
    [
      ['hosts', outcome.hosts, truth.hosts],
      ['ports', outcome.open, truth.openPorts],
    ] as const
  ).flatMap(([name, seen, all]) => {
    const lost = all.filter((item) => !seen.has(item));
    return lost.length === 0 ? [] : [`${name} ${lost.slice(0, 6).join(' ')}${lost.length > 6 ? ` (+${lost.length - 6})` : ''}`];
  });
  return outcome.failure === undefined && parts.length > 0 ? `    missed ${parts.join('; ')}` : undefined;
}

function report(outcome: Outcome, truth: LabTruth): void {
  print(line(outcome, truth));
  const lost = missed(outcome, truth);
  if (lost !== undefined) print(lost);
}

/**
 * The kernel's IPv4 neighbour table is one table for the whole machine (every namespace), capped
 * by gc_thresh3. A sweep that resolves more live hosts than that within a few seconds overflows it.
 */
function neighbourTableNote(liveHosts: number): string | undefined {
  const limit = Number(readFileSync('/proc/sys/net/ipv4/neigh/default/gc_thresh3', 'utf8'));
  if (!Number.isInteger(limit) || liveHosts + 64 <= limit) return undefined;
  return (
    `note: the kernel's neighbour (ARP) table holds ${limit} entries for the whole machine (net.ipv4.neigh.default.gc_thresh3, ` +
    `shared by every namespace); ${liveHosts} live hosts overflow it, and a connect() to a host that finds no room fails. ` +
    `nmap -sn sends raw ARP and is not affected. To measure without this limit: sysctl -w net.ipv4.neigh.default.gc_thresh3=4096 in the root namespace.`
  );
}

const ratio = (nmap: Outcome, iotscan: Outcome) =>
  `  ratio nmap / iotscan: ${(nmap.seconds / iotscan.seconds).toFixed(2)}x (iotscan is ${nmap.seconds > iotscan.seconds ? 'faster' : 'slower'})`;

const print = (text: string) => process.stdout.write(`${text}\n`);

/** True when the iotscan CLI offers `--profile discovery` (the port scan without identification). */
function cliHasDiscoveryProfile(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, '--help'], { timeout: 10_000 }, (_error, stdout) => resolve(/--profile[^\n]*discovery/.test(String(stdout))));
  });
}

async function measured(argv: string[], timeoutMs: number, signal: AbortSignal): Promise<Measured> {
  const run = await runInScanner(argv, { timeoutMs, signal });
  if (signal.aborted) throw new Interrupted();
  return run;
}

const iotscan = (targets: string[], extra: string[], timeoutMs: number, signal: AbortSignal) =>
  measured([process.execPath, cli, 'scan', ...targets, '--format', 'json', '--no-history', ...extra], timeoutMs, signal);

async function defaultRun(signal: AbortSignal): Promise<void> {
  await labUp();
  const truth = await labTruth([]);
  // Ports the lab listens on outside iotscan's list (learned from UPnP, mDNS) are given to nmap too.
  const ports = [...new Set([...iotscanPorts, ...truth.openPorts.map((p) => Number(p.split(':')[1]))])].sort((a, b) => a - b);
  const discovery = iotscanOutcome('iotscan scan --profile discovery', await iotscan([LAB_SUBNET], ['--profile', 'discovery'], STEP_TIMEOUT_MS, signal), false);
  const plain = iotscanOutcome('iotscan scan --format json', await iotscan([LAB_SUBNET], [], STEP_TIMEOUT_MS, signal));
  const withCredentials = iotscanOutcome('iotscan scan --check-credentials', await iotscan([LAB_SUBNET], ['--check-credentials'], STEP_TIMEOUT_MS, signal));
  const peer = nmapOutcome(`nmap -sT -T4 -sV (${ports.length} ports)`, [
    await measured(['nmap', '-sT', '-T4', '-sV', '-n', '-p', ports.join(','), '-oX', '-', LAB_SUBNET], STEP_TIMEOUT_MS, signal),
  ]);
  print(`lab: ${LAB_DEVICES.length} devices on ${LAB_SUBNET}; truth: ${truth.hosts.length} hosts, ${truth.openPorts.length} open TCP ports, ${truth.findings.length} findings`);
  for (const outcome of [discovery, plain, withCredentials, peer]) report(outcome, truth);
  print(ratio(peer, plain));
  print(`  time identification and the checks add to discovery: ${(plain.seconds - discovery.seconds).toFixed(2)} s without credentials, ${(withCredentials.seconds - discovery.seconds).toFixed(2)} s with them`);
  print(`  time the credential checks add: ${(withCredentials.seconds - plain.seconds).toFixed(2)} s`);
}

interface SizeFigures {
  hosts: number;
  discovery: [Outcome, Outcome];
  identification: [Outcome, Outcome];
}

async function crowdRun(count: number, discoveryProfile: boolean, signal: AbortSignal): Promise<SizeFigures> {
  const crowd = crowdLayout(count);
  const targets = crowdTargets(crowd, LAB_SUBNET);
  const upStarted = Date.now();
  const status = await labUp({ extraHosts: count });
  const upSeconds = (Date.now() - upStarted) / 1000;
  const truth = await labTruth(crowd);
  const timeoutMs = CROWD_STEP_TIMEOUT_MS(truth.hosts.length);
  const ports = [...new Set([...iotscanPorts, ...truth.openPorts.map((p) => Number(p.split(':')[1]))])].sort((a, b) => a - b);
  print('');
  print(
    `lab: ${LAB_DEVICES.length} devices + ${count} crowd hosts (${status.crowd?.listening ?? 0} listening) on ${targets.join(' ')}; labUp ${upSeconds.toFixed(1)} s`,
  );
  print(`truth: ${truth.hosts.length} hosts, ${truth.openPorts.length} open TCP ports`);
  const note = neighbourTableNote(truth.hosts.length);
  if (note !== undefined) print(note);

  print('(1) discovery + port scan');
  const discoveryArgs = discoveryProfile ? ['--profile', 'discovery'] : [];
  const iotscanDiscovery = iotscanOutcome(`iotscan scan ${discoveryProfile ? '--profile discovery' : '(full: no discovery profile)'}`, await iotscan(targets, discoveryArgs, timeoutMs, signal), !discoveryProfile);
  const sweep = await measured(['nmap', '-sn', '-n', '-oX', '-', ...targets], timeoutMs, signal);
  const found = failureOf(sweep) === undefined ? parseNmapXml(sweep.stdout).flatMap((host) => host.addresses.slice(0, 1)) : [];
  const directory = await mkdtemp(join(tmpdir(), 'iotscan-bench-'));
  let nmapDiscovery: Outcome;
  try {
    const list = join(directory, 'hosts');
    await writeFile(list, `${found.join('\n')}\n`);
    const portScan = found.length > 0 ? [await measured(['nmap', '-sT', '-T4', '-n', '--top-ports', '100', '-oX', '-', '-iL', list], timeoutMs, signal)] : [];
    nmapDiscovery = nmapOutcome(`nmap -sn + nmap -sT -T4 --top-ports 100`, [sweep, ...portScan]);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
  report(iotscanDiscovery, truth);
  report(nmapDiscovery, truth);
  print(ratio(nmapDiscovery, iotscanDiscovery));

  print('(2) full identification');
  const iotscanFull = iotscanOutcome('iotscan scan --format json', await iotscan(targets, [], timeoutMs, signal));
  const nmapFull = nmapOutcome(`nmap -sT -sV -T4 (${ports.length} ports)`, [
    await measured(['nmap', '-sT', '-sV', '-T4', '-n', '-p', ports.join(','), '-oX', '-', ...targets], timeoutMs, signal),
  ]);
  report(iotscanFull, truth);
  report(nmapFull, truth);
  print(ratio(nmapFull, iotscanFull));

  const perHost = (outcome: Outcome) =>
    `${outcome.label.split(' (')[0]?.padEnd(44)} ${((outcome.seconds * 1000) / truth.hosts.length).toFixed(1).padStart(7)} ms/host  ${outcome.peakKiB === undefined ? 'n/a' : `${(outcome.peakKiB / truth.hosts.length).toFixed(0).padStart(6)} KiB/host`}`;
  print(`per host (${truth.hosts.length} hosts):`);
  for (const outcome of [iotscanDiscovery, nmapDiscovery, iotscanFull, nmapFull]) print(`  ${perHost(outcome)}`);
  return { hosts: truth.hosts.length, discovery: [iotscanDiscovery, nmapDiscovery], identification: [iotscanFull, nmapFull] };
}

function printGrowth(sizes: SizeFigures[]): void {
  print('');
  print('growth (time per host, peak memory):');
  print(`  ${'hosts'.padStart(6)}  ${'iotscan discovery'.padEnd(24)}${'nmap discovery'.padEnd(24)}${'iotscan full'.padEnd(24)}${'nmap -sV'.padEnd(24)}`);
  const cell = (outcome: Outcome, hosts: number) => `${((outcome.seconds * 1000) / hosts).toFixed(1)} ms ${mib(outcome.peakKiB)}`.padEnd(24);
  for (const size of sizes) {
    print(`  ${String(size.hosts).padStart(6)}  ${[...size.discovery, ...size.identification].map((outcome) => cell(outcome, size.hosts)).join('')}`);
  }
}

function parseSizes(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const sizes = value.split(',').map((part) => Number(part.trim()));
  const wrong = sizes.find((size) => !Number.isInteger(size) || size < 1 || size > CROWD_CAPACITY);
  if (wrong !== undefined) throw new Error(`--hosts takes whole numbers from 1 to ${CROWD_CAPACITY} (comma-separated), not "${value}"`);
  return sizes;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { hosts: { type: 'string' } }, strict: true });
  const sizes = parseSizes(values.hosts);
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  print(
    hasGnuTime()
      ? `peak memory: ${GNU_TIME} -f %M (the largest resident set of any process in the tool's tree)`
      : `peak memory: n/a (${GNU_TIME} is missing: install the Debian package "time")`,
  );
  try {
    if (sizes === undefined) {
      await defaultRun(controller.signal);
      return 0;
    }
    const discoveryProfile = await cliHasDiscoveryProfile();
    if (!discoveryProfile) print('note: this iotscan has no --profile discovery; step (1) runs the full scan');
    const figures: SizeFigures[] = [];
    for (const size of sizes) figures.push(await crowdRun(size, discoveryProfile, controller.signal));
    if (figures.length > 1) printGrowth(figures);
    return 0;
  } catch (error) {
    if (error instanceof Interrupted) {
      process.stderr.write('bench: interrupted\n');
      return 130;
    }
    throw error;
  } finally {
    await labDown();
    process.removeListener('SIGINT', interrupt);
    process.removeListener('SIGTERM', interrupt);
  }
}

process.exitCode = await main();
