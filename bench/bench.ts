// `npm run bench`: scans the lab with iotscan and with nmap from the same namespace, in one run,
// and prints the times, their ratio and each tool's recall of the lab's truth.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { labDown, labUp } from '../src/lab/lab.js';
import { LAB_DEVICES, LAB_SUBNET, SCANNER_NAMESPACE } from '../src/lab/registry.js';
import { IOT_PORTS } from '../src/engine/ports.js';
import { loadSignatures } from '../src/signatures/load.js';
import type { ScanDocument } from '../src/report/json.js';

const cli = fileURLToPath(new URL('../../bin/iotscan.js', import.meta.url));

function inScanner(command: string, args: string[]): Promise<{ stdout: string; seconds: number; code: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', SCANNER_NAMESPACE, command, ...args], { timeout: 600_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout) =>
      resolve({ stdout, seconds: Number(process.hrtime.bigint() - started) / 1e9, code: error ? 1 : 0 }),
    );
  });
}

const neverProbe = new Set(loadSignatures().neverProbe.filter((p) => p.transport === 'tcp').map((p) => p.port));
const ports = [...IOT_PORTS.keys()].filter((port) => !neverProbe.has(port));
// The lab's truth: every device, and every TCP port a declared finding sits on.
const truthHosts = LAB_DEVICES.map((d) => d.spec.ipv4);
const truthPorts = LAB_DEVICES.flatMap((d) => d.spec.expectedFindings.filter((f) => f.transport === 'tcp').map((f) => `${d.spec.ipv4}:${f.port}`));
const truthFindings = LAB_DEVICES.flatMap((d) => d.spec.expectedFindings.map((f) => `${d.spec.ipv4} ${f.check} ${f.port}`));
// Ports outside nmap's list are added for it too, so both tools look at the same ports.
const extraPorts = [...new Set(truthPorts.map((p) => Number(p.split(':')[1])))].filter((p) => !ports.includes(p));

const recall = (seen: Set<string>, truth: string[]) => `${truth.filter((t) => seen.has(t)).length}/${truth.length}`;

async function iotscan(extra: string[]) {
  const run = await inScanner(process.execPath, [cli, 'scan', LAB_SUBNET, '--format', 'json', '--no-history', ...extra]);
  const doc = JSON.parse(run.stdout) as ScanDocument;
  const hosts = new Set(doc.hosts.flatMap((h) => h.addresses));
  const open = new Set(doc.hosts.flatMap((h) => h.services.filter((s) => s.transport === 'tcp').map((s) => `${h.addresses[0]}:${s.port}`)));
  const findings = new Set(doc.hosts.flatMap((h) => h.findings.map((f) => `${h.addresses[0]} ${f.check} ${f.port}`)));
  const versions = doc.hosts.flatMap((h) => h.services).filter((s) => s.version !== null).length;
  return { seconds: run.seconds, hosts, open, findings, versions };
}

async function nmap() {
  const portList = [...ports, ...extraPorts].join(',');
  const run = await inScanner('nmap', ['-sT', '-T4', '-sV', '-n', '-p', portList, '-oX', '-', LAB_SUBNET]);
  const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', processEntities: false, isArray: (name) => ['host', 'port', 'address'].includes(name) }).parse(run.stdout) as {
    nmaprun?: { host?: { status: { state: string }; address: { addr: string; addrtype: string }[]; ports?: { port?: { portid: string; state: { state: string }; service?: { version?: string } }[] } }[] };
  };
  const hosts = new Set<string>();
  const open = new Set<string>();
  let versions = 0;
  for (const host of xml.nmaprun?.host ?? []) {
    if (host.status.state !== 'up') continue;
    const address = host.address.find((a) => a.addrtype === 'ipv4')?.addr ?? '';
    hosts.add(address);
    for (const port of host.ports?.port ?? []) {
      if (port.state.state !== 'open') continue;
      open.add(`${address}:${port.portid}`);
      if (port.service?.version) versions++;
    }
  }
  return { seconds: run.seconds, hosts, open, versions, code: run.code };
}

async function main() {
  await labUp();
  try {
    const plain = await iotscan([]);
    const withCredentials = await iotscan(['--check-credentials']);
    const peer = await nmap();
    const line = (name: string, r: { seconds: number; hosts: Set<string>; open: Set<string>; versions: number }, findings?: Set<string>) =>
      `${name.padEnd(34)} ${r.seconds.toFixed(2).padStart(7)} s   hosts ${recall(r.hosts, truthHosts)}   truth ports ${recall(r.open, truthPorts)}   versions ${String(r.versions).padStart(3)}${findings ? `   findings ${recall(findings, truthFindings)}` : ''}`;
    process.stdout.write(`lab: ${LAB_DEVICES.length} devices on ${LAB_SUBNET}, ${ports.length + extraPorts.length} TCP ports\n`);
    process.stdout.write(`${line('iotscan scan --format json', plain, plain.findings)}\n`);
    process.stdout.write(`${line('iotscan scan --check-credentials', withCredentials, withCredentials.findings)}\n`);
    process.stdout.write(`${line('nmap -sT -T4 -sV (same ports)', peer)}\n`);
    process.stdout.write(`ratio nmap / iotscan: ${(peer.seconds / plain.seconds).toFixed(2)}x (iotscan is ${peer.seconds > plain.seconds ? 'faster' : 'slower'})\n`);
    process.stdout.write(`time the credential checks add: ${(withCredentials.seconds - plain.seconds).toFixed(2)} s\n`);
  } finally {
    await labDown();
  }
}

await main();
