import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildEmptyAck,
  buildWellKnownCoreGet,
  classifyReply,
  codeText,
  describeResources,
  linkFormatTargets,
  parseMessage,
} from '../../probes/coap/codec.js';
import type { CoapMessage } from '../../probes/coap/codec.js';
import { coapProbe } from '../../probes/coap/probe.js';
import { startCoapServer, type CoapServerOptions } from '../../src/lab/protocols/coap.js';
import { bindUdp, closeUdpSockets, hexFixture, runServiceProbe, scriptedUdpServer, subjectFor, udpExchange } from '../fixtures/harness.js';

const LOOPBACK = '127.0.0.1';
const LIBCOAP = 'coap/libcoap-4.3.1-well-known-core.hex';
const TOKEN = Uint8Array.from([0xde, 0xad, 0xbe, 0xef]);
/** The request sent to libcoap when the fixture was recorded. */
const RECORDED_REQUEST = '44011234deadbeefbb2e77656c6c2d6b6e6f776e04636f7265';
/** The Shelly lab device's CoAP server: two CoIoT resources and the global device id option. */
const SHELLY: Omit<CoapServerOptions, 'host' | 'port'> = {
  resources: [
    { path: '/cit/d', payload: '{"blk":[{"I":1,"D":"relay_0"}],"sen":[]}' },
    { path: '/cit/s', payload: '{"G":[[0,1101,0]]}' },
  ],
  responseOptions: [{ number: 3332, value: Buffer.from('SHPLG-S#6B1F2A#2', 'latin1') }],
};

/** RFC 7252 §3 laid out by hand: header, token, pre-encoded options, payload marker and payload. */
function message(type: number, code: number, messageId: number, token: Uint8Array, options: number[] = [], payload = ''): Buffer {
  const head = Buffer.from([0x40 | (type << 4) | token.length, code, messageId >> 8, messageId & 0xff]);
  const body = payload === '' ? [] : [Buffer.from([0xff]), Buffer.from(payload, 'utf8')];
  return Buffer.concat([head, Buffer.from(token), Buffer.from(options), ...body]);
}

const parsed = (bytes: Uint8Array): CoapMessage => {
  const result = parseMessage(bytes);
  if (result === undefined) throw new Error(`not a CoAP message: ${Buffer.from(bytes).toString('hex')}`);
  return result;
};

