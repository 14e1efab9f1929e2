// mDNS, SSDP and UPnP IGD probes end to end. Multicast may only be sent inside network namespaces
// this test creates: a switch, a scanner and three devices (lan.ts), no other link, no route.
// Everything is removed afterwards, pass or fail. Needs root and iproute2.
//
//   192.168.77.1   fe80::1   scanner
//   192.168.77.20  fe80::20  IPv4 camera + IGD (device.mjs)
//   192.168.77.21  fe80::21  speaker that does mDNS and SSDP over IPv6 only (speaker6.mjs)
//   192.168.77.22  fe80::22  plug that answers only a unicast M-SEARCH (unicast-only.mjs),
//   192.168.77.23            ... and a web server there that no one may contact
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeOutput } from '../../src/engine/probe.js';
import { buildUnicastSearch } from '../../probes/ssdp/codec.js';
import { NamespaceLan, canMakeNamespaces } from '../fixtures/netns/lan.js';
import type { Running } from '../fixtures/netns/lan.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const CAMERA = '192.168.77.20';
const SPEAKER = '192.168.77.21';
const SPEAKER_LINK_LOCAL = 'fe80::21%eth0';
const PLUG = '192.168.77.22';
const OFFSITE = '192.168.77.23';

const available = canMakeNamespaces();
const lan = new NamespaceLan(`iotscan-t${process.pid}`);

type Observation = Extract<ProbeOutput, { kind: 'observation' }>;
let results: { mdns: ProbeOutput[]; ssdp: ProbeOutput[]; igd: ProbeOutput[] } | undefined;
let speaker: Running | undefined;
let plug: Running | undefined;

const observations = (outputs: ProbeOutput[]): Observation[] => outputs.filter((output): output is Observation => output.kind === 'observation');
const about = (outputs: ProbeOutput[], address: string): Observation[] => observations(outputs).filter((observation) => observation.address === address);

