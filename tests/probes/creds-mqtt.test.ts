import { Aedes } from 'aedes';
import type { AuthenticateError } from 'aedes';
import { afterEach, describe, expect, it } from 'vitest';
import { mqttDriver } from '../../probes/creds/mqtt.js';
import { credentialContext, listenTcp, subjectFor } from '../fixtures/harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

interface BrokerLog {
  connects: number;
  subscribes: number;
  publishes: number;
  disconnects: number;
}

/** A real broker (aedes) on loopback; `decide` answers each CONNECT: a return code, 0 = accepted. */
async function broker(decide: (username: string | undefined, password: string | undefined) => number): Promise<{ port: number; log: BrokerLog }> {
  const log: BrokerLog = { connects: 0, subscribes: 0, publishes: 0, disconnects: 0 };
  const aedes = await Aedes.createBroker({
    authenticate: (_client, username, password, done) => {
      log.connects += 1;
      const code = decide(username, password?.toString('utf8'));
      if (code === 0) return done(null, true);
      const error = new Error('refused') as AuthenticateError;
      error.returnCode = code;
      done(error, false);
    },
    authorizeSubscribe: (_client, subscription, done) => {
      log.subscribes += 1;
      done(null, subscription);
    },
    authorizePublish: (_client, _packet, done) => {
      log.publishes += 1;
      done(null);
    },
  });
  aedes.on('clientDisconnect', () => (log.disconnects += 1));
  const server = await listenTcp((socket) => aedes.handle(socket));
  cleanups.push(async () => {
    await server.close();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
  });
  return { port: server.port, log };
}

const BAD_CREDENTIALS = 4;
const NOT_AUTHORIZED = 5;
const SERVER_UNAVAILABLE = 3;

describe('mqtt-connect driver', () => {
  it('succeeds only with the right pair where an anonymous CONNECT was refused, and never subscribes or publishes', async () => {
    const { port, log } = await broker((username, password) => {
      if (username === undefined) return NOT_AUTHORIZED;
      return username === 'hub' && password === 'hub-pass' ? 0 : BAD_CREDENTIALS;
    });
    const ctx = credentialContext(subjectFor('127.0.0.1', port));
    expect(await mqttDriver.requiresLogin(ctx)).toEqual({ kind: 'login-required', detail: 'CONNACK 5 (not-authorized) without credentials' });
    expect(await mqttDriver.attempt(ctx, { username: 'admin', password: 'admin' })).toEqual({ kind: 'rejected' });
    const success = await mqttDriver.attempt(ctx, { username: 'hub', password: 'hub-pass' });
    expect(success).toEqual({ kind: 'success', evidence: 'CONNACK 0 (accepted) for the pair where a CONNECT without credentials got CONNACK 5 (not-authorized); disconnected at once' });
    expect(log.connects).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(log).toMatchObject({ subscribes: 0, publishes: 0 });
    expect(log.disconnects).toBeGreaterThanOrEqual(1);
  });

  it('reports no-login (never success) where the broker lets anyone in', async () => {
    const { port } = await broker(() => 0);
    const ctx = credentialContext(subjectFor('127.0.0.1', port));
    expect(await mqttDriver.requiresLogin(ctx)).toEqual({ kind: 'no-login', detail: 'CONNACK 0 (accepted) to a CONNECT without credentials' });
    expect((await mqttDriver.attempt(ctx, { username: 'admin', password: 'admin' })).kind).toBe('abort');
  });

  it('backs off when the broker says it is unavailable', async () => {
    const { port } = await broker((username) => (username === undefined ? NOT_AUTHORIZED : SERVER_UNAVAILABLE));
    const ctx = credentialContext(subjectFor('127.0.0.1', port));
    expect((await mqttDriver.requiresLogin(ctx)).kind).toBe('login-required');
    expect(await mqttDriver.attempt(ctx, { username: 'admin', password: 'admin' })).toEqual({ kind: 'back-off', reason: 'CONNACK 3 (server unavailable)' });
  });

  it('aborts on something that is not MQTT', async () => {
    const server = await listenTcp((socket) => socket.end('SSH-2.0-dropbear\r\n'));
    cleanups.push(server.close);
    const ctx = credentialContext(subjectFor('127.0.0.1', server.port));
    expect(await mqttDriver.requiresLogin(ctx)).toMatchObject({ kind: 'unreachable', status: 'protocol-mismatch' });
    expect((await mqttDriver.attempt(ctx, { username: 'a', password: 'b' })).kind).toBe('abort');
  });
});
