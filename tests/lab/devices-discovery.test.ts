// The discovery devices of the lab (speaker, wemo, printer, phone, shelly, hue), talked to from the
// scanner namespace with small real clients: mDNS over IPv6 only for the speaker, unicast-only SSDP
// for the WeMo, the printer's raw port counter, a name with dots and non-ASCII, and a bridge that
// moves. The spec checks at the top need no namespace; the rest needs root and iproute2.
import { execFile } from 'node:child_process';
import * as net from 'node:net';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEVERITIES } from '../../src/core/model.js';
import { readAttempts } from '../../src/lab/attempts.js';
import type { LabDevice } from '../../src/lab/device.js';
import { device as hue } from '../../src/lab/devices/hue.js';
import { device as phone } from '../../src/lab/devices/phone.js';
import { device as printer } from '../../src/lab/devices/printer.js';
import { device as shelly } from '../../src/lab/devices/shelly.js';
import { device as speaker } from '../../src/lab/devices/speaker.js';
import { device as wemo } from '../../src/lab/devices/wemo.js';
import { checkLabPrerequisites, labDown, labUp } from '../../src/lab/lab.js';
import { moveDevice } from '../../src/lab/move.js';
import { LAB_NAMESPACE_PREFIX, linkLocalAddress, namespaceFor, SWITCH_NAMESPACE } from '../../src/lab/namespaces.js';
import { LAB_DEVICES, SCANNER_ADDRESS, SCANNER_MAC, SCANNER_NAMESPACE } from '../../src/lab/registry.js';

const DEVICES: LabDevice[] = [speaker, wemo, printer, phone, shelly, hue];

const ADDRESSES: Record<string, string> = {
  speaker: '192.168.77.91',
  wemo: '192.168.77.92',
  printer: '192.168.77.93',
  phone: '192.168.77.94',
  shelly: '192.168.77.95',
  hue: '192.168.77.96',
};

/** Bit 0x02 of the first octet: a locally administered (randomised) MAC. */
const locallyAdministered = (mac: string): boolean => (Number.parseInt(mac.slice(0, 2), 16) & 0x02) !== 0;

