import { afterEach, describe, expect, it } from 'vitest';
import { DO, DONT, IAC, TelnetDecoder, WILL, WONT, classifyScreen, decodeTelnetText } from '../../probes/telnet/codec.js';
import { telnetProbe } from '../../probes/telnet/probe.js';
import { telnetDriver } from '../../probes/creds/telnet.js';
import { credentialContext, fixture, listenTcp, runServiceProbe, subjectFor } from '../fixtures/harness.js';

describe('telnet codec', () => {
  it('refuses every option of a recorded BusyBox greeting and keeps the text', () => {
    const decoder = new TelnetDecoder();
    const { data, reply } = decoder.feed(fixture('telnet/busybox-login.bin'));
    expect([...reply]).toEqual([IAC, WONT, 1, IAC, WONT, 31, IAC, DONT, 1, IAC, DONT, 3]);
    const screen = classifyScreen(decodeTelnetText(data));
    expect(screen.prompt).toBe('login');
    expect(screen.banner).toBe('BusyBox v1.19.4 (2013-05-29 13:13:45 CST) built-in shell');
    expect(screen.promptLine).toBe('IPCam login:');
  });

  it('handles commands split across reads and never answers the same option twice', () => {
    const decoder = new TelnetDecoder();
    expect([...decoder.feed(Uint8Array.from([IAC])).reply]).toEqual([]);
    expect([...decoder.feed(Uint8Array.from([DO, 24, 0x41])).reply]).toEqual([IAC, WONT, 24]);
    expect([...decoder.feed(Uint8Array.from([IAC, DO, 24])).reply]).toEqual([]);
    expect([...decoder.feed(Uint8Array.from([IAC, WILL, 24, IAC, IAC])).data]).toEqual([IAC]);
  });

  it('skips subnegotiation and finds a password-only prompt', () => {
    const { data } = new TelnetDecoder().feed(fixture('telnet/password-only.bin'));
    expect(classifyScreen(decodeTelnetText(data)).prompt).toBe('password');
  });

  it.each([
    ['shell fixture', decodeTelnetText(new TelnetDecoder().feed(fixture('telnet/shell.bin')).data), 'shell'],
    ['username prompt', 'Username: ', 'login'],
    ['router prompt', 'Router>', 'shell'],
    ['user shell', 'user@cam:~$ ', 'shell'],
    ['text ending in a line break', 'Welcome to the device\r\n', 'none'],
    ['a colon that is no prompt', 'Firmware: 1.2', 'none'],
  ])('classifies %s', (_name, text, prompt) => {
    expect(classifyScreen(text).prompt).toBe(prompt);
  });

  it('survives garbage', () => {
    const garbage = Uint8Array.from({ length: 4096 }, (_, index) => (index * 131 + 7) % 256);
    const { data } = new TelnetDecoder().feed(garbage);
    const screen = classifyScreen(decodeTelnetText(data));
    // eslint-disable-next-line no-control-regex
    expect(screen.banner).not.toMatch(/[\u0000-\u001f]/);
  });
});

/** A small telnet device: negotiation, banner, login and password prompts, a shell for one pair. */
type Behaviour = 'login' | 'banner-only' | 'open-shell' | 'lockout' | 'fake-shell-banner';

