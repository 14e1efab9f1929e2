// The lab's login servers on loopback, driven by the scanner's own credential drivers: the Digest
// login the camera and the hardened box use, the airCam's login form and the FTP server's empty
// password. Each must let the published pair in, refuse the rest, and count what it received.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { digestAuthorization, pickDigestChallenge } from '../../probes/creds/digest.js';
import { ftpDriver } from '../../probes/creds/ftp.js';
import { httpDriver } from '../../probes/creds/http.js';
import { startLoginPage } from '../../src/lab/devices/old-device.js';
import { startFtpServer } from '../../src/lab/protocols/ftp.js';
import { basicAccepts, DigestLogin, startHttpServer } from '../../src/lab/protocols/http.js';
import { credentialContext, subjectFor } from '../fixtures/harness.js';

const LOOPBACK = '127.0.0.1';
const ROOT = { username: 'root', password: 'pass' };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function context(port: number, params: Record<string, string>) {
  return credentialContext(subjectFor(LOOPBACK, port), params);
}

/** A server whose 401 offers Digest and Basic in one realm, as an Axis camera's factory policy does. */
async function bothSchemes(login: DigestLogin, counted: { attempts: number }): Promise<number> {
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const authorization = request.headers.authorization;
    if (authorization !== undefined) counted.attempts += 1;
    if (basicAccepts(authorization, [ROOT]) || login.accepts(authorization, request.method ?? 'GET', request.url ?? '/')) {
      response.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><body>live view</body></html>');
      return;
    }
    response.writeHead(401, { 'WWW-Authenticate': [login.challenge(), 'Basic realm="AXIS_00408C1A2B3C"'] }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

describe('lab Digest login', () => {
  it('lets the digest-auth driver in with the account, refuses another pair, one counted request per attempt', async () => {
    const counted = { attempts: 0 };
    const port = await bothSchemes(new DigestLogin('AXIS_00408C1A2B3C', [ROOT]), counted);
    const ctx = context(port, { strategy: 'digest-auth', path: '/' });
    expect(await httpDriver.requiresLogin(ctx)).toEqual({ kind: 'login-required', detail: '401 Digest MD5 on / (realm "AXIS_00408C1A2B3C")' });
    expect(await httpDriver.attempt(ctx, { username: 'root', password: 'wrong' })).toEqual({ kind: 'rejected' });
    expect(await httpDriver.attempt(ctx, ROOT)).toEqual({ kind: 'success', evidence: '/: 401 Digest MD5 without credentials, 200 with them' });
    expect(counted.attempts).toBe(2);
  });

  it('takes Basic for the same account where the policy allows both', async () => {
    const port = await bothSchemes(new DigestLogin('AXIS_00408C1A2B3C', [ROOT]), { attempts: 0 });
    expect(await httpDriver.attempt(context(port, { strategy: 'basic-auth', path: '/' }), ROOT)).toMatchObject({ kind: 'success' });
  });

  it('accepts an answer only for its own nonce, realm, method and URI', () => {
    const login = new DigestLogin('Motion', [ROOT]);
    const challenge = pickDigestChallenge(login.challenge());
    expect(challenge).toMatchObject({ realm: 'Motion', algorithm: 'MD5', qop: 'auth' });
    if (challenge === undefined) return;
    const answer = (over: Partial<typeof challenge>, uri = '/') => digestAuthorization({ ...challenge, ...over }, ROOT, { method: 'GET', uri });
    expect(login.accepts(answer({}), 'GET', '/')).toBe(true);
    expect(login.accepts(answer({}), 'HEAD', '/')).toBe(false);
    expect(login.accepts(answer({}, '/other'), 'GET', '/')).toBe(false);
    expect(login.accepts(answer({ nonce: '0123456789abcdef0123456789abcdef' }), 'GET', '/')).toBe(false);
    expect(login.accepts(answer({ realm: 'Elsewhere' }), 'GET', '/')).toBe(false);
    expect(login.accepts(digestAuthorization(challenge, { username: 'root', password: 'guess' }, { method: 'GET', uri: '/' }), 'GET', '/')).toBe(false);
    expect(login.accepts(`Basic ${Buffer.from('root:pass').toString('base64')}`, 'GET', '/')).toBe(false);
    expect(login.accepts(`Digest ${'x'.repeat(5000)}`, 'GET', '/')).toBe(false);
  });

  it('answers every path with the challenge until the login holds (Motion web control)', async () => {
    const login = new DigestLogin('Motion', [{ username: 'frontdoor', password: 'Hx3!vLq9-Tz2' }], '80fb23a1e3760a3d1c91cd060bd07f7a90877334');
    let attempts = 0;
    const guarded = (request: IncomingMessage) => {
      if (request.headers.authorization !== undefined) attempts += 1;
      return login.accepts(request.headers.authorization, request.method ?? 'GET', request.url ?? '/')
        ? { contentType: 'text/html', body: 'camera list' }
        : { status: 401, contentType: 'text/html', headers: { 'WWW-Authenticate': login.challenge() }, body: 'Access denied' };
    };
    const server = await startHttpServer({ host: LOOPBACK, port: 0, pages: { '/': guarded }, notFound: guarded });
    cleanups.push(server.stop);
    const ctx = context(server.port, { strategy: 'digest-auth', path: '/' });
    expect(await httpDriver.requiresLogin(ctx)).toMatchObject({ kind: 'login-required' });
    expect(await httpDriver.requiresLogin(context(server.port, { strategy: 'digest-auth', path: '/1/' }))).toMatchObject({ kind: 'login-required' });
    for (const password of ['12345', 'admin']) expect(await httpDriver.attempt(ctx, { username: 'admin', password })).toEqual({ kind: 'rejected' });
    expect(await httpDriver.attempt(ctx, { username: 'frontdoor', password: 'Hx3!vLq9-Tz2' })).toMatchObject({ kind: 'success' });
    expect(attempts).toBe(3);
  });
});

describe('lab airCam login form', () => {
  it('redirects the factory pair away from the login page and shows the form again to any other', async () => {
    let attempts = 0;
    const server = await startLoginPage(LOOPBACK, 0, () => (attempts += 1));
    cleanups.push(server.stop);
    const ctx = context(server.port, { strategy: 'form-login', path: '/login.cgi', 'user-field': 'username', 'password-field': 'password' });
    expect(await httpDriver.requiresLogin(ctx)).toMatchObject({ kind: 'login-required' });
    expect(await httpDriver.attempt(ctx, { username: 'ubnt', password: 'admin' })).toEqual({ kind: 'rejected' });
    const success = await httpDriver.attempt(ctx, { username: 'ubnt', password: 'ubnt' });
    expect(success).toMatchObject({ kind: 'success' });
    expect(success.kind === 'success' ? success.evidence : '').toContain('redirect to /index.cgi');
    // The wrong-pair baseline, the refused guess and the factory pair.
    expect(attempts).toBe(3);
  });
});

describe('lab FTP server', () => {
  it('takes an empty password where the device has one, and counts every PASS of a real account', async () => {
    let attempts = 0;
    const server = await startFtpServer({
      host: LOOPBACK,
      port: 0,
      greeting: 'DiskStation FTP server ready.',
      acceptLogin: (user, password) => user === 'admin' && password === '',
      listing: [],
      onLoginAttempt: () => (attempts += 1),
    });
    cleanups.push(server.stop);
    const ctx = context(server.port, {});
    expect(await ftpDriver.requiresLogin(ctx)).toMatchObject({ kind: 'login-required' });
    expect(await ftpDriver.attempt(ctx, { username: 'admin', password: 'admin' })).toEqual({ kind: 'rejected' });
    expect(await ftpDriver.attempt(ctx, { username: 'admin', password: '' })).toMatchObject({ kind: 'success' });
    expect(attempts).toBe(3);
  });
});
