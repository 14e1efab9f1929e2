// The CLI's answers to a user's mistakes: one clear line on stderr, a non-zero exit, no stack.
// Runs inside an empty network namespace of its own, so even a scope-guard bug could send nothing.
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLabPrerequisites } from '../../src/lab/lab.js';

const cli = fileURLToPath(new URL('../../bin/iotscan.js', import.meta.url));
const namespace = `iotscan-clitest-${process.pid}`;
const unavailable = checkLabPrerequisites();

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', namespace, process.execPath, cli, ...args], { timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe.skipIf(unavailable !== undefined)('the command line', () => {
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', namespace]);
    execFileSync('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
  });
  afterAll(() => {
    execFileSync('ip', ['netns', 'del', namespace]);
  });

  it.each([
    [['scan', '8.8.8.8'], /not on a home network .*--allow-public/],
    [['scan', '192.168.0.0/16', '--max-hosts', '256'], /more than 256 addresses/],
    [['scan', 'printer.local'], /host names are not resolved/],
    [['scan', '192.168.1.0/24', '--format', 'xml'], /--format must be one of tui, text, json, ndjson/],
    [['scan', '192.168.1.0/24', '--attempts', '50'], /--attempts is at most 10/],
    [['scan', '--bogus'], /Unknown option '--bogus'/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['lab', 'sideways'], /lab takes up, down, status or exec/],
  ])('%j is refused with one line', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^iotscan: /);
    expect(lines[0]).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('scans loopback and records the run in the history', async () => {
    const db = `/tmp/iotscan-clitest-${process.pid}.db`;
    const scan = await run(['scan', '127.0.0.1', '--format', 'json', '--db', db]);
    expect(scan.code).toBe(0);
    expect(JSON.parse(scan.stdout)).toMatchObject({ schemaVersion: 3, run: { status: 'completed', targets: ['127.0.0.1'] } });
    const history = await run(['history', '--db', db]);
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/completed .* 127\.0\.0\.1/);
    execFileSync('rm', ['-f', db, `${db}-wal`, `${db}-shm`]);
  });
});