describe.skipIf(!available)('discovery probes in a namespace-only LAN', () => {
  beforeAll(async () => {
    lan.create([
      { id: 'scan', ipv4: ['192.168.77.1'], linkLocal: 'fe80::1' },
      { id: 'cam', ipv4: [CAMERA], linkLocal: 'fe80::20' },
      { id: 'spk', ipv4: [SPEAKER], linkLocal: 'fe80::21' },
      { id: 'plug', ipv4: [PLUG, OFFSITE], linkLocal: 'fe80::22' },
    ]);
    const ready = (out: string): boolean => out.includes('ready');
    const camera = lan.run('cam', [process.execPath, 'tests/fixtures/netns/device.mjs', CAMERA], ready, 10_000, ROOT);
    speaker = lan.run('spk', [process.execPath, 'tests/fixtures/netns/speaker6.mjs', SPEAKER, 'fe80::21'], ready, 10_000, ROOT);
    plug = lan.run('plug', [process.execPath, 'tests/fixtures/netns/unicast-only.mjs', PLUG, OFFSITE], ready, 10_000, ROOT);
    await Promise.all([camera.ready, speaker.ready, plug.ready]);
    const scan = lan.run(
      'scan',
      [process.execPath, 'node_modules/vite-node/vite-node.mjs', 'tests/fixtures/netns/scan.ts', '192.168.77.0/24', [CAMERA, SPEAKER, PLUG, OFFSITE].join(',')],
      (out) => out.trimEnd().endsWith('}'),
      50_000,
      ROOT,
    );
    results = JSON.parse(await scan.ready) as typeof results;
  }, 70_000);

  afterAll(async () => {
    await lan.remove();
  });

  it('mdns enumerates the IPv4 camera with bounded follow-ups and checks unicast replies', () => {
    const outputs = results?.mdns ?? [];
    expect(outputs.at(-1)).toEqual({ kind: 'status', status: 'success' });
    expect(about(outputs, CAMERA)).toEqual([
      {
        kind: 'observation',
        address: CAMERA,
        port: 80,
        transport: 'tcp',
        fields: {
          'mdns.service': '_http._tcp',
          'mdns.instance': 'AXIS M1011 - 00408C1A2B3C',
          'mdns.family': '4',
          'mdns.hostname': 'axis-00408c1a2b3c.local',
          'mdns.a': CAMERA,
          'mdns.txt.macaddress': '00408C1A2B3C',
          'mdns.txt.bare': '',
          'mdns.txt': 'macaddress=00408C1A2B3C, Bare',
        },
      },
      { kind: 'observation', address: CAMERA, port: 5353, transport: 'udp', fields: { 'mdns.unicast-reply': 'yes', 'mdns.family': '4' } },
    ]);
  });

  it('mdns finds the IPv6-only speaker with A and AAAA, its dotted UTF-8 instance name and lossless TXT', () => {
    const outputs = results?.mdns ?? [];
    // SRV and TXT came back, so the follow-up asked for the instance as one label (the speaker checks).
    expect(about(outputs, SPEAKER)).toEqual([
      {
        kind: 'observation',
        address: SPEAKER,
        port: 80,
        transport: 'tcp',
        fields: {
          'mdns.service': '_http._tcp',
          'mdns.instance': 'Küche.Steckdose v1.2 – Kaffeemaschine',
          'mdns.family': '6',
          'mdns.hostname': 'kaffee.local',
          'mdns.a': SPEAKER,
          'mdns.aaaa': SPEAKER_LINK_LOCAL,
          'mdns.txt.md': 'Kaffee',
          'mdns.txt.flag': '',
          'mdns.txt.empty': '',
          'mdns.txt.b': '\\x00\\x01\\xfe\\x1b',
          'mdns.txt': 'md=Kaffee, flag, empty=, b=\\x00\\x01\\xfe\\x1b',
        },
      },
      // The unicast query went to where it answers from: its link-local address.
      { kind: 'observation', address: SPEAKER, port: 5353, transport: 'udp', fields: { 'mdns.unicast-reply': 'yes', 'mdns.family': '6' } },
    ]);
  });

  it('mdns keeps an announcement nobody asked for, at the link-local address with its zone', () => {
    expect(about(results?.mdns ?? [], SPEAKER_LINK_LOCAL)).toEqual([
      {
        kind: 'observation',
        address: SPEAKER_LINK_LOCAL,
        port: 8080,
        transport: 'tcp',
        fields: {
          'mdns.service': '_hap._tcp',
          'mdns.instance': 'Thermostat',
          'mdns.family': '6',
          'mdns.hostname': 'thermo.local',
          'mdns.aaaa': SPEAKER_LINK_LOCAL,
          'mdns.passive': 'yes',
          'mdns.txt.md': 'Thermo',
          'mdns.txt': 'md=Thermo',
        },
      },
    ]);
  });

  it('ssdp reports the IPv4 answers, the described devices and services, the off-site LOCATION and the reflection', () => {
    const outputs = results?.ssdp ?? [];
    expect(outputs.at(-1)).toEqual({ kind: 'status', status: 'success' });
    const seen = about(outputs, CAMERA);
    const answers = seen.filter((observation) => 'ssdp.usn' in observation.fields);
    expect(answers.map((observation) => observation.fields['ssdp.st']).sort()).toEqual([
      'upnp:rootdevice',
      'urn:example:device:Offsite:1',
      'urn:schemas-upnp-org:device:InternetGatewayDevice:2',
      'urn:schemas-upnp-org:service:WANIPConnection:2',
    ]);
    expect(answers.every((observation) => observation.fields['ssdp.family'] === '4')).toBe(true);
    expect(seen.filter((observation) => 'ssdp.location-offsite' in observation.fields).map((observation) => observation.fields)).toEqual([
      { 'ssdp.location-offsite': 'http://203.0.113.9/desc.xml' },
    ]);
    const devices = seen.filter((observation) => 'upnp.udn' in observation.fields);
    expect(devices).toHaveLength(3);
    expect(devices[0]).toMatchObject({ port: 5000, transport: 'tcp', fields: { 'upnp.friendlyName': 'OpenWrt router', 'upnp.modelNumber': '23.05' } });
    expect(seen.find((observation) => observation.fields['upnp.serviceType'] === 'urn:schemas-upnp-org:service:WANIPConnection:2')?.fields).toEqual({
      'upnp.serviceType': 'urn:schemas-upnp-org:service:WANIPConnection:2',
      'upnp.controlURL': '/ctl/IPConn',
      'upnp.eventSubURL': '/evt/IPConn',
      'upnp.location': `http://${CAMERA}:5000/rootDesc.xml`,
    });
    const reflection = seen.find((observation) => 'ssdp.unicast-replies' in observation.fields);
    expect(reflection?.port).toBe(1900);
    expect(reflection?.fields['ssdp.unicast-replies']).toBe('4');
    expect(Number(reflection?.fields['ssdp.unicast-reply-bytes'])).toBeGreaterThan(Number(reflection?.fields['ssdp.unicast-request-bytes']));
  });

  it('ssdp searches over IPv6, hears NOTIFY alive there, and fetches the description from the link-local address', () => {
    const seen = about(results?.ssdp ?? [], SPEAKER_LINK_LOCAL);
    const searched = seen.filter((observation) => 'ssdp.usn' in observation.fields && !('ssdp.passive' in observation.fields));
    expect(searched.map((observation) => observation.fields['ssdp.st']).sort()).toEqual([
      'upnp:rootdevice',
      'urn:example:device:Offsite:1',
      'urn:schemas-upnp-org:device:Basic:1',
    ]);
    expect(searched.every((observation) => observation.fields['ssdp.family'] === '6')).toBe(true);
    expect(searched.find((observation) => observation.fields['ssdp.st'] === 'upnp:rootdevice')?.fields['ssdp.location']).toBe('http://[fe80::21]:5000/desc.xml');
    expect(seen.filter((observation) => observation.fields['ssdp.passive'] === 'yes').map((observation) => observation.fields)).toEqual([
      {
        'ssdp.server': 'Linux/5.10 UPnP/1.1 Thermo/2.0',
        'ssdp.st': 'urn:schemas-upnp-org:device:Basic:1',
        'ssdp.usn': 'uuid:5e1f0c2a-6b6b-4c1d-9a3e-0000000000a6::urn:schemas-upnp-org:device:Basic:1',
        'ssdp.location': 'http://[fe80::21]:5000/desc.xml',
        'ssdp.nts': 'ssdp:alive',
        'ssdp.passive': 'yes',
        'ssdp.family': '6',
      },
    ]);
    expect(seen.filter((observation) => 'upnp.udn' in observation.fields).map((observation) => [observation.port, observation.fields['upnp.friendlyName']])).toEqual([
      [5000, 'Hallway Thermostat'],
      [5000, 'Hallway Sensor'],
    ]);
    expect(seen.find((observation) => 'upnp.serviceType' in observation.fields)?.fields).toEqual({
      'upnp.serviceType': 'urn:example:service:Temperature:1',
      'upnp.controlURL': '/ctl/temp',
      'upnp.location': 'http://[fe80::21]:5000/desc.xml',
    });
    expect(speaker?.stdout().match(/description-request \/desc\.xml/g)).toHaveLength(1);
    const reflection = seen.find((observation) => 'ssdp.unicast-replies' in observation.fields);
    expect(reflection?.fields['ssdp.unicast-replies']).toBe('3');
  });

  it('ssdp records a LOCATION on another in-scope host as off-site and never contacts that host', () => {
    expect(about(results?.ssdp ?? [], SPEAKER_LINK_LOCAL).filter((observation) => 'ssdp.location-offsite' in observation.fields).map((observation) => observation.fields)).toEqual([
      { 'ssdp.location-offsite': `http://${OFFSITE}:8080/desc.xml` },
    ]);
    expect(plug?.stdout()).not.toContain('offsite-request');
    expect(about(results?.ssdp ?? [], OFFSITE)).toEqual([]);
  });

  it('ssdp hears NOTIFY byebye over IPv4 and describes nothing for it', () => {
    expect(about(results?.ssdp ?? [], SPEAKER).map((observation) => observation.fields)).toEqual([
      {
        'ssdp.st': 'urn:example:device:Sensor:1',
        'ssdp.usn': 'uuid:sensor-gone::urn:example:device:Sensor:1',
        'ssdp.nts': 'ssdp:byebye',
        'ssdp.passive': 'yes',
        'ssdp.family': '4',
      },
      // It announced, so it was searched by unicast too: over IPv4 it answers nothing.
      { 'ssdp.unicast-reply-bytes': '0', 'ssdp.unicast-request-bytes': String(buildUnicastSearch(SPEAKER, 'ssdp:all').length), 'ssdp.unicast-replies': '0' },
    ]);
  });

  it('ssdp finds the unicast-only plug through the unicast M-SEARCH and fetches its description', () => {
    const seen = about(results?.ssdp ?? [], PLUG);
    expect(seen.find((observation) => 'ssdp.usn' in observation.fields)?.fields).toEqual({
      'ssdp.server': 'Unspecified, UPnP/1.0, Unspecified',
      'ssdp.st': 'upnp:rootdevice',
      'ssdp.usn': 'uuid:Socket-1_0-221234K0100001::upnp:rootdevice',
      'ssdp.location': `http://${PLUG}:49153/setup.xml`,
      'ssdp.unicast-only': 'yes',
      'ssdp.family': '4',
    });
    expect(seen.find((observation) => 'upnp.udn' in observation.fields)).toMatchObject({
      port: 49153,
      transport: 'tcp',
      fields: { 'upnp.manufacturer': 'Belkin International Inc.', 'upnp.modelName': 'Socket', 'upnp.serialNumber': '221234K0100001' },
    });
    expect(seen.find((observation) => 'ssdp.unicast-replies' in observation.fields)?.fields['ssdp.unicast-replies']).toBe('1');
    expect(plug?.stdout().match(/description-request \/setup\.xml/g)).toHaveLength(1);
  });

  it('upnp-igd reads the mapping table of the IGD that ssdp found', () => {
    const outputs = results?.igd ?? [];
    expect(outputs.at(-1)).toEqual({ kind: 'status', status: 'success' });
    expect(observations(outputs).map((observation) => observation.fields)).toEqual([
      { 'upnp.igd.control-url': '/ctl/IPConn', 'upnp.igd.unauthenticated': 'yes' },
      expect.objectContaining({ 'upnp.portmap.external-port': '8443', 'upnp.portmap.protocol': 'TCP' }),
    ]);
  });
});
