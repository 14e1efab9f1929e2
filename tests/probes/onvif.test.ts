import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_RESPONSE_BYTES, buildGetDeviceInformation, readDeviceInformationAnswer } from '../../probes/onvif/codec.js';
import { onvifProbe } from '../../probes/onvif/probe.js';
import { handleOnvifRequest, type OnvifServiceOptions } from '../../src/lab/protocols/onvif.js';
import { fixture, runServiceProbe, subjectFor } from '../fixtures/harness.js';

const information = () => fixture('onvif/device-information.xml').toString();
const notAuthorized = () => fixture('onvif/not-authorized-fault.xml').toString();

describe('onvif codec', () => {
  it('builds GetDeviceInformation in SOAP 1.2 with no header at all, so no WS-Security', () => {
    const xml = buildGetDeviceInformation();
    const document = new XMLParser({ ignoreAttributes: false, ignoreDeclaration: true }).parse(xml) as Record<string, Record<string, unknown>>;
    expect(document).toEqual({
      's:Envelope': {
        '@_xmlns:s': 'http://www.w3.org/2003/05/soap-envelope',
        's:Body': { GetDeviceInformation: { '@_xmlns': 'http://www.onvif.org/ver10/device/wsdl' } },
      },
    });
    expect(xml).not.toMatch(/Security|UsernameToken|Password/);
  });

  it('reads an open answer: manufacturer, model, firmware, serial and hardware id, entities decoded', () => {
    expect(readDeviceInformationAnswer(200, information())).toEqual({
      auth: 'open',
      information: { manufacturer: 'IPCAM', model: 'IPC-HX2100', firmware: 'V5.5.2 build 180314', serial: 'ZZ1803140001', hardwareId: 'HX2100 & WiFi' },
    });
  });

  it('takes 401 and the NotAuthorized fault (SOAP 1.2 subcode, nested subcode, reason, SOAP 1.1 faultstring) as a login asked', () => {
    expect(readDeviceInformationAnswer(401, '<html><body>401 Unauthorized</body></html>')).toEqual({ auth: 'required', evidence: 'HTTP 401' });
    expect(readDeviceInformationAnswer(400, notAuthorized())).toEqual({ auth: 'required', evidence: 'HTTP 400, SOAP fault NotAuthorized' });
    const nested = notAuthorized().replace(
      '<soapenv:Value>ter:NotAuthorized</soapenv:Value>',
      '<soapenv:Value>ter:InvalidArgVal</soapenv:Value><soapenv:Subcode><soapenv:Value>ter:NotAuthorized</soapenv:Value></soapenv:Subcode>',
    );
    expect(readDeviceInformationAnswer(500, nested).auth).toBe('required');
    const reasonOnly = notAuthorized().replace('ter:NotAuthorized', 'ter:Unknown');
    expect(readDeviceInformationAnswer(500, reasonOnly).auth).toBe('required');
    const soap11 =
      '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><SOAP-ENV:Fault>' +
      '<faultcode>SOAP-ENV:Client</faultcode><faultstring>Sender not authorized</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>';
    expect(readDeviceInformationAnswer(500, soap11).auth).toBe('required');
  });

  it('decides nothing from other faults, other pages, a 200 without the response, or garbage', () => {
    const unsupported = notAuthorized().replace('ter:NotAuthorized', 'ter:ActionNotSupported').replace('Sender not Authorized', 'Optional Action Not Implemented');
    expect(readDeviceInformationAnswer(500, unsupported)).toEqual({ auth: 'unknown', reason: 'HTTP 500, SOAP fault ter:ActionNotSupported' });
    expect(readDeviceInformationAnswer(404, '<html><head><title>404 Not Found</title></head></html>').auth).toBe('unknown');
    expect(readDeviceInformationAnswer(200, '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>').auth).toBe('unknown');
    // An answer in the right shape under the wrong status is no proof of an open service.
    expect(readDeviceInformationAnswer(500, information()).auth).toBe('unknown');
    expect(readDeviceInformationAnswer(200, '\u0000<<garbage').auth).toBe('unknown');
    expect(readDeviceInformationAnswer(403, '').auth).toBe('unknown');
  });

  it('refuses DOCTYPE, entity declarations and oversized bodies', () => {
    const bomb = `<!DOCTYPE e [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>${information().replace(/^<\?xml[^>]*>/, '').replace('IPC-HX2100', '&b;')}`;
    expect(readDeviceInformationAnswer(200, bomb)).toEqual({ auth: 'unknown', reason: 'DOCTYPE or ENTITY declaration' });
    const oversize = information().replace('</SOAP-ENV:Envelope>', `<!--${'x'.repeat(MAX_RESPONSE_BYTES)}--></SOAP-ENV:Envelope>`);
    expect(readDeviceInformationAnswer(200, oversize)).toEqual({ auth: 'unknown', reason: 'response too large' });
  });

  it('makes hostile values printable and short', () => {
    const hostile = information().replace('IPCAM', '\u001b[31mEvil\u0007 Corp').replace('IPC-HX2100', 'M'.repeat(1000));
    const answer = readDeviceInformationAnswer(200, hostile);
    if (answer.auth !== 'open') throw new Error(answer.auth);
    expect(answer.information.manufacturer).toBe('Evil Corp');
    expect(answer.information.model?.length).toBeLessThanOrEqual(128);
  });
});

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** An HTTP server on loopback that records each request (method, path, headers, body) and hands it on. */
async function server(handle: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const http = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => seen.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body }));
    handle(request, response);
  });
  servers.push(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { port: (http.address() as AddressInfo).port, seen };
}

