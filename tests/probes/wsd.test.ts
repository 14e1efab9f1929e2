import { randomBytes } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_REPLY_BYTES, buildProbe, parseProbeMatches, probeMatchFields } from '../../probes/wsd/codec.js';
import { wsdProbe } from '../../probes/wsd/probe.js';
import type { RunningServer } from '../../src/lab/listen.js';
import { startWsDiscoveryResponder } from '../../src/lab/protocols/onvif.js';
import { bindUdp, closeUdpSockets, fixture, runServiceProbe, scriptedUdpServer, subjectFor } from '../fixtures/harness.js';

const FIXTURE_ID = 'urn:uuid:9f1c2a44-0b7e-4c1d-8a55-2f6e3b1d7c90';
const OTHER_ID = 'urn:uuid:00000000-1111-4222-8333-444444444444';
const camera = () => fixture('wsd/probe-matches-camera.xml');
const withRelatesTo = (id: string) => Buffer.from(camera().toString().replace(FIXTURE_ID, id));

const reader = new XMLParser({ ignoreAttributes: false, removeNSPrefix: true, processEntities: false });

describe('wsd codec', () => {
  it('builds a Probe addressed to Target Services, with the MessageID and nothing that restricts the answer', () => {
    const bytes = buildProbe(FIXTURE_ID);
    const text = Buffer.from(bytes).toString('utf8');
    expect(text).toContain('xmlns:s="http://www.w3.org/2003/05/soap-envelope"');
    expect(text).toContain('xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"');
    expect(text).toContain('xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"');
    const envelope = (reader.parse(text) as { Envelope: { Header: Record<string, { '#text': string } | string>; Body: Record<string, unknown> } }).Envelope;
    const header = (name: string) => {
      const value = envelope.Header[name];
      return typeof value === 'string' ? value : value?.['#text'];
    };
    expect(header('Action')).toBe('http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe');
    expect(header('MessageID')).toBe(FIXTURE_ID);
    expect(header('To')).toBe('urn:schemas-xmlsoap-org:ws:2005:04:discovery');
    expect(envelope.Body).toEqual({ Probe: '' });
    expect(bytes.length).toBeLessThan(600);
  });

  it('refuses a MessageID that is not a urn:uuid', () => {
    expect(() => buildProbe('uuid:9f1c2a44-0b7e-4c1d-8a55-2f6e3b1d7c90')).toThrow(/urn:uuid/);
    expect(() => buildProbe(`${FIXTURE_ID}</a:MessageID>`)).toThrow(/urn:uuid/);
  });

  it('reads the Types, Scopes and XAddrs of the ProbeMatches that answers our Probe', () => {
    const result = parseProbeMatches(camera(), FIXTURE_ID);
    expect(result).toEqual({
      kind: 'matches',
      matches: [
        {
          types: ['dn:NetworkVideoTransmitter', 'tds:Device'],
          scopes: [
            'onvif://www.onvif.org/type/NetworkVideoTransmitter',
            'onvif://www.onvif.org/type/video_encoder',
            'onvif://www.onvif.org/type/audio_encoder',
            'onvif://www.onvif.org/hardware/IPC-HX2100',
            'onvif://www.onvif.org/name/Nursery%20cam',
            'onvif://www.onvif.org/location/country/china',
            'onvif://www.onvif.org/Profile/Streaming',
          ],
          xaddrs: ['http://192.168.1.20:8899/onvif/device_service', 'http://[fe80::e2b9:4dff:fe6c:210f]:8899/onvif/device_service'],
        },
      ],
    });
    if (result.kind !== 'matches') throw new Error(result.kind);
    expect(probeMatchFields(result.matches)).toEqual({
      'wsd.types': 'dn:NetworkVideoTransmitter tds:Device',
      'wsd.scopes':
        'onvif://www.onvif.org/type/NetworkVideoTransmitter onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/type/audio_encoder ' +
        'onvif://www.onvif.org/hardware/IPC-HX2100 onvif://www.onvif.org/name/Nursery%20cam onvif://www.onvif.org/location/country/china ' +
        'onvif://www.onvif.org/Profile/Streaming',
      'wsd.xaddrs': 'http://192.168.1.20:8899/onvif/device_service http://[fe80::e2b9:4dff:fe6c:210f]:8899/onvif/device_service',
    });
  });

  it('ignores a ProbeMatches whose RelatesTo names another Probe, or none', () => {
    expect(parseProbeMatches(camera(), OTHER_ID)).toEqual({ kind: 'unrelated' });
    expect(parseProbeMatches(withRelatesTo(`${FIXTURE_ID}x`), FIXTURE_ID)).toEqual({ kind: 'unrelated' });
    const without = Buffer.from(camera().toString().replace(/<wsa:RelatesTo>[^<]*<\/wsa:RelatesTo>/, ''));
    expect(parseProbeMatches(without, FIXTURE_ID)).toEqual({ kind: 'unrelated' });
  });

  it('refuses DOCTYPE and entity declarations before parsing', () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE e [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>${camera().toString().replace(/^<\?xml[^>]*>/, '').replace('IPC-HX2100', '&b;')}`;
    expect(parseProbeMatches(Buffer.from(bomb), FIXTURE_ID)).toEqual({ kind: 'invalid', reason: 'DOCTYPE or ENTITY declaration' });
    const external = '<!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>';
    expect(parseProbeMatches(Buffer.from(external), FIXTURE_ID).kind).toBe('invalid');
  });

  it('refuses a reply over the size cap, and an empty one', () => {
    const padding = `<!--${'x'.repeat(MAX_REPLY_BYTES)}-->`;
    const oversize = Buffer.from(withRelatesTo(FIXTURE_ID).toString().replace('</SOAP-ENV:Envelope>', `${padding}</SOAP-ENV:Envelope>`));
    expect(oversize.length).toBeGreaterThan(MAX_REPLY_BYTES);
    expect(parseProbeMatches(oversize, FIXTURE_ID)).toEqual({ kind: 'invalid', reason: 'reply too large' });
    expect(parseProbeMatches(new Uint8Array(0), FIXTURE_ID).kind).toBe('invalid');
  });

  it('refuses other messages and garbage without throwing', () => {
    expect(parseProbeMatches(buildProbe(FIXTURE_ID), FIXTURE_ID)).toEqual({ kind: 'invalid', reason: 'not a ProbeMatches message' });
    const wrongAction = Buffer.from(camera().toString().replace('/discovery/ProbeMatches<', '/discovery/Hello<'));
    expect(parseProbeMatches(wrongAction, FIXTURE_ID).kind).toBe('invalid');
    expect(parseProbeMatches(Buffer.from('<:/>'), FIXTURE_ID).kind).toBe('invalid');
    for (let round = 0; round < 200; round += 1) expect(() => parseProbeMatches(randomBytes(Math.floor(Math.random() * 2000)), FIXTURE_ID)).not.toThrow();
  });

  it('makes hostile values printable, decodes the predefined entities and bounds every list', () => {
    const hostile = camera()
      .toString()
      .replace('onvif://www.onvif.org/hardware/IPC-HX2100', 'onvif://www.onvif.org/name/\u001b[2J\u001b]0;owned\u0007Cam&amp;Co')
      .replace('dn:NetworkVideoTransmitter tds:Device', Array.from({ length: 100 }, (_, index) => `x:T${index}`).join(' '))
      .replace('http://192.168.1.20:8899/onvif/device_service', `http://192.168.1.20/${'a'.repeat(5000)}`);
    const result = parseProbeMatches(Buffer.from(hostile), FIXTURE_ID);
    if (result.kind !== 'matches') throw new Error(result.kind);
    const [match] = result.matches;
    expect(match?.scopes).toContain('onvif://www.onvif.org/name/Cam&Co');
    expect(match?.types).toHaveLength(32);
    expect(match?.xaddrs[0]?.length).toBeLessThanOrEqual(256);
    const fields = probeMatchFields(result.matches);
    for (const value of Object.values(fields)) {
      // eslint-disable-next-line no-control-regex
      expect(value).not.toMatch(/[\u0000-\u001f\u007f]/);
      expect(value.length).toBeLessThanOrEqual(1024);
    }
  });
});

