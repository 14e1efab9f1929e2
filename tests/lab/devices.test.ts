// The lab's protocol servers on loopback, each talked to by a small real client, and the
// self-consistency of every device spec. No namespace needed: nothing leaves 127.0.0.1.
import * as net from 'node:net';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import mqttPacket from 'mqtt-packet';
import type { IPublishPacket, Packet } from 'mqtt-packet';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, AuthenticationType } from 'ssh2';
import { SEVERITIES } from '../../src/core/model.js';
import type { LabDevice } from '../../src/lab/device.js';
import { device as nas } from '../../src/lab/devices/nas.js';
import { device as mqttHub } from '../../src/lab/devices/mqtt-hub.js';
import { device as smartTv } from '../../src/lab/devices/smart-tv.js';
import { device as oldDevice } from '../../src/lab/devices/old-device.js';
import { device as hardened } from '../../src/lab/devices/hardened.js';
import { device as tpLinkAp } from '../../src/lab/devices/tp-link-ap.js';
import { startFtpServer } from '../../src/lab/protocols/ftp.js';
import { startSnmpAgent } from '../../src/lab/protocols/snmp.js';
import { startMqttBroker } from '../../src/lab/protocols/mqtt.js';
import { startSshServer } from '../../src/lab/protocols/ssh.js';

const LOOPBACK = '127.0.0.1';
const TEST_TIMEOUT_MS = 10_000;

/** Everything a test opens, closed after it whatever happened. */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, LOOPBACK);
    cleanups.push(() => void socket.destroy());
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Reads CRLF-terminated lines from a socket, one at a time. */
class LineReader {
  private buffered = '';
  private waiting: ((line: string) => void) | undefined;
  private readonly lines: string[] = [];

  constructor(socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered += chunk.toString('latin1');
      let newline = this.buffered.indexOf('\r\n');
      while (newline !== -1) {
        this.lines.push(this.buffered.slice(0, newline));
        this.buffered = this.buffered.slice(newline + 2);
        newline = this.buffered.indexOf('\r\n');
      }
      this.deliver();
    });
  }

  next(): Promise<string> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.deliver();
    });
  }

  private deliver(): void {
    const waiting = this.waiting;
    const line = this.lines[0];
    if (waiting === undefined || line === undefined) return;
    this.lines.shift();
    this.waiting = undefined;
    waiting(line);
  }
}

function readAll(socket: net.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.once('end', () => resolve(text));
    socket.once('error', reject);
  });
}

