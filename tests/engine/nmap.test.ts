// The nmap engine's process handling, and one real run against the lab from its scanner namespace
// (skipped, with the reason, where nmap or the lab cannot run).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nmapAvailable, runNmapPortScan, type NmapHost } from '../../src/engine/nmap.js';
import { checkLabPrerequisites, labDown, labUp } from '../../src/lab/lab.js';
import { namespacePids } from '../../src/lab/namespaces.js';
import { SCANNER_NAMESPACE } from '../../src/lab/registry.js';

const NO_NMAP = 'no-such-nmap-program';

describe('runNmapPortScan before anything is spawned', () => {
  it('refuses targets that are not IP addresses, so nothing can pass as an nmap option', async () => {
    const signal = new AbortController().signal;
    for (const target of ['-iL/etc/passwd', '--script=x', '192.168.1.0/24', 'router.local', '192.168.1.999', '']) {
      expect(await runNmapPortScan([target], [80], signal, { command: NO_NMAP })).toEqual({ error: expect.stringMatching(/^not an IP address/) });
    }
  });

  it('refuses port numbers outside 1-65535 and an empty port list', async () => {
    const signal = new AbortController().signal;
    for (const ports of [[], [0], [65_536], [22.5], [Number.NaN]]) {
      expect(await runNmapPortScan(['192.168.1.2'], ports, signal, { command: NO_NMAP })).toEqual({ error: expect.stringMatching(/at least one port/) });
    }
  });

  it('says so when nmap cannot be started, and nmapAvailable answers no', async () => {
    expect(await runNmapPortScan(['192.168.1.2'], [80], new AbortController().signal, { command: NO_NMAP })).toEqual({ error: expect.stringMatching(/could not be started/) });
    expect(await nmapAvailable(NO_NMAP)).toBe(false);
  });
});

const nmapPresent = await nmapAvailable();
const skipReason = checkLabPrerequisites() ?? (nmapPresent ? undefined : 'nmap is not installed (scripts/setup-debian.sh installs it)');
const script = new URL('../../dist/tests/fixtures/nmap/scan-in-lab.js', import.meta.url).pathname;

/** Runs runNmapPortScan inside the lab's scanner namespace: nmap never scans from this namespace. */
function scanFromLab(request: { targets: string[]; ports: number[]; abortAfterMs?: number }): Promise<{ result: NmapHost[] | { error: string }; elapsedMs: number }> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', SCANNER_NAMESPACE, process.execPath, script, JSON.stringify(request)], { timeout: 150_000 }, (error, stdout) => {
      if (error) reject(new Error(error.message));
      else resolve(JSON.parse(stdout) as { result: NmapHost[] | { error: string }; elapsedMs: number });
    });
  });
}

async function nmapProcessesInScanner(): Promise<number[]> {
  const pids = await namespacePids(SCANNER_NAMESPACE);
  return pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'nmap';
    } catch {
      return false;
    }
  });
}

describe.skipIf(skipReason !== undefined)(`nmap engine against the lab${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(async () => {
    if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` first`);
    await labUp();
  });
  afterAll(async () => {
    await labDown();
  });

  it('names the old camera\'s dropbear and lighttpd with versions and CPEs', async () => {
    const { result } = await scanFromLab({ targets: ['192.168.77.70', '192.168.77.20'], ports: [22, 80, 554, 2323] });
    expect(Array.isArray(result), JSON.stringify(result)).toBe(true);
    const hosts = result as NmapHost[];
    const oldDevice = hosts.find((h) => h.addresses.includes('192.168.77.70'));
    expect(oldDevice?.ports.find((p) => p.port === 22)).toMatchObject({ service: 'ssh', product: 'Dropbear sshd', version: '2014.63', cpe: expect.arrayContaining(['cpe:/a:matt_johnston:dropbear_ssh_server:2014.63']) });
    expect(oldDevice?.ports.find((p) => p.port === 80)).toMatchObject({ service: 'http', product: 'lighttpd', version: '1.4.31' });
    const camera = hosts.find((h) => h.addresses.includes('192.168.77.20'));
    expect(camera?.ports.map((p) => p.port)).toEqual([80, 554]);
  }, 120_000);

  it('stops nmap when the scan is aborted, and leaves no nmap process behind', async () => {
    const { result, elapsedMs } = await scanFromLab({
      targets: ['192.168.77.1', '192.168.77.20', '192.168.77.30', '192.168.77.60', '192.168.77.70'],
      ports: [21, 22, 23, 80, 443, 554, 1883, 8008, 8009],
      abortAfterMs: 500,
    });
    expect(result).toEqual({ error: 'aborted' });
    expect(elapsedMs).toBeLessThan(3000);
    expect(await nmapProcessesInScanner()).toEqual([]);
  }, 60_000);
});
