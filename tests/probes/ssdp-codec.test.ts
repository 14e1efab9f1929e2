import { describe, expect, it } from 'vitest';
import {
  buildMulticastSearch,
  buildUnicastSearch,
  parseDeviceDescription,
  parseSsdpResponse,
  resolveControlUrl,
  sameHostLocation,
} from '../../probes/ssdp/codec.js';
import { fixture } from '../fixtures/harness.js';

describe('ssdp codec', () => {
  it('builds M-SEARCH requests (multicast with MX, unicast without)', () => {
    expect(buildMulticastSearch('ssdp:all')).toBe(
      'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\nUSER-AGENT: iotscan/1 UPnP/1.1 iotscan/1\r\n\r\n',
    );
    const unicast = buildUnicastSearch('192.168.77.1', 'ssdp:all');
    expect(unicast).toContain('HOST: 192.168.77.1:1900\r\n');
    expect(unicast).not.toContain('MX:');
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
      { serviceType: 'urn:schemas-upnp-org:service:Layer3Forwarding:1', controlURL: '/ctl/L3F' },
      { serviceType: 'urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1', controlURL: '/ctl/CmnIfCfg' },
      // A relative control URL is resolved against the LOCATION.
      { serviceType: 'urn:schemas-upnp-org:service:WANIPConnection:2', controlURL: '/ctl/IPConn' },
      // One on another host keeps its full URL so nobody mistakes it for a path on this device.
      { serviceType: 'urn:schemas-upnp-org:service:WANIPv6FirewallControl:1', controlURL: 'http://10.9.9.9/ctl/IP6FCtl' },
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

  it('resolves control URLs against URLBase or LOCATION', () => {
    expect(resolveControlUrl('upnp/control', 'http://10.0.0.1:49152/desc/', 'http://10.0.0.1:49152/desc/root.xml')).toBe('/desc/upnp/control');
    expect(resolveControlUrl('/a?b=c', 'http://10.0.0.1:49152/', 'http://10.0.0.1:49152/x.xml')).toBe('/a?b=c');
  });
});
