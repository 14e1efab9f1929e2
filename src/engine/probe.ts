// What a probe is (zgrab2's module, nmap's script): one folder in probes/, one entry in
// probes/index.ts. Probes do I/O only through `ctx.net`; their byte work lives in a pure codec.
import type { ProbeStatus, Transport } from '../core/model.js';
import type { FieldBag } from '../core/fields.js';
import type { Net } from './net.js';
import type { InfoPath, MediaPath } from '../signatures/schema.js';

export type ProbeCategory = 'discovery' | 'version' | 'safe' | 'intrusive';

export type ProbeOutput =
  | { kind: 'observation'; fields: Record<string, string>; address?: string; port?: number; transport?: Transport }
  | { kind: 'status'; status: ProbeStatus; detail?: string };

/** A probe aimed at one service (address + port) of a live host. */
export interface ServiceSubject {
  address: string;
  port: number;
  transport: Transport;
  /** Everything observed about this host so far (discovery, earlier probes). */
  hostFields: FieldBag;
  /** Fields observed on this port so far. */
  serviceFields: FieldBag;
}

export interface ProbeContext {
  subject: ServiceSubject;
  net: Net;
  signal: AbortSignal;
  /** Budget for one network step (connect, one read). */
  timeoutMs: number;
}

export interface ServiceProbe {
  kind: 'service';
  /** = folder name; the only spelling used anywhere. */
  id: string;
  /** The protocol name services found by this probe carry (ssh, http, ...). */
  protocol: string;
  categories: readonly ProbeCategory[];
  transport: Transport;
  defaultPorts: readonly number[];
  /** Observation fields it may emit; the signature lint checks matchers against these. Use `*` as a suffix wildcard (`mdns.txt.*`). */
  fields: readonly string[];
  /** The field holding the raw banner shown to people, if any. */
  bannerField?: string;
  appliesTo(subject: ServiceSubject): boolean;
  run(ctx: ProbeContext): AsyncIterable<ProbeOutput>;
}

/** A probe that looks at the whole segment at once (multicast discovery). */
export interface DiscoveryContext {
  net: Net;
  signal: AbortSignal;
  /** How long to listen for answers. */
  windowMs: number;
  /** Only addresses for which this returns true may be contacted directly (unicast). */
  inScope(address: string): boolean;
  /** Hosts the scan knows to be live so far (liveness sweep, neighbour table, other discovery). */
  liveHosts(): readonly string[];
  /** Settles when the liveness sweep has ended: from then on liveHosts() holds every host it found. */
  livenessDone: Promise<void>;
}

export interface DiscoveryProbe {
  kind: 'discovery';
  id: string;
  categories: readonly ProbeCategory[];
  transport: 'multicast';
  fields: readonly string[];
  /** Observations carry the `address` they are about. */
  run(ctx: DiscoveryContext): AsyncIterable<ProbeOutput>;
}

export type Probe = ServiceProbe | DiscoveryProbe;

/** The usual `appliesTo`: a service on one of the probe's own ports, over its transport. */
export function onPorts(transport: Transport, ports: readonly number[]): (subject: ServiceSubject) => boolean {
  return (subject) => subject.transport === transport && ports.includes(subject.port);
}

export type CredentialProtocol = 'telnet' | 'ssh' | 'http' | 'ftp' | 'mqtt' | 'rtsp' | 'snmp';

export interface Credential {
  username: string;
  password: string;
}

export type LoginRequirement =
  | { kind: 'login-required'; detail: string }
  | { kind: 'no-login'; detail: string }
  | { kind: 'unreachable'; status: ProbeStatus; detail?: string };

export type AttemptOutcome =
  | { kind: 'success'; evidence: string }
  | { kind: 'rejected' }
  | { kind: 'back-off'; reason: string }
  | { kind: 'abort'; reason: string };

export interface CredentialContext extends ProbeContext {
  /** Strategy parameters from the credential signature (e.g. the protected HTTP path). */
  params: Record<string, string>;
}

/** One per protocol. The engine owns budgets, spacing and stop-at-first-success. */
export interface CredentialDriver {
  protocol: CredentialProtocol;
  /** Named strategies this driver implements (basic-auth, telnet-prompt, ...). */
  strategies: readonly string[];
  /**
   * Strategies whose requiresLogin proves "wrong logins fail" by sending one wrong login (a made-up
   * user or community). The device sees it as a failed attempt, so the engine counts it in the budget.
   */
  baselineSpendsAttempt: readonly string[];
  requiresLogin(ctx: CredentialContext): Promise<LoginRequirement>;
  attempt(ctx: CredentialContext, credential: Credential): Promise<AttemptOutcome>;
}

/** Fields for the judge, or undefined when the page showed nothing worth a finding. */
type PageFields = Promise<Record<string, string> | undefined>;

/** The fetches of the pages a fingerprint names (status pages, picture and stream URLs). */
export interface PageChecks {
  info(ctx: ProbeContext, entry: InfoPath): PageFields;
  media(ctx: ProbeContext, entry: MediaPath): PageFields;
}
