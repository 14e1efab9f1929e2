// A Philips Hue bridge (square, second generation: BSB002) that moves: it starts on .96 and
// move.ts gives it .97 between two scans, as a new DHCP lease would. It keeps its MAC, bridge id,
// serial and UDN, so a scanner can tell it is the same bridge. It answers SSDP (multicast and
// unicast) with its hue-bridgeid header, serves description.xml and the public /api/config on 80,
// and announces _hue._tcp over mDNS.
//
// On SIGHUP (sent by move.ts after re-addressing its namespace) it reads its address again and
// restarts SSDP and mDNS on it, then prints `address <ip>`. The web server listens on every
// address and builds each answer from the address the request came in on.
import type { IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';
import type { LabDevice } from '../device.js';
import { LAB_INTERFACE } from '../namespaces.js';
import { startHttpServer, type HttpPage } from '../protocols/http.js';
import { startMdnsResponder } from '../protocols/mdns.js';
import { startSsdpResponder } from '../protocols/ssdp.js';
import { startInOrder, startOpenPortWithoutService, type Stoppable } from './servers.js';

const IPV4 = '192.168.77.96';
const MOVED_IPV4 = '192.168.77.97';
const MAC = '00:17:88:6a:b1:2c';
const MAC_HEX = MAC.replace(/:/g, '');
/** The bridge id is the MAC with FFFE in the middle (EUI-64). */
const BRIDGE_ID = `${MAC_HEX.slice(0, 6)}FFFE${MAC_HEX.slice(6)}`.toUpperCase();
const UDN = `uuid:2f402f80-da50-11e1-9b23-${MAC_HEX}`;
const API_VERSION = '1.56.0';
const SOFTWARE_VERSION = '1956077020';
const SSDP_SERVER = `Hue/1.0 UPnP/1.0 IpBridge/${API_VERSION}`;
const MODEL_ID = 'BSB002';
const HOSTNAME = 'Philips-hue';

/** The IPv4 address the request arrived on: the bridge's own, wherever it has moved. */
function localAddress(request: IncomingMessage): string {
  return (request.socket.localAddress ?? IPV4).replace(/^::ffff:/, '');
}

function description(address: string): string {
  return `<?xml version="1.0" encoding="UTF-8" ?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
<specVersion><major>1</major><minor>0</minor></specVersion>
<URLBase>http://${address}:80/</URLBase>
<device>
<deviceType>urn:schemas-upnp-org:device:Basic:1</deviceType>
<friendlyName>Philips hue (${address})</friendlyName>
<manufacturer>Signify</manufacturer>
<manufacturerURL>http://www.philips-hue.com</manufacturerURL>
<modelDescription>Philips hue Personal Wireless Lighting</modelDescription>
<modelName>Philips hue bridge 2015</modelName>
<modelNumber>${MODEL_ID}</modelNumber>
<modelURL>http://www.philips-hue.com</modelURL>
<serialNumber>${MAC_HEX}</serialNumber>
<UDN>${UDN}</UDN>
<presentationURL>index.html</presentationURL>
</device>
</root>
`;
}

/** What the bridge tells anyone without an app key (its "public" configuration). */
const PUBLIC_CONFIG = JSON.stringify({
  name: 'Philips hue',
  datastoreversion: '163',
  swversion: SOFTWARE_VERSION,
  apiversion: API_VERSION,
  mac: MAC,
  bridgeid: BRIDGE_ID,
  factorynew: false,
  replacesbridgeid: null,
  modelid: MODEL_ID,
  starterkitid: '',
});

const INDEX_PAGE = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>hue personal wireless lighting</title></head>
<body><h1>hue personal wireless lighting</h1><p>Use the Hue app to set up your lights.</p></body></html>
`;

/** The device's IPv4 address on the lab interface right now. */
function currentAddress(): string {
  const entry = networkInterfaces()[LAB_INTERFACE]?.find((address) => address.family === 'IPv4');
  if (entry === undefined) throw new Error(`no IPv4 address on ${LAB_INTERFACE}`);
  return entry.address;
}

/** The parts tied to one address: SSDP (its LOCATION, its sockets) and mDNS (its A record). */
function startDiscovery(address: string): Promise<Stoppable> {
  return startInOrder([
    () =>
      startSsdpResponder({
        ipv4: address,
        server: SSDP_SERVER,
        location: `http://${address}:80/description.xml`,
        usnBase: UDN,
        searchTargets: ['upnp:rootdevice', 'urn:schemas-upnp-org:device:basic:1'],
        extraHeaders: { 'hue-bridgeid': BRIDGE_ID },
      }),
    () =>
      startMdnsResponder({
        hostname: HOSTNAME,
        ipv4: address,
        services: [
          {
            type: '_hue._tcp',
            instance: `Hue Bridge - ${MAC_HEX.slice(6).toUpperCase()}`,
            port: 443,
            txt: { bridgeid: BRIDGE_ID.toLowerCase(), modelid: MODEL_ID },
          },
        ],
      }),
  ]);
}

