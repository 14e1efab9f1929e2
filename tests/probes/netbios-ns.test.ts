import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { buildNodeStatusRequest, describeNames, parseNodeStatusResponse } from '../../probes/netbios-ns/codec.js';
import { netbiosNsProbe } from '../../probes/netbios-ns/probe.js';
import { startNetbiosNameServer, type NetbiosNameServerOptions } from '../../src/lab/protocols/netbios.js';
import { closeUdpSockets, hexFixture, runServiceProbe, scriptedUdpServer, subjectFor, udpExchange } from '../fixtures/harness.js';

const LOOPBACK = '127.0.0.1';
const NMBD = 'netbios-ns/nmbd-4.17-node-status.hex';
const NMBD_NAMES = 'DISKSTATION<00> DISKSTATION<03> DISKSTATION<20> WORKGROUP<00 group> WORKGROUP<1e group>';
/** The names nmbd answered with in the recorded fixture, for the lab server. */
const NAS_NAMES: NetbiosNameServerOptions['names'] = [
  { name: 'DISKSTATION', suffix: 0x00 },
  { name: 'DISKSTATION', suffix: 0x03 },
  { name: 'DISKSTATION', suffix: 0x20 },
  { name: 'WORKGROUP', suffix: 0x00, group: true },
  { name: 'WORKGROUP', suffix: 0x1e, group: true },
];

/** The encoded `*` (RFC 1001 §14.1, NUL-padded), as the request carries it. */
const WILDCARD = Buffer.from(`20434b${'41'.repeat(30)}00`, 'hex');

/**
 * A NODE STATUS RESPONSE laid out field by field from RFC 1002 §4.2.18, independent of the codec and
 * the lab server: header, RR_NAME, NBSTAT/IN, TTL, RDLENGTH, names with flags, then STATISTICS.
 */
function statusResponse(id: number, names: { name: string; suffix: number; flags: number }[], unitId: Buffer, rrName: Buffer = WILDCARD, flags = 0x8400): Buffer {
  const table = names.map((entry) => {
    const row = Buffer.alloc(18);
    row.write(entry.name.padEnd(15, ' '), 0, 'latin1');
    row[15] = entry.suffix;
    row.writeUInt16BE(entry.flags, 16);
    return row;
  });
  const statistics = Buffer.concat([unitId, Buffer.alloc(40)]);
  const rdata = Buffer.concat([Buffer.from([names.length]), ...table, statistics]);
  const header = Buffer.from([id >> 8, id & 0xff, flags >> 8, flags & 0xff, 0, 0, 0, 1, 0, 0, 0, 0]);
  const fixed = Buffer.from([0, 0x21, 0, 1, 0, 0, 0, 0, rdata.length >> 8, rdata.length & 0xff]);
  return Buffer.concat([header, rrName, fixed, rdata]);
}

/** A Windows node (M-node names, 0x6400 / 0xe400) with its adapter MAC as unit id. */
const WINDOWS_NAMES = [
  { name: 'LAPTOP-ANNA', suffix: 0x00, flags: 0x6400 },
  { name: 'WORKGROUP', suffix: 0x00, flags: 0xe400 },
  { name: 'LAPTOP-ANNA', suffix: 0x20, flags: 0x6400 },
];
const WINDOWS_MAC = Buffer.from('3c22fb102030', 'hex');

