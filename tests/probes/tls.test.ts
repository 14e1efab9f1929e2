import { X509Certificate, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:tls';
import type { SecureVersion, TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { certificateFields } from '../../probes/tls/certificate.js';
import { answeredInCleartext, legacyVersionsField, parseCertificateDer } from '../../probes/tls/codec.js';
import { tlsProbe } from '../../probes/tls/probe.js';
import { createNodeNet } from '../../src/net/node-net.js';
import { fixture, listenTcp, runServiceProbe, subjectFor } from '../fixtures/harness.js';

const der = (name: string): Uint8Array => new Uint8Array(new X509Certificate(fixture(`tls/${name}.pem`)).raw);

describe('tls codec', () => {
  it('reads signature algorithm, validity and SANs from the DER', () => {
    expect(parseCertificateDer(der('selfsigned-rsa1024'))).toEqual({
      signatureAlgorithm: 'sha1WithRSAEncryption',
      notBefore: '2024-01-01T00:00:00Z',
      notAfter: '2034-01-01T00:00:00Z',
      subjectAltNames: ['ipcam.local', '192.168.1.20'],
    });
    expect(parseCertificateDer(der('expired-ec'))).toEqual({
      signatureAlgorithm: 'ecdsa-with-SHA256',
      notBefore: '2015-01-01T00:00:00Z',
      notAfter: '2020-01-01T00:00:00Z',
      subjectAltNames: ['router.lan', 'fe80::1'],
    });
    // A GeneralizedTime date (2050 and later) and no SAN extension.
    expect(parseCertificateDer(der('test-ca'))).toMatchObject({ notAfter: '2054-01-01T00:00:00Z', subjectAltNames: [] });
  });

  it('never throws on truncated, garbage or hostile input', () => {
    const good = der('ca-issued-rsa2048');
    for (let length = 0; length < good.length; length += 1) expect(() => parseCertificateDer(good.subarray(0, length))).not.toThrow();
    expect(parseCertificateDer(good.subarray(0, good.length - 1))).toBeUndefined();
    for (let round = 0; round < 200; round += 1) {
      const mutated = Uint8Array.from(good);
      mutated[Math.floor(Math.random() * mutated.length)] = Math.floor(Math.random() * 256);
      expect(() => parseCertificateDer(mutated)).not.toThrow();
    }
    expect(parseCertificateDer(randomBytes(4096))).toBeUndefined();
    expect(parseCertificateDer(Uint8Array.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x30, 0x00]))).toBeUndefined();
    expect(parseCertificateDer(Uint8Array.from([0x30, 0x80, 0x30, 0x00, 0x00, 0x00]))).toBeUndefined();
    expect(parseCertificateDer(new Uint8Array(0))).toBeUndefined();
  });

  it('knows which ports already answered in cleartext', () => {
    expect(answeredInCleartext(['http.status', 'http.server'])).toBe(true);
    expect(answeredInCleartext(['ssh.banner'])).toBe(true);
    expect(answeredInCleartext(['mdns.service', 'mdns.instance'])).toBe(false);
    expect(answeredInCleartext([])).toBe(false);
  });

  it('says none only when every legacy version was refused', () => {
    expect(legacyVersionsField(new Map([['TLSv1', 'refused'], ['TLSv1.1', 'refused']]))).toBe('none');
    expect(legacyVersionsField(new Map([['TLSv1', 'accepted'], ['TLSv1.1', 'accepted']]))).toBe('TLSv1,TLSv1.1');
    expect(legacyVersionsField(new Map([['TLSv1', 'unknown'], ['TLSv1.1', 'accepted']]))).toBe('TLSv1.1');
    expect(legacyVersionsField(new Map([['TLSv1', 'refused'], ['TLSv1.1', 'unknown']]))).toBeUndefined();
  });
});

