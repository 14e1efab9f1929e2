// An AVM FRITZ!Repeater 1200 (FRITZ!OS 7.29) whose UPnP stack the lab runs on IPv6 only: it
// answers M-SEARCHes on ff02::c and to its own IPv6 addresses, and serves fboxdesc.xml on port
// 49000 there. Over IPv4 it shows only its web interface, a password login over plain HTTP that
// names no model (AVM help, "Protecting the User Interface with a Password": the FRITZ! user
// interface is protected by a password). A scanner that searches only 239.255.255.250 cannot
// name it; only the IPv6 path can, and only the MAC in its EUI-64 link-local address ties that
// answer to its IPv4 host.
//
// What is real: FRITZ!OS answers SSDP over IPv6 from its EUI-64 link-local address with a
// bracketed link-local LOCATION on port 49000 (home-assistant/core issue 71418, a FRITZ!Box 7590:
// http://[fe80::464e:6dff:fe69:ce8b%3]:49000/igddesc.xml, the %3 added by the client; pull request
// 69127: http://[fe80::1eed:6fff:fe30:3e4f%2]:49000/fboxdesc.xml; Home Assistant's AVM
// integrations skip such link-local LOCATIONs since pull requests 69135 and 69455). The repeater's
// SERVER header, LOCATION and USN (uuid:123402409-bccb-40e7-8e6c- followed by the MAC) are those a
// FRITZ!Repeater 1200 sent in home-assistant/core issue 57243; its description fields (AVM Berlin,
// modelNumber avme, deviceType urn:schemas-upnp-org:device:fritzbox:1, no serial number) those
// of a FRITZ!Repeater 3000 in issue 34619; the service entry follows the avmnexusdesc.xml of 57243.
// The lab choice: a real FRITZ!OS answers over IPv4 too, with the same uuid.
import type { LabDevice } from '../device.js';
import { LAB_INTERFACE, linkLocalAddress } from '../namespaces.js';
import { startHttpServer } from '../protocols/http.js';
import { startSsdpResponder } from '../protocols/ssdp.js';
import { startInOrder } from './servers.js';

const IPV4 = '192.168.77.98';
/** Its SLAAC address in the home's /64 (registry.ts). */
const IPV6_GLOBAL = '2001:db8:77::98';
/** 2C:91:AB is registered to AVM (IEEE MA-L), and a FRITZ!Repeater 1200 in issue 57243 had it. */
const MAC = '2c:91:ab:3e:71:5a';
const LINK_LOCAL = linkLocalAddress(MAC);
const MODEL = 'FRITZ!Repeater 1200';
const WEB_PORT = 80;
const UPNP_PORT = 49000;
const DESCRIPTION_PATH = '/fboxdesc.xml';
const UDN = `uuid:123402409-bccb-40e7-8e6c-${MAC.replace(/:/g, '').toUpperCase()}`;
const SSDP_SERVER = `Repeater UPnP/1.0 AVM ${MODEL} 172.07.29`;

const LOGIN_PAGE = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>FRITZ!</title></head>
<body><form method="post" action="/index.lua">
<label>Password <input type="password" name="response" autocomplete="current-password"></label>
<button type="submit">Log In</button>
</form></body></html>
`;

const DESCRIPTION_XML = `<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
<specVersion><major>1</major><minor>0</minor></specVersion>
<device>
<deviceType>urn:schemas-upnp-org:device:fritzbox:1</deviceType>
<friendlyName>${MODEL}</friendlyName>
<manufacturer>AVM Berlin</manufacturer>
<manufacturerURL>http://www.avm.de</manufacturerURL>
<modelDescription>${MODEL}</modelDescription>
<modelName>${MODEL}</modelName>
<modelNumber>avme</modelNumber>
<modelURL>http://www.avm.de</modelURL>
<UDN>${UDN}</UDN>
<serviceList>
<service>
<serviceType>urn:schemas-any-com:service:fritzbox:1</serviceType>
<serviceId>urn:any-com:serviceId:fritzbox</serviceId>
<controlURL>/upnp/control/fritzbox</controlURL>
<eventSubURL>/upnp/control/fritzbox</eventSubURL>
<SCPDURL>/fboxSCPD.xml</SCPDURL>
</service>
</serviceList>
</device>
</root>
`;

export const device: LabDevice = {
  spec: {
    id: 'repeater',
    ipv4: IPV4,
    mac: MAC,
    hostname: 'fritz.repeater',
    truth: { vendor: 'AVM', model: MODEL, type: 'mesh', firmware: '7.29' },
    ipv6Global: IPV6_GLOBAL,
    expectedFindings: [
      // Measured over IPv6: a unicast ssdp:all to its link-local address gets four answers back.
      { check: 'ssdp-unicast-reply', port: 1900, transport: 'udp', severity: 'low' },
      // The web interface's password goes over plain HTTP.
      { check: 'cleartext-admin-login', port: WEB_PORT, transport: 'tcp', severity: 'medium' },
    ],
    // Its description names no serial number, its web server no version, and it is no gateway.
    mustNotReport: ['upnp-description-leak', 'version-banner-disclosure', 'upnp-igd-unauth-portmap', 'upnp-portmaps-present'],
  },

  async start() {
    const page = { contentType: 'text/xml; charset="utf-8"', body: DESCRIPTION_XML };
    return startInOrder([
      () => startHttpServer({ host: IPV4, port: WEB_PORT, pages: { '/': { contentType: 'text/html; charset=utf-8', body: LOGIN_PAGE } } }),
      // Its own IPv6 addresses only: nothing of the UPnP stack listens on IPv4.
      () => startHttpServer({ host: `${LINK_LOCAL}%${LAB_INTERFACE}`, port: UPNP_PORT, pages: { [DESCRIPTION_PATH]: page } }),
      () => startHttpServer({ host: IPV6_GLOBAL, port: UPNP_PORT, pages: { [DESCRIPTION_PATH]: page } }),
      () =>
        startSsdpResponder({
          ipv4: IPV4,
          server: SSDP_SERVER,
          location: `http://${IPV4}:${UPNP_PORT}${DESCRIPTION_PATH}`,
          usnBase: UDN,
          searchTargets: ['upnp:rootdevice', 'urn:schemas-upnp-org:device:fritzbox:1', 'urn:schemas-any-com:service:fritzbox:1'],
          families: [6],
          ipv6: { linkLocal: LINK_LOCAL, interface: LAB_INTERFACE, global: IPV6_GLOBAL },
        }),
    ]);
  },
};
