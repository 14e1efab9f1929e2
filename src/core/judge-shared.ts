// The one check that needs several hosts at once: the same TLS certificate or SSH host key on two
// devices means a key baked into the firmware (EN 303 645 5.4-3/5.4-4). Pure.
import type { Finding, Observation } from './model.js';
import { type Knowledge } from './judge-kit.js';
import { finishDraft } from './judge.js';

export interface DeviceKeys {
  /** The device's address as reported (its primary address). */
  address: string;
  observations: readonly Observation[];
}

const KEY_FIELDS = [
  { field: 'ssh.hostkey.sha256', what: 'SSH host key' },
  { field: 'tls.cert.sha256', what: 'TLS certificate' },
] as const;

/** Findings per device address, for every key seen on more than one device. */
export function judgeSharedKeys(devices: readonly DeviceKeys[], knowledge: Pick<Knowledge, 'practices'>): { address: string; finding: Finding }[] {
  const results: { address: string; finding: Finding }[] = [];
  for (const { field, what } of KEY_FIELDS) {
    const holders = new Map<string, { address: string; observation: Observation }[]>();
    for (const device of devices) {
      const seen = new Set<string>();
      for (const observation of device.observations) {
        const key = observation.fields[field];
        if (key === undefined || seen.has(key)) continue;
        seen.add(key);
        holders.set(key, [...(holders.get(key) ?? []), { address: device.address, observation }]);
      }
    }
    for (const [key, sharing] of holders) {
      if (sharing.length < 2) continue;
      for (const { address, observation } of sharing) {
        const others = sharing.filter((s) => s.address !== address).map((s) => s.address);
        results.push({
          address,
          finding: finishDraft(
            {
              check: 'shared-tls-or-ssh-key',
              confidence: 'high',
              ...(observation.port !== undefined && { port: observation.port }),
              ...(observation.transport !== undefined && { transport: observation.transport }),
              summary: `This device has the same ${what} as ${others.join(', ')}: the key was probably built into the firmware, so anyone with the same model can impersonate it.`,
              observations: [observation.id],
              facts: { [what]: key, 'also on': others.join(', ') },
            },
            knowledge,
          ),
        });
      }
    }
  }
  return results;
}
