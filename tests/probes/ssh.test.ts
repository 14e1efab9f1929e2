import { readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import type { AuthenticationType, ServerConfig } from 'ssh2';
import { authMethodsField, hostKeyType, parseIdentification, parseIdentificationLine, parseKexInit } from '../../probes/ssh/codec.js';
import { sshProbe } from '../../probes/ssh/probe.js';
import { openSshFingerprint } from '../../probes/ssh/session.js';
import { hexFixture, listenTcp, runServiceProbe, subjectFor } from '../fixtures/harness.js';

describe('ssh codec', () => {
  it('reads the identification and KEXINIT recorded from a real server', () => {
    const greeting = hexFixture('ssh/ssh2-server-greeting.hex');
    const identification = parseIdentification(greeting);
    expect(identification.kind).toBe('found');
    if (identification.kind !== 'found') return;
    expect(identification.identification).toEqual({ banner: 'SSH-2.0-dropbear_2014.63', protocolVersion: '2.0', software: 'dropbear_2014.63' });
    const kex = parseKexInit(identification.rest);
    expect(kex.kind).toBe('found');
    if (kex.kind !== 'found') return;
    expect(kex.kexInit.kex).toContain('curve25519-sha256');
    expect(kex.kexInit.hostKeyAlgorithms).toEqual(['ssh-ed25519']);
    expect(kex.kexInit.ciphers).toContain('aes128-ctr');
    expect(kex.kexInit.macs).toContain('hmac-sha2-256');
  });

  it.each([
    ['SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3', { software: 'OpenSSH_9.2p1', comment: 'Debian-2+deb12u3' }],
    ['SSH-1.99-Cisco-1.25', { software: 'Cisco-1.25' }],
    ['SSH-2.0-dropbear_2019.78', { software: 'dropbear_2019.78' }],
  ])('parses %s', (line, expected) => {
    expect(parseIdentificationLine(line)).toMatchObject(expected);
  });

  it('skips lines sent before the identification (RFC 4253 §4.2)', () => {
    const bytes = new TextEncoder().encode('Welcome\r\nPlease behave\r\nSSH-2.0-OpenSSH_8.4\r\n');
    const result = parseIdentification(bytes);
    expect(result.kind === 'found' && result.identification.software).toBe('OpenSSH_8.4');
  });

  it('waits for more on a partial line and refuses garbage', () => {
    expect(parseIdentification(new TextEncoder().encode('SSH-2.0-Op')).kind).toBe('incomplete');
    expect(parseIdentification(Uint8Array.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00])).kind).toBe('mismatch');
    expect(parseIdentification(new TextEncoder().encode('SSH-garbage here\n')).kind).toBe('mismatch');
    expect(parseIdentification(new Uint8Array(20_000).fill(0x41)).kind).toBe('mismatch');
  });

  it('rejects malformed KEXINIT packets', () => {
    expect(parseKexInit(Uint8Array.from([0, 0, 0, 12, 4, 20])).kind).toBe('incomplete');
    expect(parseKexInit(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 4, 20, 0, 0])).kind).toBe('invalid');
    expect(parseKexInit(Uint8Array.from([0, 0, 0, 12, 4, 21, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])).kind).toBe('invalid');
    // A name-list whose length points past the packet.
    const packet = new Uint8Array(4 + 40);
    new DataView(packet.buffer).setUint32(0, 40);
    packet[4] = 4;
    packet[5] = 20;
    new DataView(packet.buffer).setUint32(22, 0x7fffffff);
    expect(parseKexInit(packet).kind).toBe('invalid');
  });
});