describe('tls certificate fields', () => {
  it('describes a self-signed RSA-1024 certificate', () => {
    expect(certificateFields(der('selfsigned-rsa1024'))).toEqual({
      'tls.cert.sha256': 'c10b2853b07939d238f3b9d2ce09ecf7bba2742dc39487323ed8aea850aa734b',
      'tls.cert.signature-algorithm': 'sha1WithRSAEncryption',
      'tls.cert.not-before': '2024-01-01T00:00:00Z',
      'tls.cert.not-after': '2034-01-01T00:00:00Z',
      'tls.cert.san': 'ipcam.local,192.168.1.20',
      'tls.cert.subject': 'O=Example Camera Co, CN=ipcam.local',
      'tls.cert.issuer': 'O=Example Camera Co, CN=ipcam.local',
      'tls.cert.key-type': 'rsa',
      'tls.cert.key-bits': '1024',
      'tls.cert.self-signed': 'yes',
    });
  });

  it('tells a CA-issued certificate from a self-signed one', () => {
    const fields = certificateFields(der('ca-issued-rsa2048'));
    expect(fields).toMatchObject({ 'tls.cert.self-signed': 'no', 'tls.cert.issuer': 'O=iotscan test, CN=iotscan test CA', 'tls.cert.key-bits': '2048' });
    expect(certificateFields(der('expired-ec'))).toMatchObject({ 'tls.cert.key-type': 'ec', 'tls.cert.key-bits': '256', 'tls.cert.self-signed': 'yes' });
  });

  it('keeps the hash of bytes that are not a certificate', () => {
    const junk = randomBytes(300);
    expect(Object.keys(certificateFields(junk))).toEqual(['tls.cert.sha256']);
  });
});