/** A device with the lab's device service at `path` and 404 elsewhere. */
function labDevice(options: OnvifServiceOptions, path = '/onvif/device_service') {
  return server((request, response) => {
    if (request.method === 'POST' && request.url === path) handleOnvifRequest(request, response, options);
    else response.writeHead(404).end();
  });
}

const OPEN: OnvifServiceOptions = {
  auth: 'open',
  information: { manufacturer: 'Hipcam', model: 'IPCAM', firmwareVersion: 'V9.1.4.1.16-20170407', serialNumber: 'HI1907C0A81265', hardwareId: 'V1.0' },
};
const xaddr = (port: number, path = '/onvif/device_service') => ({ 'wsd.xaddrs': `http://127.0.0.1:${port}${path} http://[fe80::1]:${port}${path}` });

describe('onvif probe', () => {
  it('asks the XAddr WS-Discovery gave, once, and records what an open service gives away', async () => {
    const device = await labDevice(OPEN);
    const subject = subjectFor('127.0.0.1', device.port, { hostFields: xaddr(device.port) });
    expect(onvifProbe.appliesTo(subject)).toBe(true);
    const run = await runServiceProbe(onvifProbe, subject);
    expect(run.status).toBe('success');
    expect(run.observations).toEqual([
      {
        kind: 'observation',
        port: device.port,
        transport: 'tcp',
        fields: {
          'onvif.auth': 'open',
          'onvif.path': '/onvif/device_service',
          'onvif.manufacturer': 'Hipcam',
          'onvif.model': 'IPCAM',
          'onvif.firmware': 'V9.1.4.1.16-20170407',
          'onvif.serial': 'HI1907C0A81265',
          'onvif.hardware-id': 'V1.0',
        },
      },
    ]);
    expect(device.seen).toHaveLength(1);
    const [request] = device.seen;
    expect(request).toMatchObject({ method: 'POST', path: '/onvif/device_service', body: buildGetDeviceInformation() });
    expect(request?.headers['content-type']).toBe('application/soap+xml; charset=utf-8');
    expect(request?.headers['authorization']).toBeUndefined();
  });

  it('follows the XAddr path, query included', async () => {
    const device = await labDevice(OPEN, '/onvif/device?ch=1');
    const run = await runServiceProbe(onvifProbe, subjectFor('127.0.0.1', device.port, { hostFields: xaddr(device.port, '/onvif/device?ch=1') }));
    expect(run.observations[0]?.fields['onvif.path']).toBe('/onvif/device?ch=1');
    expect(device.seen.map((request) => request.path)).toEqual(['/onvif/device?ch=1']);
  });

  it('records a login asked: the lab camera with WS-UsernameToken only (400 + NotAuthorized), and digest (401)', async () => {
    const device = await labDevice({ auth: 'username-token' });
    const run = await runServiceProbe(onvifProbe, subjectFor('127.0.0.1', device.port, { hostFields: xaddr(device.port) }));
    expect(run).toMatchObject({ status: 'success', detail: 'HTTP 400, SOAP fault NotAuthorized' });
    expect(run.observations.map((o) => o.fields)).toEqual([{ 'onvif.auth': 'required', 'onvif.path': '/onvif/device_service' }]);

    const digest = await server((_request, response) => {
      response.writeHead(401, { 'WWW-Authenticate': 'Digest realm="IP Camera", qop="auth", nonce="4e6f6e6365"' }).end();
    });
    const challenged = await runServiceProbe(onvifProbe, subjectFor('127.0.0.1', digest.port, { hostFields: xaddr(digest.port) }));
    expect(challenged.observations.map((o) => o.fields['onvif.auth'])).toEqual(['required']);
  });

  it('records nothing where no ONVIF service answers', async () => {
    const web = await server((_request, response) => {
      response.writeHead(404, { 'Content-Type': 'text/html' }).end('<html><body>Not Found</body></html>');
    });
    const run = await runServiceProbe(onvifProbe, subjectFor('127.0.0.1', web.port, { hostFields: xaddr(web.port) }));
    expect(run.status).toBe('protocol-mismatch');
    expect(run.observations).toEqual([]);
  });

  it('never applies to an XAddr on another host, nor to another port than the XAddr names', () => {
    const elsewhere = { 'wsd.xaddrs': 'http://192.0.2.9/onvif/device_service', 'rtsp.status': '200' };
    expect(onvifProbe.appliesTo(subjectFor('127.0.0.1', 8899, { hostFields: { 'wsd.xaddrs': 'http://192.0.2.9:8899/onvif/device_service' } }))).toBe(false);
    // With no XAddr on this host, a camera still gets the fixed entry point on port 80, on its own address.
    expect(onvifProbe.appliesTo(subjectFor('127.0.0.1', 80, { hostFields: elsewhere, serviceFields: { 'http.status': '200' } }))).toBe(true);
    const onOtherPort = { ...xaddr(8899), 'rtsp.status': '200' };
    expect(onvifProbe.appliesTo(subjectFor('127.0.0.1', 80, { hostFields: onOtherPort, serviceFields: { 'http.status': '200' } }))).toBe(false);
    expect(onvifProbe.appliesTo(subjectFor('127.0.0.1', 8899, { hostFields: onOtherPort }))).toBe(true);
    expect(onvifProbe.appliesTo(subjectFor('127.0.0.1', 8899, { hostFields: { 'wsd.xaddrs': 'https://127.0.0.1:8899/onvif/device_service' } }))).toBe(false);
  });

  it('tries port 80 without an XAddr only on a web server of a device that looks like a camera', () => {
    const http = { 'http.status': '401' };
    expect(onvifProbe.appliesTo(subjectFor('127.0.0.1', 80, { hostFields: { 'rtsp.status': '200' }, serviceFields: http }))).toBe(true);
    expect(onvifProbe.appliesTo(subjectFor('127.0.0.1', 80, { hostFields: { 'wsd.types': 'dn:NetworkVideoTransmitter' }, serviceFields: http }))).toBe(true);
    expect(onvifProbe.appliesTo(subjectFor('127.0.0.1', 80, { hostFields: { 'wsd.types': 'wsdp:Device' }, serviceFields: http }))).toBe(false);
    expect(onvifProbe.appliesTo(subjectFor('127.0.0.1', 80, { serviceFields: http }))).toBe(false);
    expect(onvifProbe.appliesTo(subjectFor('127.0.0.1', 80, { hostFields: { 'rtsp.status': '200' } }))).toBe(false);
    expect(onvifProbe.appliesTo(subjectFor('127.0.0.1', 8080, { hostFields: { 'rtsp.status': '200' }, serviceFields: http }))).toBe(false);
    expect(onvifProbe.appliesTo(subjectFor('127.0.0.1', 80, { transport: 'udp', hostFields: { 'rtsp.status': '200' }, serviceFields: http }))).toBe(false);
  });
});

describe('lab ONVIF device service', () => {
  async function post(port: number, body: string, contentType = 'application/soap+xml; charset=utf-8'): Promise<{ status: number; text: string }> {
    const response = await fetch(`http://127.0.0.1:${port}/onvif/device_service`, { method: 'POST', headers: { 'content-type': contentType }, body });
    return { status: response.status, text: await response.text() };
  }

  it('serves nothing but GetDeviceInformation, and refuses what is not SOAP 1.2', async () => {
    const device = await labDevice(OPEN);
    const other = buildGetDeviceInformation().replace('GetDeviceInformation', 'GetUsers');
    const refused = await post(device.port, other);
    expect(refused.status).toBe(500);
    expect(readDeviceInformationAnswer(refused.status, refused.text)).toEqual({ auth: 'unknown', reason: 'HTTP 500, SOAP fault ter:ActionNotSupported' });
    expect((await post(device.port, buildGetDeviceInformation(), 'text/plain')).status).toBe(415);
    expect((await post(device.port, `<!DOCTYPE x [<!ENTITY a "b">]>${buildGetDeviceInformation()}`)).status).toBe(400);
    expect((await post(device.port, 'x'.repeat(20_000))).status).toBe(400);
  });
});
