import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { basicAuthorization } from '../../probes/creds/http-basic.js';
import { cookiesSet, formOnPage } from '../../probes/creds/http-form.js';
import { httpDriver } from '../../probes/creds/http.js';
import { credentialContext, subjectFor } from '../fixtures/harness.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function serve(handler: (request: IncomingMessage, response: ServerResponse, body: string) => void): Promise<number> {
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => handler(request, response, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

function context(port: number, params: Record<string, string>) {
  return credentialContext(subjectFor('127.0.0.1', port), params);
}

describe('http driver', () => {
  it('sends nothing without a strategy it knows', async () => {
    let requests = 0;
    const port = await serve((_request, response) => {
      requests += 1;
      response.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end();
    });
    expect(await httpDriver.requiresLogin(context(port, {}))).toMatchObject({ kind: 'unreachable', status: 'skipped-by-policy' });
    expect((await httpDriver.attempt(context(port, { strategy: 'telnet-prompt' }), { username: 'a', password: 'b' })).kind).toBe('abort');
    expect(requests).toBe(0);
    expect(httpDriver.strategies).toEqual(['basic-auth', 'digest-auth', 'form-login']);
  });
});

describe('http basic-auth', () => {
  const basic = { strategy: 'basic-auth', path: '/protected' };

  it('succeeds only with 401 without and 2xx with the right pair, one request with credentials per attempt', async () => {
    let attempts = 0;
    const expected = basicAuthorization({ username: 'admin', password: '1234' });
    const port = await serve((request, response) => {
      if (request.url !== '/protected') return void response.writeHead(404).end();
      if (request.headers.authorization !== undefined) attempts += 1;
      if (request.headers.authorization === expected) response.writeHead(200).end('welcome');
      else response.writeHead(401, { 'www-authenticate': 'Basic realm="cam"' }).end();
    });
    const ctx = context(port, basic);
    expect(await httpDriver.requiresLogin(ctx)).toEqual({ kind: 'login-required', detail: '401 Basic on /protected (realm "cam")' });
    expect(await httpDriver.attempt(ctx, { username: 'admin', password: 'admin' })).toEqual({ kind: 'rejected' });
    const success = await httpDriver.attempt(ctx, { username: 'admin', password: '1234' });
    expect(success.kind).toBe('success');
    expect(JSON.stringify(success)).not.toContain('1234');
    expect(attempts).toBe(2);
  });

  it('never reports success for a page that answers 200 without credentials', async () => {
    const port = await serve((_request, response) => void response.writeHead(200).end('open to everyone'));
    const ctx = context(port, basic);
    expect((await httpDriver.requiresLogin(ctx)).kind).toBe('no-login');
    expect((await httpDriver.attempt(ctx, { username: 'admin', password: 'admin' })).kind).toBe('abort');
  });

  it('does not treat a Digest-only page as Basic', async () => {
    const port = await serve((_request, response) => void response.writeHead(401, { 'www-authenticate': 'Digest realm="x", nonce="1"' }).end());
    const ctx = context(port, basic);
    expect((await httpDriver.requiresLogin(ctx)).kind).toBe('unreachable');
    expect((await httpDriver.attempt(ctx, { username: 'a', password: 'b' })).kind).toBe('abort');
  });

  it('backs off on 429, 503 and lockout wording', async () => {
    let mode: 'rate' | 'busy' | 'locked' = 'rate';
    const port = await serve((request, response) => {
      if (request.headers.authorization === undefined) response.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
      else if (mode === 'rate') response.writeHead(429).end();
      else if (mode === 'busy') response.writeHead(503).end();
      else response.writeHead(403).end('Account locked for 5 minutes');
    });
    const ctx = context(port, basic);
    for (const next of ['busy', 'locked', undefined] as const) {
      expect((await httpDriver.attempt(ctx, { username: 'a', password: 'b' })).kind).toBe('back-off');
      if (next !== undefined) mode = next;
    }
  });
});

/** A Digest server (RFC 7616) that checks answers itself, with its own hashing. */
function digestServer(options: { algorithms: ('MD5' | 'SHA-256')[]; user: string; password: string; realm: string }) {
  const state = { attempts: 0, algorithmsUsed: [] as string[], nonces: new Set<string>() };
  const hashName = { MD5: 'md5', 'SHA-256': 'sha256' } as const;
  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    const header = request.headers.authorization;
    if (header?.startsWith('Digest ')) {
      state.attempts += 1;
      const fields = Object.fromEntries([...header.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)].map((m) => [m[1], m[2] ?? m[3] ?? '']));
      const algorithm = (fields['algorithm'] ?? 'MD5') as 'MD5' | 'SHA-256';
      state.algorithmsUsed.push(algorithm);
      const h = (text: string) => createHash(hashName[algorithm]).update(text).digest('hex');
      const ha1 = h(`${fields['username']}:${options.realm}:${options.password}`);
      const ha2 = h(`${request.method}:${fields['uri']}`);
      const expected = h(`${ha1}:${fields['nonce']}:${fields['nc']}:${fields['cnonce']}:${fields['qop']}:${ha2}`);
      const nonceKnown = state.nonces.has(fields['nonce'] ?? '');
      if (fields['username'] === options.user && fields['uri'] === request.url && fields['qop'] === 'auth' && nonceKnown && fields['response'] === expected) {
        response.writeHead(200).end('camera settings');
        return;
      }
    }
    const nonce = randomBytes(12).toString('hex');
    state.nonces.add(nonce);
    const challenges = options.algorithms.map((algorithm) => `Digest realm="${options.realm}", qop="auth", algorithm=${algorithm}, nonce="${nonce}", opaque="op"`);
    response.writeHead(401, { 'www-authenticate': challenges.join(', ') }).end('401 Unauthorized');
  };
  return { state, handler };
}