describe('coap codec', () => {
  it('builds a confirmable GET of /.well-known/core: 25 bytes, as sent to libcoap', () => {
    const request = buildWellKnownCoreGet(0x1234, TOKEN);
    expect(Buffer.from(request).toString('hex')).toBe(RECORDED_REQUEST);
    expect(parsed(request)).toMatchObject({ type: 'con', code: 0x01, messageId: 0x1234, token: TOKEN });
    expect(Buffer.from(buildEmptyAck(0xbeef)).toString('hex')).toBe('6000beef');
  });

  it('reads the piggybacked 2.05 recorded from libcoap 4.3.1 and its four resources', () => {
    const reply = parsed(hexFixture(LIBCOAP));
    expect(reply).toMatchObject({ type: 'ack', code: 0x45, messageId: 0x1234, token: TOKEN, contentFormat: 40 });
    expect(codeText(reply.code)).toBe('2.05');
    expect(classifyReply(reply, { messageId: 0x1234, token: TOKEN })).toBe('response');
    expect(describeResources(reply)).toBe('/ /time /async /example_data');
  });

  it('tells an empty ACK, a reset and a separate response from unrelated messages', () => {
    const ours = { messageId: 0x1234, token: TOKEN };
    expect(classifyReply(parsed(message(2, 0, 0x1234, new Uint8Array())), ours)).toBe('empty-ack');
    expect(classifyReply(parsed(message(3, 0, 0x1234, new Uint8Array())), ours)).toBe('reset');
    expect(classifyReply(parsed(message(0, 0x45, 0x9999, TOKEN, [], '<x>')), ours)).toBe('response');
    expect(classifyReply(parsed(message(1, 0x84, 0x9999, TOKEN)), ours)).toBe('response');
    expect(classifyReply(parsed(message(2, 0, 0x4321, new Uint8Array())), ours)).toBeUndefined();
    expect(classifyReply(parsed(message(2, 0x45, 0x1234, Uint8Array.from([1, 2, 3, 4]))), ours)).toBeUndefined();
    expect(classifyReply(parsed(message(1, 0x45, 0x9999, Uint8Array.from([1, 2, 3, 4]))), ours)).toBeUndefined();
    // Our own request echoed back is no answer.
    expect(classifyReply(parsed(buildWellKnownCoreGet(0x1234, TOKEN)), ours)).toBeUndefined();
  });

  it('reads Block2 (RFC 7959) and extended option numbers', () => {
    // Content-Format 40, Block2 NUM 0 M 1 SZX 6 (0x0e), then option 3332 (delta 3309: 14 + two bytes).
    const options = [0xc1, 40, 0xb1, 0x0e, 0xe3, 0x0b, 0xe0, 0x61, 0x62, 0x63];
    const reply = parsed(message(2, 0x45, 1, TOKEN, options, '<a>'));
    expect(reply.block2).toEqual({ num: 0, more: true, size: 1024 });
    expect(reply.contentFormat).toBe(40);
  });

  it('rejects what RFC 7252 calls a message format error, oversize datagrams and garbage', () => {
    const good = Buffer.from(hexFixture(LIBCOAP));
    expect(parseMessage(Buffer.concat([Buffer.from([0x80 | (good[0]! & 0x3f)]), good.subarray(1)]))).toBeUndefined(); // version 2
    expect(parseMessage(Buffer.from([0x49, 0x45, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9]))).toBeUndefined(); // TKL 9
    expect(parseMessage(Buffer.from([0x60, 0x45, 0, 1, 0xff]))).toBeUndefined(); // marker, no payload
    expect(parseMessage(Buffer.from([0x60, 0x45, 0, 1, 0x1f, 0]))).toBeUndefined(); // length nibble 15
    expect(parseMessage(Buffer.from([0x60, 0x45, 0, 1, 0x15, 1]))).toBeUndefined(); // option runs off the end
    expect(parseMessage(Buffer.from([0x60, 0x00, 0, 1, 0xff, 1]))).toBeUndefined(); // empty message with bytes
    expect(parseMessage(Buffer.from([0x60, 0x45, 0, 1, 0xd1, 0x0a, 0x07]))).toBeUndefined(); // Block2 SZX 7
    expect(parseMessage(Buffer.concat([good, Buffer.alloc(1400, 0x41)]))).toBeUndefined();
    for (let cut = 1; cut < 20; cut += 1) expect(() => parseMessage(good.subarray(0, cut))).not.toThrow();
    for (let round = 0; round < 300; round += 1) expect(() => parseMessage(randomBytes(Math.floor(Math.random() * 300)))).not.toThrow();
  });

  it('lists link targets: commas in quoted values, cut-off links and escapes handled, at most 32', () => {
    expect(linkFormatTargets('</a>;title="x, <not> a link",</b>;rt="y"')).toEqual(['/a', '/b']);
    expect(linkFormatTargets('</a>,</b>;ct=0,</c')).toEqual(['/a', '/b']);
    expect(linkFormatTargets('</\u001b[2Jwipe>')).toEqual(['/wipe']);
    expect(linkFormatTargets(Array.from({ length: 50 }, (_, index) => `</r${index}>`).join(','))).toHaveLength(32);
  });

  it('describes resources only for a 2.05 in link format', () => {
    expect(describeResources(parsed(message(2, 0x45, 1, TOKEN, [0xc1, 50], '{"a":"</x>"}')))).toBeUndefined();
    expect(describeResources(parsed(message(2, 0x84, 1, TOKEN, [], '</x>')))).toBeUndefined();
    expect(describeResources(parsed(message(2, 0x45, 1, TOKEN, [], '</x>,</y>')))).toBe('/x /y');
  });
});

const servers: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  closeUdpSockets();
  for (const server of servers.splice(0)) await server.stop();
});

async function labServer(options: Omit<CoapServerOptions, 'host' | 'port'> = SHELLY) {
  const server = await startCoapServer({ host: LOOPBACK, port: 0, ...options });
  servers.push(server);
  return server;
}

/** One datagram to the port, and what comes back within 150 ms. */
const exchange = (port: number, request: Uint8Array): Promise<Buffer[]> => udpExchange(port, request, 150);
/** A server that records every datagram and answers each with what `answer` returns, 20 ms apart. */
const scriptedServer = (answer: (request: Buffer) => Buffer[]) => scriptedUdpServer(answer, { gapMs: 20 });

