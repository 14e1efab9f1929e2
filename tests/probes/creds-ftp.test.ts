import { afterEach, describe, expect, it } from 'vitest';
import { ftpDriver } from '../../probes/creds/ftp.js';
import { credentialContext, listenTcp, subjectFor } from '../fixtures/harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

interface FtpBehaviour {
  greeting?: string;
  /** The reply to PASS for a user and password (default: 230 for the right pair, else 530). */
  pass?: (user: string, password: string) => string;
}

/** A small FTP control server (RFC 959 login sequence) that logs every command it gets. */
async function ftpServer(user: string, password: string, behaviour: FtpBehaviour = {}) {
  const log = { commands: [] as string[], passAttempts: 0 };
  const server = await listenTcp((control) => {
    control.write(behaviour.greeting ?? '220 (vsFTPd 3.0.3)\r\n');
    let buffered = '';
    let pendingUser = '';
    control.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\r\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 2);
        const [verb = '', ...rest] = line.split(' ');
        const argument = rest.join(' ');
        log.commands.push(verb);
        if (verb === 'USER') {
          pendingUser = argument;
          control.write('331 Please specify the password.\r\n');
        } else if (verb === 'PASS') {
          log.passAttempts += 1;
          const reply = behaviour.pass?.(pendingUser, argument) ?? (pendingUser === user && argument === password ? '230 Login successful.' : '530 Login incorrect.');
          control.write(`${reply}\r\n`);
        } else if (verb === 'QUIT') {
          control.end('221 Goodbye.\r\n');
        } else {
          control.write('530 Please login with USER and PASS.\r\n');
        }
      }
    });
  });
  cleanups.push(server.close);
  return { port: server.port, log };
}

describe('ftp-login driver', () => {
  it('compares with one made-up user, then succeeds only with the right pair and never lists anything', async () => {
    const { port, log } = await ftpServer('admin', 'nas-2024');
    const ctx = credentialContext(subjectFor('127.0.0.1', port));
    expect(await ftpDriver.requiresLogin(ctx)).toEqual({ kind: 'login-required', detail: 'a made-up user gets 530: Login incorrect.' });
    expect(await ftpDriver.attempt(ctx, { username: 'admin', password: 'admin' })).toEqual({ kind: 'rejected' });
    const success = await ftpDriver.attempt(ctx, { username: 'admin', password: 'nas-2024' });
    expect(success).toEqual({ kind: 'success', evidence: '230 after PASS (Login successful.) where a made-up user got 530; QUIT at once' });
    // One baseline login and one per attempt; only USER, PASS and QUIT were ever sent.
    expect(log.passAttempts).toBe(3);
    expect(new Set(log.commands)).toEqual(new Set(['USER', 'PASS', 'QUIT']));
  });

  it('measures the baseline itself when an attempt comes without requiresLogin', async () => {
    const { port, log } = await ftpServer('admin', 'pw');
    const ctx = credentialContext(subjectFor('127.0.0.1', port));
    expect((await ftpDriver.attempt(ctx, { username: 'admin', password: 'pw' })).kind).toBe('success');
    expect((await ftpDriver.attempt(ctx, { username: 'admin', password: 'x' })).kind).toBe('rejected');
    expect(log.passAttempts).toBe(3);
  });

  it('reports no-login (never success) where any user gets in', async () => {
    const { port } = await ftpServer('admin', 'pw', { pass: () => '230 Login successful.' });
    const ctx = credentialContext(subjectFor('127.0.0.1', port));
    expect((await ftpDriver.requiresLogin(ctx)).kind).toBe('no-login');
    expect((await ftpDriver.attempt(ctx, { username: 'admin', password: 'pw' })).kind).toBe('abort');
  });

  it('backs off on 421 and on lockout wording', async () => {
    const busy = await ftpServer('admin', 'pw', { greeting: '421 Too many connections from your address.\r\n' });
    expect((await ftpDriver.attempt(credentialContext(subjectFor('127.0.0.1', busy.port)), { username: 'admin', password: 'pw' })).kind).toBe('back-off');
    expect(busy.log.passAttempts).toBe(0);

    let failures = 0;
    const locking = await ftpServer('admin', 'pw', {
      pass: () => (++failures > 1 ? '530 Too many failed logins, try again later.' : '530 Login incorrect.'),
    });
    const ctx = credentialContext(subjectFor('127.0.0.1', locking.port));
    expect((await ftpDriver.requiresLogin(ctx)).kind).toBe('login-required');
    expect((await ftpDriver.attempt(ctx, { username: 'admin', password: 'pw' })).kind).toBe('back-off');
  });

  it('refuses to send a pair with a line break', async () => {
    const { port, log } = await ftpServer('admin', 'pw');
    const outcome = await ftpDriver.attempt(credentialContext(subjectFor('127.0.0.1', port)), { username: 'admin', password: 'pw\r\nDELE x' });
    expect(outcome.kind).toBe('abort');
    expect(log.commands).toEqual([]);
  });
});