describe('netbios-ns codec', () => {
  it('asks for the node status of `*`: 50 bytes, no flags, one NBSTAT question (RFC 1002 §4.2.17)', () => {
    const request = buildNodeStatusRequest(0x1234);
    expect(Buffer.from(request).toString('hex')).toBe(`123400000001000000000000${WILDCARD.toString('hex')}00210001`);
    expect(request).toHaveLength(50);
  });

  it('reads the names recorded from Samba nmbd 4.17, which sends no MAC', () => {
    const status = parseNodeStatusResponse(hexFixture(NMBD), 0x1234);
    expect(status?.names).toEqual([
      { name: 'DISKSTATION', suffix: 0x00, group: false },
      { name: 'DISKSTATION', suffix: 0x03, group: false },
      { name: 'DISKSTATION', suffix: 0x20, group: false },
      { name: 'WORKGROUP', suffix: 0x00, group: true },
      { name: 'WORKGROUP', suffix: 0x1e, group: true },
    ]);
    expect(status?.mac).toBeUndefined();
    expect(describeNames(status?.names ?? [])).toBe(NMBD_NAMES);
  });

  it('reads the unit id as a MAC when it is not zeros, and a compressed answer name', () => {
    const status = parseNodeStatusResponse(statusResponse(0x0102, WINDOWS_NAMES, WINDOWS_MAC), 0x0102);
    expect(status).toEqual({
      names: [
        { name: 'LAPTOP-ANNA', suffix: 0x00, group: false },
        { name: 'WORKGROUP', suffix: 0x00, group: true },
        { name: 'LAPTOP-ANNA', suffix: 0x20, group: false },
      ],
      mac: '3c:22:fb:10:20:30',
    });
    const pointer = parseNodeStatusResponse(statusResponse(0x0102, WINDOWS_NAMES, WINDOWS_MAC, Buffer.from([0xc0, 0x0c])), 0x0102);
    expect(pointer?.mac).toBe('3c:22:fb:10:20:30');
  });

  it('makes names printable and caps how many are kept', () => {
    const hostile = statusResponse(1, [{ name: '\u001b[31mEVIL\u0007', suffix: 0x20, flags: 0x0400 }], Buffer.alloc(6));
    expect(describeNames(parseNodeStatusResponse(hostile, 1)?.names ?? [])).toBe('EVIL<20>');
    const many = Array.from({ length: 40 }, (_, index) => ({ name: `HOST${index}`, suffix: 0, flags: 0x0400 }));
    expect(parseNodeStatusResponse(statusResponse(1, many, Buffer.alloc(6)), 1)?.names).toHaveLength(32);
  });

  it('ignores other transactions, requests, errors, truncation, oversize and garbage', () => {
    const recorded = hexFixture(NMBD);
    expect(parseNodeStatusResponse(recorded, 0x4321)).toBeUndefined();
    expect(parseNodeStatusResponse(buildNodeStatusRequest(0x1234), 0x1234)).toBeUndefined();
    expect(parseNodeStatusResponse(statusResponse(1, WINDOWS_NAMES, WINDOWS_MAC, WILDCARD, 0x8403), 1)).toBeUndefined();
    for (let cut = 0; cut < recorded.length; cut += 7) expect(parseNodeStatusResponse(recorded.subarray(0, cut), 0x1234)).toBeUndefined();
    // NUM_NAMES says more names than RDATA holds.
    const overclaim = Buffer.from(recorded);
    overclaim[56] = 9;
    expect(parseNodeStatusResponse(overclaim, 0x1234)).toBeUndefined();
    const huge = Array.from({ length: 80 }, (_, index) => ({ name: `HOST${index}`, suffix: 0, flags: 0x0400 }));
    expect(parseNodeStatusResponse(statusResponse(1, huge, Buffer.alloc(6)), 1)).toBeUndefined();
    for (let round = 0; round < 300; round += 1) {
      const noise = randomBytes(Math.floor(Math.random() * 400));
      expect(() => parseNodeStatusResponse(noise, noise.length > 1 ? noise.readUInt16BE(0) : 0)).not.toThrow();
    }
  });
});

const servers: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  closeUdpSockets();
  for (const server of servers.splice(0)) await server.stop();
});

async function labServer(options: Partial<NetbiosNameServerOptions> = {}) {
  const server = await startNetbiosNameServer({ host: LOOPBACK, port: 0, names: NAS_NAMES, ...options });
  servers.push(server);
  return server;
}

/** One datagram to the port, and what comes back within 200 ms. */
const exchange = (port: number, request: Uint8Array): Promise<Buffer[]> => udpExchange(port, request, 200);

