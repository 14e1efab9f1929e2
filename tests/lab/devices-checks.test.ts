// The lab's check triggers: the ADB, TFTP, RTSP, SSH and TLS servers on loopback, the committed
// certificates, and then the running lab seen from the scanner namespace: every trigger answers a
// small real client the way its device's truth says. The lab part needs root and iproute2 and runs
// in the lab named by IOTSCAN_LAB.
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { createSocket } from 'node:dgram';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, Algorithms } from 'ssh2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SEVERITIES } from '../../src/core/model.js';
import { readAttempts } from '../../src/lab/attempts.js';
import type { LabDevice } from '../../src/lab/device.js';
import { device as androidTv } from '../../src/lab/devices/android-tv.js';
import { device as babyMonitor } from '../../src/lab/devices/baby-monitor.js';
import { device as piServer } from '../../src/lab/devices/pi-server.js';
import { checkLabPrerequisites, labDown, labUp } from '../../src/lab/lab.js';
import { A_CLSE, A_CNXN, A_OPEN, A_VERSION_SKIP_CHECKSUM, encodeAdbMessage, startAdbServer, takeAdbMessage } from '../../src/lab/protocols/adb.js';
import { startRtspServer } from '../../src/lab/protocols/rtsp.js';
import { startSshServer } from '../../src/lab/protocols/ssh.js';
import { TFTP_ACCESS_VIOLATION, TFTP_FILE_NOT_FOUND, TFTP_ILLEGAL_OPERATION, startTftpServer } from '../../src/lab/protocols/tftp.js';
import { labPem, startHttpsServer } from '../../src/lab/protocols/tls.js';
import { LAB_DEVICES, SCANNER_NAMESPACE } from '../../src/lab/registry.js';

const LOOPBACK = '127.0.0.1';
const TEST_TIMEOUT_MS = 10_000;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function connect(port: number, host = LOOPBACK): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    cleanups.push(() => void socket.destroy());
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything a socket sends until it closes (or `ms` passes). */
function collect(socket: net.Socket, ms: number): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const done = (closed: boolean): void => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(chunks), closed });
    };
    const timer = setTimeout(() => done(false), ms);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('close', () => done(true));
  });
}

describe('adb daemon', () => {
  it(
    'ignores messages before CONNECT, answers CONNECT with its banner and closes every OPEN',
    async () => {
      const banner = 'device::ro.product.name=foster_e;ro.product.model=SHIELD Android TV;ro.product.device=foster;features=shell_v2';
      const adb = await startAdbServer({ host: LOOPBACK, port: 0, banner });
      cleanups.push(() => adb.stop());
      const socket = await connect(adb.port);
      const received = collect(socket, 500);
      socket.write(encodeAdbMessage({ command: A_OPEN, arg0: 7, arg1: 0, payload: Buffer.from('shell:id\0') }));
      socket.write(encodeAdbMessage({ command: A_CNXN, arg0: 0x01000000, arg1: 4096, payload: Buffer.from('host::features=shell_v2\0') }));
      socket.write(encodeAdbMessage({ command: A_OPEN, arg0: 9, arg1: 0, payload: Buffer.from('shell:id\0') }));
      const { data } = await received;

      const first = takeAdbMessage(data);
      if (first === undefined || first === 'invalid') throw new Error(`no CONNECT came back (${data.length} bytes)`);
      expect(first.message.command).toBe(A_CNXN);
      // The lower of the two versions, and the lower payload limit.
      expect(first.message.arg0).toBe(0x01000000);
      expect(first.message.arg1).toBe(4096);
      expect(first.message.payload.toString('utf8')).toBe(banner);
      const second = takeAdbMessage(first.rest);
      if (second === undefined || second === 'invalid') throw new Error('no CLOSE came back');
      expect(second.message).toMatchObject({ command: A_CLSE, arg0: 0, arg1: 9 });
      expect(second.rest.length).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'offers the checksum-free version to a new client and hangs up on a bad header',
    async () => {
      const adb = await startAdbServer({ host: LOOPBACK, port: 0, banner: 'device::' });
      cleanups.push(() => adb.stop());
      const socket = await connect(adb.port);
      const received = collect(socket, 500);
      socket.write(encodeAdbMessage({ command: A_CNXN, arg0: 0x01000002, arg1: 4 * 1024 * 1024, payload: Buffer.from('host::\0') }));
      const header = encodeAdbMessage({ command: A_OPEN, arg0: 1, arg1: 0, payload: Buffer.alloc(0) });
      header.writeUInt32LE(0, 20);
      socket.write(header);
      const { data, closed } = await received;
      const reply = takeAdbMessage(data);
      if (reply === undefined || reply === 'invalid') throw new Error('no CONNECT came back');
      expect(reply.message.arg0).toBe(A_VERSION_SKIP_CHECKSUM);
      expect(reply.message.arg1).toBe(1024 * 1024);
      expect(closed).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );
});

/** Sends one datagram and waits for the first answer: its bytes and the port it came from. */
function udpExchange(port: number, request: Buffer): Promise<{ data: Buffer; fromPort: number }> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    cleanups.push(() => void socket.close());
    const timer = setTimeout(() => reject(new Error('no TFTP answer')), 2000);
    socket.once('message', (data, remote) => {
      clearTimeout(timer);
      resolve({ data, fromPort: remote.port });
    });
    socket.send(request, port, LOOPBACK);
  });
}

