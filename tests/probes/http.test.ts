import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { hasPasswordInput, httpFields, offersBasic, pageTitle, parseChallenge } from '../../probes/http/codec.js';
import type { HttpAnswer } from '../../probes/http/codec.js';
import { httpProbe } from '../../probes/http/probe.js';
import { fixture, runServiceProbe, subjectFor } from '../fixtures/harness.js';

function answerFixture(name: string): HttpAnswer {
  const raw = JSON.parse(fixture(`http/${name}`).toString()) as { status: number; headers: Record<string, string>; body: string };
  return { status: raw.status, headers: raw.headers, body: new TextEncoder().encode(raw.body) };
}

describe('http codec', () => {
  it('reads a camera 401 with Digest and Basic challenges', () => {
    expect(httpFields(answerFixture('camera-login.json'))).toEqual({
      'http.status': '401',
      'http.server': 'Boa/0.94.14rc21',
      'http.www-authenticate': 'Digest realm="IPCam, 2nd", nonce="abc", qop="auth", Basic realm="IPCam"',
      'http.auth-scheme': 'basic',
      'http.realm': 'IPCam, 2nd',
      'http.title': '401 Unauthorized',
    });
  });

  it('reads a login form page with an escaped title', () => {
    expect(httpFields(answerFixture('router-login-form.json'))).toEqual({
      'http.status': '200',
      'http.server': 'lighttpd/1.4.59',
      'http.powered-by': 'PHP/7.4.33',
      'http.title': 'Router & Gateway Login',
      'http.login-form': 'yes',
    });
  });

  it('reports a redirect target without following it', () => {
    expect(httpFields(answerFixture('redirect.json'))).toEqual({
      'http.status': '302',
      'http.server': 'mini_httpd/1.19 19dec2003',
      'http.location': '/cgi-bin/luci',
    });
  });

  it.each([
    ['Basic realm="x"', 'basic', 'x'],
    ['Digest realm="cam", nonce="1", qop="auth"', 'digest', 'cam'],
    ['Bearer realm=api', 'other', 'api'],
    ['NTLM', 'other', undefined],
  ])('parses the challenge %s', (header, scheme, realm) => {
    expect(parseChallenge(header)).toEqual(realm === undefined ? { scheme } : { scheme, realm });
  });

  it('spots Basic among several challenges only when it is a scheme', () => {
    expect(offersBasic('Digest realm="a", Basic realm="b"')).toBe(true);
    expect(offersBasic('Digest realm="basic"')).toBe(false);
    expect(offersBasic(undefined)).toBe(false);
  });

  it('survives garbage bodies', () => {
    const garbage = Uint8Array.from({ length: 70_000 }, (_, index) => (index * 7 + 3) % 256);
    const fields = httpFields({ status: 200, headers: { server: '\u001b[2Jx\u0000y' }, body: garbage });
    expect(fields['http.server']).toBe('xy');
    expect(pageTitle('<title>unterminated')).toBeUndefined();
    expect(hasPasswordInput('<input type="text" name="password">')).toBe(false);
  });
});

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<number> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

describe('http probe', () => {
  it('GETs / with the address as Host and reports what it saw', async () => {
    let seenHost = '';
    let seenAgent = '';
    const port = await serve((request, response) => {
      seenHost = request.headers.host ?? '';
      seenAgent = request.headers['user-agent'] ?? '';
      response.writeHead(401, { server: 'GoAhead-Webs', 'www-authenticate': 'Basic realm="IPCamera"' });
      response.end('<html><title>Unauthorized</title></html>');
    });
    const run = await runServiceProbe(httpProbe, subjectFor('127.0.0.1', port));
    expect(run.status).toBe('success');
    expect(seenHost).toBe(`127.0.0.1:${port}`);
    expect(seenAgent).toBe('iotscan');
    expect(run.observations[0]?.fields).toMatchObject({
      'http.status': '401',
      'http.server': 'GoAhead-Webs',
      'http.auth-scheme': 'basic',
      'http.realm': 'IPCamera',
      'http.title': 'Unauthorized',
    });
  });
});
