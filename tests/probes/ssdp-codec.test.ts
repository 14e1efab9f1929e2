import { describe, expect, it } from 'vitest';
import {
  SSDP_GROUP_V6,
  buildMulticastSearch,
  buildUnicastSearch,
  deviceAddresses,
  eui64Mac,
  hostHeader,
  parseDeviceDescription,
  parseSsdpNotify,
  parseSsdpResponse,
  resolveControlUrl,
  sameHostLocation,
  usnDevice,
  withoutUrlZone,
} from '../../probes/ssdp/codec.js';
import { fixture, seededBytes } from '../fixtures/harness.js';

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

describe('ssdp codec', () => {
  it('builds M-SEARCH requests (multicast with MX, unicast without)', () => {
    expect(buildMulticastSearch('ssdp:all')).toBe(
      'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\nUSER-AGENT: iotscan/1 UPnP/1.1 iotscan/1\r\n\r\n',
    );
    const unicast = buildUnicastSearch('192.168.77.1', 'ssdp:all');
    expect(unicast).toContain('HOST: 192.168.77.1:1900\r\n');
    expect(unicast).not.toContain('MX:');
  });

  it('builds the IPv6 forms: the group and a link-local host in brackets, never with the zone', () => {
    expect(buildMulticastSearch('upnp:rootdevice', 1, SSDP_GROUP_V6)).toContain('HOST: [FF02::C]:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: upnp:rootdevice\r\n');
    expect(buildUnicastSearch('fe80::1%eth0', 'ssdp:all')).toContain('HOST: [fe80::1]:1900\r\n');
    expect(hostHeader('fe80::1%eth0', 5000)).toBe('[fe80::1]:5000');
    expect(hostHeader('192.168.77.1', 80)).toBe('192.168.77.1:80');
  });

  it('parses NOTIFY alive and byebye, and keeps announcements and answers apart', () => {
    // NT and NTS but no USN: nothing to tie the announcement to.
    expect(parseSsdpNotify(fixture('ssdp/notify.txt'))).toBeUndefined();
    const notify = text(
      'NOTIFY * HTTP/1.1\r\nHOST: [FF02::C]:1900\r\nCACHE-CONTROL: max-age=1800\r\nLOCATION: http://[fe80::2]:5000/d.xml\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\nSERVER: Linux/5.4 UPnP/1.1 Thermo/2.0\r\nUSN: uuid:ABC-123::upnp:rootdevice\r\n\r\n',
    );
    expect(parseSsdpNotify(notify)).toEqual({
      nts: 'ssdp:alive',
      headers: {
        host: '[FF02::C]:1900',
        'cache-control': 'max-age=1800',
        location: 'http://[fe80::2]:5000/d.xml',
        nt: 'upnp:rootdevice',
        nts: 'ssdp:alive',
        server: 'Linux/5.4 UPnP/1.1 Thermo/2.0',
        usn: 'uuid:ABC-123::upnp:rootdevice',
      },
    });
    expect(parseSsdpResponse(notify)).toBeUndefined();
    expect(parseSsdpNotify(fixture('ssdp/miniupnpd-response.txt'))).toBeUndefined();
    const byebye = parseSsdpNotify(text('NOTIFY * HTTP/1.1\r\nNT: urn:x:device:Plug:1\r\nNTS: SSDP:BYEBYE\r\nUSN: uuid:p::urn:x:device:Plug:1\r\n\r\n'));
    expect(byebye?.nts).toBe('ssdp:byebye');
    expect(parseSsdpNotify(text('NOTIFY * HTTP/1.1\r\nNT: x\r\nNTS: ssdp:maybe\r\nUSN: uuid:p\r\n\r\n'))).toBeUndefined();
    expect(usnDevice('uuid:ABC-123::upnp:rootdevice')).toBe('uuid:abc-123');
    expect(usnDevice('uuid:plain')).toBe('uuid:plain');
    expect(usnDevice('no uuid here')).toBeUndefined();
  });

  it('parses a recorded-style miniupnpd response', () => {
    const response = parseSsdpResponse(fixture('ssdp/miniupnpd-response.txt'));
    expect(response?.headers).toMatchObject({
      st: 'urn:schemas-upnp-org:device:InternetGatewayDevice:1',
      usn: 'uuid:7b1e4c2a-1d2f-4e5b-9c3d-00e04c68a1b2::urn:schemas-upnp-org:device:InternetGatewayDevice:1',
      server: 'OpenWRT/OpenWrt UPnP/1.1 MiniUPnPd/2.3.1',
      location: 'http://192.168.77.1:5000/rootDesc.xml',
      ext: '',
    });
  });

  it('refuses requests, control characters, oversize answers and garbage', () => {
    expect(parseSsdpResponse(fixture('ssdp/notify.txt'))).toBeUndefined();
    expect(parseSsdpResponse(fixture('ssdp/control-characters-response.txt'))).toBeUndefined();
    expect(parseSsdpResponse(new TextEncoder().encode(`HTTP/1.1 200 OK\r\nST: x\r\nX: ${'a'.repeat(9000)}\r\n\r\n`))).toBeUndefined();
    expect(parseSsdpResponse(Uint8Array.from({ length: 200 }, (_, index) => (index * 13) % 256))).toBeUndefined();
    expect(parseSsdpResponse(new TextEncoder().encode('HTTP/1.1 200 OK\r\nno colon here\r\n\r\n'))).toBeUndefined();
  });

  it('fetches a LOCATION only on the responder itself', () => {
    expect(sameHostLocation('http://192.168.77.1:5000/rootDesc.xml', '192.168.77.1')).toEqual({ port: 5000, path: '/rootDesc.xml' });
    expect(sameHostLocation('http://192.168.77.1/d.xml?x=1', '192.168.77.1')).toEqual({ port: 80, path: '/d.xml?x=1' });
    expect(sameHostLocation('http://203.0.113.9/desc.xml', '192.168.77.1')).toBeUndefined();
    expect(sameHostLocation('https://192.168.77.1/desc.xml', '192.168.77.1')).toBeUndefined();
    expect(sameHostLocation('http://user:pw@192.168.77.1/desc.xml', '192.168.77.1')).toBeUndefined();
    expect(sameHostLocation('not a url', '192.168.77.1')).toBeUndefined();
  });

  it('names a device heard over both families by its IPv4 address, matched by USN uuid', () => {
    const addressOf = deviceAddresses([
      { address: 'fe80::2%eth0', devices: new Set(['uuid:tv', 'uuid:tv-renderer']) },
      { address: '192.168.77.60', devices: new Set(['uuid:tv-renderer']) },
      { address: 'fe80::3%eth0', devices: new Set(['uuid:v6-only']) },
    ]);
    expect(addressOf('fe80::2%eth0')).toBe('192.168.77.60');
    expect(addressOf('192.168.77.60')).toBe('192.168.77.60');
    expect(addressOf('fe80::3%eth0')).toBe('fe80::3%eth0');
    expect(addressOf('fe80::9%eth0')).toBe('fe80::9%eth0');
  });

  it('reads the MAC out of an EUI-64 interface identifier, and nothing out of any other', () => {
    // A FRITZ!Box 7590 with MAC 44:4e:6d:69:ce:8b (home-assistant/core#71418).
    expect(eui64Mac('fe80::464e:6dff:fe69:ce8b')).toBe('44:4e:6d:69:ce:8b');
    expect(eui64Mac('fe80::2e91:abff:fe3e:715a%eth0')).toBe('2c:91:ab:3e:71:5a');
    // SLAAC in a global prefix carries it too; the universal/local bit flips back (02 -> 00).
    expect(eui64Mac('2001:db8:77:0:211:32ff:feab:cdef')).toBe('00:11:32:ab:cd:ef');
    expect(eui64Mac('FE80:0:0:0:0211:32FF:FEAB:CDEF')).toBe('00:11:32:ab:cd:ef');
    // Random (Windows, RFC 4941) and short identifiers hold no MAC.
    expect(eui64Mac('fe80::a8ff:3171:55a6:2d1f')).toBeUndefined();
    expect(eui64Mac('fe80::21%eth0')).toBeUndefined();
    expect(eui64Mac('192.168.77.98')).toBeUndefined();
    expect(eui64Mac('fe80::zz')).toBeUndefined();
  });

  it('names an IPv6-only responder by the IPv4 neighbour whose MAC its EUI-64 address holds', () => {
    const neighbours = [
      { address: '192.168.77.98', mac: '2C:91:AB:3E:71:5A' },
      { address: '192.168.77.60', mac: 'fc:f1:52:aa:bb:cc' },
      // Only IPv4 neighbours name a device.
      { address: 'fe80::1%eth0', mac: '00:11:32:ab:cd:ef' },
    ];
    const addressOf = deviceAddresses(
      [
        { address: 'fe80::2e91:abff:fe3e:715a%eth0', devices: new Set(['uuid:repeater']) },
        // The USN tie wins over the MAC: the uuid was heard from this IPv4 sender itself.
        { address: 'fe80::fef1:52ff:feaa:bbcc%eth0', devices: new Set(['uuid:tv']) },
        { address: '192.168.77.61', devices: new Set(['uuid:tv']) },
        { address: 'fe80::211:32ff:feab:cdef%eth0', devices: new Set(['uuid:other']) },
        { address: 'fe80::a8ff:3171:55a6:2d1f%eth0', devices: new Set(['uuid:pc']) },
      ],
      neighbours,
    );
    expect(addressOf('fe80::2e91:abff:fe3e:715a%eth0')).toBe('192.168.77.98');
    expect(addressOf('fe80::fef1:52ff:feaa:bbcc%eth0')).toBe('192.168.77.61');
    expect(addressOf('fe80::211:32ff:feab:cdef%eth0')).toBe('fe80::211:32ff:feab:cdef%eth0');
    expect(addressOf('fe80::a8ff:3171:55a6:2d1f%eth0')).toBe('fe80::a8ff:3171:55a6:2d1f%eth0');
    expect(addressOf('2001:db8:77:0:2e91:abff:fe3e:715a')).toBe('192.168.77.98');
  });

  it('never fetches the global LOCATION a link-local responder names, nor the link-local one a global responder names', () => {
    // miniupnpd answers a link-local search with its global address unless built UPNP_STRICT (miniupnp issue 229).
    expect(sameHostLocation('http://[2001:db8:77::1]:5556/rootDesc.xml', 'fe80::2e91:abff:fe3e:715a%eth0')).toBeUndefined();
    expect(sameHostLocation('http://[fe80::1]:5556/rootDesc.xml', '2001:db8:77::1')).toBeUndefined();
    expect(sameHostLocation('http://[2001:db8:77::98]:49000/fboxdesc.xml', '2001:db8:77::98')).toEqual({ port: 49000, path: '/fboxdesc.xml' });
  });

  it('resolves the URLs of a description behind a bracketed IPv6 LOCATION, its zone dropped first', () => {
    expect(withoutUrlZone('http://[fe80::2%25eth0]:49000/fboxdesc.xml')).toBe('http://[fe80::2]:49000/fboxdesc.xml');
    expect(withoutUrlZone('http://192.168.77.1:5000/rootDesc.xml')).toBe('http://192.168.77.1:5000/rootDesc.xml');
    const xml =
      '<root><device><deviceType>urn:schemas-upnp-org:device:fritzbox:1</deviceType><serviceList>' +
      '<service><serviceType>urn:schemas-any-com:service:fritzbox:1</serviceType><controlURL>/upnp/control/fritzbox</controlURL><eventSubURL>/upnp/control/fritzbox</eventSubURL></service>' +
      '<service><serviceType>urn:x:service:Elsewhere:1</serviceType><controlURL>http://[fe80::3]:49000/c</controlURL><eventSubURL>http://[fe80::3]:49000/e</eventSubURL></service>' +
      '</serviceList></device></root>';
    const result = parseDeviceDescription(xml, withoutUrlZone('http://[fe80::2%25eth0]:49000/fboxdesc.xml'));
    if (!result.ok) throw new Error(result.reason);
    expect(result.description.services).toEqual([
      { serviceType: 'urn:schemas-any-com:service:fritzbox:1', controlURL: '/upnp/control/fritzbox', eventSubURL: '/upnp/control/fritzbox' },
      // Another IPv6 host: the control URL is kept whole, the event URL is dropped.
      { serviceType: 'urn:x:service:Elsewhere:1', controlURL: 'http://[fe80::3]:49000/c' },
    ]);
  });

  it('matches an IPv6 LOCATION with the link-local responder, zone or no zone, any spelling', () => {
    const responder = 'fe80::2%eth0';
    expect(sameHostLocation('http://[fe80::2]:5000/d.xml', responder)).toEqual({ port: 5000, path: '/d.xml' });
    expect(sameHostLocation('http://[FE80:0:0:0:0:0:0:2]:5000/d.xml', responder)).toEqual({ port: 5000, path: '/d.xml' });
    expect(sameHostLocation('http://[fe80::2%25wlan0]:5000/d.xml', responder)).toEqual({ port: 5000, path: '/d.xml' });
    expect(sameHostLocation('http://[fe80::3]:5000/d.xml', responder)).toBeUndefined();
    expect(sameHostLocation('http://192.168.77.21:5000/d.xml', responder)).toBeUndefined();
    expect(sameHostLocation('http://[fe80::2]:5000/d.xml', '192.168.77.21')).toBeUndefined();
  });

  it('parses a device tree with embedded devices and services', () => {
    const location = 'http://192.168.77.1:5000/rootDesc.xml';
    const result = parseDeviceDescription(fixture('ssdp/miniupnpd-rootDesc.xml').toString(), location);
    if (!result.ok) throw new Error(result.reason);
    const { devices, services } = result.description;
    expect(devices).toHaveLength(3);
    expect(devices[0]?.fields).toEqual({
      'upnp.deviceType': 'urn:schemas-upnp-org:device:InternetGatewayDevice:2',
      'upnp.friendlyName': 'OpenWrt router',
      'upnp.manufacturer': 'OpenWrt & friends',
      'upnp.manufacturerURL': 'https://openwrt.org/',
      'upnp.modelDescription': 'OpenWrt router',
      'upnp.modelName': 'OpenWrt router',
      'upnp.modelNumber': '23.05',
      'upnp.serialNumber': '00000000',
      'upnp.udn': 'uuid:7b1e4c2a-1d2f-4e5b-9c3d-00e04c68a1b2',
      'upnp.presentationURL': 'http://192.168.77.1/',
    });
    expect(devices[2]?.fields['upnp.deviceType']).toBe('urn:schemas-upnp-org:device:WANConnectionDevice:2');
    expect(services).toEqual([
      { serviceType: 'urn:schemas-upnp-org:service:Layer3Forwarding:1', controlURL: '/ctl/L3F', eventSubURL: '/evt/L3F' },
      { serviceType: 'urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1', controlURL: '/ctl/CmnIfCfg', eventSubURL: '/evt/CmnIfCfg' },
      // A relative control URL is resolved against the LOCATION.
      { serviceType: 'urn:schemas-upnp-org:service:WANIPConnection:2', controlURL: '/ctl/IPConn', eventSubURL: '/evt/IPConn' },
      // One on another host keeps its full URL so nobody mistakes it for a path on this device.
      { serviceType: 'urn:schemas-upnp-org:service:WANIPv6FirewallControl:1', controlURL: 'http://10.9.9.9/ctl/IP6FCtl', eventSubURL: '/evt/IP6FCtl' },
    ]);
  });

  it('refuses DOCTYPE/ENTITY documents and broken XML', () => {
    expect(parseDeviceDescription(fixture('ssdp/xxe-description.xml').toString(), 'http://192.168.77.1/')).toEqual({
      ok: false,
      reason: 'DOCTYPE or ENTITY declaration',
    });
    expect(parseDeviceDescription(fixture('ssdp/truncated-description.xml').toString(), 'http://192.168.77.1/').ok).toBe(false);
    expect(parseDeviceDescription('<root></root>', 'http://192.168.77.1/').ok).toBe(false);
    expect(parseDeviceDescription('\u0000\u0001garbage<<<', 'http://192.168.77.1/').ok).toBe(false);
  });

  it('keeps an event URL only on the LOCATION host: a path on its port, the full URL on another port', () => {
    const service = (eventSubURL: string, urlBase = '') =>
      `<root><URLBase>${urlBase}</URLBase><device><deviceType>urn:x:device:Tv:1</deviceType><serviceList><service><serviceType>urn:x:service:Av:1</serviceType><eventSubURL>${eventSubURL}</eventSubURL></service></serviceList></device></root>`;
    const eventUrl = (xml: string) => {
      const result = parseDeviceDescription(xml, 'http://192.168.77.60:52323/dmr.xml');
      return result.ok ? result.description.services[0]?.eventSubURL : 'unparsed';
    };
    expect(eventUrl(service('upnp/event/AVT'))).toBe('/upnp/event/AVT');
    expect(eventUrl(service('/evt?s=1', 'http://192.168.77.60:52323/base/'))).toBe('/evt?s=1');
    expect(eventUrl(service('http://192.168.77.60:52324/evt'))).toBe('http://192.168.77.60:52324/evt');
    expect(eventUrl(service('/evt', 'http://192.168.77.61:52323/'))).toBeUndefined();
    expect(eventUrl(service('http://203.0.113.9/evt'))).toBeUndefined();
    expect(eventUrl(service('https://192.168.77.60/evt'))).toBeUndefined();
    expect(eventUrl(service('http://user:pw@192.168.77.60:52324/evt'))).toBeUndefined();
    expect(eventUrl(service(''))).toBeUndefined();
  });

  it('resolves control URLs against URLBase or LOCATION', () => {
    expect(resolveControlUrl('upnp/control', 'http://10.0.0.1:49152/desc/', 'http://10.0.0.1:49152/desc/root.xml')).toBe('/desc/upnp/control');
    expect(resolveControlUrl('/a?b=c', 'http://10.0.0.1:49152/', 'http://10.0.0.1:49152/x.xml')).toBe('/a?b=c');
  });

  it('never throws on garbage: random bytes, truncations and bit flips', () => {
    const answer = fixture('ssdp/miniupnpd-response.txt');
    const description = fixture('ssdp/miniupnpd-rootDesc.xml');
    for (let seed = 1; seed <= 400; seed++) {
      const noise = seededBytes(seed, (seed * 7) % 1200);
      const cutAnswer = answer.subarray(0, seed % (answer.length + 1));
      const flipped = new Uint8Array(description);
      const at = ((noise[0] ?? 0) * 97) % flipped.length;
      flipped[at] = (flipped[at] ?? 0) ^ (noise[1] ?? 1);
      expect(() => {
        parseSsdpResponse(noise);
        parseSsdpNotify(noise);
        parseSsdpResponse(cutAnswer);
        parseSsdpNotify(cutAnswer);
        parseDeviceDescription(new TextDecoder().decode(noise), 'http://192.168.77.1/');
        parseDeviceDescription(new TextDecoder().decode(flipped.subarray(0, (seed * 31) % flipped.length)), 'http://192.168.77.1/');
        sameHostLocation(new TextDecoder().decode(noise), 'fe80::1%eth0');
        usnDevice(new TextDecoder().decode(noise));
      }).not.toThrow();
    }
  });
});
