import { createServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  LOOPBACK_CALLBACK,
  buildSubscribe,
  buildUnsubscribe,
  callbackCheck,
  grantedTimeout,
  headersComplete,
  parseEventResponse,
  subscriptionId,
} from '../../probes/upnp-events/codec.js';
import { upnpEventsProbe } from '../../probes/upnp-events/probe.js';
import { startUpnpHttpServer } from '../../src/lab/protocols/ssdp.js';
import type { CallbackPolicy } from '../../src/lab/protocols/ssdp.js';
import { fixture, listenTcp, runServiceProbe, seededBytes, subjectFor } from '../fixtures/harness.js';

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

describe('upnp-events codec', () => {
  it('builds SUBSCRIBE with NT, a loopback CALLBACK and a short TIMEOUT, and UNSUBSCRIBE with the SID only', () => {
    expect(LOOPBACK_CALLBACK).toBe('http://127.0.0.1:9/iotscan');
    expect(buildSubscribe('192.168.77.92:49153', '/upnp/event/basicevent1')).toBe(
      'SUBSCRIBE /upnp/event/basicevent1 HTTP/1.1\r\nHOST: 192.168.77.92:49153\r\nUSER-AGENT: iotscan/1 UPnP/1.1 iotscan/1\r\n' +
        'CALLBACK: <http://127.0.0.1:9/iotscan>\r\nNT: upnp:event\r\nTIMEOUT: Second-60\r\nCONNECTION: close\r\n\r\n',
    );
    expect(buildUnsubscribe('192.168.77.92:49153', '/evt?x=1', 'uuid:abc-1')).toBe(
      'UNSUBSCRIBE /evt?x=1 HTTP/1.1\r\nHOST: 192.168.77.92:49153\r\nSID: uuid:abc-1\r\nCONNECTION: close\r\n\r\n',
    );
  });

  it('refuses to put a line break or a non-path into a request line, or an odd SID into a header', () => {
    expect(() => buildSubscribe('h:1', '/evt\r\nX: y')).toThrow();
    expect(() => buildSubscribe('h:1', 'http://elsewhere/evt')).toThrow();
    expect(() => buildSubscribe('h:1', '/e v t')).toThrow();
    expect(() => buildUnsubscribe('h:1', '/evt', 'uuid:a\r\nX: y')).toThrow();
    expect(() => buildUnsubscribe('h:1', '/evt', 'not-a-uuid')).toThrow();
  });

  it('reads an accepting answer: 2xx, its SID and the granted TIMEOUT', () => {
    const response = parseEventResponse(fixture('upnp-events/subscribe-accepted.txt'));
    if (response === undefined) throw new Error('not parsed');
    expect(response.status).toBe(200);
    expect(callbackCheck(response)).toBe('accepted-loopback');
    expect(subscriptionId(response)).toBe('uuid:1387715a-035e-1090-b8e1-000000000001');
    expect(grantedTimeout(response)).toBe('300');
  });

  it("reads miniupnpd's 412 as a refusal", () => {
    const response = parseEventResponse(fixture('upnp-events/subscribe-412-miniupnpd.txt'));
    expect(response?.status).toBe(412);
    expect(response?.headers['server']).toBe('OpenWRT/OpenWrt UPnP/1.1 MiniUPnPd/2.3.1');
    if (response !== undefined) expect(callbackCheck(response)).toBe('rejected');
  });

  it('keeps no SID it could not send back, and reads TIMEOUT spellings', () => {
    const answer = (headers: string) => parseEventResponse(text(`HTTP/1.1 200 OK\r\n${headers}\r\n\r\n`));
    const sidOf = (headers: string) => {
      const response = answer(headers);
      return response === undefined ? 'unparsed' : subscriptionId(response);
    };
    expect(sidOf('Content-Length: 0')).toBeUndefined();
    expect(sidOf('SID: 12345')).toBeUndefined();
    expect(sidOf(`SID: uuid:${'a'.repeat(200)}`)).toBeUndefined();
    expect(sidOf('sid: UUID:Ab-1')).toBe('UUID:Ab-1');
    const timeoutOf = (value: string) => {
      const response = answer(`TIMEOUT: ${value}`);
      return response === undefined ? 'unparsed' : grantedTimeout(response);
    };
    expect(timeoutOf('Second-0060')).toBe('60');
    expect(timeoutOf('second-infinite')).toBe('infinite');
    expect(timeoutOf('1800')).toBeUndefined();
  });

  it('knows when the headers are complete', () => {
    expect(headersComplete(text('HTTP/1.1 200 OK\r\nSID: uuid:a\r\n'))).toBe(false);
    expect(headersComplete(text('HTTP/1.1 200 OK\r\nSID: uuid:a\r\n\r\n'))).toBe(true);
  });

  it('refuses requests, control characters, oversize answers and garbage, and never throws', () => {
    expect(parseEventResponse(text('SUBSCRIBE /evt HTTP/1.1\r\n\r\n'))).toBeUndefined();
    expect(parseEventResponse(text('HTTP/1.1 200 OK\r\nSID: uuid:a\u0000b\r\n\r\n'))).toBeUndefined();
    expect(parseEventResponse(text(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(9000)}\r\n\r\n`))).toBeUndefined();
    expect(parseEventResponse(text('HTTP/1.1 200 OK\r\nno colon\r\n\r\n'))).toBeUndefined();
    expect(parseEventResponse(new Uint8Array())).toBeUndefined();
    const answer = fixture('upnp-events/subscribe-accepted.txt');
    for (let seed = 1; seed <= 300; seed++) {
      const noise = seededBytes(seed, (seed * 7) % 1200);
      expect(() => {
        parseEventResponse(noise);
        parseEventResponse(answer.subarray(0, seed % (answer.length + 1)));
        headersComplete(noise);
      }).not.toThrow();
    }
  });
});

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/**
 * A UPnP device on 127.0.0.1: its description, and event URLs that answer SUBSCRIBE as `subscribe`
 * says and UNSUBSCRIBE with 200 for the SID it handed out. It records every request it gets.
 */
async function device(options: {
  description?: (port: number) => string;
  subscribe: { status: number; headers: Record<string, string> };
}): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers });
    if (request.method === 'GET' && request.url === '/rootDesc.xml') {
      const port = (server.address() as AddressInfo).port;
      response.writeHead(200, { 'content-type': 'text/xml' }).end(options.description?.(port) ?? fixture('ssdp/miniupnpd-rootDesc.xml'));
    } else if (request.method === 'SUBSCRIBE') {
      response.writeHead(options.subscribe.status, { ...options.subscribe.headers, 'content-length': '0' }).end();
    } else if (request.method === 'UNSUBSCRIBE') {
      response.writeHead(request.headers['sid'] === options.subscribe.headers['sid'] ? 200 : 412, { 'content-length': '0' }).end();
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { port: (server.address() as AddressInfo).port, seen };
}

function eventSubject(port: number, eventSubURL = '/evt/L3F') {
  return subjectFor('127.0.0.1', port, {
    serviceFields: { 'upnp.eventSubURL': eventSubURL, 'upnp.location': `http://127.0.0.1:${port}/rootDesc.xml` },
  });
}

const L3F = 'urn:schemas-upnp-org:service:Layer3Forwarding:1';

describe('upnp-events probe', () => {
  it('applies only to the LOCATION port of a host whose description named an event URL', () => {
    expect(upnpEventsProbe.appliesTo(eventSubject(5000))).toBe(true);
    expect(upnpEventsProbe.appliesTo(subjectFor('127.0.0.1', 5000, { serviceFields: { 'upnp.location': 'http://127.0.0.1:5000/rootDesc.xml' } }))).toBe(false);
    const otherPort = subjectFor('127.0.0.1', 80, { serviceFields: { 'upnp.eventSubURL': '/evt', 'upnp.location': 'http://127.0.0.1:5000/rootDesc.xml' } });
    expect(upnpEventsProbe.appliesTo(otherPort)).toBe(false);
    const otherHost = subjectFor('127.0.0.1', 5000, { serviceFields: { 'upnp.eventSubURL': '/evt', 'upnp.location': 'http://127.0.0.2:5000/rootDesc.xml' } });
    expect(upnpEventsProbe.appliesTo(otherHost)).toBe(false);
    expect(upnpEventsProbe.appliesTo({ ...eventSubject(5000), transport: 'udp' })).toBe(false);
  });

  it('subscribes once with the loopback callback, then cancels that very subscription', async () => {
    const { port, seen } = await device({ subscribe: { status: 200, headers: { sid: 'uuid:lab-sub-1', timeout: 'Second-60' } } });
    const run = await runServiceProbe(upnpEventsProbe, eventSubject(port));
    expect(run.status).toBe('success');
    expect(run.observations).toEqual([
      {
        kind: 'observation',
        port,
        transport: 'tcp',
        fields: {
          'upnp-events.callback-check': 'accepted-loopback',
          'upnp-events.status': '200',
          'upnp-events.service': L3F,
          'upnp-events.event-url': '/evt/L3F',
          'upnp-events.unsubscribed': 'yes',
          'upnp-events.timeout': '60',
        },
      },
    ]);
    expect(seen.map(({ method, url }) => `${method} ${url}`)).toEqual(['GET /rootDesc.xml', 'SUBSCRIBE /evt/L3F', 'UNSUBSCRIBE /evt/L3F']);
    const [, subscribe, unsubscribe] = seen;
    expect(subscribe?.headers).toMatchObject({ host: `127.0.0.1:${port}`, callback: '<http://127.0.0.1:9/iotscan>', nt: 'upnp:event', timeout: 'Second-60' });
    expect(unsubscribe?.headers['sid']).toBe('uuid:lab-sub-1');
    expect(unsubscribe?.headers['nt']).toBeUndefined();
    expect(unsubscribe?.headers['callback']).toBeUndefined();
  });

  it('records a refused callback and sends nothing more', async () => {
    const { port, seen } = await device({ subscribe: { status: 412, headers: {} } });
    const run = await runServiceProbe(upnpEventsProbe, eventSubject(port));
    expect(run.status).toBe('success');
    expect(run.observations.map((observation) => observation.fields)).toEqual([
      { 'upnp-events.callback-check': 'rejected', 'upnp-events.status': '412', 'upnp-events.service': L3F, 'upnp-events.event-url': '/evt/L3F' },
    ]);
    expect(seen.map(({ method }) => method)).toEqual(['GET', 'SUBSCRIBE']);
  });

  it('records an accepted subscription without a SID as one it could not cancel', async () => {
    const { port, seen } = await device({ subscribe: { status: 200, headers: { timeout: 'Second-1800' } } });
    const run = await runServiceProbe(upnpEventsProbe, eventSubject(port));
    expect(run.observations.map((observation) => observation.fields)).toEqual([
      {
        'upnp-events.callback-check': 'accepted-loopback',
        'upnp-events.status': '200',
        'upnp-events.service': L3F,
        'upnp-events.event-url': '/evt/L3F',
        'upnp-events.unsubscribed': 'no',
        'upnp-events.timeout': '1800',
      },
    ]);
    expect(seen.map(({ method }) => method)).toEqual(['GET', 'SUBSCRIBE']);
  });

  it('follows an event URL on another port of the same host, and reports on the description port', async () => {
    const events = await device({ subscribe: { status: 200, headers: { sid: 'uuid:other-port' } } });
    const description = (eventsPort: number) => (port: number) =>
      fixture('upnp-events/offsite-events.xml').toString().replace('http://203.0.113.9/evt/rc', `http://127.0.0.1:${eventsPort}/evt/rc`).replace('/ctl/rc', `http://127.0.0.1:${port}/ctl/rc`);
    const { port, seen } = await device({ description: description(events.port), subscribe: { status: 500, headers: {} } });
    const run = await runServiceProbe(upnpEventsProbe, eventSubject(port, `http://127.0.0.1:${events.port}/evt/rc`));
    expect(run.observations).toEqual([
      expect.objectContaining({
        port,
        fields: expect.objectContaining({ 'upnp-events.event-url': `http://127.0.0.1:${events.port}/evt/rc`, 'upnp-events.unsubscribed': 'yes' }),
      }),
    ]);
    expect(seen.map(({ method }) => method)).toEqual(['GET']);
    expect(events.seen.map(({ method, url }) => `${method} ${url}`)).toEqual(['SUBSCRIBE /evt/rc', 'UNSUBSCRIBE /evt/rc']);
  });

  it('never subscribes to an event URL on another host or over https', async () => {
    const { port, seen } = await device({ description: () => fixture('upnp-events/offsite-events.xml').toString(), subscribe: { status: 200, headers: { sid: 'uuid:x' } } });
    const run = await runServiceProbe(upnpEventsProbe, eventSubject(port, '/evt/stale'));
    expect(run.status).toBe('success');
    expect(run.observations.map((observation) => observation.fields)).toEqual([{ 'upnp-events.callback-check': 'no-event-url' }]);
    expect(seen.map(({ method }) => method)).toEqual(['GET']);
  });

  it('calls a non-HTTP answer a protocol mismatch and silence a timeout, with no observation', async () => {
    const garbage = await listenTcp((socket) => socket.once('data', () => socket.end('\u0000\u0001 not http at all\r\n\r\n')));
    const silent = await listenTcp(() => undefined);
    try {
      for (const [target, status] of [
        [garbage.port, 'protocol-mismatch'],
        [silent.port, 'io-timeout'],
      ] as const) {
        const description = () => fixture('upnp-events/offsite-events.xml').toString().replace('http://203.0.113.9/evt/rc', `http://127.0.0.1:${target}/evt/rc`);
        const { port } = await device({ description, subscribe: { status: 200, headers: {} } });
        const run = await runServiceProbe(upnpEventsProbe, eventSubject(port, `http://127.0.0.1:${target}/evt/rc`), 300);
        expect(run.status).toBe(status);
        expect(run.observations).toEqual([]);
      }
    } finally {
      await garbage.close();
      await silent.close();
    }
  });

  it('says no-response when the description cannot be read again', async () => {
    const closed = await listenTcp((socket) => socket.destroy());
    try {
      const run = await runServiceProbe(upnpEventsProbe, eventSubject(closed.port), 300);
      expect(run.status).toBe('no-response');
      expect(run.observations).toEqual([]);
    } finally {
      await closed.close();
    }
  });
});

describe("upnp-events probe against the lab's UPnP server", () => {
  /** The lab server on 127.0.0.1, playing a device at 192.168.77.60 (its subnet is what same-subnet compares with). */
  async function labDevice(callbacks: CallbackPolicy) {
    const description = fixture('upnp-events/offsite-events.xml').toString().replace('http://203.0.113.9/evt/rc', '/evt/rc');
    return startUpnpHttpServer({
      host: '127.0.0.1',
      port: 0,
      server: 'Linux/4.9 UPnP/1.0 Lab/1.0',
      pages: { '/rootDesc.xml': { contentType: 'text/xml', body: description } },
      events: { ipv4: '192.168.77.60', callbacks, paths: ['/evt/rc'] },
    });
  }

  it("a stack that takes any callback accepts the loopback one and honours the UNSUBSCRIBE", async () => {
    const lab = await labDevice('any');
    try {
      const run = await runServiceProbe(upnpEventsProbe, eventSubject(lab.port, '/evt/rc'));
      expect(run.observations.map((observation) => observation.fields)).toEqual([
        {
          'upnp-events.callback-check': 'accepted-loopback',
          'upnp-events.status': '200',
          'upnp-events.service': 'urn:schemas-upnp-org:service:RenderingControl:1',
          'upnp-events.event-url': '/evt/rc',
          'upnp-events.unsubscribed': 'yes',
          'upnp-events.timeout': '60',
        },
      ]);
    } finally {
      await lab.stop();
    }
  });

  it('a stack that checks callbacks against its subnet refuses the loopback one with 412', async () => {
    const lab = await labDevice('same-subnet');
    try {
      const run = await runServiceProbe(upnpEventsProbe, eventSubject(lab.port, '/evt/rc'));
      expect(run.observations.map((observation) => observation.fields)).toEqual([
        { 'upnp-events.callback-check': 'rejected', 'upnp-events.status': '412', 'upnp-events.service': 'urn:schemas-upnp-org:service:RenderingControl:1', 'upnp-events.event-url': '/evt/rc' },
      ]);
    } finally {
      await lab.stop();
    }
  });
});

/** One raw eventing request to the lab server: its status and SID. */
function sendTo(port: number, method: string, headers: Record<string, string>, path = '/evt/rc'): Promise<{ status: number; sid?: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (response) => {
      response.resume();
      const sid = response.headers['sid'];
      resolve({ status: response.statusCode ?? 0, ...(typeof sid === 'string' && { sid }) });
    });
    request.on('error', reject);
    request.end();
  });
}