interface ServerOptions {
  cert: string;
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
  chain?: string;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function tlsServer(options: ServerOptions, onServerName?: (name: string) => void): Promise<number> {
  const sockets = new Set<TLSSocket>();
  const server = createServer(
    {
      key: fixture(`tls/${options.cert}.key`),
      cert: options.chain === undefined ? fixture(`tls/${options.cert}.pem`) : Buffer.concat([fixture(`tls/${options.cert}.pem`), fixture(`tls/${options.chain}.pem`)]),
      minVersion: options.minVersion,
      maxVersion: options.maxVersion,
      // The test devices are as old as real ones: SHA-1, RSA-1024 and TLS 1.0 must load.
      ciphers: 'DEFAULT@SECLEVEL=0',
      // Called only when the client sends SNI.
      SNICallback: (name, callback) => {
        onServerName?.(name);
        callback(null);
      },
    },
    (socket) => socket.end(),
  );
  server.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

describe('tls probe', () => {
  it('reads a modern server with a CA-issued certificate and finds no legacy version', async () => {
    const port = await tlsServer({ cert: 'ca-issued-rsa2048', chain: 'test-ca', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
    const run = await runServiceProbe(tlsProbe, subjectFor('127.0.0.1', port));
    expect(run.status).toBe('success');
    expect(run.observations).toHaveLength(1);
    expect(run.observations[0]?.fields).toMatchObject({
      'tls.version': 'TLSv1.3',
      'tls.cipher': 'TLS_AES_256_GCM_SHA384',
      'tls.legacy-versions': 'none',
      'tls.cert.subject': 'O=Example NAS, CN=nas.example.test',
      'tls.cert.self-signed': 'no',
      'tls.cert.san': 'nas.example.test,nas.local',
      'tls.cert.key-bits': '2048',
      'tls.cert.signature-algorithm': 'sha256WithRSAEncryption',
    });
  });

  it('detects a TLS 1.0-only server with a self-signed RSA-1024 certificate as legacy', async () => {
    const port = await tlsServer({ cert: 'selfsigned-rsa1024', minVersion: 'TLSv1', maxVersion: 'TLSv1' });
    const run = await runServiceProbe(tlsProbe, subjectFor('127.0.0.1', port));
    expect(run.status).toBe('success');
    expect(run.observations[0]?.fields).toMatchObject({
      'tls.version': 'TLSv1',
      'tls.legacy-versions': 'TLSv1',
      'tls.cert.key-bits': '1024',
      'tls.cert.self-signed': 'yes',
    });
  });

  it('lists both legacy versions when a server accepts everything, and reads an expired certificate', async () => {
    const port = await tlsServer({ cert: 'expired-ec', minVersion: 'TLSv1', maxVersion: 'TLSv1.3' });
    const run = await runServiceProbe(tlsProbe, subjectFor('127.0.0.1', port));
    expect(run.observations[0]?.fields).toMatchObject({
      'tls.version': 'TLSv1.3',
      'tls.legacy-versions': 'TLSv1,TLSv1.1',
      'tls.cert.not-after': '2020-01-01T00:00:00Z',
      'tls.cert.key-type': 'ec',
    });
  });

  it('sends SNI for a host name and never for an address', async () => {
    const names: string[] = [];
    const port = await tlsServer({ cert: 'ca-issued-rsa2048', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' }, (name) => names.push(name));
    const net = createNodeNet();
    const signal = new AbortController().signal;
    for (const address of ['127.0.0.1', 'localhost']) {
      const result = await net.tls({ address, port, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ciphers: 'DEFAULT', timeoutMs: 1500, signal });
      expect(result.ok).toBe(true);
    }
    expect(names).toEqual(['localhost']);
  });

  it('calls a cleartext or garbage service a protocol mismatch', async () => {
    for (const reply of [Buffer.from('SSH-2.0-dropbear_2019.78\r\n'), randomBytes(2 * 1024 * 1024), Buffer.from([0x15, 0x03, 0x01, 0xff, 0xff])]) {
      const server = await listenTcp((socket) => socket.end(reply));
      closers.push(server.close);
      const run = await runServiceProbe(tlsProbe, subjectFor('127.0.0.1', server.port));
      expect(run.status).toBe('protocol-mismatch');
      expect(run.observations).toEqual([]);
    }
  });

  it('gives up on a silent server within its time budget and reports a closed port', async () => {
    const silent = await listenTcp(() => undefined);
    closers.push(silent.close);
    const started = Date.now();
    const run = await runServiceProbe(tlsProbe, subjectFor('127.0.0.1', silent.port), 300);
    expect(run.status).toBe('io-timeout');
    expect(Date.now() - started).toBeLessThan(1500);
    await silent.close();
    expect((await runServiceProbe(tlsProbe, subjectFor('127.0.0.1', silent.port))).status).toBe('connection-refused');
  });

  it('stops when the scan is aborted', async () => {
    const silent = await listenTcp(() => undefined);
    closers.push(silent.close);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const run = await runServiceProbe(tlsProbe, subjectFor('127.0.0.1', silent.port), 5000, controller.signal);
    expect(run.status).toBe('aborted');
  });

  it('applies to TLS ports and to learnt ports no cleartext probe recognised', () => {
    expect(tlsProbe.appliesTo(subjectFor('127.0.0.1', 443, { serviceFields: { 'http.status': '400' } }))).toBe(true);
    expect(tlsProbe.appliesTo(subjectFor('127.0.0.1', 8009))).toBe(true);
    // Ports the scan list names for a cleartext protocol, answered or not.
    expect(tlsProbe.appliesTo(subjectFor('127.0.0.1', 1883))).toBe(false);
    expect(tlsProbe.appliesTo(subjectFor('127.0.0.1', 445))).toBe(false);
    // A port learnt from discovery: a handshake unless a cleartext probe recognised it.
    expect(tlsProbe.appliesTo(subjectFor('127.0.0.1', 7000, { serviceFields: { 'mdns.service': '_airplay._tcp' } }))).toBe(true);
    expect(tlsProbe.appliesTo(subjectFor('127.0.0.1', 52323, { serviceFields: { 'http.status': '200' } }))).toBe(false);
    expect(tlsProbe.appliesTo(subjectFor('127.0.0.1', 7000, { transport: 'udp' }))).toBe(false);
  });
});