function tftpRequest(opcode: number, file: string): Buffer {
  return Buffer.concat([Buffer.from([0, opcode]), Buffer.from(`${file}\0octet\0`, 'ascii')]);
}

describe('tftp server', () => {
  it(
    'answers a read with File not found, a write with Access violation, garbage with Illegal operation, from a new port',
    async () => {
      const tftp = await startTftpServer({ host: LOOPBACK, port: 0 });
      cleanups.push(() => tftp.stop());
      const cases: [Buffer, number, string][] = [
        [tftpRequest(1, 'config.bin'), TFTP_FILE_NOT_FOUND, 'File not found'],
        [tftpRequest(2, 'firmware.bin'), TFTP_ACCESS_VIOLATION, 'Access violation'],
        [Buffer.from([0, 9, 1, 2, 3]), TFTP_ILLEGAL_OPERATION, 'Illegal TFTP operation'],
      ];
      for (const [request, code, message] of cases) {
        const { data, fromPort } = await udpExchange(tftp.port, request);
        expect(data.readUInt16BE(0)).toBe(5);
        expect(data.readUInt16BE(2)).toBe(code);
        expect(data.toString('ascii', 4)).toBe(`${message}\0`);
        expect(fromPort).not.toBe(tftp.port);
      }
    },
    TEST_TIMEOUT_MS,
  );
});

describe('rtsp server', () => {
  it(
    'describes its stream paths without a login, 404s others, never streams, and counts sent credentials',
    async () => {
      let attempts = 0;
      const rtsp = await startRtspServer({
        host: LOOPBACK,
        port: 0,
        server: 'Hipcam RealServer/V1.0',
        streamPaths: ['/11', '/live'],
        sdp: (url) => `v=0\r\nm=video 0 RTP/AVP 96\r\na=control:${url}/trackID=0\r\n`,
        onLoginAttempt: () => (attempts += 1),
      });
      cleanups.push(() => rtsp.stop());
      const socket = await connect(rtsp.port);
      const received = collect(socket, 500);
      const base = `rtsp://${LOOPBACK}:${rtsp.port}`;
      socket.write(`DESCRIBE ${base}/live RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n\r\n`);
      socket.write(`DESCRIBE ${base}/axis-media/media.amp RTSP/1.0\r\nCSeq: 3\r\n\r\n`);
      socket.write(`SETUP ${base}/live/trackID=0 RTSP/1.0\r\nCSeq: 4\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\n\r\n`);
      const text = (await received).data.toString('latin1');
      const responses = text.split(/(?=RTSP\/1\.0 )/);
      expect(responses[0]).toMatch(/^RTSP\/1\.0 200 OK\r\nCSeq: 2\r\nServer: Hipcam RealServer\/V1\.0\r\n/);
      expect(responses[0]).toContain('Content-Type: application/sdp');
      expect(responses[0]).toContain(`a=control:${base}/live/trackID=0`);
      expect(responses[1]).toMatch(/^RTSP\/1\.0 404 Not Found\r\nCSeq: 3\r\n/);
      expect(responses[2]).toMatch(/^RTSP\/1\.0 455 /);
      expect(attempts).toBe(1);
    },
    TEST_TIMEOUT_MS,
  );
});

