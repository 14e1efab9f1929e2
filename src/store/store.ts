// The scan history: one more consumer of the event stream. Every event is written as it arrives,
// so a scan that dies midway keeps what it saw and is later marked interrupted.
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import Database from 'better-sqlite3';
import type { DiscoveryMethod, ScanEvent } from '../core/events.js';
import type { Finding, Host, Observation, RunStatus, ScanRun, Service, Transport } from '../core/model.js';
import { findingKey, initialScanState, reduceScan } from '../core/reduce.js';
import type { ScanState } from '../core/reduce.js';
import { isWeakKey } from '../core/device-keys.js';
import { migrate } from './schema.js';

export interface RunSummary {
  id: string;
  startedAt: string;
  finishedAt?: string;
  status: RunStatus;
  targets: string[];
  /** Addresses seen in the run. */
  hosts: number;
  findings: number;
}

export interface Store {
  readonly path: string;
  /** A consumer of one scan's event stream; it writes each event as it arrives. */
  recorder(): (event: ScanEvent) => void;
  /** For a scan being stopped: marks it interrupted unless it already finished. */
  markInterrupted(runId: string, finishedAt?: string): void;
  /** Newest first. */
  listRuns(limit: number): RunSummary[];
  /** The run's state rebuilt by replaying its stored rows through reduceScan; undefined if unknown. */
  loadRunState(runId: string): ScanState | undefined;
  /**
   * The history's id for the device with these keys: an earlier device sharing a strong key (or,
   * with no strong key, a weak one), else a new device. New keys are remembered for next time.
   */
  resolveDevice(keys: readonly string[], seenAt: string): { deviceId: string; label?: string };
  /** Names a device: `ref` is a device id, an address or MAC seen in the latest run that had it. Returns the device id. */
  setLabel(ref: string, label: string): string | undefined;
  setting(name: string): string | undefined;
  saveSetting(name: string, value: string): void;
  close(): void;
}