/** Puts a recorder between the probe and a lab server on `target`. */
async function recordingRelay(target: number): Promise<{ port: number; requests: Buffer[] }> {
  const front = await bindUdp();
  const back = await bindUdp();
  const requests: Buffer[] = [];
  let client: { port: number; address: string } | undefined;
  front.on('message', (request, remote) => {
    requests.push(request);
    client = remote;
    back.send(request, target, LOOPBACK);
  });
  back.on('message', (reply) => {
    if (client !== undefined) front.send(reply, client.port, client.address);
  });
  return { port: front.address().port, requests };
}

const token = (request: Buffer): Uint8Array => request.subarray(4, 4 + (request[0]! & 0x0f));

describe('coap lab server', () => {
  it('lists its resources at /.well-known/core, piggybacked, with the vendor option', async () => {
    const server = await labServer();
    const [reply, ...more] = await exchange(server.port, buildWellKnownCoreGet(0x0101, TOKEN));
    expect(more).toEqual([]);
    const answer = parsed(reply ?? Buffer.alloc(0));
    expect(answer).toMatchObject({ type: 'ack', code: 0x45, messageId: 0x0101, token: TOKEN, contentFormat: 40 });
    expect(Buffer.from(answer.payload).toString()).toBe('</cit/d>,</cit/s>');
    expect(reply?.includes(Buffer.from('SHPLG-S#6B1F2A#2'))).toBe(true);
    expect(reply).toHaveLength(48);
  });

  it('answers a NON GET with a NON response, and other methods, paths and garbage as it should', async () => {
    const server = await labServer();
    const citS = [0xb3, ...Buffer.from('cit'), 0x01, ...Buffer.from('s')];
    const [status] = await exchange(server.port, message(1, 0x01, 7, TOKEN, citS));
    expect(parsed(status ?? Buffer.alloc(0))).toMatchObject({ type: 'non', code: 0x45, token: TOKEN });
    expect(Buffer.from(parsed(status ?? Buffer.alloc(0)).payload).toString()).toBe('{"G":[[0,1101,0]]}');
    const [put] = await exchange(server.port, message(0, 0x03, 8, TOKEN, citS, '{}'));
    expect(parsed(put ?? Buffer.alloc(0))).toMatchObject({ type: 'ack', code: 0x85, messageId: 8 });
    const [missing] = await exchange(server.port, message(0, 0x01, 9, TOKEN, [0xb4, ...Buffer.from('nope')]));
    expect(codeText(parsed(missing ?? Buffer.alloc(0)).code)).toBe('4.04');
    expect(await exchange(server.port, randomBytes(40))).toEqual([]);
    expect(await exchange(server.port, message(2, 0x45, 9, TOKEN))).toEqual([]);
    expect(await exchange(server.port, Buffer.concat([buildWellKnownCoreGet(1, TOKEN), Buffer.alloc(1200)]))).toEqual([]);
  });

  it('sends a long directory block-wise and serves the block a client asks for', async () => {
    const resources = Array.from({ length: 60 }, (_, index) => ({ path: `/sensors/temperature-${index}`, payload: '21' }));
    const server = await labServer({ resources });
    const [first] = await exchange(server.port, buildWellKnownCoreGet(1, TOKEN));
    expect(parsed(first ?? Buffer.alloc(0)).block2).toEqual({ num: 0, more: true, size: 1024 });
    const wellKnown = [0xbb, ...Buffer.from('.well-known'), 0x04, ...Buffer.from('core')];
    const [second] = await exchange(server.port, message(0, 0x01, 2, TOKEN, [...wellKnown, 0xc1, 0x16]));
    const block = parsed(second ?? Buffer.alloc(0));
    expect(block.block2).toEqual({ num: 1, more: false, size: 1024 });
    expect(Buffer.from(block.payload).toString()).toMatch(/temperature-59>$/);
  });
});

