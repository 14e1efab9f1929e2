// An Apple HomePod mini whose mDNS speaks only IPv6: it answers on ff02::fb and ignores IPv4 mDNS
// altogether, so a scanner that only asks 224.0.0.251 never learns what it is. It announces AirPlay
// (_airplay._tcp) and RAOP (_raop._tcp) with the TXT records real HomePods send, among them its
// MAC (deviceid), model and OS version; the AirPlay port 7000 answers HTTP as AirTunes.
import type { LabDevice } from '../device.js';
import { LAB_INTERFACE, linkLocalAddress } from '../namespaces.js';
import { startHttpServer } from '../protocols/http.js';
import { startMdnsResponder } from '../protocols/mdns.js';
import { startInOrder } from './servers.js';

const IPV4 = '192.168.77.91';
/** Its SLAAC address in the home's /64: AirPlay answers there as on IPv4. */
const IPV6_GLOBAL = '2001:db8:77::91';
const MAC = 'd4:90:9c:5e:7a:11';
const HOSTNAME = 'Kitchen';
const ROOM_NAME = 'Kitchen';
const MODEL_ID = 'AudioAccessory5,1';
const OS_VERSION = '17.4';
/** The AirPlay stack's version, in srcvers/vs and the AirTunes Server header. */
const AIRPLAY_VERSION = '770.8.1';
const AIRPLAY_PORT = 7000;
const FEATURES = '0x4A7FDFD5,0xBC157FDE';
const STATUS_FLAGS = '0x18644';
const PUBLIC_KEY = '3b9e4f0c7d2a6185e4f7a90c1d3b5e8f2a4c6e8091b3d5f7092a4c6e8f1b3d5a';

export const device: LabDevice = {
  spec: {
    id: 'speaker',
    ipv4: IPV4,
    mac: MAC,
    hostname: HOSTNAME,
    truth: { vendor: 'Apple', model: 'HomePod mini', type: 'speaker', firmware: OS_VERSION },
    ipv6Global: IPV6_GLOBAL,
    expectedFindings: [
      // TXT: deviceid is the MAC; model and osvers together name the exact software.
      { check: 'mdns-txt-leak', port: 5353, transport: 'udp', severity: 'low' },
      // AirPlay on the global address: only the router's IPv6 firewall guards it (info: no login port).
      { check: 'ipv6-global-services', port: AIRPLAY_PORT, transport: 'tcp', severity: 'info' },
      // Info: it answers a unicast mDNS question, normal on a LAN.
      { check: 'mdns-unicast-offlink', port: 5353, transport: 'udp', severity: 'info' },
      // Info: the AirPlay server names its version in its Server header.
      { check: 'version-banner-disclosure', port: 7000, transport: 'tcp', severity: 'info' },
    ],
  },

  async start() {
    return startInOrder([
      () =>
        startHttpServer({
          // Every address, the global IPv6 one included.
          host: '::',
          port: AIRPLAY_PORT,
          server: `AirTunes/${AIRPLAY_VERSION}`,
          // AirPlay clients use RTSP and POST here; a plain GET finds nothing.
          pages: {},
          notFound: { status: 404, contentType: 'text/plain', body: '' },
        }),
      () =>
        startMdnsResponder({
          hostname: HOSTNAME,
          ipv4: IPV4,
          ipv6: { address: linkLocalAddress(MAC), interface: LAB_INTERFACE },
          globalIpv6: IPV6_GLOBAL,
          families: [6],
          services: [
            {
              type: '_airplay._tcp',
              instance: ROOM_NAME,
              port: AIRPLAY_PORT,
              txt: {
                acl: '0',
                deviceid: MAC.toUpperCase(),
                features: FEATURES,
                flags: STATUS_FLAGS,
                gcgl: '1',
                gid: '5B0C1D4E-8F2A-4B6C-9D3E-7A1F0B2C4D6E',
                igl: '1',
                model: MODEL_ID,
                pi: 'c2a7e5d1-3f4b-4a8e-b6d9-0e1f2a3b4c5d',
                pk: PUBLIC_KEY,
                protovers: '1.1',
                psi: '7E2D9C4B-1A3F-4E5D-8B6C-2F0A1E3D5C7B',
                srcvers: AIRPLAY_VERSION,
                osvers: OS_VERSION,
                vv: '2',
              },
            },
            {
              type: '_raop._tcp',
              instance: `${MAC.replace(/:/g, '').toUpperCase()}@${ROOM_NAME}`,
              port: AIRPLAY_PORT,
              txt: {
                cn: '0,1,2,3',
                da: 'true',
                et: '0,3,5',
                ft: FEATURES,
                sf: STATUS_FLAGS,
                md: '0,1,2',
                am: MODEL_ID,
                pk: PUBLIC_KEY,
                tp: 'UDP',
                vn: '65537',
                vs: AIRPLAY_VERSION,
                ov: OS_VERSION,
                vv: '2',
              },
            },
          ],
        }),
    ]);
  },
};
