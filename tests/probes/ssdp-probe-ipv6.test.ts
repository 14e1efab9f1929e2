// The SSDP probe's IPv6 path against a scripted network (no sockets): a device that answers only
// on ff02::c is searched, measured and described over IPv6 and reported under its IPv4 address,
// which the MAC in its EUI-64 link-local address and the IPv4 neighbour table tie together; a
// responder with a random identifier stays under its own address, and the global LOCATION it
// names is recorded, never fetched. And a link that loses the first searches gets a second round.
import { describe, expect, it } from 'vitest';
import type { HttpRequest, HttpResponse, Net, NeighbourEntry, UdpDatagram, UdpSocket } from '../../src/engine/net.js';
import type { ProbeOutput } from '../../src/engine/probe.js';
import { ssdpProbe } from '../../probes/ssdp/probe.js';
import { drain } from '../fixtures/harness.js';

const REPEATER_IPV4 = '192.168.77.98';
const REPEATER_MAC = '2c:91:ab:3e:71:5a';
const REPEATER = 'fe80::2e91:abff:fe3e:715a%eth0';
const REPEATER_LOCATION = 'http://[fe80::2e91:abff:fe3e:715a]:49000/fboxdesc.xml';
const PC = 'fe80::a8ff:3171:55a6:2d1f%eth0';
const PC_LOCATION = 'http://[2001:db8:77::7]:2869/upnphost/desc.xml';

const DESCRIPTION = `<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0"><device>
<deviceType>urn:schemas-upnp-org:device:fritzbox:1</deviceType>
<friendlyName>FRITZ!Repeater 1200</friendlyName>
<manufacturer>AVM Berlin</manufacturer>
<modelName>FRITZ!Repeater 1200</modelName>
<UDN>uuid:123402409-bccb-40e7-8e6c-2C91AB3E715A</UDN>
<serviceList><service><serviceType>urn:schemas-any-com:service:fritzbox:1</serviceType><controlURL>/upnp/control/fritzbox</controlURL></service></serviceList>
</device></root>`;

const answer = (st: string, location: string, uuid: string): Uint8Array =>
  new TextEncoder().encode(`HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\nLOCATION: ${location}\r\nSERVER: Repeater UPnP/1.0 AVM FRITZ!Repeater 1200 172.07.29\r\nST: ${st}\r\nUSN: ${uuid}::${st}\r\n\r\n`);

/** Who answers what: the repeater on ff02::c and to its link-local address, the PC on ff02::c only. */
function answersTo(address: string): UdpDatagram[] {
  const repeater = (st: string): UdpDatagram => ({ address: REPEATER, port: 1900, data: answer(st, REPEATER_LOCATION, 'uuid:123402409-bccb-40e7-8e6c-2C91AB3E715A') });
  if (address === 'ff02::c') return [repeater('upnp:rootdevice'), { address: PC, port: 1900, data: answer('upnp:rootdevice', PC_LOCATION, 'uuid:2c0cee11') }];
  if (address === REPEATER) return [repeater('upnp:rootdevice'), repeater('urn:schemas-upnp-org:device:fritzbox:1')];
  return [];
}

/** The link: how many multicast searches it loses before it carries one (a busy link loses the first). */
interface Link {
  searchesLost: number;
  searchesSent: number;
}

class ScriptedUdp implements UdpSocket {
  readonly localPort = 40000;
  private queue: UdpDatagram[] = [];
  private closed = false;

  constructor(private readonly link: Link) {}

  async send(address: string, port: number): Promise<void> {
    if (this.closed || port !== 1900) throw new Error('not sent');
    const multicast = address === 'ff02::c' || address === '239.255.255.250';
    if (multicast && ++this.link.searchesSent <= this.link.searchesLost) return;
    this.queue.push(...answersTo(address));
  }

  async collect(options: { windowMs: number; until?: (datagram: UdpDatagram) => boolean }): Promise<UdpDatagram[]> {
    await new Promise((resolve) => setTimeout(resolve, Math.min(options.windowMs, 50)));
    const taken = this.queue;
    this.queue = [];
    for (const datagram of taken) options.until?.(datagram);
    return taken;
  }

  close(): void {
    this.closed = true;
  }
}

