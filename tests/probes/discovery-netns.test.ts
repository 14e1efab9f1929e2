// mDNS, SSDP and UPnP IGD probes end to end. Multicast may only be sent inside network namespaces
// this test creates: a scanner namespace and a device namespace joined by one veth pair, no other
// link, no route. Both are removed afterwards, pass or fail. Needs root and iproute2.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeOutput } from '../../src/engine/probe.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const SCANNER_NS = `iotscan-t${process.pid}-s`;
const DEVICE_NS = `iotscan-t${process.pid}-d`;
const SCANNER_ADDRESS = '192.168.77.1';
const DEVICE_ADDRESS = '192.168.77.20';

function canMakeNamespaces(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const available = canMakeNamespaces();

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe', timeout: 5000 });
}

function removeNamespaces(): void {
  for (const name of [SCANNER_NS, DEVICE_NS]) {
    try {
      ip('netns', 'del', name);
    } catch {
      // Not created (or already gone).
    }
  }
}

/** Runs a command inside a namespace; resolves with stdout once `done(stdout)` holds. */
function runIn(namespace: string, command: string[], done: (stdout: string) => boolean, timeoutMs: number): { child: ChildProcess; output: Promise<string> } {
  const child = spawn('ip', ['netns', 'exec', namespace, ...command], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = new Promise<string>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`timed out in ${namespace}: ${stderr}`)), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (done(stdout)) {
        clearTimeout(timer);
        resolve(stdout);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (done(stdout)) resolve(stdout);
      else reject(new Error(`exited with ${code} in ${namespace}: ${stderr}`));
    });
  });
  return { child, output };
}

type Observation = Extract<ProbeOutput, { kind: 'observation' }>;
let results: { mdns: ProbeOutput[]; ssdp: ProbeOutput[]; igd: ProbeOutput[] } | undefined;
let device: ChildProcess | undefined;

const observations = (outputs: ProbeOutput[]): Observation[] => outputs.filter((output): output is Observation => output.kind === 'observation');

describe.skipIf(!available)('discovery probes in a namespace-only LAN', () => {
  beforeAll(async () => {
    removeNamespaces();
    ip('netns', 'add', SCANNER_NS);
    ip('netns', 'add', DEVICE_NS);
    // The veth pair is created directly between the two namespaces, never in the root namespace.
    ip('link', 'add', 'v0', 'netns', SCANNER_NS, 'type', 'veth', 'peer', 'name', 'v1', 'netns', DEVICE_NS);
    ip('-n', SCANNER_NS, 'addr', 'add', `${SCANNER_ADDRESS}/24`, 'dev', 'v0');
    ip('-n', DEVICE_NS, 'addr', 'add', `${DEVICE_ADDRESS}/24`, 'dev', 'v1');
    for (const [namespace, link] of [
      [SCANNER_NS, 'v0'],
      [DEVICE_NS, 'v1'],
    ] as const) {
      ip('-n', namespace, 'link', 'set', 'lo', 'up');
      ip('-n', namespace, 'link', 'set', link, 'up');
    }
    const started = runIn(DEVICE_NS, [process.execPath, 'tests/fixtures/netns/device.mjs', DEVICE_ADDRESS], (out) => out.includes('ready'), 10_000);
    device = started.child;
    await started.output;
    const scan = runIn(
      SCANNER_NS,
      [process.execPath, 'node_modules/vite-node/vite-node.mjs', 'tests/fixtures/netns/scan.ts', '192.168.77.'],
      (out) => out.trimEnd().endsWith('}'),
      40_000,
    );
    results = JSON.parse(await scan.output) as typeof results;
  }, 60_000);

  afterAll(() => {
    if (device?.pid !== undefined && device.exitCode === null) device.kill('SIGTERM');
    removeNamespaces();
  });

  it('mdns enumerates the camera with bounded follow-ups and checks unicast replies', () => {
    const outputs = results?.mdns ?? [];
    expect(outputs.at(-1)).toEqual({ kind: 'status', status: 'success' });
    expect(observations(outputs)).toEqual([
      {
        kind: 'observation',
        address: DEVICE_ADDRESS,
        port: 80,
        transport: 'tcp',
        fields: {
          'mdns.service': '_http._tcp',
          'mdns.instance': 'AXIS M1011 - 00408C1A2B3C',
          'mdns.hostname': 'axis-00408c1a2b3c.local',
          'mdns.txt.macaddress': '00408C1A2B3C',
          'mdns.txt.bare': '',
        },
      },
      { kind: 'observation', address: DEVICE_ADDRESS, port: 5353, transport: 'udp', fields: { 'mdns.unicast-reply': 'yes' } },
    ]);
  });

  it('ssdp reports answers, the described devices and services, the off-site LOCATION and the reflection', () => {
    const outputs = results?.ssdp ?? [];
    expect(outputs.at(-1)).toEqual({ kind: 'status', status: 'success' });
    const seen = observations(outputs);
    expect(seen.every((observation) => observation.address === DEVICE_ADDRESS)).toBe(true);
    const answers = seen.filter((observation) => 'ssdp.usn' in observation.fields);
    expect(answers.map((observation) => observation.fields['ssdp.st']).sort()).toEqual([
      'upnp:rootdevice',
      'urn:example:device:Offsite:1',
      'urn:schemas-upnp-org:device:InternetGatewayDevice:2',
      'urn:schemas-upnp-org:service:WANIPConnection:2',
    ]);
    expect(seen.filter((observation) => 'ssdp.location-offsite' in observation.fields).map((observation) => observation.fields)).toEqual([
      { 'ssdp.location-offsite': 'http://203.0.113.9/desc.xml' },
    ]);
    const devices = seen.filter((observation) => 'upnp.udn' in observation.fields);
    expect(devices).toHaveLength(3);
    expect(devices[0]).toMatchObject({ port: 5000, transport: 'tcp', fields: { 'upnp.friendlyName': 'OpenWrt router', 'upnp.modelNumber': '23.05' } });
    expect(seen.find((observation) => observation.fields['upnp.serviceType'] === 'urn:schemas-upnp-org:service:WANIPConnection:2')?.fields).toEqual({
      'upnp.serviceType': 'urn:schemas-upnp-org:service:WANIPConnection:2',
      'upnp.controlURL': '/ctl/IPConn',
      'upnp.location': `http://${DEVICE_ADDRESS}:5000/rootDesc.xml`,
    });
    const reflection = seen.find((observation) => 'ssdp.unicast-replies' in observation.fields);
    expect(reflection?.port).toBe(1900);
    expect(reflection?.fields['ssdp.unicast-replies']).toBe('4');
    expect(Number(reflection?.fields['ssdp.unicast-reply-bytes'])).toBeGreaterThan(Number(reflection?.fields['ssdp.unicast-request-bytes']));
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