describe('discovery device specs', () => {
  it.each(DEVICES.map((device) => [device.spec.id, device] as const))('%s is self-consistent', (id, device) => {
    const { spec } = device;
    expect(spec.ipv4).toBe(ADDRESSES[id]);
    expect(spec.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(locallyAdministered(spec.mac)).toBe(spec.macRandomised === true);
    expect([spec.truth.vendor, spec.truth.model, spec.truth.type].every((value) => value !== '')).toBe(true);
    for (const finding of spec.expectedFindings) {
      expect(SEVERITIES).toContain(finding.severity);
      expect(spec.mustNotReport ?? []).not.toContain(finding.check);
    }
  });

  it('gives every lab host its own address and MAC, the moved bridge included', () => {
    const addresses = [SCANNER_ADDRESS, ...LAB_DEVICES.flatMap(({ spec }) => [spec.ipv4, ...(spec.alternateIpv4 ? [spec.alternateIpv4] : [])])];
    expect(new Set(addresses).size).toBe(addresses.length);
    const macs = [SCANNER_MAC, ...LAB_DEVICES.map(({ spec }) => spec.mac)];
    expect(new Set(macs).size).toBe(macs.length);
    expect(hue.spec.alternateIpv4).toBe('192.168.77.97');
  });

  it('derives link-local addresses from MACs as the kernel does (EUI-64)', () => {
    // The kernel's own choice for the scanner's MAC before the lab set addresses itself.
    expect(linkLocalAddress('3c:22:fb:10:20:30')).toBe('fe80::3e22:fbff:fe10:2030');
    // A locally administered MAC loses its 0x02 bit, and zero groups shrink.
    expect(linkLocalAddress('ea:5b:3c:81:7d:02')).toBe('fe80::e85b:3cff:fe81:7d02');
    expect(linkLocalAddress('02:00:00:00:00:01')).toBe('fe80::0:ff:fe00:1');
    expect(net.isIPv6(linkLocalAddress('02:00:00:00:00:01'))).toBe(true);
    expect(() => linkLocalAddress('not-a-mac')).toThrow(/not a MAC/);
  });
});

// ---- clients that run inside the scanner namespace ------------------------------------------------

// One program, several small clients; prints one JSON value. Every client ends on its own timer.
const CLIENT = `
const dgram = require('node:dgram');
const net = require('node:net');
const http = require('node:http');
const [mode, json] = process.argv.slice(1);
const options = JSON.parse(json);
const print = (value) => process.stdout.write(JSON.stringify(value));
if (mode === 'mdns') {
  // A DNS-SD query from port 5353, to the group of one family or to one host; raw answers back.
  const v6 = options.family === 6;
  const socket = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', reuseAddr: true, ipv6Only: v6 });
  const answers = [];
  socket.on('message', (packet, from) => answers.push({ from: from.address, raw: packet.toString('base64') }));
  socket.bind(5353, v6 ? '::' : '0.0.0.0', () => {
    if (v6) { socket.addMembership('ff02::fb', '::%eth0'); socket.setMulticastInterface('::%eth0'); }
    else { socket.addMembership('224.0.0.251', options.self); socket.setMulticastInterface(options.self); }
    socket.send(Buffer.from(options.query, 'base64'), 5353, options.target);
    setTimeout(() => { socket.close(); print(answers); }, options.windowMs);
  });
} else if (mode === 'ssdp') {
  const socket = dgram.createSocket('udp4');
  const replies = [];
  socket.on('message', (packet, from) => replies.push({ from: from.address, text: packet.toString('latin1') }));
  socket.bind(0, options.self, () => {
    socket.setMulticastInterface(options.self);
    const search = 'M-SEARCH * HTTP/1.1\\r\\nHOST: 239.255.255.250:1900\\r\\nMAN: "ssdp:discover"\\r\\nMX: 1\\r\\nST: ' + options.st + '\\r\\n\\r\\n';
    socket.send(search, 1900, options.target);
    setTimeout(() => { socket.close(); print(replies); }, options.windowMs);
  });
} else if (mode === 'http') {
  const request = http.request(options.url, { method: options.method, timeout: 2000 }, (response) => {
    let body = '';
    response.setEncoding('utf8');
    response.on('data', (chunk) => (body += chunk));
    response.on('end', () => print({ status: response.statusCode, headers: response.headers, body }));
  });
  request.on('timeout', () => request.destroy(new Error('timeout')));
  request.on('error', (error) => print({ error: error.code || error.message }));
  request.end();
} else if (mode === 'tcp') {
  // Connects, reads for a moment, closes: what answered first, or why nothing did.
  const socket = net.connect({ host: options.host, port: options.port });
  let data = '';
  const done = (result) => { socket.destroy(); print(result); };
  socket.setTimeout(2000, () => done({ error: 'timeout' }));
  socket.on('data', (chunk) => (data += chunk.toString('latin1')));
  socket.on('connect', () => setTimeout(() => done({ connected: true, data }), options.readMs));
  socket.on('error', (error) => done({ error: error.code }));
}
`;

function inScanner<T>(mode: 'mdns' | 'ssdp' | 'http' | 'tcp', options: Record<string, unknown>): Promise<T> {
  const argv = ['netns', 'exec', SCANNER_NAMESPACE, process.execPath, '-e', CLIENT, mode, JSON.stringify(options)];
  return new Promise((resolve, reject) => {
    execFile('ip', argv, { timeout: 10_000, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message} ${stderr}`));
      else resolve(JSON.parse(stdout) as T);
    });
  });
}

function ip(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: 10_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
}

interface MdnsAnswer {
  from: string;
  raw: string;
  packet: dnsPacket.Packet;
}

interface DnsRecord {
  name: string;
  type: string;
  data: unknown;
}

async function mdnsQuery(family: 4 | 6, name: string, type: dnsPacket.RecordType, target?: string): Promise<MdnsAnswer[]> {
  const query = dnsPacket.encode({ type: 'query', id: 0, flags: 0, questions: [{ name, type, class: 'IN' }] });
  const answers = await inScanner<{ from: string; raw: string }[]>('mdns', {
    family,
    self: SCANNER_ADDRESS,
    target: target ?? (family === 6 ? 'ff02::fb%eth0' : '224.0.0.251'),
    query: Buffer.from(query).toString('base64'),
    windowMs: 600,
  });
  return answers
    .map((answer) => ({ ...answer, packet: dnsPacket.decode(Buffer.from(answer.raw, 'base64')) }))
    .filter((answer) => answer.packet.type === 'response');
}

function recordsOf(answer: MdnsAnswer): DnsRecord[] {
  return [...(answer.packet.answers ?? []), ...(answer.packet.additionals ?? [])] as DnsRecord[];
}

function txtOf(answer: MdnsAnswer, owner: string): Record<string, string> {
  const txt = recordsOf(answer).find((record) => record.type === 'TXT' && record.name === owner);
  const strings = (txt?.data as Buffer[] | undefined) ?? [];
  return Object.fromEntries(strings.map((entry) => entry.toString('utf8').split(/=(.*)/s).slice(0, 2)));
}

/** The answers that carry a record of this device's host name. */
function fromHost(answers: MdnsAnswer[], hostname: string): MdnsAnswer[] {
  return answers.filter((answer) => recordsOf(answer).some((record) => record.name === `${hostname}.local`));
}

async function ssdpSearch(target: string, st = 'upnp:rootdevice'): Promise<{ from: string; text: string }[]> {
  return inScanner('ssdp', { self: SCANNER_ADDRESS, target, st, windowMs: 500 });
}

function header(text: string, name: string): string | undefined {
  return new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(text)?.[1]?.trim();
}

interface HttpResult {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  error?: string;
}

const httpGet = (url: string, method = 'GET'): Promise<HttpResult> => inScanner('http', { url, method });

const skipReason = checkLabPrerequisites();

describe.skipIf(skipReason !== undefined)(`discovery devices in the lab${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(async () => {
    await labDown();
    await labUp();
  }, 60_000);

  afterAll(async () => {
    await labDown();
  }, 30_000);

  it('gives every host a usable link-local IPv6 address made from its MAC, and the switch none', async () => {
    const hosts = [
      { namespace: SCANNER_NAMESPACE, mac: SCANNER_MAC },
      ...LAB_DEVICES.map(({ spec }) => ({ namespace: namespaceFor(spec.id), mac: spec.mac })),
    ];
    for (const { namespace, mac } of hosts) {
      const shown = await ip(['-n', namespace, '-6', '-o', 'addr', 'show', 'dev', 'eth0']);
      expect(shown, namespace).toContain(`inet6 ${linkLocalAddress(mac)}/64 scope link`);
      expect(shown, namespace).not.toMatch(/tentative|dadfailed/);
    }
    expect(SWITCH_NAMESPACE.startsWith(LAB_NAMESPACE_PREFIX)).toBe(true);
    expect(await ip(['-n', SWITCH_NAMESPACE, '-6', 'addr', 'show'])).toBe('');
  });

  describe('speaker (HomePod mini, mDNS over IPv6 only)', () => {
    const address = linkLocalAddress(speaker.spec.mac);

    it('answers AirPlay and RAOP on ff02::fb with its MAC, model, A and AAAA', async () => {
      const answers = fromHost(await mdnsQuery(6, '_airplay._tcp.local', 'PTR'), 'Kitchen');
      expect(answers).toHaveLength(1);
      const [answer] = answers;
      expect(answer?.from).toBe(`${address}%eth0`);
      if (answer === undefined) return;
      const txt = txtOf(answer, 'Kitchen._airplay._tcp.local');
      expect(txt).toMatchObject({ model: 'AudioAccessory5,1', deviceid: 'D4:90:9C:5E:7A:11', osvers: '17.4' });
      const records = recordsOf(answer);
      expect(records).toContainEqual(expect.objectContaining({ name: 'Kitchen.local', type: 'A', data: speaker.spec.ipv4 }));
      expect(records).toContainEqual(expect.objectContaining({ name: 'Kitchen.local', type: 'AAAA', data: address }));
      const raop = fromHost(await mdnsQuery(6, '_raop._tcp.local', 'PTR'), 'Kitchen');
      expect(raop.flatMap(recordsOf)).toContainEqual(expect.objectContaining({ type: 'PTR', data: 'D4909C5E7A11@Kitchen._raop._tcp.local' }));
    });

    it('answers a unicast query to its link-local address', async () => {
      const answers = await mdnsQuery(6, '_airplay._tcp.local', 'PTR', `${address}%eth0`);
      expect(fromHost(answers, 'Kitchen').map((answer) => answer.from)).toEqual([`${address}%eth0`]);
    });

    it('ignores IPv4 mDNS, sent to the group or to its address', async () => {
      const multicast = await mdnsQuery(4, '_airplay._tcp.local', 'PTR');
      // Other devices answer the IPv4 group; the speaker is not among them.
      expect(multicast.map((answer) => answer.from)).not.toContain(speaker.spec.ipv4);
      expect(fromHost(multicast, 'Kitchen')).toEqual([]);
      expect(await mdnsQuery(4, '_airplay._tcp.local', 'PTR', speaker.spec.ipv4)).toEqual([]);
    });

    it('serves HTTP on 7000 as AirTunes', async () => {
      const result = await httpGet(`http://${speaker.spec.ipv4}:7000/`);
      expect(result.headers?.['server']).toBe('AirTunes/770.8.1');
    });
  });

  describe('wemo (SSDP by unicast only)', () => {
    it('stays silent to a multicast M-SEARCH', async () => {
      const replies = await ssdpSearch('239.255.255.250');
      expect(replies.map((reply) => reply.from)).not.toContain(wemo.spec.ipv4);
      // The search did reach the LAN: a device that answers multicast did.
      expect(replies.map((reply) => reply.from)).toContain(hue.spec.ipv4);
    });

    it('answers a unicast M-SEARCH with a LOCATION whose description names a Belkin Insight', async () => {
      const replies = await ssdpSearch(wemo.spec.ipv4, 'ssdp:all');
      expect(replies.length).toBeGreaterThan(1);
      const location = header(replies[0]?.text ?? '', 'LOCATION');
      expect(location).toBe('http://192.168.77.92:49153/setup.xml');
      const description = await httpGet(location ?? '');
      expect(description.status).toBe(200);
      for (const element of [
        '<manufacturer>Belkin International Inc.</manufacturer>',
        '<modelName>Insight</modelName>',
        '<serialNumber>221517K0101B3C</serialNumber>',
        '<UDN>uuid:Insight-1_0-221517K0101B3C</UDN>',
        '<macAddress>94103E2B7A4C</macAddress>',
      ]) {
        expect(description.body).toContain(element);
      }
    });

    it('shows a dropbear banner on 22', async () => {
      const result = await inScanner<{ data?: string }>('tcp', { host: wemo.spec.ipv4, port: 22, readMs: 300 });
      expect(result.data).toBe('SSH-2.0-dropbear_2024.86\r\n');
    });
  });

  describe('printer (OKI, raw port 9100)', () => {
    it('advertises _ipp._tcp with the Bonjour printing TXT over IPv4 and IPv6', async () => {
      for (const family of [4, 6] as const) {
        const answers = fromHost(await mdnsQuery(family, '_ipp._tcp.local', 'PTR'), printer.spec.hostname);
        expect(answers, `IPv${family}`).toHaveLength(1);
        const [answer] = answers;
        if (answer === undefined) return;
        expect(txtOf(answer, 'OKI C332._ipp._tcp.local')).toMatchObject({
          ty: 'OKI C332',
          product: '(OKI C332)',
          usb_MFG: 'OKI DATA CORP',
          usb_MDL: 'C332',
          rp: 'ipp/print',
        });
      }
      const enumeration = await mdnsQuery(4, '_services._dns-sd._udp.local', 'PTR', printer.spec.ipv4);
      expect(enumeration.flatMap(recordsOf).map((record) => record.data)).toEqual(
        expect.arrayContaining(['_ipp._tcp.local', '_printer._tcp.local', '_pdl-datastream._tcp.local', '_http._tcp.local']),
      );
    });

    it('asks for the factory login on 80 and serves a page on 631', async () => {
      const admin = await httpGet(`http://${printer.spec.ipv4}:80/`);
      expect(admin.status).toBe(401);
      const page = await httpGet(`http://${printer.spec.ipv4}:631/`);
      expect(page.status).toBe(200);
      expect(page.body).toContain('<title>OKI C332</title>');
    });

    it('counts every connection to the raw port 9100', async () => {
      const before = readAttempts('printer')['raw-9100'] ?? 0;
      expect(await inScanner('tcp', { host: printer.spec.ipv4, port: 9100, readMs: 50 })).toEqual({ connected: true, data: '' });
      expect(await inScanner('tcp', { host: printer.spec.ipv4, port: 9100, readMs: 50 })).toEqual({ connected: true, data: '' });
      expect(readAttempts('printer')['raw-9100']).toBe(before + 2);
      expect(printer.spec.mustNotTouch).toEqual(['raw-9100']);
    });
  });

  describe('phone (iPhone, randomised MAC)', () => {
    it('advertises _companion-link._tcp under its owner\'s name, with no model', async () => {
      for (const family of [4, 6] as const) {
        const answers = fromHost(await mdnsQuery(family, '_companion-link._tcp.local', 'PTR'), 'Annas-iPhone');
        expect(answers, `IPv${family}`).toHaveLength(1);
        const [answer] = answers;
        if (answer === undefined) return;
        expect(recordsOf(answer)).toContainEqual(expect.objectContaining({ type: 'PTR', data: 'Anna’s iPhone._companion-link._tcp.local' }));
        const txt = txtOf(answer, 'Anna’s iPhone._companion-link._tcp.local');
        expect(Object.keys(txt)).toEqual(expect.arrayContaining(['rpFl', 'rpHN', 'rpVr']));
        expect(txt).not.toHaveProperty('rpMd');
      }
    });

    it('has lockdownd open and shows its randomised MAC to the scanner', async () => {
      expect(await inScanner('tcp', { host: phone.spec.ipv4, port: 62078, readMs: 50 })).toMatchObject({ connected: true });
      const neighbour = await ip(['-n', SCANNER_NAMESPACE, 'neigh', 'show', phone.spec.ipv4]);
      expect(neighbour).toContain('lladdr ea:5b:3c:81:7d:02');
      expect(locallyAdministered('ea:5b:3c:81:7d:02')).toBe(true);
    });
  });

  describe('shelly (Plug S, a renamed device)', () => {
    const instance = 'Küche.Steckdose v1.2 – Kaffeemaschine';

    it('keeps an instance name with dots and non-ASCII in one DNS label', async () => {
      const answers = fromHost(await mdnsQuery(4, '_http._tcp.local', 'PTR'), 'shellyplug-s-C45BBE6B1F2A');
      expect(answers).toHaveLength(1);
      const [answer] = answers;
      if (answer === undefined) return;
      const label = Buffer.from(instance, 'utf8');
      // The length byte, then the whole name: dots inside it are not label separators.
      expect(Buffer.from(answer.raw, 'base64').includes(Buffer.concat([Buffer.from([label.length]), label]))).toBe(true);
      expect(txtOf(answer, `${instance}._http._tcp.local`)).toEqual({
        id: 'shellyplug-s-C45BBE6B1F2A',
        fw: '20230913-112003/v1.14.0-gcb84623',
        arch: 'esp8266',
      });
    });

    it('names itself on /shelly and gives its settings to anyone, changing nothing', async () => {
      const info = await httpGet(`http://${shelly.spec.ipv4}/shelly`);
      expect(JSON.parse(info.body ?? '{}')).toMatchObject({ type: 'SHPLG-S', mac: 'C45BBE6B1F2A', auth: false });
      const settings = await httpGet(`http://${shelly.spec.ipv4}/settings?name=changed`);
      expect(settings.status).toBe(200);
      expect(JSON.parse(settings.body ?? '{}')).toMatchObject({ name: instance, login: { enabled: false } });
      expect((await httpGet(`http://${shelly.spec.ipv4}/`)).body).toContain('<title>Shelly Plug S</title>');
      expect((await httpGet(`http://${shelly.spec.ipv4}/settings`, 'POST')).status).toBe(405);
      expect((await httpGet(`http://${shelly.spec.ipv4}/relay/0?turn=on`)).status).toBe(404);
      expect(JSON.parse((await httpGet(`http://${shelly.spec.ipv4}/settings`)).body ?? '{}')).toMatchObject({ name: instance });
    });
  });

  describe('hue (a bridge that moves)', () => {
    const [home, away] = [hue.spec.ipv4, hue.spec.alternateIpv4 ?? ''];

    async function expectServingOn(address: string): Promise<void> {
      const multicast = (await ssdpSearch('239.255.255.250')).filter((reply) => reply.from === address);
      expect(multicast).toHaveLength(1);
      const unicast = await ssdpSearch(address);
      expect(unicast).toHaveLength(1);
      for (const { text } of [...multicast, ...unicast]) {
        expect(header(text, 'LOCATION')).toBe(`http://${address}:80/description.xml`);
        expect(header(text, 'hue-bridgeid')).toBe('001788FFFE6AB12C');
        expect(header(text, 'SERVER')).toBe('Hue/1.0 UPnP/1.0 IpBridge/1.56.0');
      }
      const description = await httpGet(`http://${address}/description.xml`);
      expect(description.body).toContain(`<friendlyName>Philips hue (${address})</friendlyName>`);
      expect(description.body).toContain('<serialNumber>0017886ab12c</serialNumber>');
      expect(description.body).toContain('<UDN>uuid:2f402f80-da50-11e1-9b23-0017886ab12c</UDN>');
      const config = JSON.parse((await httpGet(`http://${address}/api/config`)).body ?? '{}') as Record<string, unknown>;
      expect(config).toMatchObject({ bridgeid: '001788FFFE6AB12C', modelid: 'BSB002', mac: '00:17:88:6a:b1:2c' });
      expect(config).not.toHaveProperty('whitelist');
      const [mdns, ...others] = fromHost(await mdnsQuery(4, '_hue._tcp.local', 'PTR'), 'Philips-hue');
      expect(others).toEqual([]);
      expect(mdns && recordsOf(mdns)).toContainEqual(expect.objectContaining({ type: 'A', data: address }));
      expect(mdns && txtOf(mdns, 'Hue Bridge - 6AB12C._hue._tcp.local')).toEqual({ bridgeid: '001788fffe6ab12c', modelid: 'BSB002' });
    }

    it('serves on .96, moves to .97 with everything following, and comes back', async () => {
      await expectServingOn(home);
      expect(await moveDevice('hue')).toBe(away);
      await expectServingOn(away);
      expect(await ssdpSearch(home)).toEqual([]);
      expect(await inScanner('tcp', { host: home, port: 80, readMs: 0 })).not.toHaveProperty('connected');
      // Moving where it already is changes nothing.
      expect(await moveDevice('hue')).toBe(away);
      expect(await moveDevice('hue', 'back')).toBe(home);
      await expectServingOn(home);
    }, 30_000);

    it('refuses to move a device that does not move', async () => {
      await expect(moveDevice('printer')).rejects.toThrow(/does not move/);
      await expect(moveDevice('no-such-device')).rejects.toThrow(/no lab device/);
    });
  });
});