const responders: RunningServer[] = [];
afterEach(async () => {
  closeUdpSockets();
  for (const responder of responders.splice(0)) await responder.stop();
});

/** The lab's camera responder on loopback. */
async function labCamera(types: readonly string[] = ['dn:NetworkVideoTransmitter', 'tds:Device']): Promise<number> {
  const responder = await startWsDiscoveryResponder({
    host: '127.0.0.1',
    port: 0,
    endpoint: 'urn:uuid:5f5a69c2-e0ae-504f-829b-00408c1a2b3c',
    types,
    scopes: ['onvif://www.onvif.org/type/video_encoder', 'onvif://www.onvif.org/hardware/M1011', 'onvif://www.onvif.org/name/AXIS%20M1011'],
    xaddrs: ['http://127.0.0.1/onvif/device_service'],
  });
  responders.push(responder);
  return responder.port;
}

const messageIdOf = (request: Buffer) => /<a:MessageID>([^<]+)<\/a:MessageID>/.exec(request.toString())?.[1] ?? '';

describe('wsd probe', () => {
  it('sends one Probe and records the sizes, Types, Scopes and XAddrs of the answer (lab camera)', async () => {
    const port = await labCamera();
    const run = await runServiceProbe(wsdProbe, subjectFor('127.0.0.1', port, { transport: 'udp' }));
    expect(run.status).toBe('success');
    expect(run.observations).toHaveLength(1);
    const fields: Record<string, string> = run.observations[0]?.fields ?? {};
    expect(fields).toMatchObject({
      'wsd.types': 'dn:NetworkVideoTransmitter tds:Device',
      'wsd.scopes': 'onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/hardware/M1011 onvif://www.onvif.org/name/AXIS%20M1011',
      'wsd.xaddrs': 'http://127.0.0.1/onvif/device_service',
    });
    expect(Number(fields['wsd.request-bytes'])).toBe(buildProbe(FIXTURE_ID).length);
    // The reflector question: the answer is larger than the question.
    expect(Number(fields['wsd.reply-bytes'])).toBeGreaterThan(Number(fields['wsd.request-bytes']));
  });

  it('counts the exact size of the datagram that answered', async () => {
    const server = await scriptedUdpServer((request) => withRelatesTo(messageIdOf(request)));
    const run = await runServiceProbe(wsdProbe, subjectFor('127.0.0.1', server.port, { transport: 'udp' }));
    expect(run.observations[0]?.fields['wsd.reply-bytes']).toBe(String(withRelatesTo(messageIdOf(server.requests[0] ?? Buffer.alloc(0))).length));
    expect(run.observations[0]?.fields['wsd.request-bytes']).toBe(String(server.requests[0]?.length));
    expect(server.requests).toHaveLength(1);
  });

  it('retries once with the same message, then calls a silent port silent', async () => {
    const server = await scriptedUdpServer(() => undefined);
    const run = await runServiceProbe(wsdProbe, subjectFor('127.0.0.1', server.port, { transport: 'udp' }), 150);
    expect(run.status).toBe('no-response');
    expect(run.observations).toEqual([]);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]?.equals(server.requests[0] ?? Buffer.alloc(0))).toBe(true);
    expect(messageIdOf(server.requests[0] ?? Buffer.alloc(0))).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
  });

  it('takes no answer that relates to another Probe, is garbage, or comes from another address', async () => {
    const unrelated = await scriptedUdpServer(() => withRelatesTo(OTHER_ID));
    expect((await runServiceProbe(wsdProbe, subjectFor('127.0.0.1', unrelated.port, { transport: 'udp' }), 150)).status).toBe('no-response');
    const garbage = await scriptedUdpServer(() => randomBytes(400));
    expect((await runServiceProbe(wsdProbe, subjectFor('127.0.0.1', garbage.port, { transport: 'udp' }), 150)).status).toBe('no-response');
    const elsewhere = await bindUdp('127.0.0.2');
    const spoofed = await scriptedUdpServer((request) => withRelatesTo(messageIdOf(request)), { from: elsewhere });
    const run = await runServiceProbe(wsdProbe, subjectFor('127.0.0.1', spoofed.port, { transport: 'udp' }), 150);
    expect(run.status).toBe('no-response');
    expect(spoofed.requests).toHaveLength(2);
  });

  it('applies to UDP 3702 only', () => {
    expect(wsdProbe.appliesTo(subjectFor('127.0.0.1', 3702, { transport: 'udp' }))).toBe(true);
    expect(wsdProbe.appliesTo(subjectFor('127.0.0.1', 3702))).toBe(false);
    expect(wsdProbe.appliesTo(subjectFor('127.0.0.1', 1900, { transport: 'udp' }))).toBe(false);
  });
});

