// The opt-in lockout test (--check-lockout) against the lab: the camera and the Pi's broker take
// wrong login after wrong login; the Pi's SSH, guarded like fail2ban's sshd jail, cuts the client
// off after five. Needs root for the lab's namespaces.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAttempts } from '../../src/lab/attempts.js';
import { checkLabPrerequisites, labDown, labUp } from '../../src/lab/lab.js';
import { LAB_DEVICES, SCANNER_NAMESPACE } from '../../src/lab/registry.js';
import type { ScanDocument } from '../../src/report/json.js';

const cli = fileURLToPath(new URL('../../bin/iotscan.js', import.meta.url));
const unavailable = checkLabPrerequisites();
const address = (id: string): string => LAB_DEVICES.find((device) => device.spec.id === id)!.spec.ipv4;
const ATTEMPTS_PER_SERVICE = 3;
const LOCKOUT_RUN = 10;

describe.skipIf(unavailable !== undefined)('the lockout test on the lab', () => {
  let document: ScanDocument;

  beforeAll(async () => {
    await labDown();
    await labUp();
    const args = ['netns', 'exec', SCANNER_NAMESPACE, process.execPath, cli, 'scan', address('camera'), address('pi-server'), '--format', 'json', '--no-history'];
    const result = await new Promise<{ stdout: string; stderr: string; failed: boolean }>((resolve) =>
      execFile('ip', [...args, '--check-credentials', '--check-lockout', '--consent', '--attempts', String(ATTEMPTS_PER_SERVICE)], { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
        resolve({ stdout, stderr, failed: error !== null }),
      ),
    );
    expect(result.stderr).toBe('');
    expect(result.failed).toBe(false);
    document = JSON.parse(result.stdout) as ScanDocument;
  }, 180_000);

  afterAll(async () => {
    await labDown();
  }, 30_000);

  const lockoutFindings = (id: string) =>
    document.hosts
      .find((host) => host.addresses.includes(address(id)))!
      .findings.filter((finding) => finding.check === 'no-bruteforce-protection')
      .map((finding) => `${finding.port} ${finding.severity}`);

  it('reports services that take ten wrong logins in a row without slowing down', () => {
    expect(document.run.profile).toContain('+lockout');
    expect(lockoutFindings('camera')).toContain('80 medium');
    expect(lockoutFindings('pi-server')).toContain('1883 medium');
  });

  it('does not report the SSH that cut the client off after five failures', () => {
    expect(lockoutFindings('pi-server')).not.toContain('22 medium');
    // The run stopped at the ban: five failures counted, and no more than the budget and the run together.
    expect(readAttempts('pi-server')['ssh']).toBeLessThanOrEqual(ATTEMPTS_PER_SERVICE + 5);
  });

  it('keeps the test to one bounded run per service', () => {
    const camera = readAttempts('camera');
    expect(camera['http']).toBeGreaterThanOrEqual(LOCKOUT_RUN);
    expect(camera['http']).toBeLessThanOrEqual(ATTEMPTS_PER_SERVICE + LOCKOUT_RUN);
  });
});
