// One measured command in the lab's scanner namespace: wall time, exit code, output, and the peak
// memory of the process tree. Peak memory comes from GNU time (`/usr/bin/time -f %M`): the largest
// resident set of any process of the tree it waited for, in KiB. Every run is bounded in time and
// killed by its process group (the group of the process this module started) on timeout or abort.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCANNER_NAMESPACE } from '../src/lab/registry.js';

export const GNU_TIME = '/usr/bin/time';
const MAX_STDOUT_BYTES = 256 * 1024 * 1024;
const KILL_GRACE_MS = 3_000;

export interface Measured {
  stdout: string;
  seconds: number;
  /** Exit code; null when killed. */
  code: number | null;
  /** Peak resident memory in KiB; undefined without GNU time. */
  peakKiB: number | undefined;
  /** Why the run was stopped (timeout, abort, output too large), if it was. */
  stopped?: string;
  stderrTail: string;
}

export const hasGnuTime = (): boolean => existsSync(GNU_TIME);

export async function runInScanner(argv: string[], options: { timeoutMs: number; signal: AbortSignal }): Promise<Measured> {
  const directory = await mkdtemp(join(tmpdir(), 'iotscan-bench-'));
  const rssFile = join(directory, 'rss');
  const wrapper = hasGnuTime() ? [GNU_TIME, '-f', '%M', '-o', rssFile] : [];
  try {
    const started = process.hrtime.bigint();
    const run = await new Promise<Omit<Measured, 'seconds' | 'peakKiB'>>((resolve) => {
      if (options.signal.aborted) {
        resolve({ stdout: '', code: null, stopped: 'interrupted', stderrTail: '' });
        return;
      }
      // Its own process group, so the whole tree (ip netns exec → time → tool) is stopped at once.
      const child = spawn('ip', ['netns', 'exec', SCANNER_NAMESPACE, ...wrapper, ...argv], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      const chunks: Buffer[] = [];
      let bytes = 0;
      let stderrTail = '';
      let stopped: string | undefined;
      let killTimer: NodeJS.Timeout | undefined;
      const stop = (reason: string) => {
        if (stopped !== undefined || child.pid === undefined) return;
        stopped = reason;
        const group = -child.pid;
        try {
          process.kill(group, 'SIGTERM');
        } catch {
          return;
        }
        killTimer = setTimeout(() => {
          try {
            process.kill(group, 'SIGKILL');
          } catch {
            // Already gone.
          }
        }, KILL_GRACE_MS);
      };
      const onAbort = () => stop('interrupted');
      const timer = setTimeout(() => stop(`timed out after ${Math.round(options.timeoutMs / 1000)} s`), options.timeoutMs);
      options.signal.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > MAX_STDOUT_BYTES) stop('output too large');
        else chunks.push(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderrTail = (stderrTail + chunk.toString('utf8')).slice(-2000);
      });
      const finish = (code: number | null) => {
        clearTimeout(timer);
        clearTimeout(killTimer);
        options.signal.removeEventListener('abort', onAbort);
        resolve({ stdout: Buffer.concat(chunks).toString('utf8'), code, ...(stopped !== undefined && { stopped }), stderrTail });
      };
      child.once('error', (error) => {
        stderrTail = error.message;
        finish(null);
      });
      child.once('close', (code) => finish(code));
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    // GNU time writes "Command exited with non-zero status N" or "Command terminated by signal N" before the figure.
    const rssLines = (await readFile(rssFile, 'utf8').catch(() => '')).trim().split('\n');
    const peak = Number(rssLines[rssLines.length - 1]);
    return { ...run, seconds, peakKiB: Number.isInteger(peak) && peak > 0 ? peak : undefined };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
