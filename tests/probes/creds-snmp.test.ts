import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { snmpDriver } from '../../probes/creds/snmp.js';
import { SYSTEM_OIDS } from '../../probes/snmp/codec.js';
import { credentialContext, freeUdpPort, subjectFor } from '../fixtures/harness.js';

/** The part of net-snmp (a real SNMP agent, untyped) these tests use. */
interface NetSnmp {
  createAgent(options: { port: number; address: string; disableAuthorization: boolean }, callback: (error: Error | null) => void): {
    getAuthorizer(): { addCommunity(community: string): void };
    getMib(): {
      registerProvider(provider: { name: string; type: number; oid: string; scalarType: number; maxAccess: number }): void;
      setScalarValue(name: string, value: string): void;
    };
    close(): void;
  };
  MibProviderType: { Scalar: number };
  ObjectType: { OctetString: number };
  MaxAccess: Record<string, number>;
}
const snmp = createRequire(import.meta.url)('net-snmp') as NetSnmp;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A net-snmp agent on loopback; `requests` counts every v2c request it judged (answered or refused). */
async function agent(options: { communities: string[]; anyCommunity?: boolean }): Promise<{ port: number; log: { requests: number } }> {
  const log = { requests: 0 };
  const port = await freeUdpPort();
  const instance = snmp.createAgent({ port, address: '127.0.0.1', disableAuthorization: options.anyCommunity === true }, (error) => {
    if (error === null || error.name === 'RequestFailedError') log.requests += 1;
  });
  for (const community of options.communities) instance.getAuthorizer().addCommunity(community);
  const mib = instance.getMib();
  mib.registerProvider({ name: 'sysDescr', type: snmp.MibProviderType.Scalar, oid: SYSTEM_OIDS.sysDescr.replace(/\.0$/, ''), scalarType: snmp.ObjectType.OctetString, maxAccess: snmp.MaxAccess['read-only'] ?? 0 });
  mib.setScalarValue('sysDescr', 'Linux NAS 4.4.302 \u001b[31mx86_64');
  cleanups.push(() => instance.close());
  await new Promise((resolve) => setTimeout(resolve, 100));
  return { port, log };
}

const WAIT_MS = 300;

describe('snmp-community driver', () => {
  it('succeeds only with the agent community where a made-up one got no answer', async () => {
    const { port, log } = await agent({ communities: ['h0me-lan'] });
    const ctx = credentialContext(subjectFor('127.0.0.1', port, { transport: 'udp' }), {}, WAIT_MS);
    expect(await snmpDriver.requiresLogin(ctx)).toEqual({ kind: 'login-required', detail: 'no answer to a made-up community' });
    expect(await snmpDriver.attempt(ctx, { username: '', password: 'public' })).toEqual({ kind: 'rejected' });
    const success = await snmpDriver.attempt(ctx, { username: '', password: 'h0me-lan' });
    expect(success).toEqual({ kind: 'success', evidence: 'GET sysDescr.0 answered with the community where a made-up one got no answer (sysDescr "Linux NAS 4.4.302 x86_64")' });
    // Every community is one datagram, answered or not (each one is a login the agent counts):
    // baseline 1 + wrong 1 + right 1.
    expect(log.requests).toBe(3);
  });

  it('never puts the community into the evidence', async () => {
    const { port } = await agent({ communities: ['NAS'] });
    const ctx = credentialContext(subjectFor('127.0.0.1', port, { transport: 'udp' }), {}, WAIT_MS);
    const outcome = await snmpDriver.attempt(ctx, { username: '', password: 'NAS' });
    expect(outcome.kind).toBe('success');
    expect(JSON.stringify(outcome)).not.toContain('NAS');
  });

  it('reports no-login (never success) where the agent answers any community', async () => {
    const { port } = await agent({ communities: [], anyCommunity: true });
    const ctx = credentialContext(subjectFor('127.0.0.1', port, { transport: 'udp' }), {}, WAIT_MS);
    expect(await snmpDriver.requiresLogin(ctx)).toEqual({ kind: 'no-login', detail: 'the agent answers a made-up community' });
    expect((await snmpDriver.attempt(ctx, { username: '', password: 'public' })).kind).toBe('abort');
  });

  it('takes silence for a wrong community, within the wait and one retry', async () => {
    const port = await freeUdpPort();
    const ctx = credentialContext(subjectFor('127.0.0.1', port, { transport: 'udp' }), {}, WAIT_MS);
    const started = Date.now();
    expect((await snmpDriver.attempt(ctx, { username: '', password: 'public' })).kind).toBe('rejected');
    // Baseline and attempt, two waits each.
    expect(Date.now() - started).toBeLessThan(4 * WAIT_MS + 1000);
  });
});
