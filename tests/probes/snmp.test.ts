import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { SYSTEM_OIDS, buildGetRequest, encodeOid, parseResponse, valueText } from '../../probes/snmp/codec.js';
import { snmpProbe } from '../../probes/snmp/probe.js';
import { freeUdpPort, hexFixture, runServiceProbe, subjectFor } from '../fixtures/harness.js';

/** The part of net-snmp (a real SNMP agent, untyped) these tests use. */
interface NetSnmp {
  createAgent(options: { port: number; address: string }, callback: () => void): {
    getAuthorizer(): { addCommunity(community: string): void };
    getMib(): {
      registerProvider(provider: { name: string; type: number; oid: string; scalarType: number; maxAccess: number }): void;
      setScalarValue(name: string, value: string): void;
    };
    close(): void;
  };
  MibProviderType: { Scalar: number };
  ObjectType: { OctetString: number; OID: number };
  MaxAccess: Record<string, number>;
}
const snmp = createRequire(import.meta.url)('net-snmp') as NetSnmp;

describe('snmp codec', () => {
  it('decodes a recorded system-group response', () => {
    const response = parseResponse(hexFixture('snmp/system-response.hex'));
    expect(response).toMatchObject({ version: 1, community: 'public', requestId: 0x1234567, errorStatus: 0 });
    const texts = Object.fromEntries(response?.varbinds.map((varbind) => [varbind.oid, valueText(varbind.value)]) ?? []);
    expect(texts).toEqual({
      [SYSTEM_OIDS.sysDescr]: 'Linux DiskStation 4.4.302+ #72806 SMP Thu Sep 5 13:44:21 CST 2024 x86_64',
      [SYSTEM_OIDS.sysObjectID]: '1.3.6.1.4.1.8072.3.2.10',
      [SYSTEM_OIDS.sysContact]: 'admin@diskstation',
      [SYSTEM_OIDS.sysName]: 'DiskStation',
      [SYSTEM_OIDS.sysLocation]: 'Living room',
    });
  });

  it('decodes noSuchObject as missing', () => {
    const response = parseResponse(hexFixture('snmp/missing-response.hex'));
    expect(response?.varbinds[1]?.value).toEqual({ type: 'missing', reason: 'noSuchObject' });
    expect(valueText(response?.varbinds[1]?.value ?? { type: 'null' })).toBeUndefined();
  });

  it('encodes large OID arcs in base 128', () => {
    expect(encodeOid('1.3.6.1.4.1.6574')).toEqual([0x06, 0x07, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xb3, 0x2e]);
  });

  it('rejects malformed and hostile lengths', () => {
    const good = hexFixture('snmp/system-response.hex');
    expect(parseResponse(good.subarray(0, good.length - 3))).toBeUndefined();
    expect(parseResponse(Uint8Array.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x01]))).toBeUndefined();
    expect(parseResponse(Uint8Array.from([0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00]))).toBeUndefined();
    expect(parseResponse(Uint8Array.from({ length: 512 }, (_, index) => (index * 37) % 256))).toBeUndefined();
    expect(parseResponse(new Uint8Array(0))).toBeUndefined();
    // A GetRequest is not a Response.
    expect(parseResponse(buildGetRequest('public', 1, [SYSTEM_OIDS.sysName]))).toBeUndefined();
  });
});

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function agent(community: string, values: Record<string, { oid: string; type: number; value: string }>): Promise<number> {
  const port = await freeUdpPort();
  const instance = snmp.createAgent({ port, address: '127.0.0.1' }, () => undefined);
  instance.getAuthorizer().addCommunity(community);
  const mib = instance.getMib();
  for (const [name, { oid, type, value }] of Object.entries(values)) {
    mib.registerProvider({ name, type: snmp.MibProviderType.Scalar, oid: oid.replace(/\.0$/, ''), scalarType: type, maxAccess: snmp.MaxAccess['read-only'] ?? 0 });
    mib.setScalarValue(name, value);
  }
  cleanups.push(() => instance.close());
  await new Promise((resolve) => setTimeout(resolve, 100));
  return port;
}

const octets = snmp.ObjectType.OctetString;

describe('snmp probe', () => {
  it('reads the system group and the Synology model from a real agent', async () => {
    const port = await agent('public', {
      sysDescr: { oid: SYSTEM_OIDS.sysDescr, type: octets, value: 'Linux DiskStation 4.4.302+ \u001b[2J#72806 SMP x86_64' },
      sysObjectID: { oid: SYSTEM_OIDS.sysObjectID, type: snmp.ObjectType.OID, value: '1.3.6.1.4.1.6574.1' },
      sysName: { oid: SYSTEM_OIDS.sysName, type: octets, value: 'DiskStation' },
      modelName: { oid: '1.3.6.1.4.1.6574.1.5.1.0', type: octets, value: 'DS920+' },
      version: { oid: '1.3.6.1.4.1.6574.1.5.3.0', type: octets, value: 'DSM 7.2-64570' },
    });
    const run = await runServiceProbe(snmpProbe, subjectFor('127.0.0.1', port, { transport: 'udp' }), 1000);
    expect(run.status).toBe('success');
    expect(run.observations).toEqual([
      {
        kind: 'observation',
        port,
        transport: 'udp',
        fields: {
          'snmp.community': 'public',
          'snmp.sysDescr': 'Linux DiskStation 4.4.302+ #72806 SMP x86_64',
          'snmp.sysObjectID': '1.3.6.1.4.1.6574.1',
          'snmp.sysName': 'DiskStation',
          'snmp.synology.model': 'DS920+',
          'snmp.synology.version': 'DSM 7.2-64570',
        },
      },
    ]);
  });

  it('reports no-response when the community is not public', async () => {
    const port = await agent('s3cret', { sysName: { oid: SYSTEM_OIDS.sysName, type: octets, value: 'x' } });
    const run = await runServiceProbe(snmpProbe, subjectFor('127.0.0.1', port, { transport: 'udp' }), 300);
    expect(run).toEqual({ observations: [], status: 'no-response' });
  });

  it('applies to the SNMP port over UDP only', () => {
    expect(snmpProbe.appliesTo(subjectFor('10.0.0.1', 161, { transport: 'udp' }))).toBe(true);
    expect(snmpProbe.appliesTo(subjectFor('10.0.0.1', 161))).toBe(false);
  });
});