export const device: LabDevice = {
  spec: {
    id: 'hue',
    ipv4: IPV4,
    alternateIpv4: MOVED_IPV4,
    mac: MAC,
    hostname: HOSTNAME,
    truth: { vendor: 'Philips Hue (Signify)', model: 'Hue Bridge (2nd generation)', type: 'bridge' },
    expectedFindings: [
      { check: 'ssdp-unicast-reply', port: 1900, transport: 'udp', severity: 'low' },
      // description.xml: the serial number is the MAC.
      { check: 'upnp-description-leak', port: 80, transport: 'tcp', severity: 'low' },
      // TXT bridgeid is the MAC in EUI-64 form, a fixed device id.
      { check: 'mdns-txt-leak', port: 5353, transport: 'udp', severity: 'low' },
      // The public /api/config shows the serial number (bridgeid) and MAC to anyone.
      { check: 'unauth-info-endpoint', port: 80, transport: 'tcp', severity: 'medium' },
      // Info: it answers a unicast mDNS question, normal on a LAN.
      { check: 'mdns-unicast-offlink', port: 5353, transport: 'udp', severity: 'info' },
    ],
  },

  async start() {
    const pages: Record<string, HttpPage | ((request: IncomingMessage) => HttpPage)> = {
      '/': { contentType: 'text/html', body: INDEX_PAGE },
      '/index.html': { contentType: 'text/html', body: INDEX_PAGE },
      '/description.xml': (request) => ({ contentType: 'text/xml', body: description(localAddress(request)) }),
      '/api/config': { contentType: 'application/json', body: PUBLIC_CONFIG },
    };
    // Every address, so both keep answering when the bridge moves.
    const fixed = await startInOrder([
      () => startHttpServer({ host: '0.0.0.0', port: 80, pages }),
      // HTTPS for the app (CLIP v2); the lab does not speak TLS here.
      () => startOpenPortWithoutService('0.0.0.0', 443),
    ]);
    let discovery: Stoppable | undefined;
    try {
      discovery = await startDiscovery(currentAddress());
    } catch (error) {
      await fixed.stop();
      throw error;
    }

    // One re-addressing at a time; stop waits for the one under way.
    let readdressing = Promise.resolve();
    const onHangup = (): void => {
      readdressing = readdressing.then(async () => {
        await discovery?.stop();
        discovery = undefined;
        try {
          const address = currentAddress();
          discovery = await startDiscovery(address);
          process.stdout.write(`address ${address}\n`);
        } catch (error) {
          process.stdout.write(`readdress failed: ${error instanceof Error ? error.message : String(error)}\n`);
        }
      });
    };
    process.on('SIGHUP', onHangup);

    return {
      stop: async () => {
        process.off('SIGHUP', onHangup);
        await readdressing;
        await discovery?.stop();
        await fixed.stop();
      },
    };
  },
};
