// The data model shared by every stage. Pure types: no I/O, no node:* imports.

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const CONFIDENCES = ['low', 'medium', 'high'] as const;
export type Confidence = (typeof CONFIDENCES)[number];

export type Transport = 'tcp' | 'udp';

export const RUN_STATUSES = ['running', 'completed', 'interrupted', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Closed list of probe outcomes (zgrab2-style): expected network results are values, not exceptions. */
export const PROBE_STATUSES = [
  'success',
  'no-response',
  'connection-refused',
  'connection-timeout',
  'io-timeout',
  'protocol-mismatch',
  'skipped-by-policy',
  'aborted',
  'unknown-error',
] as const;
export type ProbeStatus = (typeof PROBE_STATUSES)[number];

export interface SignaturePackInfo {
  schemaVersion: number;
  packVersion: string;
  /** sha256 over every signature file, so an old scan can always be explained. */
  hash: string;
}

export interface ScanRun {
  id: string;
  startedAt: string;
  finishedAt?: string;
  status: RunStatus;
  targets: string[];
  profile: string;
  toolVersion: string;
  signatures: SignaturePackInfo;
}

/**
 * Raw evidence from a probe. Fields are flat and namespaced (`ssh.banner`, `mdns.txt.md`,
 * `upnp.modelName`); a field may repeat across observations, never inside one.
 */
export interface Observation {
  id: string;
  /** The IP address the evidence is about. */
  address: string;
  probe: string;
  port?: number;
  transport?: Transport;
  fields: Record<string, string>;
}

export interface Service {
  transport: Transport;
  port: number;
  /** Protocol name: ssh, telnet, http, ftp, rtsp, mqtt, upnp, snmp, mdns, ... */
  name: string;
  product?: string;
  version?: string;
  cpe?: string;
  banner?: string;
}

export interface IdentitySignal {
  /** The signature entry that matched, or `oui` for the MAC vendor. */
  source: string;
  /** The observation fields that led there, with the value seen. */
  fields: Record<string, string>;
}

export interface Identity {
  vendor?: string;
  model?: string;
  type?: string;
  firmware?: string;
  cpe?: string;
  signals: IdentitySignal[];
}

export interface Host {
  /** Stable id: `mac:…` when the MAC is known and not randomised, else `ip:…`. */
  id: string;
  /** Every address the device answered on in this run (IPv4 and IPv6); the first is the one it is reported under. */
  addresses: string[];
  mac?: string;
  macRandomised?: boolean;
  vendor?: string;
  names: string[];
  identity: Identity;
  /**
   * Identifiers that stay with the device when its address changes (vendor MAC, UPnP UDN, serial,
   * mDNS TXT ids; `mdns-host:` names are weak). History uses them to recognise it in later runs.
   */
  keys: string[];
  /** The device's id in the local history, stable across runs (set when a history is kept). */
  deviceId?: string;
  /** The name the user gave this device (`iotscan label`). */
  label?: string;
}

export interface Finding {
  /** A check id of the practice catalogue (signatures/practices). */
  check: string;
  /** The practice's title in plain words (what is wrong, as a heading). */
  title: string;
  severity: Severity;
  confidence: Confidence;
  port?: number;
  transport?: Transport;
  /** One line saying what was seen, in plain words. */
  summary: string;
  /** Observation ids behind the finding, plus the short facts a person needs. */
  evidence: { observations: string[]; facts: Record<string, string> };
  /** Practice references: EN 303 645 provisions, IS3C category, OWASP items. */
  practices: PracticeRefs;
  remedy: string;
  /** For credential findings: the signature entry that matched (never the password). */
  signature?: string;
  /** Why the confidence is not high, when it is not (e.g. a backported fix is possible). */
  confidenceReason?: string;
}

export interface PracticeRefs {
  en303645: string[];
  is3c: string;
  owasp: string[];
}

export interface Practice {
  id: string;
  title: string;
  severity: Severity;
  is3c: string;
  en303645: string[];
  owasp: string[];
  why: string;
  remedy: string;
  sources: string[];
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}
