// A Sony BRAVIA Google TV: Chromecast built in (mDNS _googlecast._tcp with its full TXT, the
// eureka_info endpoint on 8008, the TLS cast channel on 8009) and a UPnP MediaRenderer whose
// description on 52323 tells anyone on the LAN its model, serial and name. Its event URLs refuse
// a CALLBACK outside the TV's subnet, as UPnP Device Architecture 2.0 (2020-04-17) §4.1.1 asks:
// the lab's negative case for upnp-subscribe-callback. That is a lab choice for a 2021 model, not
// a documented property of BRAVIA firmware.
import * as http from 'node:http';
import type { LabDevice } from '../device.js';
import { startMdnsResponder } from '../protocols/mdns.js';
import { startSsdpResponder, startUpnpHttpServer } from '../protocols/ssdp.js';
import { startInOrder, startOpenPortWithoutService } from './servers.js';
import { listen } from '../listen.js';

const IPV4 = '192.168.77.60';
const HOSTNAME = 'BRAVIA-4K-GB';
const CAST_ID = '8e1c2a9b0f6d4c1e9a7b3c5d2e4f6a8b';
const FRIENDLY_NAME = "Anna's TV";
const UPNP_PORT = 52323;
const UPNP_SERVER = 'Linux/4.9 UPnP/1.0 Sony-BRAVIA/1.0';
const DEVICE_UUID = 'uuid:00000000-0000-1010-8000-fcf152aabbcc';
const EVENT_PATHS = ['/upnp/event/RenderingControl', '/upnp/event/ConnectionManager', '/upnp/event/AVTransport'];

const MEDIA_RENDERER_DESCRIPTION = `<?xml version="1.0" encoding="UTF-8"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
  <specVersion><major>1</major><minor>0</minor></specVersion>
  <device>
    <deviceType>urn:schemas-upnp-org:device:MediaRenderer:1</deviceType>
    <friendlyName>Anna&apos;s TV</friendlyName>
    <manufacturer>Sony Corporation</manufacturer>
    <manufacturerURL>http://www.sony.net/</manufacturerURL>
    <modelDescription>BRAVIA</modelDescription>
    <modelName>KD-55X85J</modelName>
    <modelNumber>KD-55X85J</modelNumber>
    <serialNumber>4012345</serialNumber>
    <UDN>${DEVICE_UUID}</UDN>
    <serviceList>
      <service>
        <serviceType>urn:schemas-upnp-org:service:RenderingControl:1</serviceType>
        <serviceId>urn:upnp-org:serviceId:RenderingControl</serviceId>
        <SCPDURL>/RenderingControlSCPD.xml</SCPDURL>
        <controlURL>/upnp/control/RenderingControl</controlURL>
        <eventSubURL>${EVENT_PATHS[0]}</eventSubURL>
      </service>
      <service>
        <serviceType>urn:schemas-upnp-org:service:ConnectionManager:1</serviceType>
        <serviceId>urn:upnp-org:serviceId:ConnectionManager</serviceId>
        <SCPDURL>/ConnectionManagerSCPD.xml</SCPDURL>
        <controlURL>/upnp/control/ConnectionManager</controlURL>
        <eventSubURL>${EVENT_PATHS[1]}</eventSubURL>
      </service>
      <service>
        <serviceType>urn:schemas-upnp-org:service:AVTransport:1</serviceType>
        <serviceId>urn:upnp-org:serviceId:AVTransport</serviceId>
        <SCPDURL>/AVTransportSCPD.xml</SCPDURL>
        <controlURL>/upnp/control/AVTransport</controlURL>
        <eventSubURL>${EVENT_PATHS[2]}</eventSubURL>
      </service>
    </serviceList>
  </device>
</root>
`;

const EUREKA_INFO = JSON.stringify({ name: FRIENDLY_NAME, build_version: '6.7.1' });

export const device: LabDevice = {
  spec: {
    id: 'smart-tv',
    ipv4: IPV4,
    mac: 'fc:f1:52:aa:bb:cc',
    hostname: HOSTNAME,
    truth: { vendor: 'Sony', model: 'KD-55X85J', type: 'tv', firmware: '6.7.1' },
    expectedFindings: [
      { check: 'mdns-txt-leak', port: 5353, transport: 'udp', severity: 'low' },
      { check: 'upnp-description-leak', port: UPNP_PORT, transport: 'tcp', severity: 'low' },
      { check: 'ssdp-unicast-reply', port: 1900, transport: 'udp', severity: 'low' },
      // Info: it answers a unicast mDNS question, normal on a LAN.
      { check: 'mdns-unicast-offlink', port: 5353, transport: 'udp', severity: 'info' },
    ],
    // Google TV keeps ADB off until the owner turns on developer options and network debugging
    // (Android developer docs, "Configure on-device developer options").
    mustNotReport: ['upnp-subscribe-callback', 'adb-over-network'],
  },

  async start() {
    return startInOrder([
      () =>
        startUpnpHttpServer({
          host: IPV4,
          port: UPNP_PORT,
          server: UPNP_SERVER,
          pages: { '/dmr.xml': { contentType: 'text/xml; charset="utf-8"', body: MEDIA_RENDERER_DESCRIPTION } },
          events: { ipv4: IPV4, callbacks: 'same-subnet', paths: EVENT_PATHS },
          notFound: { status: 404, contentType: 'text/plain', body: 'Not Found' },
        }),
      () =>
        startStaticHttpServer(IPV4, 8008, {
          '/setup/eureka_info': { contentType: 'application/json', body: EUREKA_INFO },
        }),
      () => startOpenPortWithoutService(IPV4, 8009),
      () =>
        startSsdpResponder({
          ipv4: IPV4,
          server: UPNP_SERVER,
          location: `http://${IPV4}:${UPNP_PORT}/dmr.xml`,
          usnBase: DEVICE_UUID,
          searchTargets: [
            'upnp:rootdevice',
            'urn:schemas-upnp-org:device:MediaRenderer:1',
            'urn:schemas-upnp-org:service:RenderingControl:1',
            'urn:schemas-upnp-org:service:AVTransport:1',
          ],
        }),
      () =>
        startMdnsResponder({
          hostname: HOSTNAME,
          ipv4: IPV4,
          services: [
            {
              type: '_googlecast._tcp',
              instance: `${HOSTNAME}-${CAST_ID}`,
              port: 8009,
              txt: {
                id: CAST_ID,
                cd: '5A1B9C3D7E2F4A6B8C0D1E3F5A7B9C1D',
                rm: '',
                ve: '05',
                md: 'BRAVIA 4K GB',
                ic: '/setup/icon.png',
                fn: FRIENDLY_NAME,
                ca: '264709',
                st: '0',
                bs: 'FA8FCA7A1B2C',
                nf: '1',
                rs: '',
              },
            },
          ],
        }),
    ]);
  },
};

interface StaticResource {
  contentType: string;
  body: string;
}

/** An HTTP server answering GET/HEAD for a few fixed paths; 404 elsewhere, 405 for other methods. */
async function startStaticHttpServer(
  host: string,
  port: number,
  resources: Record<string, StaticResource>,
): Promise<{ stop(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const resource = Object.hasOwn(resources, path) ? resources[path] : undefined;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD' }).end();
    } else if (resource === undefined) {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found');
    } else {
      response.writeHead(200, { 'Content-Type': resource.contentType, 'Content-Length': Buffer.byteLength(resource.body) });
      response.end(request.method === 'HEAD' ? undefined : resource.body);
    }
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.maxConnections = 32;
  await listen(server, port, host);
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}


