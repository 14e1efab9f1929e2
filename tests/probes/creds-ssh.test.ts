import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import type { AuthContext, Connection } from 'ssh2';
import { afterEach, describe, expect, it } from 'vitest';
import { sshDriver } from '../../probes/creds/ssh.js';
import { credentialContext, listenTcp, subjectFor } from '../fixtures/harness.js';

const HOST_KEY = ssh2.utils.generateKeyPairSync('ed25519').private;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

interface ServerLog {
  /** Password attempts the server saw (the `none` query is not one). */
  passwordAttempts: number;
  noneQueries: number;
  /** Anything a client asked for after authenticating: must stay empty. */
  requests: string[];
}

/** A real SSH server (ssh2) on loopback; `decide` answers each authentication request. */
async function sshServer(decide: (context: AuthContext, client: Connection) => void): Promise<{ port: number; log: ServerLog }> {
  const log: ServerLog = { passwordAttempts: 0, noneQueries: 0, requests: [] };
  const connections = new Set<Connection>();
  const server = new ssh2.Server({ hostKeys: [HOST_KEY], ident: 'OpenSSH_9.2p1' }, (client) => {
    connections.add(client);
    client.on('error', () => undefined);
    client.on('authentication', (context) => {
      if (context.method === 'none') log.noneQueries += 1;
      if (context.method === 'password') log.passwordAttempts += 1;
      decide(context, client);
    });
    client.on('session', () => log.requests.push('session'));
    client.on('tcpip', () => log.requests.push('tcpip'));
    client.on('request', () => log.requests.push('global request'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const client of connections) client.end();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as AddressInfo).port, log };
}

const passwordOnly = (user: string, password: string) => (context: AuthContext) => {
  if (context.method === 'password' && context.username === user && context.password === password) context.accept();
  else context.reject(['password', 'publickey']);
};

describe('ssh-password driver', () => {
  it('asks with none, then sends the password; success only for the right pair, and no session is opened', async () => {
    const { port, log } = await sshServer(passwordOnly('root', 'dreambox'));
    const ctx = credentialContext(subjectFor('127.0.0.1', port));
    expect(await sshDriver.requiresLogin(ctx)).toEqual({ kind: 'login-required', detail: '"none" refused; methods offered: password,publickey' });
    expect(await sshDriver.attempt(ctx, { username: 'root', password: 'root' })).toEqual({ kind: 'rejected' });
    expect(await sshDriver.attempt(ctx, { username: 'admin', password: 'dreambox' })).toEqual({ kind: 'rejected' });
    const success = await sshDriver.attempt(ctx, { username: 'root', password: 'dreambox' });
    expect(success.kind).toBe('success');
    expect(JSON.stringify(success)).not.toContain('dreambox');
    expect(log.passwordAttempts).toBe(3);
    expect(log.noneQueries).toBe(4);
    // Give a client that misbehaved time to ask for a session before checking it never did.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(log.requests).toEqual([]);
  });

  it('reports no-login (never success) where the server accepts the none method', async () => {
    const { port, log } = await sshServer((context) => context.accept());
    const ctx = credentialContext(subjectFor('127.0.0.1', port));
    expect(await sshDriver.requiresLogin(ctx)).toEqual({ kind: 'no-login', detail: 'the server accepted the "none" method: no password asked' });
    expect((await sshDriver.attempt(ctx, { username: 'root', password: 'root' })).kind).toBe('abort');
    expect(log.passwordAttempts).toBe(0);
  });

  it('sends no password where the server does not offer password authentication', async () => {
    const { port, log } = await sshServer((context) => context.reject(['publickey']));
    const ctx = credentialContext(subjectFor('127.0.0.1', port));
    expect(await sshDriver.requiresLogin(ctx)).toEqual({ kind: 'unreachable', status: 'protocol-mismatch', detail: 'password not offered (methods: publickey)' });
    expect((await sshDriver.attempt(ctx, { username: 'root', password: 'root' })).kind).toBe('abort');
    expect(log.passwordAttempts).toBe(0);
  });

  it('backs off when the server disconnects with "too many connections"', async () => {
    const { port } = await sshServer((context, client) => {
      if (context.method === 'none') return context.reject(['password']);
      // ssh2's server has no public way to send a disconnect reason other than "by application".
      (client as unknown as { _protocol: { disconnect(reason: number): void } })._protocol.disconnect(12);
    });
    const outcome = await sshDriver.attempt(credentialContext(subjectFor('127.0.0.1', port)), { username: 'root', password: 'root' });
    expect(outcome).toEqual({ kind: 'back-off', reason: 'server disconnected: TOO_MANY_CONNECTIONS' });
  });

  it('gives up quickly on something that is not SSH', async () => {
    const server = await listenTcp((socket) => socket.end('HTTP/1.0 400 Bad Request\r\n\r\n'));
    cleanups.push(server.close);
    const ctx = credentialContext(subjectFor('127.0.0.1', server.port), {}, 500);
    const started = Date.now();
    expect(await sshDriver.requiresLogin(ctx)).toMatchObject({ kind: 'unreachable' });
    expect((await sshDriver.attempt(ctx, { username: 'root', password: 'root' })).kind).toBe('abort');
    expect(Date.now() - started).toBeLessThan(4000);
  });
});