function scriptedNet(fetched: HttpRequest[], link: Link = { searchesLost: 0, searchesSent: 0 }): Net {
  const neighbours: NeighbourEntry[] = [
    { address: REPEATER_IPV4, mac: REPEATER_MAC, confirmed: true },
    { address: '192.168.77.60', mac: 'fc:f1:52:aa:bb:cc', confirmed: true },
  ];
  return {
    connectTcp: () => Promise.resolve({ ok: false, status: 'connection-refused' }),
    openUdp: () => Promise.resolve(new ScriptedUdp(link)),
    http: (request): Promise<HttpResponse> => {
      fetched.push(request);
      const found = request.address === REPEATER && request.path === '/fboxdesc.xml';
      return Promise.resolve({ ok: true, status: found ? 200 : 404, headers: {}, body: new TextEncoder().encode(found ? DESCRIPTION : ''), truncated: false });
    },
    tls: () => Promise.resolve({ ok: false, status: 'connection-refused' }),
    neighbours: () => Promise.resolve(neighbours),
  };
}

type Observation = Extract<ProbeOutput, { kind: 'observation' }>;

describe('ssdp probe over IPv6', () => {
  it('finds, measures and describes an IPv6-only device under its IPv4 address', async () => {
    const fetched: HttpRequest[] = [];
    const run = await drain(
      ssdpProbe.run({
        net: scriptedNet(fetched),
        signal: new AbortController().signal,
        windowMs: 200,
        inScope: (address) => address.startsWith('192.168.77.') || address.endsWith('%eth0'),
        liveHosts: () => [REPEATER_IPV4],
        livenessDone: Promise.resolve(),
      }),
    );
    expect(run.status).toBe('success');
    const about = (address: string): Observation[] => run.observations.filter((observation) => observation.address === address);
    const repeater = about(REPEATER_IPV4);
    expect(about(REPEATER)).toEqual([]);

    const searched = repeater.find((observation) => observation.fields['ssdp.st'] === 'upnp:rootdevice');
    expect(searched?.fields).toMatchObject({ 'ssdp.family': '6', 'ssdp.sender': REPEATER, 'ssdp.location': REPEATER_LOCATION });
    // Two answers to the unicast ssdp:all sent to the link-local address, each longer than the question.
    const reflection = repeater.find((observation) => 'ssdp.unicast-replies' in observation.fields);
    expect(reflection?.fields['ssdp.unicast-replies']).toBe('2');
    expect(reflection?.fields['ssdp.sender']).toBe(REPEATER);
    expect(Number(reflection?.fields['ssdp.unicast-reply-bytes'])).toBeGreaterThan(Number(reflection?.fields['ssdp.unicast-request-bytes']));

    // The description came from the responder's own address, zone and all, with a bracketed HOST.
    const description = fetched.find((request) => request.address === REPEATER);
    expect(description).toMatchObject({ port: 49000, path: '/fboxdesc.xml', method: 'GET' });
    expect(description?.headers?.['host']).toBe('[fe80::2e91:abff:fe3e:715a]:49000');
    expect(repeater.find((observation) => 'upnp.modelName' in observation.fields)?.fields).toMatchObject({
      'upnp.manufacturer': 'AVM Berlin',
      'upnp.modelName': 'FRITZ!Repeater 1200',
    });
    expect(repeater.find((observation) => 'upnp.serviceType' in observation.fields)?.fields).toMatchObject({
      'upnp.controlURL': '/upnp/control/fritzbox',
      'upnp.location': REPEATER_LOCATION,
    });

    // A random identifier names no MAC: the PC stays under its link-local address, and the
    // global LOCATION it gave is not its own, so it is recorded and never fetched.
    const pc = about(PC);
    const pcAnswer = pc.find((observation) => observation.fields['ssdp.st'] === 'upnp:rootdevice');
    expect(pcAnswer?.fields['ssdp.family']).toBe('6');
    expect(pcAnswer?.fields).not.toHaveProperty('ssdp.sender');
    expect(pc.map((observation) => observation.fields['ssdp.location-offsite']).filter(Boolean)).toEqual([PC_LOCATION]);
    expect(fetched.map((request) => request.address)).toEqual([REPEATER]);
  });

  it('searches the groups once more when the first searches go unanswered', async () => {
    // The first round (two groups, two search targets) is lost on the link.
    const link: Link = { searchesLost: 4, searchesSent: 0 };
    const run = await drain(
      ssdpProbe.run({
        net: scriptedNet([], link),
        signal: new AbortController().signal,
        windowMs: 200,
        inScope: (address) => address.startsWith('192.168.77.') || address.endsWith('%eth0'),
        liveHosts: () => [],
        livenessDone: Promise.resolve(),
      }),
    );
    expect(link.searchesSent).toBe(8);
    const pc = run.observations.filter((observation) => observation.address === PC);
    expect(pc.some((observation) => observation.fields['ssdp.st'] === 'upnp:rootdevice')).toBe(true);
  });
});
