// The optional nmap engine (`--engine nmap`): nmap's service detection on hosts iotscan already
// found, its XML read by nmap-xml.ts. nmap is spawned with an argument array (never a shell), on
// addresses and port numbers checked here, bounded in time and output size, and killed by its PID
// when the scan is aborted.
import { execFile, spawn } from 'node:child_process';
import { isIpv4, isIpv6 } from '../core/policy.js';
import { printable } from '../core/sanitize.js';
import { MAX_NMAP_XML_BYTES, NmapXmlError, parseNmapXml, type NmapHost } from './nmap-xml.js';

export { nmapObservations, parseNmapXml, type NmapHost, type NmapObservation, type NmapPort } from './nmap-xml.js';

const VERSION_TIMEOUT_MS = 5_000;
/** -sV on a few hosts takes tens of seconds; a silent service can hold a probe for several. */
const DEFAULT_TIMEOUT_MS = 10 * 60_000;
const KILL_GRACE_MS = 2_000;
const MAX_STDERR_BYTES = 4096;

export interface NmapRunOptions {
  timeoutMs?: number;
  /** The program to run; `nmap` from PATH by default. */
  command?: string;
}

/** True when an nmap that answers `--version` is on PATH. */
export function nmapAvailable(command = 'nmap'): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(command, ['--version'], { timeout: VERSION_TIMEOUT_MS, maxBuffer: 64 * 1024 }, (error, stdout) => {
      resolve(error === null && /^Nmap version \d/m.test(String(stdout)));
    });
  });
}

/** `22,80,443`: deduplicated and sorted; undefined when a port is not a whole number from 1 to 65535. */
function portList(ports: readonly number[]): string | undefined {
  if (ports.some((port) => !Number.isInteger(port) || port < 1 || port > 65_535)) return undefined;
  return [...new Set(ports)].sort((a, b) => a - b).join(',');
}

/** Runs one nmap process; resolves with its XML, or an error line. */
function runNmap(command: string, args: string[], signal: AbortSignal, timeoutMs: number): Promise<string | { error: string }> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve({ error: 'aborted before nmap started' });
      return;
    }
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let stderr = '';
    let stopReason: string | undefined;
    let killTimer: NodeJS.Timeout | undefined;

    const stop = (reason: string) => {
      if (stopReason !== undefined) return;
      stopReason = reason;
      if (child.pid === undefined) return;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    };
    const onAbort = () => stop('aborted');
    const timer = setTimeout(() => stop(`nmap did not finish within ${Math.round(timeoutMs / 1000)} s`), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_NMAP_XML_BYTES) stop(`nmap output larger than ${MAX_NMAP_XML_BYTES} bytes`);
      else chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_STDERR_BYTES) stderr += chunk.toString('utf8', 0, MAX_STDERR_BYTES - stderr.length);
    });
    const finish = (result: string | { error: string }) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    child.once('error', (error) => finish({ error: `nmap could not be started: ${printable(error.message, 200)}` }));
    child.once('close', (code) => {
      if (stopReason !== undefined) finish({ error: stopReason });
      else if (code !== 0) finish({ error: `nmap exited with code ${String(code)}: ${printable(stderr.split('\n').find((line) => line.trim() !== '') ?? '', 200)}` });
      else finish(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/**
 * nmap -sT -sV -T4 on the given hosts and ports. The hosts are already known to be up, so nmap's
 * own host discovery is skipped (-Pn); no DNS (-n). IPv4 and IPv6 hosts are scanned in two runs,
 * as nmap takes one family per run.
 */
export async function runNmapPortScan(
  targets: readonly string[],
  ports: readonly number[],
  signal: AbortSignal,
  options: NmapRunOptions = {},
): Promise<NmapHost[] | { error: string }> {
  const invalid = targets.find((target) => !isIpv4(target) && !isIpv6(target));
  if (invalid !== undefined) return { error: `not an IP address: ${printable(invalid, 60)}` };
  const list = portList(ports);
  if (list === undefined || list === '') return { error: 'nmap needs at least one port, each a whole number from 1 to 65535' };
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const families = [targets.filter(isIpv4), targets.filter((target) => !isIpv4(target))];
  const hosts: NmapHost[] = [];
  for (const [index, family] of families.entries()) {
    if (family.length === 0) continue;
    const args = ['-sT', '-sV', '-T4', '-Pn', '-n', ...(index === 1 ? ['-6'] : []), '-p', list, '-oX', '-', ...family];
    const output = await runNmap(options.command ?? 'nmap', args, signal, Math.max(0, deadline - Date.now()));
    if (typeof output !== 'string') return output;
    try {
      hosts.push(...parseNmapXml(output));
    } catch (error) {
      if (error instanceof NmapXmlError) return { error: error.message };
      throw error;
    }
  }
  return hosts;
}

type PerHost<T> = (address: string, ports: readonly number[], signal: AbortSignal) => Promise<T | { error: string }>;

/**
 * One nmap for many hosts: hosts arrive one by one as discovery finds them, so requests are
 * gathered for a short window (or until the batch is full) and each batch is one nmap run, which
 * schedules its probes across the hosts itself instead of one nmap process per host.
 */
export function batchedNmapScanner<T>(
  scan: (targets: readonly string[], ports: readonly number[], signal: AbortSignal) => Promise<NmapHost[] | { error: string }>,
  perHost: (host: NmapHost) => T,
  options: { windowMs: number; maxBatch: number },
): PerHost<T> {
  type Waiting = { address: string; resolve: (result: T | { error: string }) => void };
  let batch: { waiting: Waiting[]; ports: readonly number[]; signal: AbortSignal; timer: ReturnType<typeof setTimeout> } | undefined;
  const flush = (): void => {
    if (batch === undefined) return;
    const { waiting, ports, signal, timer } = batch;
    batch = undefined;
    clearTimeout(timer);
    const answer = (result: NmapHost[] | { error: string }): void => {
      for (const w of waiting) {
        if ('error' in result) {
          w.resolve(result);
          continue;
        }
        const host = result.find((h) => h.addresses.includes(w.address));
        w.resolve(host === undefined ? { error: 'nmap did not report this host' } : perHost(host));
      }
    };
    scan(
      waiting.map((w) => w.address),
      ports,
      signal,
    ).then(answer, (error: unknown) => answer({ error: `nmap failed: ${printable(error instanceof Error ? error.message : String(error), 200)}` }));
  };
  return (address, ports, signal) =>
    new Promise((resolve) => {
      // A batch is one nmap command line: every host in it is scanned on the same ports.
      if (batch !== undefined && (batch.signal !== signal || batch.ports.join() !== ports.join())) flush();
      batch ??= { waiting: [], ports, signal, timer: setTimeout(flush, options.windowMs) };
      batch.waiting.push({ address, resolve });
      if (batch.waiting.length >= options.maxBatch) flush();
    });
}