describe('coap probe', () => {
  it('reports code, resources and both sizes from the lab Shelly, with one GET only', async () => {
    const server = await labServer();
    const relay = await recordingRelay(server.port);
    const run = await runServiceProbe(coapProbe, subjectFor(LOOPBACK, relay.port, { transport: 'udp' }));
    expect(run.status).toBe('success');
    expect(run.observations).toEqual([
      {
        kind: 'observation',
        port: relay.port,
        transport: 'udp',
        fields: { 'coap.request-bytes': '25', 'coap.reply-bytes': '48', 'coap.code': '2.05', 'coap.resources': '/cit/d /cit/s' },
      },
    ]);
    expect(relay.requests).toHaveLength(1);
    expect(parsed(relay.requests[0] ?? Buffer.alloc(0))).toMatchObject({ type: 'con', code: 0x01 });
  });

  it('reads the first block of a block-wise answer and asks for no more', async () => {
    const resources = Array.from({ length: 60 }, (_, index) => ({ path: `/sensors/temperature-${index}`, payload: '21' }));
    const server = await labServer({ resources });
    const relay = await recordingRelay(server.port);
    const run = await runServiceProbe(coapProbe, subjectFor(LOOPBACK, relay.port, { transport: 'udp' }));
    expect(run).toMatchObject({ status: 'success', detail: 'answered block-wise; only the first block was read' });
    const fields = run.observations[0]?.fields ?? {};
    expect(Number(fields['coap.reply-bytes'])).toBeGreaterThan(1024);
    expect(fields['coap.resources']?.startsWith('/sensors/temperature-0 /sensors/temperature-1 ')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(relay.requests).toHaveLength(1);
  });

  it('counts an empty ACK and a separate response together, and acknowledges the response', async () => {
    const server = await scriptedServer((request) => {
      if (((request[0]! >> 4) & 0x03) !== 0) return [];
      return [message(2, 0, request.readUInt16BE(2), new Uint8Array()), message(0, 0x45, 0x7777, token(request), [0xc1, 40], '</later>')];
    });
    const run = await runServiceProbe(coapProbe, subjectFor(LOOPBACK, server.port, { transport: 'udp' }));
    expect(run.observations[0]?.fields).toEqual({ 'coap.request-bytes': '25', 'coap.reply-bytes': String(4 + 4 + 4 + 2 + 1 + 8), 'coap.code': '2.05', 'coap.resources': '/later' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The GET once (acknowledged, so no retransmission), then the empty ACK for the response.
    expect(server.requests.map((request) => request.toString('hex')).slice(1)).toEqual(['60007777']);
    expect(server.requests).toHaveLength(2);
  });

  it('records a reset as a CoAP endpoint without a code', async () => {
    const server = await scriptedServer((request) => [message(3, 0, request.readUInt16BE(2), new Uint8Array())]);
    const run = await runServiceProbe(coapProbe, subjectFor(LOOPBACK, server.port, { transport: 'udp' }));
    expect(run).toMatchObject({ status: 'success', detail: 'answered with a reset' });
    expect(run.observations[0]?.fields).toEqual({ 'coap.request-bytes': '25', 'coap.reply-bytes': '4' });
  });

  it('retransmits once, then calls a silent, garbage, oversize or foreign answer silent', async () => {
    const answers: ((request: Buffer) => Buffer[])[] = [
      () => [],
      () => [randomBytes(60)],
      (request) => [message(2, 0x45, request.readUInt16BE(2), token(request), [0xc1, 40], `</${'x'.repeat(1500)}>`)],
      (request) => [message(2, 0x45, request.readUInt16BE(2) ^ 0xffff, token(request), [], '</other>')],
    ];
    for (const answer of answers) {
      const server = await scriptedServer(answer);
      const run = await runServiceProbe(coapProbe, subjectFor(LOOPBACK, server.port, { transport: 'udp' }), 150);
      expect(run.status).toBe('no-response');
      expect(run.observations).toEqual([]);
      expect(server.requests).toHaveLength(2);
      // RFC 7252 §4.2: a retransmission is the same message, Message ID and token included.
      expect(server.requests[1]).toEqual(server.requests[0]);
    }
  });

  it('applies to UDP 5683 only', () => {
    expect(coapProbe.appliesTo(subjectFor(LOOPBACK, 5683, { transport: 'udp' }))).toBe(true);
    expect(coapProbe.appliesTo(subjectFor(LOOPBACK, 5683))).toBe(false);
    expect(coapProbe.appliesTo(subjectFor(LOOPBACK, 5684, { transport: 'udp' }))).toBe(false);
  });
});