interface SshOutcome {
  hostKeySha256: string;
  loggedIn: boolean;
  sessionRefused?: boolean;
  error?: string;
}

/** Connects with ssh2's Client: records the host key, tries `none` then the password if given. */
function sshTry(host: string, port: number, options: { password?: string; username?: string; algorithms?: Algorithms }): Promise<SshOutcome> {
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    cleanups.push(() => void client.end());
    let hostKeySha256 = '';
    const methods: AnyAuthMethod[] = [{ type: 'none', username: options.username ?? 'root' }];
    if (options.password !== undefined) methods.push({ type: 'password', username: options.username ?? 'root', password: options.password });
    const finish = (outcome: Omit<SshOutcome, 'hostKeySha256'>): void => {
      client.end();
      resolve({ hostKeySha256, ...outcome });
    };
    client.on('ready', () => {
      client.exec('id', (error) => finish({ loggedIn: true, sessionRefused: error !== undefined }));
    });
    client.on('error', (error) => finish({ loggedIn: false, error: error.message }));
    client.connect({
      host,
      port,
      username: options.username ?? 'root',
      readyTimeout: 5000,
      ...(options.algorithms !== undefined && { algorithms: options.algorithms }),
      hostVerifier: (key: Buffer) => {
        hostKeySha256 = createHash('sha256').update(key).digest('base64');
        return true;
      },
      authHandler: (_methodsLeft, _partialSuccess, next) => {
        const method = methods.shift();
        if (method !== undefined) return next(method);
        finish({ loggedIn: false });
      },
    });
  });
}

describe('ssh server', () => {
  it(
    'lets a listed password in, refuses the session, counts passwords but not the none query',
    async () => {
      let attempts = 0;
      const server = await startSshServer({
        host: LOOPBACK,
        port: 0,
        ident: 'OpenSSH_9.2p1 Debian-2+deb12u3',
        authMethods: ['publickey', 'password'],
        accept: [{ username: 'pi', password: 'raspberry' }],
        onLoginAttempt: () => (attempts += 1),
      });
      cleanups.push(() => server.stop());
      expect(await sshTry(LOOPBACK, server.port, { username: 'pi', password: 'wrong' })).toMatchObject({ loggedIn: false });
      expect(attempts).toBe(1);
      expect(await sshTry(LOOPBACK, server.port, { username: 'pi', password: 'raspberry' })).toMatchObject({ loggedIn: true, sessionRefused: true });
      expect(attempts).toBe(2);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'serves a given host key with the given algorithms only',
    async () => {
      const hostKey = labPem('firmware-ssh-host-rsa.key.pem');
      const server = await startSshServer({
        host: LOOPBACK,
        port: 0,
        ident: 'dropbear_2014.63',
        hostKey,
        algorithms: { kex: ['diffie-hellman-group1-sha1'], cipher: ['3des-cbc'], hmac: ['hmac-md5'], serverHostKey: ['ssh-rsa'] },
        authMethods: ['password'],
      });
      cleanups.push(() => server.stop());
      const weak: Algorithms = { kex: ['diffie-hellman-group1-sha1'], cipher: ['3des-cbc'], hmac: ['hmac-md5'], serverHostKey: ['ssh-rsa'] };
      const outcome = await sshTry(LOOPBACK, server.port, { algorithms: weak });
      expect(outcome.error).toBeUndefined();
      const parsed = ssh2.utils.parseKey(hostKey);
      if (parsed instanceof Error || Array.isArray(parsed)) throw new Error('the firmware key does not parse as one key');
      expect(outcome.hostKeySha256).toBe(createHash('sha256').update(parsed.getPublicSSH()).digest('base64'));
      const modern = await sshTry(LOOPBACK, server.port, { algorithms: { kex: ['curve25519-sha256'] } });
      expect(modern.error).toMatch(/handshake failed|no matching/i);
    },
    TEST_TIMEOUT_MS,
  );
});

function tlsTry(host: string, port: number, options: tls.ConnectionOptions): Promise<{ protocol: string | null; certificate: tls.PeerCertificate } | { error: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host, port, rejectUnauthorized: false, ...options });
    cleanups.push(() => void socket.destroy());
    socket.setTimeout(3000, () => {
      socket.destroy();
      resolve({ error: 'timeout' });
    });
    socket.once('secureConnect', () => {
      resolve({ protocol: socket.getProtocol(), certificate: socket.getPeerCertificate() });
      socket.end();
    });
    socket.once('error', (error) => resolve({ error: error.message }));
  });
}