describe('netbios-ns lab server', () => {
  it('answers a node-status request byte for byte as nmbd 4.17 did', async () => {
    const server = await labServer();
    expect(await exchange(server.port, buildNodeStatusRequest(0x1234))).toEqual([Buffer.from(hexFixture(NMBD))]);
  });

  it('answers for its own names too, and ignores garbage, name queries and other names', async () => {
    const server = await labServer();
    const forName = (name: string, suffix: number, type = 0x21) => {
      const raw = Buffer.alloc(16, 0x20);
      raw.write(name, 'latin1');
      raw[15] = suffix;
      const encoded = Buffer.from([0x20, ...[...raw].flatMap((byte) => [0x41 + (byte >> 4), 0x41 + (byte & 0x0f)]), 0]);
      return Buffer.concat([Buffer.from([0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]), encoded, Buffer.from([0, type, 0, 1])]);
    };
    expect(await exchange(server.port, forName('DISKSTATION', 0x20))).toHaveLength(1);
    expect(await exchange(server.port, forName('OTHERHOST', 0x20))).toEqual([]);
    expect(await exchange(server.port, forName('DISKSTATION', 0x20, 0x20))).toEqual([]);
    expect(await exchange(server.port, randomBytes(50))).toEqual([]);
    expect(await exchange(server.port, Buffer.concat([buildNodeStatusRequest(1), Buffer.alloc(600)]))).toEqual([]);
  });
});

describe('netbios-ns probe', () => {
  it('reports the names and both sizes from the lab nmbd, and no MAC', async () => {
    const server = await labServer();
    const run = await runServiceProbe(netbiosNsProbe, subjectFor(LOOPBACK, server.port, { transport: 'udp' }));
    expect(run.status).toBe('success');
    expect(run.observations).toEqual([
      {
        kind: 'observation',
        port: server.port,
        transport: 'udp',
        fields: { 'netbios-ns.request-bytes': '50', 'netbios-ns.reply-bytes': '193', 'netbios-ns.names': NMBD_NAMES },
      },
    ]);
  });

  it('reports the MAC a node sends as its unit id', async () => {
    const server = await labServer({ unitId: '3c:22:fb:10:20:30' });
    const run = await runServiceProbe(netbiosNsProbe, subjectFor(LOOPBACK, server.port, { transport: 'udp' }));
    expect(run.observations[0]?.fields['netbios-ns.mac']).toBe('3c:22:fb:10:20:30');
  });

  it('sends one request and one retry, then calls a silent, garbage or oversize answer silent', async () => {
    const huge = Array.from({ length: 80 }, (_, index) => ({ name: `HOST${index}`, suffix: 0, flags: 0x0400 }));
    const answers: ((request: Buffer) => Buffer | undefined)[] = [
      () => undefined,
      () => randomBytes(193),
      (request) => statusResponse(request.readUInt16BE(0), huge, Buffer.alloc(6)),
      // The right answer to someone else's transaction.
      (request) => statusResponse(request.readUInt16BE(0) ^ 0xffff, WINDOWS_NAMES, WINDOWS_MAC),
    ];
    for (const answer of answers) {
      const server = await scriptedUdpServer(answer);
      const run = await runServiceProbe(netbiosNsProbe, subjectFor(LOOPBACK, server.port, { transport: 'udp' }), 150);
      expect(run.status).toBe('no-response');
      expect(run.observations).toEqual([]);
      expect(server.requests).toHaveLength(2);
      // The retry is the same question, same transaction.
      expect(server.requests[1]).toEqual(server.requests[0]);
    }
  });

  it('applies to UDP 137 only', () => {
    expect(netbiosNsProbe.appliesTo(subjectFor(LOOPBACK, 137, { transport: 'udp' }))).toBe(true);
    expect(netbiosNsProbe.appliesTo(subjectFor(LOOPBACK, 137))).toBe(false);
    expect(netbiosNsProbe.appliesTo(subjectFor(LOOPBACK, 138, { transport: 'udp' }))).toBe(false);
  });
});
