// SSDP over IPv6 in the lab: the FRITZ!Repeater answers on ff02::c and to its own IPv6 addresses,
// with a bracketed LOCATION on the address the search reached (its link-local address for a
// link-local source, its global one for a global source), serves its description there, and says
// nothing over IPv4. Clients run in the scanner namespace. Needs root and iproute2.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { device as repeater } from '../../src/lab/devices/repeater.js';
import { checkLabPrerequisites, labDown, labUp } from '../../src/lab/lab.js';
import { linkLocalAddress } from '../../src/lab/namespaces.js';
import { SCANNER_ADDRESS, SCANNER_IPV6, SCANNER_NAMESPACE } from '../../src/lab/registry.js';

const LINK_LOCAL = linkLocalAddress(repeater.spec.mac);
const GLOBAL = repeater.spec.ipv6Global ?? '';

// One program, two small clients; prints one JSON value and ends on its own timer.
const CLIENT = `
const dgram = require('node:dgram');
const http = require('node:http');
const [mode, json] = process.argv.slice(1);
const options = JSON.parse(json);
const print = (value) => process.stdout.write(JSON.stringify(value));
if (mode === 'ssdp') {
  // One M-SEARCH from the given source address to a group or a host; every answer back.
  const v6 = options.target.includes(':');
  const socket = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6 });
  const replies = [];
  socket.on('message', (packet, from) => replies.push({ from: from.address, text: packet.toString('latin1') }));
  socket.bind(0, options.self, () => {
    if (options.multicastInterface) socket.setMulticastInterface(options.multicastInterface);
    const search = 'M-SEARCH * HTTP/1.1\\r\\nHOST: ' + options.host + '\\r\\nMAN: "ssdp:discover"\\r\\nMX: 1\\r\\nST: ' + options.st + '\\r\\n\\r\\n';
    socket.send(search, 1900, options.target);
    setTimeout(() => { socket.close(); print(replies); }, options.windowMs);
  });
} else if (mode === 'http') {
  // host/port/path, as a URL cannot carry a link-local zone.
  const request = http.request({ host: options.host, port: options.port, path: options.path, timeout: 2000 }, (response) => {
    let body = '';
    response.setEncoding('utf8');
    response.on('data', (chunk) => (body += chunk));
    response.on('end', () => print({ status: response.statusCode, body }));
  });
  request.on('timeout', () => request.destroy(new Error('timeout')));
  request.on('error', (error) => print({ error: error.code || error.message }));
  request.end();
}
`;

function inScanner<T>(mode: 'ssdp' | 'http', options: Record<string, unknown>): Promise<T> {
  const argv = ['netns', 'exec', SCANNER_NAMESPACE, process.execPath, '-e', CLIENT, mode, JSON.stringify(options)];
  return new Promise((resolve, reject) => {
    execFile('ip', argv, { timeout: 10_000, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message} ${stderr}`));
      else resolve(JSON.parse(stdout) as T);
    });
  });
}

interface Reply {
  from: string;
  text: string;
}

const search = (options: { self: string; target: string; host: string; st?: string; multicastInterface?: string }): Promise<Reply[]> =>
  inScanner('ssdp', { st: 'ssdp:all', windowMs: 600, ...options });

const header = (text: string, name: string): string | undefined => new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(text)?.[1]?.trim();

const fromRepeater = (replies: Reply[], address: string): Reply[] => replies.filter((reply) => reply.from.split('%')[0] === address);

const skipReason = checkLabPrerequisites();

describe.skipIf(skipReason !== undefined)(`SSDP over IPv6 in the lab${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(async () => {
    await labUp();
  }, 120_000);

  afterAll(async () => {
    await labDown();
  }, 30_000);

  it('answers a link-local search on ff02::c from its link-local address, with that address in brackets', async () => {
    const replies = fromRepeater(await search({ self: '::', target: 'ff02::c%eth0', host: '[FF02::C]:1900', multicastInterface: '::%eth0' }), LINK_LOCAL);
    expect(replies.map((reply) => header(reply.text, 'ST')).sort()).toEqual([
      'upnp:rootdevice',
      'urn:schemas-any-com:service:fritzbox:1',
      'urn:schemas-upnp-org:device:fritzbox:1',
      'uuid:123402409-bccb-40e7-8e6c-2C91AB3E715A',
    ]);
    for (const reply of replies) expect(header(reply.text, 'LOCATION')).toBe(`http://[${LINK_LOCAL}]:49000/fboxdesc.xml`);
  });

  it('answers a search sent to its global address from there, naming the global address', async () => {
    const replies = await search({ self: SCANNER_IPV6, target: GLOBAL, host: `[${GLOBAL}]:1900`, st: 'upnp:rootdevice' });
    expect(replies.map((reply) => reply.from)).toEqual([GLOBAL]);
    expect(header(replies[0]?.text ?? '', 'LOCATION')).toBe(`http://[${GLOBAL}]:49000/fboxdesc.xml`);
  });

  it('serves its description on both IPv6 addresses and says nothing over IPv4', async () => {
    const get = (host: string) => inScanner<{ status?: number; body?: string; error?: string }>('http', { host, port: 49000, path: '/fboxdesc.xml' });
    for (const host of [`${LINK_LOCAL}%eth0`, GLOBAL]) {
      const page = await get(host);
      expect(page.status, host).toBe(200);
      expect(page.body).toContain('<modelName>FRITZ!Repeater 1200</modelName>');
    }
    expect(await get(repeater.spec.ipv4)).toEqual({ error: 'ECONNREFUSED' });
    expect(await search({ self: SCANNER_ADDRESS, target: '239.255.255.250', host: '239.255.255.250:1900', multicastInterface: SCANNER_ADDRESS })).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ from: repeater.spec.ipv4 })]),
    );
    expect(await search({ self: SCANNER_ADDRESS, target: repeater.spec.ipv4, host: `${repeater.spec.ipv4}:1900` })).toEqual([]);
  });
});