async function device(behaviour: Behaviour): Promise<{ port: number; attempts: string[] }> {
  const attempts: string[] = [];
  const server = await listenTcp((socket) => {
    socket.write(Buffer.from([IAC, DO, 1, IAC, WILL, 1, IAC, WILL, 3]));
    if (behaviour === 'banner-only') {
      socket.write('\r\nWelcome to SmartPlug v2 #\r\nNo login available on this port.\r\n');
      return;
    }
    if (behaviour === 'open-shell') {
      socket.write('\r\nBusyBox v1.22.1 built-in shell (ash)\r\n# ');
      return;
    }
    socket.write('\r\nIPCam login: ');
    let stage: 'user' | 'password' = 'user';
    let user = '';
    let line = '';
    socket.on('data', (chunk: Buffer) => {
      // Drop the client's IAC replies (three bytes each) and collect text lines.
      for (let index = 0; index < chunk.length; index += 1) {
        const byte = chunk[index] ?? 0;
        if (byte === IAC) {
          index += 2;
          continue;
        }
        if (byte === 0x0a) continue;
        if (byte !== 0x0d) {
          line += String.fromCharCode(byte);
          continue;
        }
        if (stage === 'user') {
          user = line;
          stage = 'password';
          socket.write('\r\nPassword: ');
        } else {
          attempts.push(`${user}:${line}`);
          if (behaviour === 'lockout') socket.end('\r\nToo many failed attempts, account locked\r\n');
          else if (behaviour === 'fake-shell-banner') socket.write('\r\nLogin incorrect\r\nHint: the admin prompt looks like #\r\n\r\nIPCam login: ');
          else if (user === 'admin' && line === 'secret') socket.write('\r\n\r\nBusyBox v1.19.4 built-in shell (ash)\r\n~ # ');
          else socket.write('\r\nLogin incorrect\r\n\r\nIPCam login: ');
          stage = 'user';
        }
        line = '';
      }
    });
  });
  closers.push(server.close);
  return { port: server.port, attempts };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe('telnet probe', () => {
  it('reports banner and login prompt, and sends no credential', async () => {
    const { port, attempts } = await device('login');
    const run = await runServiceProbe(telnetProbe, subjectFor('127.0.0.1', port));
    expect(run.status).toBe('success');
    expect(run.observations[0]?.fields).toEqual({ 'telnet.prompt': 'login' });
    expect(attempts).toEqual([]);
  });

  it('reports a banner without a prompt as prompt none', async () => {
    const { port } = await device('banner-only');
    const run = await runServiceProbe(telnetProbe, subjectFor('127.0.0.1', port), 500);
    expect(run.status).toBe('success');
    expect(run.observations[0]?.fields).toEqual({
      'telnet.banner': 'Welcome to SmartPlug v2 # No login available on this port.',
      'telnet.prompt': 'none',
    });
  });
});

describe('telnet credential driver', () => {
  it('finds the login prompt, rejects a wrong pair and accepts the right one on a shell prompt', async () => {
    const { port, attempts } = await device('login');
    const ctx = credentialContext(subjectFor('127.0.0.1', port));
    expect((await telnetDriver.requiresLogin(ctx)).kind).toBe('login-required');
    expect(await telnetDriver.attempt(ctx, { username: 'admin', password: 'admin' })).toEqual({ kind: 'rejected' });
    const success = await telnetDriver.attempt(ctx, { username: 'admin', password: 'secret' });
    expect(success.kind).toBe('success');
    expect(success.kind === 'success' && success.evidence).toContain('~ #');
    expect(success.kind === 'success' && success.evidence).not.toContain('secret');
    expect(attempts).toEqual(['admin:admin', 'admin:secret']);
  });

  it('does not count a banner without a shell prompt as a login', async () => {
    const { port } = await device('banner-only');
    const ctx = credentialContext(subjectFor('127.0.0.1', port), {}, 500);
    expect((await telnetDriver.requiresLogin(ctx)).kind).toBe('unreachable');
    const outcome = await telnetDriver.attempt(ctx, { username: 'admin', password: 'admin' });
    expect(outcome.kind).toBe('abort');
  });

  it('does not count failure text that mentions a prompt character as a login', async () => {
    const { port } = await device('fake-shell-banner');
    const ctx = credentialContext(subjectFor('127.0.0.1', port), {}, 800);
    expect(await telnetDriver.attempt(ctx, { username: 'admin', password: 'admin' })).toEqual({ kind: 'rejected' });
  });

  it('reports a shell without login as no-login', async () => {
    const { port } = await device('open-shell');
    const requirement = await telnetDriver.requiresLogin(credentialContext(subjectFor('127.0.0.1', port)));
    expect(requirement.kind).toBe('no-login');
  });

  it('backs off when the device says it is locked', async () => {
    const { port } = await device('lockout');
    const outcome = await telnetDriver.attempt(credentialContext(subjectFor('127.0.0.1', port)), { username: 'admin', password: 'x' });
    expect(outcome.kind).toBe('back-off');
  });
});