describe("the lab's UPnP eventing", () => {
  it('answers as UDA 1.1 §4.1 says, and same-subnet takes only callbacks on the device subnet', async () => {
    const lab = await startUpnpHttpServer({
      host: '127.0.0.1',
      port: 0,
      server: 'Lab',
      pages: {},
      events: { ipv4: '192.168.77.60', callbacks: 'same-subnet', paths: ['/evt/rc'] },
    });
    try {
      const send = (method: string, headers: Record<string, string>, path?: string) => sendTo(lab.port, method, headers, path);
      const inSubnet = { callback: '<http://192.168.77.50:4000/cb>', nt: 'upnp:event', timeout: 'Second-60' };
      expect((await send('SUBSCRIBE', { ...inSubnet, callback: '<http://203.0.113.9/cb>' })).status).toBe(412);
      expect((await send('SUBSCRIBE', { ...inSubnet, callback: '<http://192.168.77.50/a><http://10.0.0.1/b>' })).status).toBe(412);
      expect((await send('SUBSCRIBE', { ...inSubnet, nt: 'upnp:propchange' })).status).toBe(412);
      expect((await send('SUBSCRIBE', { ...inSubnet, callback: 'http://192.168.77.50/no-brackets' })).status).toBe(412);
      expect((await send('SUBSCRIBE', inSubnet, '/evt/none')).status).toBe(404);
      const made = await send('SUBSCRIBE', inSubnet);
      expect(made.status).toBe(200);
      expect(made.sid).toMatch(/^uuid:[0-9a-f-]{36}$/);
      const sid = made.sid ?? '';
      expect((await send('SUBSCRIBE', { sid, timeout: 'Second-60' })).status).toBe(200);
      expect((await send('UNSUBSCRIBE', { sid, nt: 'upnp:event' })).status).toBe(400);
      expect((await send('UNSUBSCRIBE', { sid })).status).toBe(200);
      expect((await send('UNSUBSCRIBE', { sid })).status).toBe(412);
      expect((await send('SUBSCRIBE', { sid })).status).toBe(412);
      expect((await send('GET', {}, '/evt/rc')).status).toBe(404);
      expect((await send('POST', {}, '/evt/rc')).status).toBe(405);
    } finally {
      await lab.stop();
    }
  });
});