describe('ftp server', () => {
  it(
    'greets, lets anonymous in, lists over a passive data connection and refuses others',
    async () => {
      let attempts = 0;
      const ftp = await startFtpServer({
        host: LOOPBACK,
        port: 0,
        greeting: 'DiskStation FTP server ready.',
        acceptLogin: (user) => user === 'anonymous',
        listing: ['drwxrwxrwx    1 root     root          4096 Nov 30 09:12 public'],
        onLoginAttempt: () => (attempts += 1),
      });
      cleanups.push(() => ftp.stop());

      const control = await connect(ftp.port);
      const reader = new LineReader(control);
      const command = async (line: string): Promise<string> => {
        control.write(`${line}\r\n`);
        return reader.next();
      };

      expect(await reader.next()).toBe('220 DiskStation FTP server ready.');
      expect(await command('PWD')).toMatch(/^530 /);
      expect(await command('USER admin')).toMatch(/^331 /);
      expect(await command('PASS admin')).toMatch(/^530 /);
      expect(await command('USER anonymous')).toMatch(/^331 /);
      expect(await command('PASS guest@example.com')).toMatch(/^230 /);
      // A password guess for admin counts; the anonymous guest login guesses nothing.
      expect(attempts).toBe(1);
      expect(await command('SYST')).toBe('215 UNIX Type: L8');
      expect(await command('FEAT')).toBe('211-Features:');
      expect([await reader.next(), await reader.next(), await reader.next()]).toEqual([' PASV', ' UTF8', '211 End']);
      expect(await command('PWD')).toMatch(/^257 "\/"/);
      expect(await command('TYPE I')).toMatch(/^200 /);
      expect(await command('SITE EXEC id')).toMatch(/^500 /);

      const pasv = await command('PASV');
      const match = /^227 .*\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(pasv);
      expect(match).not.toBeNull();
      const [, h1, h2, h3, h4, p1, p2] = match ?? [];
      expect(`${h1}.${h2}.${h3}.${h4}`).toBe(LOOPBACK);
      const data = await connect(Number(p1) * 256 + Number(p2));
      const listing = readAll(data);
      expect(await command('LIST')).toMatch(/^150 /);
      expect(await listing).toBe('drwxrwxrwx    1 root     root          4096 Nov 30 09:12 public\r\n');
      expect(await reader.next()).toMatch(/^226 /);

      expect(await command('QUIT')).toMatch(/^221 /);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'closes a connection that sends an over-long line',
    async () => {
      const ftp = await startFtpServer({
        host: LOOPBACK,
        port: 0,
        greeting: 'ready.',
        acceptLogin: () => false,
        listing: [],
      });
      cleanups.push(() => ftp.stop());
      const control = await connect(ftp.port);
      const everything = readAll(control);
      control.write('A'.repeat(2000));
      expect(await everything).toBe('220 ready.\r\n500 Line too long.\r\n');
    },
    TEST_TIMEOUT_MS,
  );
});

// net-snmp ships no types: the client part used here, typed by hand.
interface SnmpVarbind {
  oid: string;
  value: unknown;
}
interface SnmpSession {
  get(oids: string[], callback: (error: Error | null, varbinds: SnmpVarbind[]) => void): void;
  getNext(oids: string[], callback: (error: Error | null, varbinds: SnmpVarbind[]) => void): void;
  close(): void;
}
const snmp = createRequire(import.meta.url)('net-snmp') as {
  createSession(target: string, community: string, options: Record<string, unknown>): SnmpSession;
  Version2c: number;
  Version1: number;
};

function snmpRequest(
  community: string,
  port: number,
  kind: 'get' | 'getNext',
  oids: string[],
  version = snmp.Version2c,
): Promise<SnmpVarbind[]> {
  const session = snmp.createSession(LOOPBACK, community, { port, version, timeout: 500, retries: 0 });
  return new Promise<SnmpVarbind[]>((resolve, reject) =>
    session[kind](oids, (error, varbinds) => (error === null ? resolve(varbinds) : reject(error))),
  ).finally(() => session.close());
}

describe('snmp agent', () => {
  it(
    'answers GET and GETNEXT to public and stays silent to any other community',
    async () => {
      let attempts = 0;
      const agent = await startSnmpAgent({
        host: LOOPBACK,
        port: 0,
        communities: ['public'],
        withUptime: true,
        onLoginAttempt: () => (attempts += 1),
        scalars: [
          { oid: '1.3.6.1.2.1.1.1.0', value: { type: 'string', value: 'Linux DiskStation 3.10.105' } },
          { oid: '1.3.6.1.2.1.1.2.0', value: { type: 'oid', value: '1.3.6.1.4.1.8072.3.2.10' } },
          { oid: '1.3.6.1.4.1.6574.1.5.1.0', value: { type: 'string', value: 'DS218j' } },
        ],
      });
      cleanups.push(() => agent.stop());
      expect(agent.port).toBeGreaterThan(0);

      const got = await snmpRequest('public', agent.port, 'get', ['1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.1.2.0']);
      expect(String(got[0]?.value)).toBe('Linux DiskStation 3.10.105');
      expect(got[1]?.value).toBe('1.3.6.1.4.1.8072.3.2.10');

      const v1 = await snmpRequest('public', agent.port, 'get', ['1.3.6.1.4.1.6574.1.5.1.0'], snmp.Version1);
      expect(String(v1[0]?.value)).toBe('DS218j');

      const next = await snmpRequest('public', agent.port, 'getNext', ['1.3.6.1.2.1.1.2.0']);
      expect(next[0]?.oid).toBe('1.3.6.1.2.1.1.3.0');
      expect(typeof next[0]?.value).toBe('number');

      await expect(snmpRequest('private', agent.port, 'get', ['1.3.6.1.2.1.1.1.0'])).rejects.toThrow(/timed out/i);
      // Only the wrong community is a failed login; the answered public requests are not.
      expect(attempts).toBe(1);
    },
    TEST_TIMEOUT_MS,
  );
});

function mqttClient(port: number): Promise<{ send(packet: Packet): void; next(): Promise<Packet>; closed: Promise<void> }> {
  return connect(port).then((socket) => {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const packets: Packet[] = [];
    let waiting: ((packet: Packet) => void) | undefined;
    parser.on('packet', (packet: Packet) => {
      if (waiting === undefined) return void packets.push(packet);
      const resolve = waiting;
      waiting = undefined;
      resolve(packet);
    });
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    return {
      send: (packet) => socket.write(mqttPacket.generate(packet)),
      next: () =>
        new Promise<Packet>((resolve) => {
          const queued = packets.shift();
          if (queued === undefined) waiting = resolve;
          else resolve(queued);
        }),
      closed: new Promise<void>((resolve) => socket.once('close', () => resolve())),
    };
  });
}

describe('mqtt broker', () => {
  it(
    'accepts an anonymous CONNECT and delivers the retained topics to a # subscriber',
    async () => {
      let attempts = 0;
      const retained = {
        'zigbee2mqtt/bridge/state': '{"state":"online"}',
        'homeassistant/sensor/living_room_temperature/config': '{"name":"Living room temperature"}',
        'home/livingroom/temperature': '21.4',
      };
      const broker = await startMqttBroker({
        host: LOOPBACK,
        port: 0,
        retained,
        onLoginAttempt: () => (attempts += 1),
      });
      cleanups.push(() => broker.stop());

      const client = await mqttClient(broker.port);
      client.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'lab-test', clean: true, keepalive: 30 });
      const connack = await client.next();
      expect(connack).toMatchObject({ cmd: 'connack', returnCode: 0 });
      expect(attempts).toBe(1);

      client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '#', qos: 0 }] });
      const received: Record<string, string> = {};
      while (Object.keys(received).length < Object.keys(retained).length) {
        const packet = await client.next();
        if (packet.cmd !== 'publish') continue;
        const publish: IPublishPacket = packet;
        expect(publish.retain).toBe(true);
        received[publish.topic] = publish.payload.toString();
      }
      expect(received).toEqual(retained);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'refuses a publish from a client by closing its connection',
    async () => {
      const broker = await startMqttBroker({ host: LOOPBACK, port: 0, retained: {} });
      cleanups.push(() => broker.stop());
      const client = await mqttClient(broker.port);
      client.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'lab-writer', clean: true, keepalive: 30 });
      expect(await client.next()).toMatchObject({ cmd: 'connack', returnCode: 0 });
      client.send({ cmd: 'publish', topic: 'home/door', payload: 'open', qos: 0, retain: true, dup: false });
      await client.closed;
    },
    TEST_TIMEOUT_MS,
  );
});

