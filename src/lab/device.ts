// A simulated lab device: its place on the virtual LAN, who it pretends to be, what a correct
// scanner must report about it (the lab's ground truth), and how to start its servers.
import type { Severity, Transport } from '../core/model.js';

export interface ExpectedFinding {
  /** A check id of signatures/practices. */
  check: string;
  port: number;
  transport: Transport;
  severity: Severity;
}

export interface DeviceTruth {
  vendor: string;
  model: string;
  type: string;
  firmware?: string;
}

export interface LabDeviceSpec {
  /** Short kebab-case id; the namespace is `<lab name>-<id>` (`iotlab-<id>` by default). */
  id: string;
  ipv4: string;
  mac: string;
  hostname: string;
  truth: DeviceTruth;
  /**
   * Every finding above info a correct scanner reports with --check-credentials, and the info ones
   * the lab vouches for too; the end-to-end test asserts each.
   */
  expectedFindings: ExpectedFinding[];
  /** Checks that must NOT be reported for this device (negative cases). */
  mustNotReport?: string[];
  /**
   * Attempt-counter services a scanner must never touch, because touching them does harm (a raw
   * print port prints whatever it receives): any count above zero is a failure.
   */
  mustNotTouch?: string[];
  /** A global IPv6 address in the lab's /64 (registry.ts), besides the link-local one every host has. */
  ipv6Global?: string;
  /** The MAC is locally administered (randomised per network, as phones do). */
  macRandomised?: boolean;
  /**
   * Where the device moves between two runs (move.ts). Such a device re-reads its address on
   * SIGHUP, as a real one does when its DHCP lease changes.
   */
  alternateIpv4?: string;
}

export interface RunningDevice {
  stop(): Promise<void>;
}

/** Counts login attempts a device receives, so tests can assert that credential budgets hold. */
export interface AttemptCounter {
  record(service: string): void;
}

export interface LabDevice {
  spec: LabDeviceSpec;
  /** Starts every server of the device inside its own namespace (the process already runs there). */
  start(context: { attempts: AttemptCounter }): Promise<RunningDevice>;
}