/** `$XDG_DATA_HOME/iotscan/history.db`, else `~/.local/share/iotscan/history.db`. */
export function defaultDbPath(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const xdg = env['XDG_DATA_HOME'];
  // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
  const dataHome = xdg && isAbsolute(xdg) ? xdg : join(env['HOME'] || homedir(), '.local', 'share');
  return join(dataHome, 'iotscan', 'history.db');
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface RunRow {
  id: string;
  started_at: string;
  finished_at: string | null;
  status: RunStatus;
  targets: string;
  profile: string;
  tool_version: string;
  signatures_schema_version: number;
  signatures_pack_version: string;
  signatures_hash: string;
  pid: number | null;
  error: string | null;
}

interface HostRow {
  address: string;
  discovered_via: string;
  host: string | null;
  merged_into: string | null;
}

interface ServiceRow {
  address: string;
  transport: Transport;
  port: number;
  name: string;
  product: string | null;
  version: string | null;
  cpe: string | null;
  banner: string | null;
}

interface ObservationRow {
  id: string;
  address: string;
  probe: string;
  port: number | null;
  transport: Transport | null;
  fields: string;
}

interface FindingRow {
  address: string;
  check_id: string;
  title: string | null;
  severity: Finding['severity'];
  confidence: Finding['confidence'];
  confidence_reason: string | null;
  port: number | null;
  transport: Transport | null;
  summary: string;
  practices: string;
  evidence: string;
  remedy: string;
  signature: string | null;
}

function runFromRow(row: RunRow): ScanRun {
  const run: ScanRun = {
    id: row.id,
    startedAt: row.started_at,
    status: row.status,
    targets: JSON.parse(row.targets) as string[],
    profile: row.profile,
    toolVersion: row.tool_version,
    signatures: {
      schemaVersion: row.signatures_schema_version,
      packVersion: row.signatures_pack_version,
      hash: row.signatures_hash,
    },
  };
  if (row.finished_at !== null) run.finishedAt = row.finished_at;
  return run;
}

function serviceFromRow(row: ServiceRow): Service {
  const service: Service = { transport: row.transport, port: row.port, name: row.name };
  if (row.product !== null) service.product = row.product;
  if (row.version !== null) service.version = row.version;
  if (row.cpe !== null) service.cpe = row.cpe;
  if (row.banner !== null) service.banner = row.banner;
  return service;
}

function observationFromRow(row: ObservationRow): Observation {
  const observation: Observation = {
    id: row.id,
    address: row.address,
    probe: row.probe,
    fields: JSON.parse(row.fields) as Record<string, string>,
  };
  if (row.port !== null) observation.port = row.port;
  if (row.transport !== null) observation.transport = row.transport;
  return observation;
}

function findingFromRow(row: FindingRow): Finding {
  const finding: Finding = {
    check: row.check_id,
    // Runs recorded before titles existed show the check id.
    title: row.title ?? row.check_id,
    severity: row.severity,
    confidence: row.confidence,
    summary: row.summary,
    practices: JSON.parse(row.practices) as Finding['practices'],
    evidence: JSON.parse(row.evidence) as Finding['evidence'],
    remedy: row.remedy,
  };
  if (row.confidence_reason !== null) finding.confidenceReason = row.confidence_reason;
  if (row.port !== null) finding.port = row.port;
  if (row.transport !== null) finding.transport = row.transport;
  if (row.signature !== null) finding.signature = row.signature;
  return finding;
}

export function openStore(path: string): Store {
  const inMemory = path === ':memory:';
  const isNew = inMemory || !existsSync(path);
  // The history describes a household's network: keep it private to its owner.
  if (!inMemory) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path);
  if (isNew && !inMemory) chmodSync(path, 0o600);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);

  const statements = {
    insertRun: db.prepare(`
      INSERT INTO runs (id, started_at, finished_at, status, targets, profile, tool_version,
        signatures_schema_version, signatures_pack_version, signatures_hash, pid)
      VALUES (@id, @startedAt, NULL, 'running', @targets, @profile, @toolVersion,
        @sigSchema, @sigPack, @sigHash, @pid)`),
    finishRun: db.prepare(`UPDATE runs SET status = ?, finished_at = ?, error = ? WHERE id = ?`),
    interruptRun: db.prepare(`UPDATE runs SET status = 'interrupted', finished_at = ? WHERE id = ? AND status = 'running'`),
    runningRuns: db.prepare(`SELECT id, pid FROM runs WHERE status = 'running'`),
    hostVia: db.prepare(`SELECT discovered_via FROM hosts WHERE run_id = ? AND address = ?`),
    upsertHostVia: db.prepare(`
      INSERT INTO hosts (run_id, address, discovered_via) VALUES (?, ?, ?)
      ON CONFLICT (run_id, address) DO UPDATE SET discovered_via = excluded.discovered_via`),
    upsertHostIdentity: db.prepare(`
      INSERT INTO hosts (run_id, address, host_id, mac, vendor, host) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (run_id, address) DO UPDATE SET host_id = excluded.host_id, mac = excluded.mac,
        vendor = excluded.vendor, host = excluded.host`),
    ensureHost: db.prepare(`INSERT INTO hosts (run_id, address) VALUES (?, ?) ON CONFLICT DO NOTHING`),
    upsertService: db.prepare(`
      INSERT INTO services (run_id, address, transport, port, name, product, version, cpe, banner)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (run_id, address, transport, port) DO UPDATE SET name = excluded.name,
        product = excluded.product, version = excluded.version, cpe = excluded.cpe, banner = excluded.banner`),
    insertObservation: db.prepare(`
      INSERT INTO observations (run_id, id, address, probe, port, transport, fields) VALUES (?, ?, ?, ?, ?, ?, ?)`),
    upsertFinding: db.prepare(`
      INSERT INTO findings (run_id, address, finding_key, check_id, severity, confidence, confidence_reason,
        port, transport, summary, practices, evidence, remedy, signature, title)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (run_id, address, finding_key) DO UPDATE SET severity = excluded.severity,
        confidence = excluded.confidence, confidence_reason = excluded.confidence_reason,
        summary = excluded.summary, practices = excluded.practices, evidence = excluded.evidence,
        remedy = excluded.remedy, title = excluded.title`),
    insertWarning: db.prepare(`INSERT INTO warnings (run_id, message) VALUES (?, ?)`),
    listRuns: db.prepare(`
      SELECT r.*, (SELECT COUNT(*) FROM hosts h WHERE h.run_id = r.id) AS host_count,
        (SELECT COUNT(*) FROM findings f WHERE f.run_id = r.id) AS finding_count
      FROM runs r ORDER BY r.started_at DESC, r.rowid DESC LIMIT ?`),
    run: db.prepare(`SELECT * FROM runs WHERE id = ?`),
    hosts: db.prepare(`SELECT address, discovered_via, host, merged_into FROM hosts WHERE run_id = ? ORDER BY rowid`),
    mergeHost: db.prepare(`UPDATE hosts SET merged_into = ? WHERE run_id = ? AND address = ?`),
    setHostDevice: db.prepare(`UPDATE hosts SET device_id = ? WHERE run_id = ? AND address = ?`),
    deviceOfKey: db.prepare(`SELECT d.id, d.first_seen, d.label FROM device_keys k JOIN devices d ON d.id = k.device_id WHERE k.key = ?`),
    device: db.prepare(`SELECT id, label FROM devices WHERE id = ?`),
    insertDevice: db.prepare(`INSERT INTO devices (id, first_seen) VALUES (?, ?)`),
    insertKey: db.prepare(`INSERT INTO device_keys (key, device_id) VALUES (?, ?) ON CONFLICT DO NOTHING`),
    latestDeviceAt: db.prepare(`
      SELECT h.device_id FROM hosts h JOIN runs r ON r.id = h.run_id
      WHERE h.device_id IS NOT NULL AND (h.address = ? OR h.mac = ?)
      ORDER BY r.started_at DESC, r.rowid DESC LIMIT 1`),
    setLabel: db.prepare(`UPDATE devices SET label = ? WHERE id = ?`),
    setting: db.prepare(`SELECT value FROM settings WHERE name = ?`),
    saveSetting: db.prepare(`INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`),
    services: db.prepare(`SELECT * FROM services WHERE run_id = ? ORDER BY rowid`),
    observations: db.prepare(`SELECT * FROM observations WHERE run_id = ? ORDER BY rowid`),
    findings: db.prepare(`SELECT * FROM findings WHERE run_id = ? ORDER BY rowid`),
    warnings: db.prepare(`SELECT message FROM warnings WHERE run_id = ? ORDER BY rowid`),
  };

  const addDiscovery = db.transaction((runId: string, address: string, via: DiscoveryMethod) => {
    const row = statements.hostVia.get(runId, address) as { discovered_via: string } | undefined;
    const methods = row ? (JSON.parse(row.discovered_via) as DiscoveryMethod[]) : [];
    if (!methods.includes(via)) methods.push(via);
    statements.upsertHostVia.run(runId, address, JSON.stringify(methods));
  });
  const addService = db.transaction((runId: string, address: string, service: Service) => {
    statements.ensureHost.run(runId, address);
    statements.upsertService.run(runId, address, service.transport, service.port, service.name,
      service.product ?? null, service.version ?? null, service.cpe ?? null, service.banner ?? null);
  });
  const addObservation = db.transaction((runId: string, observation: Observation) => {
    statements.ensureHost.run(runId, observation.address);
    statements.insertObservation.run(runId, observation.id, observation.address, observation.probe,
      observation.port ?? null, observation.transport ?? null, JSON.stringify(observation.fields));
  });
  const addFinding = db.transaction((runId: string, address: string, finding: Finding) => {
    statements.ensureHost.run(runId, address);
    statements.upsertFinding.run(runId, address, findingKey(finding), finding.check, finding.severity,
      finding.confidence, finding.confidenceReason ?? null, finding.port ?? null, finding.transport ?? null,
      finding.summary, JSON.stringify(finding.practices), JSON.stringify(finding.evidence), finding.remedy,
      finding.signature ?? null, finding.title);
  });
  const setIdentity = (runId: string, address: string, host: Host): void => {
    statements.upsertHostIdentity.run(runId, address, host.id, host.mac ?? null, host.vendor ?? null, JSON.stringify(host));
    if (host.deviceId !== undefined) statements.setHostDevice.run(host.deviceId, runId, address);
  };

  type DeviceRow = { id: string; first_seen: string; label: string | null };
  const resolveDevice = db.transaction((keys: readonly string[], seenAt: string): { deviceId: string; label?: string } => {
    const known = (candidates: readonly string[]) =>
      candidates
        .map((key) => statements.deviceOfKey.get(key) as DeviceRow | undefined)
        .filter((row): row is DeviceRow => row !== undefined)
        // The oldest device wins when keys point at two: it is the one the user may have labelled.
        .sort((a, b) => a.first_seen.localeCompare(b.first_seen) || a.id.localeCompare(b.id))[0];
    const strong = keys.filter((key) => !isWeakKey(key));
    let device = known(strong);
    // A weak key (a host name) only recognises a device that brought no strong key of its own to contradict it.
    if (device === undefined && strong.every((key) => statements.deviceOfKey.get(key) === undefined)) device = known(keys.filter(isWeakKey));
    if (device === undefined) {
      device = { id: `dev-${randomUUID().slice(0, 8)}`, first_seen: seenAt, label: null };
      statements.insertDevice.run(device.id, seenAt);
    }
    for (const key of keys) statements.insertKey.run(key, device.id);
    return { deviceId: device.id, ...(device.label !== null && { label: device.label }) };
  });

  // A run still 'running' whose process is gone was killed before it could say so.
  const interruptedAt = new Date().toISOString();
  for (const row of statements.runningRuns.all() as { id: string; pid: number | null }[]) {
    if (row.pid === null || !processIsAlive(row.pid)) statements.interruptRun.run(interruptedAt, row.id);
  }

  return {
    path,

    recorder() {
      let runId: string | undefined;
      return (event: ScanEvent) => {
        if (event.type === 'run-started') {
          const run = event.run;
          runId = run.id;
          statements.insertRun.run({
            id: run.id,
            startedAt: run.startedAt,
            targets: JSON.stringify(run.targets),
            profile: run.profile,
            toolVersion: run.toolVersion,
            sigSchema: run.signatures.schemaVersion,
            sigPack: run.signatures.packVersion,
            sigHash: run.signatures.hash,
            pid: process.pid,
          });
          return;
        }
        // Nothing can be filed before the run exists.
        if (runId === undefined) return;
        switch (event.type) {
          case 'host-found':
            addDiscovery(runId, event.address, event.via);
            return;
          case 'host-identified':
            setIdentity(runId, event.address, event.host);
            return;
          case 'host-merged':
            statements.ensureHost.run(runId, event.address);
            statements.mergeHost.run(event.into, runId, event.address);
            return;
          case 'service-found':
            addService(runId, event.address, event.service);
            return;
          case 'observation':
            addObservation(runId, event.observation);
            return;
          case 'finding':
            addFinding(runId, event.address, event.finding);
            return;
          case 'warning':
            statements.insertWarning.run(runId, event.message);
            return;
          case 'run-finished':
            statements.finishRun.run(event.status, event.finishedAt, event.error ?? null, runId);
            return;
          // Progress and per-probe outcomes are live figures, not history.
          case 'progress':
          case 'probe-finished':
            return;
          default: {
            const unhandled: never = event;
            throw new Error(`unhandled scan event ${JSON.stringify(unhandled)}`);
          }
        }
      };
    },

    markInterrupted(runId, finishedAt = new Date().toISOString()) {
      statements.interruptRun.run(finishedAt, runId);
    },

    listRuns(limit) {
      const rows = statements.listRuns.all(limit) as (RunRow & { host_count: number; finding_count: number })[];
      return rows.map((row) => {
        const summary: RunSummary = {
          id: row.id,
          startedAt: row.started_at,
          status: row.status,
          targets: JSON.parse(row.targets) as string[],
          hosts: row.host_count,
          findings: row.finding_count,
        };
        if (row.finished_at !== null) summary.finishedAt = row.finished_at;
        return summary;
      });
    },

    loadRunState(runId) {
      const row = statements.run.get(runId) as RunRow | undefined;
      if (!row) return undefined;
      const run = runFromRow(row);
      let state = reduceScan(initialScanState(), { type: 'run-started', run: { ...run, status: 'running' } });
      const apply = (event: ScanEvent): void => {
        state = reduceScan(state, event);
      };
      for (const host of statements.hosts.all(runId) as HostRow[]) {
        for (const via of JSON.parse(host.discovered_via) as DiscoveryMethod[]) apply({ type: 'host-found', address: host.address, via });
        if (host.host !== null) apply({ type: 'host-identified', address: host.address, host: JSON.parse(host.host) as Host });
      }
      for (const service of statements.services.all(runId) as ServiceRow[]) {
        apply({ type: 'service-found', address: service.address, service: serviceFromRow(service) });
      }
      for (const observation of statements.observations.all(runId) as ObservationRow[]) {
        apply({ type: 'observation', observation: observationFromRow(observation) });
      }
      for (const finding of statements.findings.all(runId) as FindingRow[]) {
        apply({ type: 'finding', address: finding.address, finding: findingFromRow(finding) });
      }
      for (const host of statements.hosts.all(runId) as HostRow[]) {
        if (host.merged_into !== null) apply({ type: 'host-merged', address: host.address, into: host.merged_into });
      }
      for (const warning of statements.warnings.all(runId) as { message: string }[]) {
        apply({ type: 'warning', message: warning.message });
      }
      // The stored status wins: an interrupted run may have no finish time to replay.
      const finished: ScanState = { ...state, run, status: run.status };
      if (row.error !== null) finished.error = row.error;
      return finished;
    },

    resolveDevice(keys, seenAt) {
      return resolveDevice(keys, seenAt);
    },

    setLabel(ref, label) {
      const direct = statements.device.get(ref) as { id: string } | undefined;
      const latest = statements.latestDeviceAt.get(ref, ref.toLowerCase()) as { device_id: string } | undefined;
      const deviceId = direct?.id ?? latest?.device_id;
      if (deviceId !== undefined) statements.setLabel.run(label, deviceId);
      return deviceId;
    },

    setting(name) {
      return (statements.setting.get(name) as { value: string } | undefined)?.value;
    },

    saveSetting(name, value) {
      statements.saveSetting.run(name, value);
    },

    close() {
      db.close();
    },
  };
}
