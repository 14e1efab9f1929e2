// What is really on the lab network while the benchmark runs: every lab device and crowd host,
// and every TCP port that listens on an address the scanner can reach, read from the kernel of
// each namespace (`ss -Htln`), not from what the devices declare.
import { execFile } from 'node:child_process';
import { CROWD_NAMESPACE, type CrowdHost } from '../src/lab/crowd.js';
import { namespaceFor } from '../src/lab/namespaces.js';
import { LAB_DEVICES } from '../src/lab/registry.js';

export interface LabTruth {
  hosts: string[];
  /** `address:port`. */
  openPorts: string[];
  /** Expected findings of the lab devices: `address check port`. */
  findings: string[];
}

/** Listening TCP sockets of a namespace as [local address, port]. */
function listeningSockets(namespace: string): Promise<[string, number][]> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', namespace, 'ss', '-Htln'], { timeout: 10_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
      if (error) {
        reject(new Error(`ss in ${namespace}: ${error.message}`));
        return;
      }
      const sockets: [string, number][] = [];
      for (const line of stdout.split('\n')) {
        // State Recv-Q Send-Q Local:Port Peer:Port
        const local = line.trim().split(/\s+/)[3];
        const match = local === undefined ? null : /^(.*):(\d+)$/.exec(local);
        if (match) sockets.push([match[1] ?? '', Number(match[2])]);
      }
      resolve(sockets);
    });
  });
}

/** Wildcard listeners reach the host's IPv4 address too. */
const WILDCARDS = new Set(['0.0.0.0', '*', '[::]']);

export async function labTruth(crowd: readonly CrowdHost[]): Promise<LabTruth> {
  const openPorts = new Set<string>();
  for (const { spec } of LAB_DEVICES) {
    for (const [address, port] of await listeningSockets(namespaceFor(spec.id))) {
      if (WILDCARDS.has(address) || address === spec.ipv4) openPorts.add(`${spec.ipv4}:${port}`);
    }
  }
  if (crowd.length > 0) {
    const crowdAddresses = new Set(crowd.map((host) => host.ipv4));
    for (const [address, port] of await listeningSockets(CROWD_NAMESPACE)) if (crowdAddresses.has(address)) openPorts.add(`${address}:${port}`);
  }
  return {
    hosts: [...LAB_DEVICES.map(({ spec }) => spec.ipv4), ...crowd.map((host) => host.ipv4)],
    openPorts: [...openPorts],
    findings: LAB_DEVICES.flatMap(({ spec }) => spec.expectedFindings.map((finding) => `${spec.ipv4} ${finding.check} ${finding.port}`)),
  };
}
