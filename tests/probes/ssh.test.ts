import { readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { parseIdentification, parseIdentificationLine, parseKexInit } from '../../probes/ssh/codec.js';
import { sshProbe } from '../../probes/ssh/probe.js';
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

describe('ssh probe', () => {
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
