// The scan's event stream: one typed union, past tense. The TUI, the JSON writers and the store
// all consume the same stream, so they can never disagree.
import type { Finding, Host, Observation, ProbeStatus, RunStatus, ScanRun, Service } from './model.js';

export const PHASES = ['discover', 'identify', 'check', 'judge'] as const;
export type Phase = (typeof PHASES)[number];

export type DiscoveryMethod = 'mdns' | 'ssdp' | 'tcp' | 'neighbour';

export type ScanEvent =
  | { type: 'run-started'; run: ScanRun }
  | { type: 'host-found'; address: string; via: DiscoveryMethod }
  /** The full, current picture of a host; sent again whenever it improves. Keyed by address. */
  | { type: 'host-identified'; address: string; host: Host }
  /** `address` turned out to be the same device as `into` (same MAC, UDN, serial or TXT id); its view moves there. */
  | { type: 'host-merged'; address: string; into: string }
  | { type: 'service-found'; address: string; service: Service }
  | { type: 'observation'; observation: Observation }
  | {
      type: 'probe-finished';
      probe: string;
      address: string;
      port?: number;
      status: ProbeStatus;
      durationMs: number;
      detail?: string;
    }
  | { type: 'finding'; address: string; finding: Finding }
  | { type: 'progress'; phase: Phase; done: number; total: number }
  | { type: 'warning'; message: string }
  | { type: 'run-finished'; status: Exclude<RunStatus, 'running'>; finishedAt: string; error?: string };

export type ScanEventType = ScanEvent['type'];