describe('ssh host key and auth method helpers', () => {
  const blob = (type: string, rest: number[] = [0, 0, 0, 1, 7]) => Uint8Array.from([0, 0, 0, type.length, ...Buffer.from(type, 'latin1'), ...rest]);

  it('reads the key type at the start of a host key blob', () => {
    expect(hostKeyType(blob('ssh-ed25519'))).toBe('ssh-ed25519');
    expect(hostKeyType(blob('ecdsa-sha2-nistp256'))).toBe('ecdsa-sha2-nistp256');
    expect(hostKeyType(Uint8Array.from([0, 0, 0, 50, 0x41]))).toBeUndefined();
    expect(hostKeyType(Uint8Array.from([0xff, 0xff, 0xff, 0xff]))).toBeUndefined();
    expect(hostKeyType(blob('ssh\u001b[31m'))).toBeUndefined();
    expect(hostKeyType(new Uint8Array(2))).toBeUndefined();
  });

  it('keeps only well-formed method names', () => {
    expect(authMethodsField(['publickey', 'password', 'keyboard-interactive'])).toBe('publickey,password,keyboard-interactive');
    expect(authMethodsField(['pass word', 'a,b', '\u001b[2J', 'x'.repeat(65), 'password'])).toBe('password');
    expect(authMethodsField(Array.from({ length: 40 }, (_, index) => `m${index}`)).split(',')).toHaveLength(16);
  });

  it('prints fingerprints as OpenSSH does', () => {
    // sha256('') in base64 is 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=.
    expect(openSshFingerprint(new Uint8Array(0))).toBe('SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU');
  });
});