describe('http digest-auth', () => {
  it.each([['MD5'], ['SHA-256']] as const)('logs in with %s and qop=auth, and only with the right pair', async (algorithm) => {
    const server = digestServer({ algorithms: [algorithm], user: 'admin', password: 'cam-1234', realm: 'IPCam' });
    const port = await serve(server.handler);
    const ctx = context(port, { strategy: 'digest-auth', path: '/ISAPI/System/deviceInfo' });
    expect(await httpDriver.requiresLogin(ctx)).toEqual({ kind: 'login-required', detail: `401 Digest ${algorithm} on /ISAPI/System/deviceInfo (realm "IPCam")` });
    expect(await httpDriver.attempt(ctx, { username: 'admin', password: 'admin' })).toEqual({ kind: 'rejected' });
    expect(await httpDriver.attempt(ctx, { username: 'root', password: 'cam-1234' })).toEqual({ kind: 'rejected' });
    const success = await httpDriver.attempt(ctx, { username: 'admin', password: 'cam-1234' });
    expect(success).toEqual({ kind: 'success', evidence: `/ISAPI/System/deviceInfo: 401 Digest ${algorithm} without credentials, 200 with them` });
    expect(server.state.attempts).toBe(3);
  });

  it('answers the SHA-256 challenge when MD5 is offered too', async () => {
    const server = digestServer({ algorithms: ['MD5', 'SHA-256'], user: 'admin', password: 'pw', realm: 'r' });
    const port = await serve(server.handler);
    const outcome = await httpDriver.attempt(context(port, { strategy: 'digest-auth' }), { username: 'admin', password: 'pw' });
    expect(outcome.kind).toBe('success');
    expect(server.state.algorithmsUsed).toEqual(['SHA-256']);
  });

  it('never reports success where no login is asked, or where only Basic is', async () => {
    const open = await serve((_request, response) => void response.writeHead(200).end('open'));
    expect((await httpDriver.requiresLogin(context(open, { strategy: 'digest-auth' }))).kind).toBe('no-login');
    expect((await httpDriver.attempt(context(open, { strategy: 'digest-auth' }), { username: 'admin', password: 'admin' })).kind).toBe('abort');
    const basicOnly = await serve((_request, response) => void response.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end());
    expect(await httpDriver.requiresLogin(context(basicOnly, { strategy: 'digest-auth' }))).toMatchObject({ kind: 'unreachable', status: 'protocol-mismatch' });
    expect((await httpDriver.attempt(context(basicOnly, { strategy: 'digest-auth' }), { username: 'admin', password: 'admin' })).kind).toBe('abort');
  });

  it('backs off on 503 and lockout wording', async () => {
    let answer = { status: 503, body: '' };
    const port = await serve((request, response) => {
      if (request.headers.authorization === undefined) response.writeHead(401, { 'www-authenticate': 'Digest realm="r", nonce="n1", qop="auth"' }).end();
      else response.writeHead(answer.status).end(answer.body);
    });
    const ctx = context(port, { strategy: 'digest-auth' });
    expect((await httpDriver.attempt(ctx, { username: 'a', password: 'b' })).kind).toBe('back-off');
    answer = { status: 401, body: 'Too many failed logins. Try again later.' };
    expect((await httpDriver.attempt(ctx, { username: 'a', password: 'b' })).kind).toBe('back-off');
  });
});

