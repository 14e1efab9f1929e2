import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CREDENTIAL_DRIVERS, PROBES } from '../../probes/index.js';

const PROBES_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../probes');

describe('probe registry', () => {
  it('lists every probe folder once, under its own name', () => {
    const folders = readdirSync(PROBES_DIR, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== 'creds')
      .map((entry) => entry.name)
      .sort();
    const ids = PROBES.map((probe) => probe.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(folders);
  });

  it('declares fields in its own namespace, with discovery probes on multicast', () => {
    for (const probe of PROBES) {
      expect(probe.fields.length).toBeGreaterThan(0);
      for (const field of probe.fields) expect(field).toMatch(/^[a-z0-9-]+\.[A-Za-z0-9.*-]+$/);
      if (probe.kind === 'discovery') expect(probe.transport).toBe('multicast');
      if (probe.kind === 'service' && probe.bannerField !== undefined) expect(probe.fields).toContain(probe.bannerField);
    }
  });

  it('has one credential driver per protocol', () => {
    const protocols = CREDENTIAL_DRIVERS.map((driver) => driver.protocol);
    expect(new Set(protocols).size).toBe(protocols.length);
    expect(CREDENTIAL_DRIVERS.flatMap((driver) => driver.strategies).sort()).toEqual(['basic-auth', 'digest-auth', 'form-login', 'ftp-login', 'mqtt-connect', 'rtsp-auth', 'snmp-community', 'ssh-password', 'telnet-prompt']);
  });
});
