// The JSON document of one scan, for researchers and scripts. Its shape is fixed and documented in
// docs/output.schema.json: every key is always present, a value not known is `null`.
import type { HostView, PlannedLogin, ScanState } from '../core/reduce.js';
import { deviceVerdict, homeVerdict, type HomeVerdict, type Verdict } from '../core/verdict.js';
import type { VendorQuestion } from '../signatures/schema.js';
import { adviceBeyondTheScan, type AdviceItem, type AdvicePractice } from '../core/advice.js';
import type { Confidence, Finding, RunStatus, Service, Severity, Transport } from '../core/model.js';
import { SEVERITIES } from '../core/model.js';

/** Bump when the document's shape changes; kept in step with docs/output.schema.json. */
export const OUTPUT_SCHEMA_VERSION = 3;

export interface ScanDocument {
  schemaVersion: number;
  run: {
    id: string;
    startedAt: string;
    finishedAt: string | null;
    status: RunStatus;
    targets: string[];
    profile: string;
    toolVersion: string;
    signatures: { schemaVersion: number; packVersion: string; hash: string };
  };
  hosts: HostDocument[];
  summary: { hosts: number; findings: Record<Severity, number> };
  /** The home's verdict, like a label: grade A-E, headline, reasons. */
  home: HomeVerdict;
  /** What no network scan can see: questions for the vendors. */
  askYourVendor: { topic: string; provisions: string[]; question: string }[];
  /** What a scan from inside cannot check (reachability from the Internet, update transport...), as advice. */
  advice: AdviceItem[];
}

/** The parts of the signature pack a report words its advice and questions with. */
export interface ReportKnowledge {
  vendorQuestions: readonly VendorQuestion[];
  practices: ReadonlyMap<string, AdvicePractice>;
}

export const NO_REPORT_KNOWLEDGE: ReportKnowledge = { vendorQuestions: [], practices: new Map() };

export interface HostDocument {
  id: string;
  /** The history's id for this device, stable across runs and address changes; null without history. */
  deviceId: string | null;
  label: string | null;
  /** Identifiers that stay with the device (vendor MAC, UDN, serial, TXT ids; `mdns-host:` is weak). */
  keys: string[];
  addresses: string[];
  mac: string | null;
  macRandomised: boolean | null;
  vendor: string | null;
  names: string[];
  identity: {
    vendor: string | null;
    model: string | null;
    type: string | null;
    firmware: string | null;
    cpe: string | null;
    signals: { source: string; fields: Record<string, string> }[];
  };
  services: ServiceDocument[];
  findings: FindingDocument[];
  verdict: Verdict;
  /** With --dry-run: the logins a credential check would try (never a password). */
  plannedLogins: PlannedLogin[];
}

export interface ServiceDocument {
  transport: Transport;
  port: number;
  name: string;
  product: string | null;
  version: string | null;
  cpe: string | null;
  banner: string | null;
}

export interface FindingDocument {
  check: string;
  title: string;
  severity: Severity;
  confidence: Confidence;
  confidenceReason: string | null;
  port: number | null;
  transport: Transport | null;
  summary: string;
  practices: { en303645: string[]; is3c: string; owasp: string[] };
  evidence: { observations: string[]; facts: Record<string, string> };
  remedy: string;
  signature: string | null;
}

/** Thrown when a document is asked for before the run has started: a wiring bug. */
export class NoRunError extends Error {
  constructor() {
    super('no run-started event was seen, so there is no scan to describe');
    this.name = 'NoRunError';
  }
}

function orNull<T>(value: T | undefined): T | null {
  return value === undefined ? null : value;
}

function serviceDocument(service: Service): ServiceDocument {
  return {
    transport: service.transport,
    port: service.port,
    name: service.name,
    product: orNull(service.product),
    version: orNull(service.version),
    cpe: orNull(service.cpe),
    banner: orNull(service.banner),
  };
}

function findingDocument(finding: Finding): FindingDocument {
  return {
    check: finding.check,
    title: finding.title,
    severity: finding.severity,
    confidence: finding.confidence,
    confidenceReason: orNull(finding.confidenceReason),
    port: orNull(finding.port),
    transport: orNull(finding.transport),
    summary: finding.summary,
    practices: {
      en303645: [...finding.practices.en303645],
      is3c: finding.practices.is3c,
      owasp: [...finding.practices.owasp],
    },
    evidence: { observations: [...finding.evidence.observations], facts: { ...finding.evidence.facts } },
    remedy: finding.remedy,
    signature: orNull(finding.signature),
  };
}

function hostDocument(view: HostView): HostDocument {
  const host = view.host;
  const identity = host?.identity;
  return {
    // A host never identified still appears, under the id the model gives an IP-only host.
    id: host?.id ?? `ip:${view.address}`,
    deviceId: orNull(host?.deviceId),
    label: orNull(host?.label),
    keys: host ? [...host.keys] : [],
    addresses: host ? [...host.addresses] : [view.address],
    mac: orNull(host?.mac),
    macRandomised: orNull(host?.macRandomised),
    vendor: orNull(host?.vendor),
    names: host ? [...host.names] : [],
    identity: {
      vendor: orNull(identity?.vendor),
      model: orNull(identity?.model),
      type: orNull(identity?.type),
      firmware: orNull(identity?.firmware),
      cpe: orNull(identity?.cpe),
      signals: identity ? identity.signals.map((signal) => ({ source: signal.source, fields: { ...signal.fields } })) : [],
    },
    services: view.services.map(serviceDocument),
    findings: view.findings.map(findingDocument),
    verdict: deviceVerdict(view.findings),
    plannedLogins: view.plannedLogins.map((login) => ({ ...login })),
  };
}

export function toScanDocument(state: ScanState, knowledge: ReportKnowledge = NO_REPORT_KNOWLEDGE): ScanDocument {
  const run = state.run;
  if (!run) throw new NoRunError();
  const findings = {} as Record<Severity, number>;
  for (const severity of SEVERITIES) findings[severity] = state.findingsBySeverity[severity];
  return {
    schemaVersion: OUTPUT_SCHEMA_VERSION,
    run: {
      id: run.id,
      startedAt: run.startedAt,
      finishedAt: orNull(run.finishedAt),
      status: run.status,
      targets: [...run.targets],
      profile: run.profile,
      toolVersion: run.toolVersion,
      signatures: {
        schemaVersion: run.signatures.schemaVersion,
        packVersion: run.signatures.packVersion,
        hash: run.signatures.hash,
      },
    },
    hosts: state.hosts.map(hostDocument),
    summary: { hosts: state.hosts.length, findings },
    home: homeVerdict(state.hosts.map((view) => view.findings)),
    askYourVendor: knowledge.vendorQuestions.map(({ topic, provisions, question }) => ({ topic, provisions: [...provisions], question })),
    advice: adviceBeyondTheScan(state.hosts, knowledge.practices.values()),
  };
}
