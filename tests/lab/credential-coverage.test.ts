// Issue 4 asks for a lab device that proves each credential protocol and one that must not: this
// table names them, and the lab's truth (asserted end to end by scan-e2e) must agree with it. A
// trigger declares the check of the credential set that opens it; a negative runs a login the
// scanner tries and declares no credential finding on that port. No namespace needed.
import { describe, expect, it } from 'vitest';
import { LAB_DEVICES } from '../../src/lab/registry.js';
import { loadSignatures } from '../../src/signatures/load.js';

const CREDENTIAL_CHECKS = ['default-cred-accepted', 'weak-guessable-cred', 'password-derived-from-id'];

interface Proof {
  strategy: string;
  device: string;
  port: number;
  /** The credential set whose pair the device takes (triggers) or refuses (negatives). */
  set: string;
}

const TRIGGERS: Proof[] = [
  { strategy: 'telnet-prompt', device: 'router', port: 23, set: 'huawei-hg8245h-telnet' },
  { strategy: 'ssh-password', device: 'pi-server', port: 22, set: 'raspberry-pi-ssh' },
  { strategy: 'ssh-password', device: 'old-device', port: 22, set: 'ubiquiti-ssh' },
  { strategy: 'basic-auth', device: 'printer', port: 80, set: 'oki-printer-http' },
  { strategy: 'basic-auth', device: 'tp-link-ap', port: 80, set: 'tp-link-router-http' },
  { strategy: 'digest-auth', device: 'camera', port: 80, set: 'axis-camera-http' },
  { strategy: 'form-login', device: 'old-device', port: 80, set: 'ubiquiti-aircam-http' },
  { strategy: 'ftp-login', device: 'nas', port: 21, set: 'synology-nas-ftp' },
  { strategy: 'mqtt-connect', device: 'pi-server', port: 1883, set: 'generic-mqtt' },
  { strategy: 'rtsp-auth', device: 'camera', port: 554, set: 'axis-camera-rtsp' },
];

const NEGATIVES: Proof[] = [
  { strategy: 'telnet-prompt', device: 'baby-monitor', port: 23, set: 'generic-telnet' },
  { strategy: 'ssh-password', device: 'baby-monitor', port: 22, set: 'generic-ssh' },
  { strategy: 'basic-auth', device: 'baby-monitor', port: 80, set: 'generic-http-basic' },
  { strategy: 'digest-auth', device: 'hardened', port: 8080, set: 'generic-http-digest' },
  { strategy: 'form-login', device: 'router', port: 80, set: 'generic-http-form' },
  { strategy: 'ftp-login', device: 'mqtt-hub', port: 21, set: 'home-assistant-ftp' },
  { strategy: 'snmp-community', device: 'nas', port: 161, set: 'generic-snmp' },
  // No login asked at all: mqtt-anonymous and rtsp-no-auth, never a credential hit.
  { strategy: 'mqtt-connect', device: 'mqtt-hub', port: 1883, set: 'generic-mqtt' },
  { strategy: 'rtsp-auth', device: 'baby-monitor', port: 554, set: 'generic-rtsp' },
];

const pack = loadSignatures();
const specOf = (id: string) => LAB_DEVICES.find((device) => device.spec.id === id)?.spec;
const setOf = (id: string) => pack.credentials.find((set) => set.id === id);

describe('lab proof of each credential protocol', () => {
  it.each(TRIGGERS.map((proof) => [`${proof.strategy} on ${proof.device}:${proof.port}`, proof] as const))('%s triggers', (_, proof) => {
    const set = setOf(proof.set);
    expect(set?.strategy).toBe(proof.strategy);
    const spec = specOf(proof.device);
    expect(spec?.expectedFindings).toContainEqual(expect.objectContaining({ check: set?.check, port: proof.port }));
  });

  it.each(NEGATIVES.map((proof) => [`${proof.strategy} on ${proof.device}:${proof.port}`, proof] as const))('%s must not', (_, proof) => {
    expect(setOf(proof.set)?.strategy).toBe(proof.strategy);
    const spec = specOf(proof.device);
    expect(spec).toBeDefined();
    const onPort = (spec?.expectedFindings ?? []).filter((finding) => finding.port === proof.port).map((finding) => finding.check);
    for (const check of CREDENTIAL_CHECKS) expect(onPort).not.toContain(check);
  });

  it('gives every strategy of the pack a negative, and every one but SNMP a trigger', () => {
    const strategies = [...new Set(pack.credentials.map((set) => set.strategy))].sort();
    expect([...new Set(NEGATIVES.map((proof) => proof.strategy))].sort()).toEqual(strategies);
    // No lab device's family documents a default read-write community (generic-snmp cites a printer
    // and switches the lab does not have), so SNMP has its negative only.
    expect([...new Set(TRIGGERS.map((proof) => proof.strategy))].sort()).toEqual(strategies.filter((strategy) => strategy !== 'snmp-community'));
  });
});