describe('https server', () => {
  it(
    'speaks TLS 1.0 only when told to, and TLS 1.3 only when told to',
    async () => {
      const legacy = await startHttpsServer({
        host: LOOPBACK,
        port: 0,
        key: labPem('router.key.pem'),
        cert: labPem('router.cert.pem'),
        minVersion: 'TLSv1',
        ciphers: 'DEFAULT@SECLEVEL=0',
        handler: (_request, response) => response.end('ok'),
      });
      cleanups.push(() => legacy.stop());
      const modern = await startHttpsServer({
        host: LOOPBACK,
        port: 0,
        key: labPem('hardened.key.pem'),
        cert: labPem('hardened.cert.pem'),
        minVersion: 'TLSv1.3',
        handler: (_request, response) => response.end('ok'),
      });
      cleanups.push(() => modern.stop());
      const tls10: tls.ConnectionOptions = { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' };
      expect(await tlsTry(LOOPBACK, legacy.port, tls10)).toMatchObject({ protocol: 'TLSv1' });
      expect(await tlsTry(LOOPBACK, modern.port, tls10)).toHaveProperty('error');
      expect(await tlsTry(LOOPBACK, modern.port, { maxVersion: 'TLSv1.2' })).toHaveProperty('error');
      expect(await tlsTry(LOOPBACK, modern.port, {})).toMatchObject({ protocol: 'TLSv1.3' });
    },
    TEST_TIMEOUT_MS,
  );
});

describe('lab certificates', () => {
  const ca = new X509Certificate(labPem('lab-ca.cert.pem'));
  const threeYearsFromNow = Date.now() + 3 * 365 * 24 * 3600 * 1000;

  it('router: self-signed RSA 1024', () => {
    const router = new X509Certificate(labPem('router.cert.pem'));
    expect(router.issuer).toBe(router.subject);
    expect(router.verify(router.publicKey)).toBe(true);
    expect(router.publicKey.asymmetricKeyType).toBe('rsa');
    expect(router.publicKey.asymmetricKeyDetails?.modulusLength).toBe(1024);
  });

  it('pi-server: RSA 2048 issued by the lab CA, valid for years yet', () => {
    const leaf = new X509Certificate(labPem('pi-server.cert.pem'));
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.issuer).not.toBe(leaf.subject);
    expect(leaf.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(leaf.checkIP('192.168.77.102')).toBe('192.168.77.102');
    expect(Date.parse(leaf.validTo)).toBeGreaterThan(threeYearsFromNow);
  });

  it('hardened: ECDSA P-256 issued by the lab CA, valid for years yet', () => {
    const leaf = new X509Certificate(labPem('hardened.cert.pem'));
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.publicKey.asymmetricKeyType).toBe('ec');
    expect(leaf.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(leaf.checkIP('192.168.77.80')).toBe('192.168.77.80');
    expect(Date.parse(leaf.validTo)).toBeGreaterThan(threeYearsFromNow);
  });
});

describe('device specs of the check triggers', () => {
  const EXPECTED: Record<string, { ipv4: string; mac: string }> = {
    'android-tv': { ipv4: '192.168.77.100', mac: '00:04:4b:5e:a1:07' },
    'baby-monitor': { ipv4: '192.168.77.101', mac: 'e0:b9:4d:6c:21:0f' },
    'pi-server': { ipv4: '192.168.77.102', mac: 'dc:a6:32:7b:4e:12' },
  };
  const devices: LabDevice[] = [androidTv, babyMonitor, piServer];

  it.each(devices.map((device) => [device.spec.id, device] as const))('%s is registered and self-consistent', (id, device) => {
    const { spec } = device;
    expect(LAB_DEVICES).toContain(device);
    expect({ ipv4: spec.ipv4, mac: spec.mac }).toEqual(EXPECTED[id]);
    expect(spec.truth.vendor).not.toBe('');
    const keys = spec.expectedFindings.map((f) => `${f.check}/${f.transport}/${f.port}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const finding of spec.expectedFindings) {
      expect(SEVERITIES).toContain(finding.severity);
    }
    for (const check of spec.mustNotReport ?? []) expect(spec.expectedFindings.map((f) => f.check)).not.toContain(check);
  });

  it('gives every lab device its own id, address and MAC', () => {
    for (const field of ['id', 'ipv4', 'mac'] as const) {
      const values = LAB_DEVICES.map((device) => device.spec[field]);
      expect(new Set(values).size).toBe(values.length);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The running lab, from the scanner namespace.

const unavailable = checkLabPrerequisites();
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

// Runs inside the scanner namespace (CommonJS, with the repository's node_modules): one named
// check, its JSON result on stdout.
const CLIENT_SCRIPT = String.raw`
const net = require('node:net');
const tls = require('node:tls');
const dgram = require('node:dgram');
const crypto = require('node:crypto');
const ssh2 = require('ssh2');
const mqttPacket = require('mqtt-packet');
const [check, args] = [process.argv[1], JSON.parse(process.argv[2] || '{}')];
const out = (value) => { process.stdout.write(JSON.stringify(value)); process.exit(0); };
setTimeout(() => out({ error: 'client timeout' }), 8000).unref();

function tlsTry(host, port, options) {
  return new Promise((resolve) => {
    const socket = tls.connect({ host, port, rejectUnauthorized: false, ...options });
    socket.setTimeout(3000, () => { socket.destroy(); resolve({ error: 'timeout' }); });
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      resolve({ protocol: socket.getProtocol(), bits: cert.bits, subject: cert.subject, issuer: cert.issuer });
      socket.end();
    });
    socket.once('error', (error) => resolve({ error: error.message }));
  });
}

function sshTry(host, options) {
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    let hostKey = '';
    const methods = [{ type: 'none', username: options.username || 'root' }];
    if (options.password !== undefined) methods.push({ type: 'password', username: options.username, password: options.password });
    const finish = (outcome) => { client.end(); resolve({ hostKey, ...outcome }); };
    client.on('ready', () => client.exec('id', (error) => finish({ loggedIn: true, sessionRefused: error !== undefined })));
    client.on('error', (error) => finish({ loggedIn: false, error: error.message }));
    client.connect({
      host, port: 22, username: options.username || 'root', readyTimeout: 4000,
      ...(options.algorithms ? { algorithms: options.algorithms } : {}),
      hostVerifier: (key) => { hostKey = crypto.createHash('sha256').update(key).digest('base64'); return true; },
      authHandler: (_left, _partial, next) => { const method = methods.shift(); if (method) return next(method); finish({ loggedIn: false }); },
    });
  });
}

function exchange(host, port, request, until) {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    let data = Buffer.alloc(0);
    const done = () => { socket.destroy(); resolve(data); };
    socket.setTimeout(3000, done);
    socket.once('error', done);
    socket.once('close', done);
    socket.on('data', (chunk) => { data = Buffer.concat([data, chunk]); if (until(data)) done(); });
    if (request) socket.write(request);
  });
}

