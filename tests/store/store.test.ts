import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reduceAll } from '../../src/core/reduce.js';
import { defaultDbPath, openStore } from '../../src/store/store.js';
import type { Store } from '../../src/store/store.js';
import { SCHEMA_VERSION } from '../../src/store/schema.js';
import { RUN, SCRIPTED_EVENTS } from '../report/fixtures/scan-events.js';

let dir: string;
const opened: Store[] = [];

function open(path = join(dir, 'nested', 'deeper', 'history.db')): Store {
  const store = openStore(path);
  opened.push(store);
  return store;
}

/** A pid that certainly belongs to no running process: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  if (child.pid === undefined) throw new Error('could not start a child process');
  return child.pid;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'iotscan-store-'));
});

afterEach(() => {
  for (const store of opened.splice(0)) {
    try {
      store.close();
    } catch {
      // already closed by the test
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('openStore', () => {
  it('creates parent directories, a private file, WAL mode and the current schema', () => {
    const store = open();
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    store.close();
    const db = new Database(store.path, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map((t) => t.name);
      expect(tables).toEqual(expect.arrayContaining(['runs', 'hosts', 'services', 'observations', 'findings']));
      const findingColumns = (db.prepare(`PRAGMA table_info(findings)`).all() as { name: string }[]).map((c) => c.name);
      expect(findingColumns.some((name) => /pass/i.test(name))).toBe(false);
    } finally {
      db.close();
    }
  });

  it('reopens an existing database without migrating twice', () => {
    const path = join(dir, 'h.db');
    open(path).close();
    const store = open(path);
    expect(store.listRuns(10)).toEqual([]);
  });

  it('refuses a database from a newer schema', () => {
    const path = join(dir, 'h.db');
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openStore(path)).toThrow(/schema version/);
  });
});

describe('recorder', () => {
  it('records a scripted scan and replays it into the same state', () => {
    const store = open();
    const record = store.recorder();
    for (const event of SCRIPTED_EVENTS) record(event);

    const [summary] = store.listRuns(10);
    expect(summary).toEqual({
      id: RUN.id,
      startedAt: RUN.startedAt,
      finishedAt: '2025-01-02T10:01:00.000Z',
      status: 'completed',
      targets: RUN.targets,
      hosts: 2,
      findings: 2,
    });

    const live = reduceAll(SCRIPTED_EVENTS);
    const replayed = store.loadRunState(RUN.id);
    expect(replayed?.run).toEqual(live.run);
    expect(replayed?.status).toBe('completed');
    expect(replayed?.hosts).toEqual(live.hosts);
    expect(replayed?.findingsBySeverity).toEqual(live.findingsBySeverity);
    expect(replayed?.warnings).toEqual(live.warnings);
  });

  it('writes each event as it arrives, before the run finishes', () => {
    const store = open();
    const record = store.recorder();
    for (const event of SCRIPTED_EVENTS.slice(0, 8)) record(event);
    const reader = new Database(store.path, { readonly: true });
    try {
      expect(reader.prepare(`SELECT status, pid FROM runs`).get()).toEqual({ status: 'running', pid: process.pid });
      expect(reader.prepare(`SELECT COUNT(*) AS n FROM services`).get()).toEqual({ n: 1 });
    } finally {
      reader.close();
    }
  });

  it('keeps a failed run with its error', () => {
    const store = open();
    const record = store.recorder();
    record({ type: 'run-started', run: RUN });
    record({ type: 'run-finished', status: 'failed', finishedAt: '2025-01-02T10:00:05.000Z', error: 'no usable interface' });
    const state = store.loadRunState(RUN.id);
    expect(state?.status).toBe('failed');
    expect(state?.error).toBe('no usable interface');
  });

  it('lists runs newest first and honours the limit', () => {
    const store = open();
    for (const [id, startedAt] of [['a', '2025-01-01T00:00:00Z'], ['c', '2025-03-01T00:00:00Z'], ['b', '2025-02-01T00:00:00Z']] as const) {
      store.recorder()({ type: 'run-started', run: { ...RUN, id, startedAt } });
    }
    expect(store.listRuns(2).map((run) => run.id)).toEqual(['c', 'b']);
  });

  it('returns undefined for an unknown run', () => {
    expect(open().loadRunState('nope')).toBeUndefined();
  });
});

describe('interrupted scans', () => {
  it('markInterrupted stops a running run but never rewrites a finished one', () => {
    const store = open();
    const record = store.recorder();
    for (const event of SCRIPTED_EVENTS.slice(0, 10)) record(event);
    store.markInterrupted(RUN.id, '2025-01-02T10:00:30.000Z');
    store.markInterrupted(RUN.id, '2025-01-02T11:00:00.000Z');
    const [summary] = store.listRuns(1);
    expect(summary?.status).toBe('interrupted');
    expect(summary?.finishedAt).toBe('2025-01-02T10:00:30.000Z');
  });

  it('a scan killed midway is marked interrupted at the next open and keeps its findings', () => {
    const path = join(dir, 'h.db');
    const store = open(path);
    const record = store.recorder();
    // Everything up to and including the findings, then the process "dies": no run-finished.
    const killAt = SCRIPTED_EVENTS.findIndex((event) => event.type === 'warning');
    for (const event of SCRIPTED_EVENTS.slice(0, killAt)) record(event);
    store.close();

    const db = new Database(path);
    db.prepare(`UPDATE runs SET pid = ?`).run(deadPid());
    db.close();

    const reopened = open(path);
    const [summary] = reopened.listRuns(1);
    expect(summary?.status).toBe('interrupted');
    expect(summary?.findings).toBe(2);
    const state = reopened.loadRunState(RUN.id);
    expect(state?.status).toBe('interrupted');
    expect(state?.run?.status).toBe('interrupted');
    expect(state?.hosts.flatMap((host) => host.findings.map((f) => f.check))).toEqual(['outdated-firmware', 'default-credentials']);
  });

  it('leaves alone a run whose process is still alive', () => {
    const path = join(dir, 'h.db');
    const store = open(path);
    store.recorder()({ type: 'run-started', run: RUN });
    const second = open(path);
    expect(second.listRuns(1)[0]?.status).toBe('running');
  });
});

describe('defaultDbPath', () => {
  it.each([
    [{ XDG_DATA_HOME: '/data', HOME: '/home/u' }, '/data/iotscan/history.db'],
    [{ HOME: '/home/u' }, '/home/u/.local/share/iotscan/history.db'],
    [{ XDG_DATA_HOME: 'relative', HOME: '/home/u' }, '/home/u/.local/share/iotscan/history.db'],
    [{ XDG_DATA_HOME: '', HOME: '/home/u' }, '/home/u/.local/share/iotscan/history.db'],
  ])('%j -> %s', (env, expected) => {
    expect(defaultDbPath(env)).toBe(expected);
  });
});