/** A host key made by ssh-keygen, and the fingerprint ssh-keygen itself prints for it. */
function makeHostKey(type: 'ed25519' | 'rsa'): { key: Buffer; fingerprint: string; remove: () => void } {
  const keyPath = join(tmpdir(), `iotscan-ssh-test-${process.pid}-${type}`);
  const remove = () => {
    rmSync(keyPath, { force: true });
    rmSync(`${keyPath}.pub`, { force: true });
  };
  remove();
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048', '-m', 'PEM'] : []), '-N', '', '-f', keyPath]);
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${keyPath}.pub`], { encoding: 'utf8' }).split(' ')[1] ?? '';
  return { key: readFileSync(keyPath), fingerprint, remove };
}

/** An ssh2 server on loopback that records every authentication attempt and answers with `answer`. */
async function sshServer(
  config: ServerConfig,
  answer: (method: string) => { accept: true } | { reject: AuthenticationType[] },
): Promise<{ port: number; methodsTried: string[]; close: () => Promise<void> }> {
  const methodsTried: string[] = [];
  const server = new ssh2.Server(config, (client) => {
    client.on('error', () => undefined);
    client.on('authentication', (context) => {
      methodsTried.push(context.method);
      const decision = answer(context.method);
      if ('accept' in decision) context.accept();
      else context.reject(decision.reject);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, methodsTried, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('ssh probe', () => {
  it('reads the host key and the offered auth methods, sending only a none request', async () => {
    const hostKey = makeHostKey('ed25519');
    const server = await sshServer({ hostKeys: [hostKey.key], ident: 'dropbear_2019.78' }, () => ({ reject: ['publickey', 'password'] }));
    try {
      const run = await runServiceProbe(sshProbe, subjectFor('127.0.0.1', server.port));
      expect(run.status).toBe('success');
      expect(run.observations).toHaveLength(1);
      expect(run.observations[0]?.fields).toMatchObject({
        'ssh.software': 'dropbear_2019.78',
        'ssh.hostkey.type': 'ssh-ed25519',
        'ssh.hostkey.sha256': hostKey.fingerprint,
        'ssh.auth-methods': 'publickey,password',
      });
      expect(hostKey.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
      expect(server.methodsTried).toEqual(['none']);
    } finally {
      await server.close();
      hostKey.remove();
    }
  });

  it('completes a legacy key exchange (SHA-1 group, RSA key, CBC cipher) like old dropbear offers', async () => {
    const hostKey = makeHostKey('rsa');
    const algorithms = { kex: ['diffie-hellman-group1-sha1'], serverHostKey: ['ssh-rsa'], cipher: ['aes128-cbc'], hmac: ['hmac-sha1'] } as ServerConfig['algorithms'];
    const server = await sshServer({ hostKeys: [hostKey.key], ident: 'dropbear_0.52', ...(algorithms !== undefined && { algorithms }) }, () => ({ reject: ['password'] }));
    try {
      const run = await runServiceProbe(sshProbe, subjectFor('127.0.0.1', server.port));
      expect(run.observations[0]?.fields).toMatchObject({
        'ssh.kex': expect.stringMatching(/^diffie-hellman-group1-sha1(,|$)/),
        'ssh.hostkey.type': 'ssh-rsa',
        'ssh.hostkey.sha256': hostKey.fingerprint,
        'ssh.auth-methods': 'password',
      });
    } finally {
      await server.close();
      hostKey.remove();
    }
  });

  it('reports a server that lets anyone in without authentication', async () => {
    const hostKey = makeHostKey('ed25519');
    const server = await sshServer({ hostKeys: [hostKey.key] }, () => ({ accept: true }));
    try {
      const run = await runServiceProbe(sshProbe, subjectFor('127.0.0.1', server.port));
      expect(run.observations[0]?.fields['ssh.auth-methods']).toBe('none');
      expect(server.methodsTried).toEqual(['none']);
    } finally {
      await server.close();
      hostKey.remove();
    }
  });

  it('keeps the banner facts when the key exchange goes nowhere', async () => {
    const greeting = hexFixture('ssh/ssh2-server-greeting.hex');
    for (const after of [Buffer.alloc(0), randomBytes(100 * 1024), Buffer.from([0, 0, 0, 12, 10, 21, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])]) {
      // A server that greets like dropbear, then stalls, floods or sends nonsense.
      const server = await listenTcp((socket) => {
        socket.write(greeting);
        if (after.length > 0) socket.write(after);
      });
      try {
        const started = Date.now();
        const run = await runServiceProbe(sshProbe, subjectFor('127.0.0.1', server.port), 400);
        expect(run.status).toBe('success');
        expect(Date.now() - started).toBeLessThan(2500);
        const fields = run.observations[0]?.fields ?? {};
        expect(fields['ssh.software']).toBe('dropbear_2014.63');
        expect(fields['ssh.hostkey.sha256']).toBeUndefined();
        expect(fields['ssh.auth-methods']).toBeUndefined();
      } finally {
        await server.close();
      }
    }
  });

  it('reads banner and algorithms from a real SSH server on loopback', async () => {
    const keyPath = join(tmpdir(), `iotscan-ssh-test-${process.pid}`);
    rmSync(keyPath, { force: true });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyPath]);
    const server = new ssh2.Server({ hostKeys: [readFileSync(keyPath)], ident: 'OpenSSH_9.2p1 Debian-2+deb12u3' }, (client) => {
      client.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const run = await runServiceProbe(sshProbe, subjectFor('127.0.0.1', port));
      expect(run.status).toBe('success');
      expect(run.observations).toHaveLength(1);
      const fields = run.observations[0]?.fields ?? {};
      expect(fields['ssh.banner']).toBe('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3');
      expect(fields['ssh.software']).toBe('OpenSSH_9.2p1');
      expect(fields['ssh.comment']).toBe('Debian-2+deb12u3');
      expect(fields['ssh.hostkey-algorithms']).toBe('ssh-ed25519');
      expect(fields['ssh.kex']).toMatch(/curve25519-sha256/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(keyPath, { force: true });
      rmSync(`${keyPath}.pub`, { force: true });
    }
  });

  it('calls a non-SSH service a protocol mismatch', async () => {
    const server = await listenTcp((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    try {
      const run = await runServiceProbe(sshProbe, subjectFor('127.0.0.1', server.port));
      expect(run.status).toBe('protocol-mismatch');
      expect(run.observations).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