function mqttConnect(host, credentials) {
  const packet = { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'lab-check', clean: true, keepalive: 30, ...credentials };
  return exchange(host, 1883, mqttPacket.generate(packet), (data) => data.length >= 4).then((data) => {
    let connack = null;
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p) => { if (p.cmd === 'connack') connack = p.returnCode; });
    parser.parse(data);
    return connack;
  });
}

function tftp(host, opcode, file) {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => { socket.close(); resolve({ error: 'no answer' }); }, 2000);
    socket.once('message', (data, remote) => {
      clearTimeout(timer); socket.close();
      resolve({ opcode: data.readUInt16BE(0), code: data.readUInt16BE(2), message: data.toString('ascii', 4).replace(/\0$/, ''), fromPort: remote.port });
    });
    socket.send(Buffer.concat([Buffer.from([0, opcode]), Buffer.from(file + '\0octet\0', 'ascii')]), 69, host);
  });
}

function adbConnect(host) {
  const payload = Buffer.from('host::features=shell_v2\0');
  const header = Buffer.alloc(24);
  const CNXN = 0x4e584e43;
  header.writeUInt32LE(CNXN, 0); header.writeUInt32LE(0x01000001, 4); header.writeUInt32LE(256 * 1024, 8);
  header.writeUInt32LE(payload.length, 12);
  header.writeUInt32LE(payload.reduce((sum, byte) => sum + byte, 0), 16);
  header.writeUInt32LE((CNXN ^ 0xffffffff) >>> 0, 20);
  return exchange(host, 5555, Buffer.concat([header, payload]), (data) => data.length >= 24 && data.length >= 24 + data.readUInt32LE(12)).then((data) => ({
    command: data.length >= 24 ? data.readUInt32LE(0) : null,
    banner: data.length >= 24 ? data.toString('utf8', 24, 24 + data.readUInt32LE(12)) : '',
  }));
}