const LOGIN_PAGE = `<html><head><title>Router Login</title></head><body>
<form method="post" action="/cgi-bin/login.cgi" name="login">
  <input type="hidden" name="lang" value="en">
  <input type="text" name="user_name" id="u">
  <input type='password' name='user_pwd'>
  <input type="submit" value="Log in">
</form></body></html>`;

/** A router whose wrong pairs get the form again, the right one a redirect and a session cookie. */
function routerServer(options: { lockAfter?: number } = {}) {
  const state = { posts: 0, wrongPosts: 0, methods: [] as string[] };
  const handler = (request: IncomingMessage, response: ServerResponse, body: string): void => {
    state.methods.push(`${request.method} ${request.url}`);
    if (request.method === 'GET' && request.url === '/login.html') return void response.writeHead(200, { 'content-type': 'text/html' }).end(LOGIN_PAGE);
    if (request.method !== 'POST' || request.url !== '/cgi-bin/login.cgi') return void response.writeHead(404).end();
    state.posts += 1;
    const form = new URLSearchParams(body);
    // Every answer gets a language cookie: a cookie both pairs get is no sign of a login.
    const headers = { 'set-cookie': 'lang=en; Path=/', 'content-type': 'text/html' };
    if (options.lockAfter !== undefined && state.wrongPosts >= options.lockAfter) {
      return void response.writeHead(200, headers).end('<p>Too many failed attempts: account locked for 10 minutes.</p>' + LOGIN_PAGE);
    }
    if (form.get('user_name') === 'admin' && form.get('user_pwd') === 'r0uter!') {
      return void response.writeHead(302, { ...headers, location: `http://127.0.0.1:${request.socket.localPort}/index.html`, 'set-cookie': ['lang=en; Path=/', 'SESSIONID=8f2c1d; Path=/; HttpOnly'] }).end();
    }
    state.wrongPosts += 1;
    response.writeHead(200, headers).end('<p class="err">Invalid user name or password</p>' + LOGIN_PAGE);
  };
  return { state, handler };
}