describe('lab WS-Discovery responder', () => {
  async function ask(port: number, probe: string): Promise<Buffer | undefined> {
    const client = await bindUdp();
    const answer = new Promise<Buffer | undefined>((resolve) => {
      client.once('message', (message: Buffer) => resolve(message));
      setTimeout(() => resolve(undefined), 300);
    });
    client.send(Buffer.from(probe), port, '127.0.0.1');
    return answer;
  }
  const probeWith = (body: string) => Buffer.from(buildProbe(FIXTURE_ID)).toString().replace('<d:Probe/>', `<d:Probe>${body}</d:Probe>`);

  it('answers a Probe whose Types and Scopes it has, and keeps quiet otherwise', async () => {
    const port = await labCamera(['dn:NetworkVideoTransmitter']);
    const matched = await ask(port, probeWith('<d:Types xmlns:dn="http://www.onvif.org/ver10/network/wsdl">dn:NetworkVideoTransmitter</d:Types><d:Scopes>onvif://www.onvif.org/hardware</d:Scopes>'));
    expect(matched === undefined ? undefined : parseProbeMatches(matched, FIXTURE_ID).kind).toBe('matches');
    expect(await ask(port, probeWith('<d:Types xmlns:i="http://printer.example.org/2003/imaging">i:PrintBasic</d:Types>'))).toBeUndefined();
    // RFC 3986 matching goes by whole segments: /hardware/M10 is not a prefix of /hardware/M1011.
    expect(await ask(port, probeWith('<d:Scopes>onvif://www.onvif.org/hardware/M10</d:Scopes>'))).toBeUndefined();
    expect(await ask(port, `<!DOCTYPE x [<!ENTITY a "b">]>${Buffer.from(buildProbe(FIXTURE_ID)).toString().replace(/^<\?xml[^>]*>/, '')}`)).toBeUndefined();
  });

  it('echoes a hostile MessageID only escaped, and never one that is not a plain token', async () => {
    const port = await labCamera();
    const sneaky = Buffer.from(buildProbe(FIXTURE_ID)).toString().replace(FIXTURE_ID, 'urn:x&amp;y');
    const answer = await ask(port, sneaky);
    expect(answer?.toString()).toContain('<wsa:RelatesTo>urn:x&#38;y</wsa:RelatesTo>');
    expect(await ask(port, Buffer.from(buildProbe(FIXTURE_ID)).toString().replace(FIXTURE_ID, 'urn:x y'))).toBeUndefined();
  });
});
