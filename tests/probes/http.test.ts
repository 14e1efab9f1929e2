import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { hasPasswordInput, httpFields, offersBasic, pageTitle, parseChallenge } from '../../probes/http/codec.js';
import type { HttpAnswer } from '../../probes/http/codec.js';
import { httpProbe } from '../../probes/http/probe.js';
import { basicAuthorization, httpBasicDriver } from '../../probes/creds/http-basic.js';
import { credentialContext, fixture, runServiceProbe, subjectFor } from '../fixtures/harness.js';

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

describe('http-basic credential driver', () => {
  const expected = basicAuthorization({ username: 'admin', password: '1234' });

  it('succeeds only with 401 without and 2xx with the right credentials', async () => {
    let attempts = 0;
    const port = await serve((request, response) => {
      if (request.url !== '/protected') {
        response.writeHead(404).end();
        return;
      }
      if (request.headers.authorization !== undefined) attempts += 1;
      if (request.headers.authorization === expected) response.writeHead(200).end('welcome');
      else response.writeHead(401, { 'www-authenticate': 'Basic realm="cam"' }).end();
    });
    const ctx = credentialContext(subjectFor('127.0.0.1', port), { path: '/protected' });
    expect(await httpBasicDriver.requiresLogin(ctx)).toEqual({ kind: 'login-required', detail: '401 Basic on /protected (realm "cam")' });
    expect(await httpBasicDriver.attempt(ctx, { username: 'admin', password: 'admin' })).toEqual({ kind: 'rejected' });
    const success = await httpBasicDriver.attempt(ctx, { username: 'admin', password: '1234' });
    expect(success.kind).toBe('success');
    expect(JSON.stringify(success)).not.toContain('1234');
    expect(attempts).toBe(2);
  });

  it('never reports success for a page that answers 200 without credentials', async () => {
    const port = await serve((_request, response) => {
      response.writeHead(200).end('open to everyone');
    });
    const ctx = credentialContext(subjectFor('127.0.0.1', port));
    expect((await httpBasicDriver.requiresLogin(ctx)).kind).toBe('no-login');
    const outcome = await httpBasicDriver.attempt(ctx, { username: 'admin', password: 'admin' });
    expect(outcome.kind).toBe('abort');
  });

  it('does not treat a Digest-only page as Basic', async () => {
    const port = await serve((_request, response) => {
      response.writeHead(401, { 'www-authenticate': 'Digest realm="x", nonce="1"' }).end();
    });
    const ctx = credentialContext(subjectFor('127.0.0.1', port));
    expect((await httpBasicDriver.requiresLogin(ctx)).kind).toBe('unreachable');
    expect((await httpBasicDriver.attempt(ctx, { username: 'a', password: 'b' })).kind).toBe('abort');
  });

  it('backs off on 429 and on lockout text', async () => {
    let mode: 'rate' | 'locked' = 'rate';
    const port = await serve((request, response) => {
      if (request.headers.authorization === undefined) response.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
      else if (mode === 'rate') response.writeHead(429).end();
      else response.writeHead(403).end('Account locked for 5 minutes');
    });
    const ctx = credentialContext(subjectFor('127.0.0.1', port));
    expect((await httpBasicDriver.attempt(ctx, { username: 'a', password: 'b' })).kind).toBe('back-off');
    mode = 'locked';
    expect((await httpBasicDriver.attempt(ctx, { username: 'a', password: 'b' })).kind).toBe('back-off');
  });
});
