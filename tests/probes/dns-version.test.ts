import { randomBytes } from 'node:crypto';
import { decode, encode } from 'dns-packet';
import type { Answer } from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { buildVersionQuery, parseVersionResponse } from '../../probes/dns-version/codec.js';
import { dnsVersionProbe } from '../../probes/dns-version/probe.js';
import { bindUdp, closeUdpSockets, hexFixture, runServiceProbe, subjectFor } from '../fixtures/harness.js';

/** A response to query `id` with the given answers and RCODE, as a name server would send it. */
function response(id: number, answers: Answer[], rcode = 0): Buffer {
  return encode({ type: 'response', id, flags: 0x8400 | rcode, questions: [{ type: 'TXT', class: 'CH', name: 'version.bind' }], answers });
}

const versionTxt = (data: string | Buffer | (string | Buffer)[]): Answer => ({ type: 'TXT', class: 'CH', name: 'version.bind', ttl: 0, data });

describe('dns-version codec', () => {
  it('asks a CHAOS-class TXT question for version.bind', () => {
    const query = decode(Buffer.from(buildVersionQuery(0x1234)));
    expect(query).toMatchObject({ id: 0x1234, type: 'query', questions: [{ name: 'version.bind', type: 'TXT', class: 'CH' }] });
  });

  it('reads the answer recorded from dnsmasq 2.90', () => {
    expect(parseVersionResponse(hexFixture('dns-version/dnsmasq-2.90-response.hex'), 0x1234)).toEqual({ kind: 'version', version: 'dnsmasq-2.90' });
    // The same bytes for another query id are not our answer.
    expect(parseVersionResponse(hexFixture('dns-version/dnsmasq-2.90-response.hex'), 0x4321)).toBeUndefined();
  });

  it('joins split TXT strings and makes them printable and bounded', () => {
    expect(parseVersionResponse(response(7, [versionTxt([Buffer.from('9.18.24-1-'), Buffer.from('Debian')])]), 7)).toEqual({ kind: 'version', version: '9.18.24-1-Debian' });
    expect(parseVersionResponse(response(7, [versionTxt(Buffer.from('\u001b]0;owned\u0007unbound 1.17.1'))]), 7)).toEqual({ kind: 'version', version: 'unbound 1.17.1' });
    const long = parseVersionResponse(response(7, [versionTxt(Array.from({ length: 8 }, () => Buffer.alloc(200, 0x61)))]), 7);
    expect(long?.kind === 'version' && long.version.length).toBeLessThanOrEqual(256);
  });

  it('says why there is no version', () => {
    expect(parseVersionResponse(response(9, [], 5), 9)).toEqual({ kind: 'no-version', rcode: 'REFUSED' });
    expect(parseVersionResponse(response(9, [], 4), 9)).toEqual({ kind: 'no-version', rcode: 'NOTIMP' });
    expect(parseVersionResponse(response(9, [versionTxt('')]), 9)).toEqual({ kind: 'no-version', rcode: 'NOERROR' });
  });

  it('ignores queries, garbage and oversize datagrams without throwing', () => {
    expect(parseVersionResponse(buildVersionQuery(3), 3)).toBeUndefined();
    expect(parseVersionResponse(new Uint8Array(0), 3)).toBeUndefined();
    expect(parseVersionResponse(new Uint8Array(5000), 0)).toBeUndefined();
    // A header that claims 65535 questions.
    expect(parseVersionResponse(Uint8Array.from([0, 3, 0x84, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0]), 3)).toBeUndefined();
    for (let round = 0; round < 300; round += 1) expect(() => parseVersionResponse(randomBytes(Math.floor(Math.random() * 600)), 0)).not.toThrow();
  });
});

afterEach(closeUdpSockets);

/** A name server on loopback answering each query with `answer(id)`; it counts the queries. */
async function nameServer(answer: ((id: number) => Buffer) | undefined): Promise<{ port: number; queries: number }> {
  const socket = await bindUdp();
  const state = { port: socket.address().port, queries: 0 };
  socket.on('message', (message, remote) => {
    state.queries += 1;
    const id = message.readUInt16BE(0);
    if (answer !== undefined) socket.send(answer(id), remote.port, remote.address);
  });
  return state;
}

/** The recorded dnsmasq answer with the query's id in place of the recorded one. */
function recordedDnsmasq(id: number): Buffer {
  const bytes = Buffer.from(hexFixture('dns-version/dnsmasq-2.90-response.hex'));
  bytes.writeUInt16BE(id, 0);
  return bytes;
}

describe('dns-version probe', () => {
  it('reports the version a name server gives', async () => {
    const server = await nameServer(recordedDnsmasq);
    const run = await runServiceProbe(dnsVersionProbe, subjectFor('127.0.0.1', server.port, { transport: 'udp' }));
    expect(run.status).toBe('success');
    expect(run.observations).toEqual([{ kind: 'observation', port: server.port, transport: 'udp', fields: { 'dns.version': 'dnsmasq-2.90' } }]);
    expect(server.queries).toBe(1);
  });

  it('records nothing for a server that refuses, and says so', async () => {
    const server = await nameServer((id) => response(id, [], 5));
    const run = await runServiceProbe(dnsVersionProbe, subjectFor('127.0.0.1', server.port, { transport: 'udp' }));
    expect(run).toEqual({ observations: [], status: 'success', detail: 'answered REFUSED without a version' });
  });

  it('ignores answers to other ids and calls a silent port silent after one retry', async () => {
    for (const answer of [undefined, (id: number) => recordedDnsmasq((id + 1) & 0xffff)]) {
      const server = await nameServer(answer);
      const run = await runServiceProbe(dnsVersionProbe, subjectFor('127.0.0.1', server.port, { transport: 'udp' }), 150);
      expect(run.status).toBe('no-response');
      expect(server.queries).toBe(2);
    }
  });
});
