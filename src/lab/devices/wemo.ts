// A Belkin WeMo Insight smart plug whose SSDP stack answers only M-SEARCHes sent straight to it:
// it ignores the multicast group and never announces itself, so only a scanner that asks each host
// directly finds it. Its setup.xml gives away serial number and MAC, and an SSH server (dropbear)
// is left open on a plug that has no use for one; it lets nobody in. Its UPnP event URLs accept
// any CALLBACK (CallStranger): Belkin's advisory of 16 June 2020 agreed with the researcher's
// assessment and promised firmware updates for Wemo products that could be affected
// (https://www.belkin.com/support-article/?articleNum=275531, "CallStranger Vulnerability");
// this plug has not had one.
import type { LabDevice } from '../device.js';
import { startSshServer } from '../protocols/ssh.js';
import { startSsdpResponder, startUpnpHttpServer } from '../protocols/ssdp.js';
import { startInOrder } from './servers.js';

const IPV4 = '192.168.77.92';
const MAC = '94:10:3e:2b:7a:4c';
const UPNP_PORT = 49153;
/** What WeMo firmware sends as its SSDP and HTTP server string. */
const UPNP_SERVER = 'Unspecified, UPnP/1.0, Unspecified';
const SERIAL = '221517K0101B3C';
const UDN = `uuid:Insight-1_0-${SERIAL}`;
const FIRMWARE = 'WeMo_WW_2.00.11057.PVT-OWRT-InsightV2';

const BELKIN_SERVICES = ['basicevent', 'insight', 'metainfo', 'firmwareupdate', 'timesync'];

const SETUP_XML = `<?xml version="1.0"?>
<root xmlns="urn:Belkin:device-1-0">
  <specVersion><major>1</major><minor>0</minor></specVersion>
  <device>
    <deviceType>urn:Belkin:device:insight:1</deviceType>
    <friendlyName>Coffee Maker</friendlyName>
    <manufacturer>Belkin International Inc.</manufacturer>
    <manufacturerURL>http://www.belkin.com</manufacturerURL>
    <modelDescription>Belkin Insight 1.0</modelDescription>
    <modelName>Insight</modelName>
    <modelNumber>1.0</modelNumber>
    <modelURL>http://www.belkin.com/plugin/</modelURL>
    <serialNumber>${SERIAL}</serialNumber>
    <UDN>${UDN}</UDN>
    <macAddress>${MAC.replace(/:/g, '').toUpperCase()}</macAddress>
    <firmwareVersion>${FIRMWARE}</firmwareVersion>
    <binaryState>0</binaryState>
    <serviceList>
${BELKIN_SERVICES.map(
  (name) => `      <service>
        <serviceType>urn:Belkin:service:${name}:1</serviceType>
        <serviceId>urn:Belkin:serviceId:${name}1</serviceId>
        <controlURL>/upnp/control/${name}1</controlURL>
        <eventSubURL>/upnp/event/${name}1</eventSubURL>
        <SCPDURL>/${name}service.xml</SCPDURL>
      </service>`,
).join('\n')}
    </serviceList>
    <presentationURL>/pluginpres.html</presentationURL>
  </device>
</root>
`;

export const device: LabDevice = {
  spec: {
    id: 'wemo',
    ipv4: IPV4,
    mac: MAC,
    hostname: 'wemo',
    truth: { vendor: 'Belkin', model: 'Insight', type: 'plug', firmware: FIRMWARE },
    expectedFindings: [
      { check: 'ssdp-unicast-reply', port: 1900, transport: 'udp', severity: 'low' },
      // setup.xml carries the serial number and the MAC.
      { check: 'upnp-description-leak', port: UPNP_PORT, transport: 'tcp', severity: 'low' },
      // A plug needs no remote shell.
      { check: 'unexpected-open-services', port: 22, transport: 'tcp', severity: 'medium' },
      // SUBSCRIBE with a CALLBACK on the plug's own loopback is accepted.
      { check: 'upnp-subscribe-callback', port: UPNP_PORT, transport: 'tcp', severity: 'medium' },
      // Info: its SSH names its software version, as every SSH server must.
      { check: 'version-banner-disclosure', port: 22, transport: 'tcp', severity: 'info' },
    ],
    // A plug is no Internet gateway: nothing to map ports with.
    mustNotReport: ['default-cred-accepted', 'weak-guessable-cred', 'upnp-igd-unauth-portmap', 'upnp-portmaps-present'],
  },

  async start({ attempts }) {
    return startInOrder([
      () =>
        startUpnpHttpServer({
          host: IPV4,
          port: UPNP_PORT,
          server: UPNP_SERVER,
          pages: { '/setup.xml': { contentType: 'text/xml', body: SETUP_XML } },
          events: { ipv4: IPV4, callbacks: 'any', paths: BELKIN_SERVICES.map((name) => `/upnp/event/${name}1`) },
        }),
      () =>
        startSshServer({
          host: IPV4,
          port: 22,
          ident: 'dropbear_2024.86',
          authMethods: ['password'],
          onLoginAttempt: () => attempts.record('ssh'),
        }),
      () =>
        startSsdpResponder({
          ipv4: IPV4,
          server: UPNP_SERVER,
          location: `http://${IPV4}:${UPNP_PORT}/setup.xml`,
          usnBase: UDN,
          searchTargets: ['upnp:rootdevice', 'urn:Belkin:device:insight:1', ...BELKIN_SERVICES.map((name) => `urn:Belkin:service:${name}:1`)],
          answerMulticast: false,
          notify: false,
        }),
    ]);
  },
};
