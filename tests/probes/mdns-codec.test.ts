import { describe, expect, it } from 'vitest';
import { decode } from 'dns-packet';
import {
  MdnsRecordStore,
  SERVICE_TYPES_NAME,
  decodeResponse,
  encodeQuery,
  instanceFields,
  instanceName,
  isServiceType,
  txtFields,
} from '../../probes/mdns/codec.js';
import { hexFixture } from '../fixtures/harness.js';

describe('mdns codec', () => {
  it('encodes a plain multicast query (no QU bit, id 0)', () => {
    const bytes = encodeQuery([{ name: SERVICE_TYPES_NAME, type: 'PTR' }]);
    expect([...bytes]).toEqual([...hexFixture('mdns/services-query.hex')]);
    const packet = decode(Buffer.from(bytes));
    expect(packet.id).toBe(0);
    expect(packet.questions).toEqual([{ name: SERVICE_TYPES_NAME, type: 'PTR', class: 'IN' }]);
  });

  it('assembles an Axis camera instance from PTR, SRV, TXT and A records', () => {
    const store = new MdnsRecordStore();
    const records = decodeResponse(hexFixture('mdns/axis-http-response.hex'));
    expect(records).toHaveLength(4);
    store.add('192.168.77.20', records ?? []);
    const [instance] = store.instances();
    expect(instance).toMatchObject({
      serviceType: '_http._tcp.local',
      instance: 'AXIS M1011 - 00408C1A2B3C',
      port: 80,
      hostname: 'axis-00408c1a2b3c.local',
      address: '192.168.77.20',
    });
    expect(instanceFields(instance ?? { serviceType: '', fullName: '', instance: '', address: '' })).toEqual({
      'mdns.service': '_http._tcp',
      'mdns.instance': 'AXIS M1011 - 00408C1A2B3C',
      'mdns.hostname': 'axis-00408c1a2b3c.local',
      'mdns.txt.path': '/',
      'mdns.txt.macaddress': '00408C1A2B3C',
      'mdns.txt.bare': '',
      'mdns.txt.bin': '\\x00\\x01\\xffA',
    });
    expect(store.followUps(new Set())).toEqual([]);
  });

  it('keeps dots and UTF-8 inside instance names and asks for what is missing', () => {
    const store = new MdnsRecordStore();
    store.add('192.168.77.31', decodeResponse(hexFixture('mdns/service-types-response.hex')) ?? []);
    expect(store.serviceTypes()).toEqual(['_airplay._tcp.local']);
    expect(store.followUps(new Set())).toEqual([{ name: '_airplay._tcp.local', type: 'PTR' }]);
    store.add('192.168.77.31', decodeResponse(hexFixture('mdns/dotted-instance-response.hex')) ?? []);
    const [instance] = store.instances();
    expect(instance?.instance).toBe("Mr. Smith's Küche Speaker");
    // No SRV/TXT yet: the packet source stands in for the address.
    expect(instance?.address).toBe('192.168.77.31');
    expect(store.followUps(new Set(['_airplay._tcp.local']))).toEqual([
      { name: "Mr. Smith's Küche Speaker._airplay._tcp.local", type: 'SRV' },
      { name: "Mr. Smith's Küche Speaker._airplay._tcp.local", type: 'TXT' },
    ]);
    store.add('192.168.77.31', decodeResponse(hexFixture('mdns/dotted-instance-srv-response.hex')) ?? []);
    expect(store.followUps(new Set(['_airplay._tcp.local']))).toEqual([{ name: 'Kueche.local', type: 'A' }]);
    expect(store.instances()[0]).toMatchObject({ port: 7000, hostname: 'Kueche.local', address: '192.168.77.31' });
  });

  it('strips the service type as a suffix only', () => {
    expect(instanceName('Living Room.TV._googlecast._tcp.local', '_googlecast._tcp.local')).toBe('Living Room.TV');
    expect(instanceName('Odd._GoogleCast._TCP.local', '_googlecast._tcp.local')).toBe('Odd');
    expect(instanceName('not-matching.local', '_http._tcp.local')).toBe('not-matching.local');
    expect(isServiceType('_printer._sub._http._tcp.local')).toBe(false);
  });

  it('follows RFC 6763 TXT rules: first key wins, keys case-insensitive, junk keys skipped', () => {
    const entries = ['MD=Google Home', 'md=ignored', '=novalue', 'bad key=x', 'fn=Küche'].map((text) => new TextEncoder().encode(text));
    expect(txtFields(entries)).toEqual({ 'mdns.txt.md': 'Google Home', 'mdns.txt.fn': 'Küche' });
    expect(txtFields([Uint8Array.from([0x6b, 0x3d, 0x1b, 0x5b, 0x32, 0x4a])])).toEqual({ 'mdns.txt.k': '\\x1b[2J' });
  });

  it('ignores queries and garbage', () => {
    expect(decodeResponse(hexFixture('mdns/services-query.hex'))).toBeUndefined();
    expect(decodeResponse(Uint8Array.from({ length: 300 }, (_, index) => (index * 89) % 256))).toBeUndefined();
    expect(decodeResponse(new Uint8Array(3))).toBeUndefined();
    // A compression pointer that points forward (a loop attempt).
    const loop = Uint8Array.from([0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0xc0, 0x0c, 0, 12, 0, 1, 0, 0, 0, 10, 0, 2, 0xc0, 0x0c]);
    expect(decodeResponse(loop)).toBeUndefined();
  });
});