const checks = {
  tls: () => tlsTry(args.host, 443, args.options),
  ssh: () => sshTry(args.host, args),
  adb: () => adbConnect(args.host),
  rtsp: () => exchange(args.host, 554, 'DESCRIBE rtsp://' + args.host + ':554' + args.path + ' RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n',
    (data) => /\r\n\r\n[\s\S]*m=audio/.test(data.toString('latin1')) || /^RTSP\/1\.0 [45]/.test(data.toString('latin1'))).then((data) => ({ text: data.toString('latin1') })),
  tftp: () => tftp(args.host, args.opcode, args.file),
  mqtt: () => mqttConnect(args.host, args.credentials).then((returnCode) => ({ returnCode })),
  telnet: () => exchange(args.host, 23, null, (data) => /login: $/.test(data.toString('latin1'))).then((data) => ({ text: data.toString('latin1').replace(/\xff[\xfb-\xfe]./g, '') })),
  http: () => exchange(args.host, 80, 'GET / HTTP/1.1\r\nHost: ' + args.host + '\r\nConnection: close\r\n\r\n', () => false).then((data) => ({ text: data.toString('latin1') })),
};
checks[check]().then(out, (error) => out({ error: String(error) }));
`;

function fromScanner<T>(check: string, args: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(
      'ip',
      ['netns', 'exec', SCANNER_NAMESPACE, process.execPath, '-e', CLIENT_SCRIPT, check, JSON.stringify(args)],
      { cwd: REPO_ROOT, timeout: 15_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${check}: ${error.message} ${stderr}`));
        else resolve(JSON.parse(stdout) as T);
      },
    );
  });
}

