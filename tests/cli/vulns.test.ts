// `iotscan vulns`: import downloaded NVD/OSV files, see what is imported, clear it; a scan of a
// loopback web server (inside an empty network namespace of the test's own) then reports the
// imported CVE with the file and date it came from, and stops after a clear.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLabPrerequisites } from '../../src/lab/lab.js';

const cli = fileURLToPath(new URL('../../bin/iotscan.js', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/vulns/${name}`, import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'iotscan-vulns-cli-'));
const db = join(home, 'data', 'history.db');
const env = { ...process.env, XDG_CACHE_HOME: join(home, 'cache'), XDG_DATA_HOME: join(home, 'xdg-data') };

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], namespace?: string): Promise<Result> {
  const [command, prefix] = namespace === undefined ? [process.execPath, []] : ['ip', ['netns', 'exec', namespace, process.execPath]];
  return new Promise((resolve) => {
    execFile(command, [...prefix, cli, ...args], { timeout: 60_000, env }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('iotscan vulns', () => {
  it.each([
    [['vulns'], /vulns takes import, status or clear/],
    [['vulns', 'import'], /needs at least one file/],
    [['vulns', 'status', 'extra.json'], /takes no files/],
    [['vulns', 'import', '--bogus', 'x.json'], /Unknown option '--bogus'/],
  ])('%j is refused with one line', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });

  it('imports NVD and OSV files, says in one line what it kept, and names a file it could not read', async () => {
    const result = await run(['vulns', 'import', fixture('nvdcve-2.0-2099.json.gz'), fixture('osv-bitnami.zip'), join(home, 'missing.json'), '--db', db]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('iotscan: missing.json: no such file; not imported\n');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe(
      'imported 9 vulnerabilities for 6 products from 2 files, 3 skipped, 1 without a fixed or last affected version left out; 1 file not imported',
    );
    const stored = join(home, 'data', 'imported-vulnerabilities.json');
    expect(JSON.parse(readFileSync(stored, 'utf8'))).toMatchObject({ formatVersion: 1, sources: [{ file: 'nvdcve-2.0-2099.json.gz', format: 'nvd' }, { file: 'osv-bitnami.zip', format: 'osv' }] });
  });

  it('replaces a file imported again, keeps the others, and lists them with their dates', async () => {
    expect((await run(['vulns', 'import', fixture('osv-bitnami.zip'), '--db', db])).code).toBe(0);
    const status = await run(['vulns', 'status', '--db', db]);
    expect(status.code).toBe(0);
    const today = new Date().toISOString().slice(0, 10);
    expect(status.stdout).toContain(`NVD file nvdcve-2.0-2099.json.gz, imported ${today}: 6 vulnerabilities (dropbear 2, openssh 2, dnsmasq 1, live555 1)`);
    expect(status.stdout).toContain(`OSV file osv-bitnami.zip, imported ${today}: 3 vulnerabilities (nginx 2, apache-httpd 1)`);
    expect(status.stdout).toMatch(/9 vulnerabilities for 6 products from 2 files, used by every scan beside the shipped rules\n$/);
  });

  it('clears the set', async () => {
    expect((await run(['vulns', 'clear', '--db', db])).stdout).toMatch(/^removed the imported vulnerability set/);
    expect((await run(['vulns', 'status', '--db', db])).stdout).toMatch(/^no vulnerability set imported/);
    expect((await run(['vulns', 'clear', '--db', db])).stdout).toBe('no imported vulnerability set to remove\n');
  });

  it('reports a damaged set in one line that says how to fix it', async () => {
    const damaged = join(home, 'damaged', 'history.db');
    execFileSync('mkdir', ['-p', join(home, 'damaged')]);
    execFileSync('sh', ['-c', `printf '{"formatVersion": 1, "sources": [' > '${join(home, 'damaged', 'imported-vulnerabilities.json')}'`]);
    const result = await run(['vulns', 'status', '--db', damaged]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^iotscan: .*imported-vulnerabilities\.json: the imported vulnerability set is damaged \(not JSON\); remove it with: iotscan vulns clear\n$/);
  });
});

const unavailable = checkLabPrerequisites();
const namespace = `iotscan-vulnstest-${process.pid}`;

describe.skipIf(unavailable !== undefined)('a scan with an imported set', () => {
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    execFileSync('ip', ['netns', 'add', namespace]);
    execFileSync('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
    // A web server that says it is nginx 1.20.0, on loopback inside the namespace only.
    const code = `require('node:http').createServer((q, r) => { r.writeHead(200, { Server: 'nginx/1.20.0', 'Content-Type': 'text/html' }); r.end('<html><title>Fixture</title></html>'); }).listen(80, '127.0.0.1', () => console.log('ready'));`;
    server = spawn('ip', ['netns', 'exec', namespace, process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => server?.stdout?.once('data', () => resolve()));
  });

  afterAll(() => {
    server?.kill();
    execFileSync('ip', ['netns', 'del', namespace]);
  });

  const vulnerableFinding = async () => {
    const scan = await run(['scan', '127.0.0.1', '--format', 'json', '--db', db, '--no-history'], namespace);
    expect(scan.code).toBe(0);
    const document = JSON.parse(scan.stdout) as { run: { signatures: { hash: string } }; hosts: { findings: { check: string; port: number; evidence: { facts: Record<string, string> } }[] }[] };
    const finding = document.hosts.flatMap((h) => h.findings).find((f) => f.check === 'known-vulnerable-version' && f.port === 80);
    return { finding, hash: document.run.signatures.hash };
  };

  it('reports the imported CVE with its source, and not after a clear', async () => {
    expect((await run(['vulns', 'import', fixture('osv-record.json'), '--db', db])).code).toBe(0);
    const withSet = await vulnerableFinding();
    const today = new Date().toISOString().slice(0, 10);
    expect(withSet.finding?.evidence.facts['imported from']).toBe(`OSV file osv-record.json, imported ${today}: CVE-2099-0101`);
    expect(withSet.finding?.evidence.facts['cves']).toContain('CVE-2099-0101');

    expect((await run(['vulns', 'clear', '--db', db])).code).toBe(0);
    expect(existsSync(join(home, 'data', 'imported-vulnerabilities.json'))).toBe(false);
    const without = await vulnerableFinding();
    expect(without.finding?.evidence.facts['imported from']).toBeUndefined();
    expect(without.finding?.evidence.facts['cves'] ?? '').not.toContain('CVE-2099-0101');
    // The scan record names the set it was judged with.
    expect(without.hash).not.toBe(withSet.hash);
  });
});