describe('http form-login', () => {
  const form = { strategy: 'form-login', path: '/login.html' };

  it('reads the form, measures one wrong pair, and succeeds only on the redirect with a new session cookie', async () => {
    const router = routerServer();
    const port = await serve(router.handler);
    const ctx = context(port, form);
    expect(await httpDriver.requiresLogin(ctx)).toEqual({
      kind: 'login-required',
      detail: 'login form on /login.html (fields user_name/user_pwd, POST /cgi-bin/login.cgi); a wrong pair gets 200 with cookie lang with the login form',
    });
    expect(router.state.posts).toBe(1);
    expect(await httpDriver.attempt(ctx, { username: 'admin', password: 'admin' })).toEqual({ kind: 'rejected' });
    const success = await httpDriver.attempt(ctx, { username: 'admin', password: 'r0uter!' });
    expect(success).toEqual({
      kind: 'success',
      evidence: 'POST /cgi-bin/login.cgi: 302, redirect to /index.html, new cookie SESSIONID, no login form; a wrong pair got 200 with cookie lang with the login form',
    });
    expect(JSON.stringify(success)).not.toContain('r0uter!');
    // One baseline POST, then exactly one POST per attempt; nothing else is requested.
    expect(router.state.posts).toBe(3);
    expect(router.state.methods.filter((line) => !line.startsWith('POST'))).toEqual(['GET /login.html']);
  });

  it('takes field names from params when given', async () => {
    const seen: string[] = [];
    const port = await serve((request, response, body) => {
      if (request.method === 'GET') return void response.writeHead(200).end('<form><input name="a"><input type="password" name="b"></form>');
      seen.push(body);
      response.writeHead(200).end('<form><input type="password" name="b"></form>');
    });
    const ctx = context(port, { strategy: 'form-login', path: '/', 'user-field': 'login', 'password-field': 'secret' });
    expect((await httpDriver.requiresLogin(ctx)).kind).toBe('login-required');
    expect(await httpDriver.attempt(ctx, { username: 'ad min', password: 'p&w=1' })).toEqual({ kind: 'rejected' });
    expect(seen[1]).toBe('login=ad%20min&secret=p%26w%3D1');
  });

  it('never reports success where every pair gets the same redirect and cookie', async () => {
    let posts = 0;
    const port = await serve((request, response) => {
      if (request.method === 'GET') return void response.writeHead(200).end(LOGIN_PAGE);
      posts += 1;
      response.writeHead(302, { location: '/index.html', 'set-cookie': `SID=${randomBytes(4).toString('hex')}` }).end();
    });
    const ctx = context(port, form);
    expect((await httpDriver.requiresLogin(ctx)).kind).toBe('login-required');
    for (const password of ['admin', 'password', '1234']) {
      expect((await httpDriver.attempt(ctx, { username: 'admin', password })).kind).toBe('rejected');
    }
    expect(posts).toBe(4);
  });

  it('does not count a redirect back to the login page, even with a cookie that is being deleted', async () => {
    const port = await serve((request, response, body) => {
      if (request.method === 'GET') return void response.writeHead(200).end(LOGIN_PAGE);
      const right = new URLSearchParams(body).get('user_pwd') === 'ok';
      response.writeHead(302, { location: right ? '/login.html?welcome' : '/login.html?error=1', 'set-cookie': 'SESSIONID=deleted; Max-Age=0' }).end();
    });
    const ctx = context(port, form);
    expect((await httpDriver.requiresLogin(ctx)).kind).toBe('login-required');
    expect((await httpDriver.attempt(ctx, { username: 'admin', password: 'ok' })).kind).toBe('rejected');
  });

  it('is not a form login where the page has no password field', async () => {
    const port = await serve((_request, response) => void response.writeHead(200).end('<html>Status page</html>'));
    expect(await httpDriver.requiresLogin(context(port, form))).toMatchObject({ kind: 'unreachable', status: 'protocol-mismatch' });
    expect((await httpDriver.attempt(context(port, form), { username: 'admin', password: 'admin' })).kind).toBe('abort');
  });

  it('backs off on lockout wording the wrong pair did not get, and on 429', async () => {
    const router = routerServer({ lockAfter: 2 });
    const port = await serve(router.handler);
    const ctx = context(port, form);
    expect((await httpDriver.requiresLogin(ctx)).kind).toBe('login-required');
    expect((await httpDriver.attempt(ctx, { username: 'admin', password: 'x' })).kind).toBe('rejected');
    expect(await httpDriver.attempt(ctx, { username: 'admin', password: 'r0uter!' })).toEqual({ kind: 'back-off', reason: 'status 200 with lockout wording' });

    let limited = false;
    const rate = await serve((request, response) => {
      if (request.method === 'GET') return void response.writeHead(200).end(LOGIN_PAGE);
      if (limited) return void response.writeHead(429).end();
      limited = true;
      response.writeHead(200).end(LOGIN_PAGE);
    });
    expect((await httpDriver.requiresLogin(context(rate, form))).kind).toBe('login-required');
    expect((await httpDriver.attempt(context(rate, form), { username: 'admin', password: 'admin' })).kind).toBe('back-off');
  });
});

describe('form pieces', () => {
  it('reads cookie names, skipping deleted and expired ones and commas inside dates', () => {
    expect(cookiesSet('SID=1; Expires=Wed, 21 Oct 2099 07:28:00 GMT; Path=/, old=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT, gone=; Path=/, lang=en')).toEqual(['SID', 'lang']);
    expect(cookiesSet(undefined)).toEqual([]);
  });

  it('finds the user and password fields of the form that holds the password', () => {
    expect(formOnPage(LOGIN_PAGE)).toEqual({ userField: 'user_name', passwordField: 'user_pwd', action: '/cgi-bin/login.cgi' });
    expect(formOnPage('<form action="/s"><input name="q"></form><input name=u><input type=password name=p>')).toEqual({ userField: 'u', passwordField: 'p' });
    expect(formOnPage('<input type="password">')).toEqual({});
  });
});