const ROUTER = '192.168.77.1';
const OLD_DEVICE = '192.168.77.70';
const HARDENED = '192.168.77.80';
const ANDROID_TV = '192.168.77.100';
const BABY_MONITOR = '192.168.77.101';
const PI_SERVER = '192.168.77.102';
const TLS_1_0 = { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' };
const WEAK_SSH: Algorithms = { kex: ['diffie-hellman-group1-sha1'], cipher: ['3des-cbc', 'aes128-cbc'], hmac: ['hmac-md5'] };

describe.skipIf(unavailable !== undefined)(`the check triggers in the running lab${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  beforeAll(async () => {
    // A fresh lab: attempt counters start at zero.
    await labDown();
    await labUp();
  }, 60_000);

  afterAll(async () => {
    await labDown();
  }, 30_000);

  it('router .1 accepts TLS 1.0 with a self-signed 1024-bit RSA certificate', async () => {
    const answer = await fromScanner<{ protocol?: string; bits?: number; subject?: object; issuer?: object }>('tls', { host: ROUTER, options: TLS_1_0 });
    expect(answer).toMatchObject({ protocol: 'TLSv1', bits: 1024 });
    expect(answer.issuer).toEqual(answer.subject);
  });

  it('hardened .80 refuses TLS 1.0 and 1.2 and speaks TLS 1.3 with a lab-CA certificate', async () => {
    expect(await fromScanner('tls', { host: HARDENED, options: TLS_1_0 })).toHaveProperty('error');
    expect(await fromScanner('tls', { host: HARDENED, options: { maxVersion: 'TLSv1.2' } })).toHaveProperty('error');
    expect(await fromScanner('tls', { host: HARDENED, options: {} })).toMatchObject({ protocol: 'TLSv1.3', issuer: { CN: 'Home Lab Root CA' } });
  });

  it('pi-server .102 refuses TLS 1.1 and speaks TLS 1.2 with a 2048-bit lab-CA certificate', async () => {
    expect(await fromScanner('tls', { host: PI_SERVER, options: { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' } })).toHaveProperty('error');
    expect(await fromScanner('tls', { host: PI_SERVER, options: { maxVersion: 'TLSv1.2' } })).toMatchObject({
      protocol: 'TLSv1.2',
      bits: 2048,
      subject: { CN: 'raspberrypi.local' },
      issuer: { CN: 'Home Lab Root CA' },
    });
  });

  it('old-device .70 and baby-monitor .101 share one SSH host key that hardened .80 does not have', async () => {
    const [oldDevice, babyMonitorKey, hardened] = await Promise.all(
      [OLD_DEVICE, BABY_MONITOR, HARDENED].map((host) => fromScanner<{ hostKey: string }>('ssh', { host })),
    );
    expect(oldDevice?.hostKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(babyMonitorKey?.hostKey).toBe(oldDevice?.hostKey);
    expect(hardened?.hostKey).not.toBe(oldDevice?.hostKey);
  });

  it('old-device .70 negotiates group1-sha1, CBC and hmac-md5; hardened .80 and the baby monitor refuse them', async () => {
    const weak = await fromScanner<{ loggedIn: boolean; error?: string }>('ssh', { host: OLD_DEVICE, algorithms: WEAK_SSH });
    expect(weak.error).toBeUndefined();
    expect(weak.loggedIn).toBe(false);
    expect(await fromScanner('ssh', { host: HARDENED, algorithms: WEAK_SSH })).toHaveProperty('error');
    expect(await fromScanner('ssh', { host: BABY_MONITOR, algorithms: WEAK_SSH })).toHaveProperty('error');
  });

  it('android-tv .100 answers an ADB CONNECT with its own, without authentication', async () => {
    const answer = await fromScanner<{ command: number; banner: string }>('adb', { host: ANDROID_TV });
    expect(answer.command).toBe(A_CNXN);
    expect(answer.banner).toMatch(/^device::ro\.product\.name=foster_e;ro\.product\.model=SHIELD Android TV;ro\.product\.device=foster;features=/);
  });

  it('baby-monitor .101 describes its stream without a login, answers TFTP with errors, shows a BusyBox login and a Basic realm', async () => {
    const stream = await fromScanner<{ text: string }>('rtsp', { host: BABY_MONITOR, path: '/live' });
    expect(stream.text).toMatch(/^RTSP\/1\.0 200 OK\r\n/);
    expect(stream.text).toContain('Server: Hipcam RealServer/V1.0');
    expect(stream.text).toContain('m=video 0 RTP/AVP 96');

    expect(await fromScanner('tftp', { host: BABY_MONITOR, opcode: 1, file: 'nosuchfile' })).toMatchObject({ opcode: 5, code: 1, message: 'File not found' });
    expect(await fromScanner('tftp', { host: BABY_MONITOR, opcode: 2, file: 'upload.bin' })).toMatchObject({ opcode: 5, code: 2, message: 'Access violation' });

    expect((await fromScanner<{ text: string }>('telnet', { host: BABY_MONITOR })).text).toMatch(/BusyBox on \(none\) login: $/);
    expect((await fromScanner<{ text: string }>('http', { host: BABY_MONITOR })).text).toMatch(/^HTTP\/1\.1 401 [\s\S]*WWW-Authenticate: Basic realm="Baby Monitor"/);
    expect(readAttempts('baby-monitor')).toEqual({});
  });

  it('pi-server .102: MQTT refuses anonymous and takes admin/admin; SSH takes pi/raspberry but opens no session; both counted', async () => {
    expect(await fromScanner('mqtt', { host: PI_SERVER, credentials: {} })).toEqual({ returnCode: 5 });
    expect(await fromScanner('mqtt', { host: PI_SERVER, credentials: { username: 'admin', password: 'guess' } })).toEqual({ returnCode: 5 });
    expect(await fromScanner('mqtt', { host: PI_SERVER, credentials: { username: 'admin', password: 'admin' } })).toEqual({ returnCode: 0 });

    expect(await fromScanner('ssh', { host: PI_SERVER, username: 'pi', password: 'raspberry' })).toMatchObject({ loggedIn: true, sessionRefused: true });
    // The `none` query is no attempt; the anonymous MQTT CONNECT neither.
    expect(readAttempts('pi-server')).toEqual({ mqtt: 2, ssh: 1 });
  });
});
