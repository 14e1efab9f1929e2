// An iPhone on the home Wi-Fi with a private (randomised, locally administered) MAC, as iOS uses
// per network by default: the MAC's vendor prefix says nothing. What names it is its Bonjour
// presence: _companion-link._tcp (rapportd) under the owner's device name, over IPv4 and IPv6,
// and lockdownd listening on 62078. Real phones send no model (rpMd) in that TXT.
import type { LabDevice } from '../device.js';
import { LAB_INTERFACE, linkLocalAddress } from '../namespaces.js';
import { startMdnsResponder } from '../protocols/mdns.js';
import { startInOrder, startOpenPortWithoutService } from './servers.js';

const IPV4 = '192.168.77.94';
/** 0xea: the locally administered bit (0x02) is set, the multicast bit (0x01) is not. */
const MAC = 'ea:5b:3c:81:7d:02';
const HOSTNAME = 'Annas-iPhone';
/** iOS names a phone after its owner, with a typographic apostrophe. */
const DEVICE_NAME = 'Anna’s iPhone';
const LOCKDOWN_PORT = 62078;
/** rapportd listens on a port of its own choosing and advertises it. */
const COMPANION_LINK_PORT = 49152;

export const device: LabDevice = {
  spec: {
    id: 'phone',
    ipv4: IPV4,
    mac: MAC,
    macRandomised: true,
    hostname: HOSTNAME,
    truth: { vendor: 'Apple', model: 'iPhone', type: 'phone' },
    expectedFindings: [
      // The instance name is the owner's first name.
      { check: 'mdns-txt-leak', port: 5353, transport: 'udp', severity: 'low' },
      // Info: it answers a unicast mDNS question, normal on a LAN.
      { check: 'mdns-unicast-offlink', port: 5353, transport: 'udp', severity: 'info' },
    ],
    // Its MAC is random, so it names no maker; what it advertises still tells what it is.
    mustNotReport: ['device-unidentified'],
  },

  async start() {
    return startInOrder([
      // lockdownd: accepts and closes unless the peer is a paired computer speaking its protocol.
      () => startOpenPortWithoutService(IPV4, LOCKDOWN_PORT),
      () => startOpenPortWithoutService(IPV4, COMPANION_LINK_PORT),
      () =>
        startMdnsResponder({
          hostname: HOSTNAME,
          ipv4: IPV4,
          ipv6: { address: linkLocalAddress(MAC), interface: LAB_INTERFACE },
          families: [4, 6],
          services: [
            {
              type: '_companion-link._tcp',
              instance: DEVICE_NAME,
              port: COMPANION_LINK_PORT,
              txt: {
                rpBA: '5E:81:3C:0A:7B:19',
                rpHI: '3f1a2b4c5d6e',
                rpAD: '8c2b0e5f1a3d',
                rpHN: '0a1b2c3d4e5f',
                rpFl: '0x20000',
                rpVr: '550.10',
                rpHA: '9e1f2a3b4c5d',
              },
            },
          ],
        }),
    ]);
  },
};
