import { describe, expect, it } from 'vitest';
import { decode, encode } from 'dns-packet';
import type { Answer } from 'dns-packet';
import {
  MAX_ASKS_PER_QUESTION,
  MdnsRecordStore,
  SERVICE_TYPES_NAME,
  addressCandidates,
  decodeResponse,
  encodeQuery,
  instanceFields,
  instanceName,
  isServiceType,
  parseSubtype,
  txtFields,
  txtRecordText,
} from '../../probes/mdns/codec.js';
import type { ServiceInstance } from '../../probes/mdns/codec.js';
import { hexFixture, seededBytes } from '../fixtures/harness.js';

const response = (answers: Answer[], additionals: Answer[] = []): Uint8Array => new Uint8Array(encode({ type: 'response', id: 0, flags: 0x8400, answers, additionals }));
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** C0 and C1 control characters and DEL: what must never reach a terminal raw. */
function isControl(character: string): boolean {
  const code = character.codePointAt(0) ?? 0;
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
}

function only(instances: ServiceInstance[]): ServiceInstance {
  expect(instances).toHaveLength(1);
  return instances[0] as ServiceInstance;
}

describe('mdns codec', () => {
  it('encodes a plain multicast query (no QU bit, id 0)', () => {
    const query = encodeQuery([{ type: 'PTR', domain: SERVICE_TYPES_NAME }]);
    expect([...query]).toEqual([...hexFixture('mdns/services-query.hex')]);
    const packet = decode(Buffer.from(query));
    expect(packet.id).toBe(0);
    expect(packet.questions).toEqual([{ name: SERVICE_TYPES_NAME, type: 'PTR', class: 'IN' }]);
  });

  it('encodes an instance name as one label, dots and UTF-8 included', () => {
    const instance = 'Küche.Steckdose v1.2 – Kaffeemaschine';
    const query = encodeQuery([
      { type: 'SRV', instance, domain: '_http._tcp.local' },
      { type: 'AAAA', domain: 'kaffee.local' },
    ]);
    const label = bytes(instance);
    // Header, then the instance label: its length byte and its bytes, unsplit.
    expect(query[12]).toBe(label.length);
    expect([...query.subarray(13, 13 + label.length)]).toEqual([...label]);
    expect([...query.subarray(13 + label.length, 13 + label.length + 6)]).toEqual([5, ...bytes('_http')]);
    expect(decode(Buffer.from(query)).questions).toEqual([
      { name: `${instance}._http._tcp.local`, type: 'SRV', class: 'IN' },
      { name: 'kaffee.local', type: 'AAAA', class: 'IN' },
    ]);
  });

  it('leaves out questions whose labels cannot be encoded', () => {
    const query = encodeQuery([
      { type: 'TXT', instance: 'x'.repeat(64), domain: '_http._tcp.local' },
      { type: 'A', domain: 'bad..local' },
      { type: 'A', domain: 'ok.local' },
    ]);
    expect(decode(Buffer.from(query)).questions).toEqual([{ name: 'ok.local', type: 'A', class: 'IN' }]);
  });

  it('assembles an Axis camera instance from PTR, SRV, TXT and A records', () => {
    const store = new MdnsRecordStore();
    store.asked([{ type: 'PTR', domain: '_http._tcp.local' }]);
    const records = decodeResponse(hexFixture('mdns/axis-http-response.hex'));
    expect(records).toHaveLength(4);
    store.add('192.168.77.20', records ?? []);
    const instance = only(store.instances());
    expect(instance).toMatchObject({
      serviceType: '_http._tcp.local',
      instance: 'AXIS M1011 - 00408C1A2B3C',
      port: 80,
      hostname: 'axis-00408c1a2b3c.local',
      a: ['192.168.77.20'],
      aaaa: [],
      sources: ['192.168.77.20'],
      passive: false,
      family: 4,
    });
    expect(instanceFields(instance)).toEqual({
      'mdns.service': '_http._tcp',
      'mdns.instance': 'AXIS M1011 - 00408C1A2B3C',
      'mdns.hostname': 'axis-00408c1a2b3c.local',
      'mdns.family': '4',
      'mdns.a': '192.168.77.20',
      'mdns.txt.path': '/',
      'mdns.txt.macaddress': '00408C1A2B3C',
      'mdns.txt.bare': '',
      'mdns.txt.bin': '\\x00\\x01\\xffA',
      // The whole record keeps what the per-key fields cannot: the repeated key.
      'mdns.txt': 'path=/, macaddress=00408C1A2B3C, Bare, bin=\\x00\\x01\\xffA, PATH=/ignored-duplicate',
    });
    // Everything but the AAAA record is there.
    expect(store.followUps()).toEqual([{ type: 'AAAA', domain: 'axis-00408c1a2b3c.local' }]);
  });

  it('keeps dots and UTF-8 inside instance names and asks for what is missing', () => {
    const store = new MdnsRecordStore();
    store.add('192.168.77.31', decodeResponse(hexFixture('mdns/service-types-response.hex')) ?? []);
    expect(store.serviceTypes()).toEqual(['_airplay._tcp.local']);
    expect(store.followUps()).toEqual([{ type: 'PTR', domain: '_airplay._tcp.local' }]);
    store.asked(store.followUps());
    store.add('192.168.77.31', decodeResponse(hexFixture('mdns/dotted-instance-response.hex')) ?? []);
    const instance = only(store.instances());
    expect(instance.instance).toBe("Mr. Smith's Küche Speaker");
    // No SRV/TXT yet: the packet source stands in for the address.
    expect(addressCandidates(instance)).toEqual(['192.168.77.31']);
    const label = { instance: "Mr. Smith's Küche Speaker", domain: '_airplay._tcp.local' };
    expect(store.followUps()).toEqual([
      { type: 'SRV', ...label },
      { type: 'TXT', ...label },
    ]);
    store.add('192.168.77.31', decodeResponse(hexFixture('mdns/dotted-instance-srv-response.hex')) ?? []);
    expect(store.followUps()).toEqual([
      { type: 'A', domain: 'Kueche.local' },
      { type: 'AAAA', domain: 'Kueche.local' },
    ]);
    expect(store.instances()[0]).toMatchObject({ port: 7000, hostname: 'Kueche.local' });
  });

  it('asks each open question at most twice', () => {
    const store = new MdnsRecordStore();
    store.add('192.168.77.31', decodeResponse(hexFixture('mdns/service-types-response.hex')) ?? []);
    for (let round = 0; round < MAX_ASKS_PER_QUESTION; round++) {
      expect(store.followUps()).toHaveLength(1);
      store.asked(store.followUps());
    }
    expect(store.followUps()).toEqual([]);
  });

  it('settles a question by its answer or by an NSEC that denies it, never a PTR question', () => {
    const store = new MdnsRecordStore();
    const a = { type: 'A' as const, domain: 'plug.local' };
    const aaaa = { type: 'AAAA' as const, domain: 'plug.local' };
    const ptr = { type: 'PTR' as const, domain: '_http._tcp.local' };
    expect(store.settled([a, aaaa])).toBe(false);
    store.add('192.168.77.40', decodeResponse(response([{ type: 'A', name: 'plug.local', ttl: 120, data: '192.168.77.40' }])) ?? []);
    expect(store.settled([a])).toBe(true);
    expect(store.settled([a, aaaa])).toBe(false);
    // RFC 6762 §6.1: the host has A (and NSEC) records only, so there is no AAAA to wait for.
    const denial = decodeResponse(response([{ type: 'NSEC', name: 'plug.local', ttl: 120, data: { nextDomain: 'plug.local', rrtypes: ['A', 'NSEC'] } }]));
    expect(denial).toEqual([{ type: 'NSEC', name: 'plug.local', types: ['A', 'NSEC'] }]);
    store.add('192.168.77.40', denial ?? []);
    expect(store.settled([a, aaaa])).toBe(true);
    expect(store.settled([ptr])).toBe(false);
  });

  it('does not ask again what an NSEC denied', () => {
    const store = new MdnsRecordStore();
    store.add('192.168.77.31', decodeResponse(hexFixture('mdns/service-types-response.hex')) ?? []);
    store.asked(store.followUps());
    store.add('192.168.77.31', decodeResponse(hexFixture('mdns/dotted-instance-response.hex')) ?? []);
    store.add('192.168.77.31', decodeResponse(hexFixture('mdns/dotted-instance-srv-response.hex')) ?? []);
    expect(store.followUps()).toContainEqual({ type: 'AAAA', domain: 'Kueche.local' });
    store.add('192.168.77.31', decodeResponse(response([{ type: 'NSEC', name: 'Kueche.local', ttl: 120, data: { nextDomain: 'Kueche.local', rrtypes: ['A'] } }])) ?? []);
    expect(store.followUps()).toEqual([{ type: 'A', domain: 'Kueche.local' }]);
  });

  it('learns an IPv6-only responder: AAAA with its zone, A first among the addresses', () => {
    const store = new MdnsRecordStore();
    const source = 'fe80::8:1%eth0';
    store.asked([{ type: 'PTR', domain: '_http._tcp.local' }]);
    store.add(
      source,
      decodeResponse(
        response(
          [{ name: '_http._tcp.local', type: 'PTR', data: 'Plug._http._tcp.local' }],
          [
            { name: 'Plug._http._tcp.local', type: 'SRV', data: { port: 80, target: 'plug.local' } },
            { name: 'plug.local', type: 'AAAA', data: 'fe80::8:1' },
            { name: 'plug.local', type: 'AAAA', data: '2001:db8::8' },
          ],
        ),
      ) ?? [],
    );
    const v6Only = only(store.instances());
    expect(v6Only).toMatchObject({ a: [], aaaa: ['fe80::8:1%eth0', '2001:db8::8'], family: 6, passive: false });
    expect(addressCandidates(v6Only)).toEqual([source]);
    expect(instanceFields(v6Only)).toMatchObject({ 'mdns.family': '6', 'mdns.aaaa': 'fe80::8:1%eth0,2001:db8::8' });
    expect(instanceFields(v6Only)['mdns.a']).toBeUndefined();

    // The same records heard over IPv4 add the A record; the link-local AAAA stays one entry, with its zone.
    store.add('192.168.77.21', decodeResponse(response([{ name: 'plug.local', type: 'AAAA', data: 'fe80::8:1' }])) ?? []);
    expect(store.instances()[0]?.aaaa).toEqual(['fe80::8:1%eth0', '2001:db8::8']);
    store.add(source, decodeResponse(response([{ name: 'plug.local', type: 'A', data: '192.168.77.21' }])) ?? []);
    const dual = only(store.instances());
    // Answers came over IPv6 only, but the device has an IPv4 address: that is its address.
    expect(dual.family).toBe(6);
    expect(addressCandidates(dual)).toEqual(['192.168.77.21', source]);
  });

  it('marks instances learnt from announcements nobody asked for', () => {
    const store = new MdnsRecordStore();
    store.asked([{ type: 'PTR', domain: SERVICE_TYPES_NAME }]);
    store.add(
      '192.168.77.22',
      decodeResponse(
        response([
          { name: '_hap._tcp.local', type: 'PTR', data: 'Thermostat._hap._tcp.local' },
          { name: 'Thermostat._hap._tcp.local', type: 'SRV', data: { port: 8080, target: 'thermo.local' } },
        ]),
      ) ?? [],
    );
    store.asked([{ type: 'PTR', domain: '_ipp._tcp.local' }]);
    store.add('192.168.77.23', decodeResponse(response([{ name: '_ipp._tcp.local', type: 'PTR', data: 'Printer._ipp._tcp.local' }])) ?? []);
    const byName = new Map(store.instances().map((instance) => [instance.instance, instance]));
    expect(byName.get('Thermostat')?.passive).toBe(true);
    expect(instanceFields(byName.get('Thermostat') as ServiceInstance)['mdns.passive']).toBe('yes');
    expect(byName.get('Printer')?.passive).toBe(false);
    expect(instanceFields(byName.get('Printer') as ServiceInstance)['mdns.passive']).toBeUndefined();
  });

  it('records subtypes and the instance they point at', () => {
    expect(parseSubtype('_universal._sub._ipp._tcp.local')).toEqual({ subtype: '_universal', serviceType: '_ipp._tcp.local' });
    expect(parseSubtype('_ipp._tcp.local')).toBeUndefined();
    const store = new MdnsRecordStore();
    store.add(
      '192.168.77.93',
      decodeResponse(
        response([
          { name: '_universal._sub._ipp._tcp.local', type: 'PTR', data: 'Office Printer._ipp._tcp.local' },
          { name: '_print._sub._ipp._tcp.local', type: 'PTR', data: 'Office Printer._ipp._tcp.local' },
        ]),
      ) ?? [],
    );
    const instance = only(store.instances());
    expect(instance).toMatchObject({ serviceType: '_ipp._tcp.local', instance: 'Office Printer', subtypes: ['_universal', '_print'] });
    expect(instanceFields(instance)['mdns.subtypes']).toBe('_universal,_print');
  });

  it('strips the service type as a suffix only', () => {
    expect(instanceName('Living Room.TV._googlecast._tcp.local', '_googlecast._tcp.local')).toBe('Living Room.TV');
    expect(instanceName('Küche.Steckdose v1.2 – Kaffeemaschine._http._tcp.local', '_http._tcp.local')).toBe('Küche.Steckdose v1.2 – Kaffeemaschine');
    expect(instanceName('Odd._GoogleCast._TCP.local', '_googlecast._tcp.local')).toBe('Odd');
    expect(instanceName('not-matching.local', '_http._tcp.local')).toBe('not-matching.local');
    expect(isServiceType('_printer._sub._http._tcp.local')).toBe(false);
  });

  it('follows RFC 6763 TXT rules: first key wins, keys case-insensitive, junk keys skipped', () => {
    const entries = ['MD=Google Home', 'md=ignored', '=novalue', 'bad key=x', 'fn=Küche'].map(bytes);
    expect(txtFields(entries)).toEqual({ 'mdns.txt.md': 'Google Home', 'mdns.txt.fn': 'Küche' });
    expect(txtFields([Uint8Array.from([0x6b, 0x3d, 0x1b, 0x5b, 0x32, 0x4a])])).toEqual({ 'mdns.txt.k': '\\x1b[2J' });
  });

  it('keeps the whole TXT record losslessly: valueless keys, empty values, binary, commas', () => {
    const entries = [bytes('flag'), bytes('empty='), Uint8Array.from([0x62, 0x3d, 0x00, 0xfe, 0x5c]), bytes('note=a, b'), bytes('md=Kaffee')];
    const text = txtRecordText(entries);
    expect(text).toBe('flag, empty=, b=\\x00\\xfe\\\\, note=a\\x2c b, md=Kaffee');
    expect([...text].filter(isControl)).toEqual([]);
    // Splitting on ", " gives back one piece per entry, `flag` and `empty=` still apart.
    expect(text.split(', ')).toHaveLength(entries.length);
    expect(txtFields(entries)).toMatchObject({ 'mdns.txt.flag': '', 'mdns.txt.empty': '', 'mdns.txt.b': '\\x00\\xfe\\\\' });
  });

  it('ignores queries and garbage', () => {
    expect(decodeResponse(hexFixture('mdns/services-query.hex'))).toBeUndefined();
    expect(decodeResponse(Uint8Array.from({ length: 300 }, (_, index) => (index * 89) % 256))).toBeUndefined();
    expect(decodeResponse(new Uint8Array(3))).toBeUndefined();
    // A compression pointer that points forward (a loop attempt).
    const loop = Uint8Array.from([0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0xc0, 0x0c, 0, 12, 0, 1, 0, 0, 0, 10, 0, 2, 0xc0, 0x0c]);
    expect(decodeResponse(loop)).toBeUndefined();
  });

  it('never throws on garbage: random bytes, truncations and bit flips of real answers', () => {
    const real = hexFixture('mdns/axis-http-response.hex');
    const inputs: Uint8Array[] = [];
    for (let seed = 1; seed <= 500; seed++) inputs.push(seededBytes(seed, seed % 700));
    for (let cut = 0; cut < real.length; cut++) inputs.push(real.subarray(0, cut));
    for (let seed = 1; seed <= 500; seed++) {
      const [at = 0, mask = 1, high = 0] = seededBytes(seed, 3);
      const flipped = new Uint8Array(real);
      flipped[at % flipped.length] = (flipped[at % flipped.length] ?? 0) ^ mask;
      flipped[high % flipped.length] = (flipped[high % flipped.length] ?? 0) ^ 0x80;
      inputs.push(flipped);
    }
    for (const input of inputs) {
      const store = new MdnsRecordStore();
      expect(() => {
        const records = decodeResponse(input);
        store.add('192.168.77.9', records ?? []);
        for (const instance of store.instances()) instanceFields(instance);
        encodeQuery(store.followUps());
        txtRecordText([input]);
        txtFields([input]);
      }).not.toThrow();
    }
  });
});