function readSshIdent(port: number): Promise<string> {
  return connect(port).then((socket) => new LineReader(socket).next());
}

/**
 * Tries `none` (whose rejection carries the offered methods) then one password with ssh2's
 * Client; resolves with the offered methods once both were rejected.
 */
function trySshLogin(port: number): Promise<AuthenticationType[]> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    cleanups.push(() => void client.end());
    const methods: AnyAuthMethod[] = [
      { type: 'none', username: 'root' },
      { type: 'password', username: 'root', password: 'ubnt' },
    ];
    let offered: AuthenticationType[] = [];
    client.on('ready', () => reject(new Error('the server let the client in')));
    client.on('error', reject);
    client.connect({
      host: LOOPBACK,
      port,
      username: 'root',
      readyTimeout: 5000,
      authHandler: (methodsLeft: AuthenticationType[] | null, _partialSuccess, next) => {
        if (methodsLeft !== null) offered = methodsLeft;
        const method = methods.shift();
        if (method !== undefined) return next(method);
        resolve(offered);
        client.end();
      },
    });
  });
}

describe('ssh server', () => {
  it(
    'shows the configured ident, offers password and rejects every attempt',
    async () => {
      let attempts = 0;
      const server = await startSshServer({
        host: LOOPBACK,
        port: 0,
        ident: 'dropbear_2014.63',
        authMethods: ['password'],
        onLoginAttempt: () => (attempts += 1),
      });
      cleanups.push(() => server.stop());

      expect(await readSshIdent(server.port)).toBe('SSH-2.0-dropbear_2014.63');
      expect(await trySshLogin(server.port)).toEqual(['password']);
      expect(attempts).toBe(1);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'offers publickey only when told to',
    async () => {
      const server = await startSshServer({ host: LOOPBACK, port: 0, ident: 'OpenSSH_10.2', authMethods: ['publickey'] });
      cleanups.push(() => server.stop());
      expect(await readSshIdent(server.port)).toBe('SSH-2.0-OpenSSH_10.2');
      expect(await trySshLogin(server.port)).toEqual(['publickey']);
    },
    TEST_TIMEOUT_MS,
  );
});

const DEVICES: LabDevice[] = [nas, mqttHub, smartTv, oldDevice, hardened, tpLinkAp];

const EXPECTED_IDENTITIES: Record<string, { ipv4: string; mac: string; hostname: string }> = {
  nas: { ipv4: '192.168.77.30', mac: '00:11:32:ab:cd:ef', hostname: 'DiskStation' },
  'mqtt-hub': { ipv4: '192.168.77.40', mac: 'dc:a6:32:11:22:33', hostname: 'homeassistant' },
  'smart-tv': { ipv4: '192.168.77.60', mac: 'fc:f1:52:aa:bb:cc', hostname: 'BRAVIA-4K-GB' },
  'old-device': { ipv4: '192.168.77.70', mac: '04:18:d6:0a:0b:0c', hostname: 'AirCam' },
  hardened: { ipv4: '192.168.77.80', mac: 'd8:3a:dd:44:55:66', hostname: 'homeserver' },
  'tp-link-ap': { ipv4: '192.168.77.99', mac: '14:cc:20:5a:84:1e', hostname: 'TL-WR841N' },
};

describe('device specs', () => {
  it.each(DEVICES.map((device) => [device.spec.id, device] as const))('%s is self-consistent', (id, device) => {
    const { spec } = device;
    expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect({ ipv4: spec.ipv4, mac: spec.mac, hostname: spec.hostname }).toEqual(EXPECTED_IDENTITIES[id]);
    expect(net.isIPv4(spec.ipv4)).toBe(true);
    expect(spec.ipv4.startsWith('192.168.77.')).toBe(true);
    expect(spec.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(spec.truth.vendor).not.toBe('');
    expect(spec.truth.model).not.toBe('');

    const reported = new Set<string>();
    for (const finding of spec.expectedFindings) {
      expect(finding.check).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(finding.port).toBeGreaterThan(0);
      expect(finding.port).toBeLessThan(65536);
      expect(['tcp', 'udp']).toContain(finding.transport);
      expect(SEVERITIES).toContain(finding.severity);
      const key = `${finding.check}/${finding.transport}/${finding.port}`;
      expect(reported.has(key)).toBe(false);
      reported.add(key);
    }
    for (const check of spec.mustNotReport ?? []) {
      expect(spec.expectedFindings.map((finding) => finding.check)).not.toContain(check);
    }
  });

  it('gives every device its own id, address and MAC', () => {
    for (const field of ['id', 'ipv4', 'mac'] as const) {
      const values = DEVICES.map((device) => device.spec[field]);
      expect(new Set(values).size).toBe(values.length);
    }
  });
});
