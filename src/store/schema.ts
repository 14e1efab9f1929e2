// The history database's schema, as migrations keyed by PRAGMA user_version: migration N brings a
// database from user_version N to N+1. Append new migrations; never edit a shipped one.
import type Database from 'better-sqlite3';

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'interrupted', 'failed')),
    targets TEXT NOT NULL,                 -- JSON array of strings
    profile TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    signatures_schema_version INTEGER NOT NULL,
    signatures_pack_version TEXT NOT NULL,
    signatures_hash TEXT NOT NULL,
    pid INTEGER,                           -- the scanning process, to spot runs whose process died
    error TEXT
  );
  CREATE INDEX runs_by_start ON runs (started_at);

  CREATE TABLE hosts (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    discovered_via TEXT NOT NULL DEFAULT '[]',  -- JSON array of discovery methods
    host_id TEXT,
    mac TEXT,
    vendor TEXT,
    host TEXT,                                   -- JSON of the latest Host; null until identified
    PRIMARY KEY (run_id, address)
  );

  CREATE TABLE services (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    transport TEXT NOT NULL,
    port INTEGER NOT NULL,
    name TEXT NOT NULL,
    product TEXT,
    version TEXT,
    cpe TEXT,
    banner TEXT,
    PRIMARY KEY (run_id, address, transport, port)
  );

  CREATE TABLE observations (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    address TEXT NOT NULL,
    probe TEXT NOT NULL,
    port INTEGER,
    transport TEXT,
    fields TEXT NOT NULL                          -- JSON object of string fields
  );
  CREATE INDEX observations_by_run ON observations (run_id);

  -- A credential finding names the signature entry that matched; no column can hold a password.
  CREATE TABLE findings (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    finding_key TEXT NOT NULL,
    check_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    confidence TEXT NOT NULL,
    confidence_reason TEXT,
    port INTEGER,
    transport TEXT,
    summary TEXT NOT NULL,
    practices TEXT NOT NULL,                      -- JSON {en303645, is3c, owasp}
    evidence TEXT NOT NULL,                       -- JSON {observations, facts}
    remedy TEXT NOT NULL,
    signature TEXT,
    PRIMARY KEY (run_id, address, finding_key)
  );

  CREATE TABLE warnings (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    message TEXT NOT NULL
  );
  CREATE INDEX warnings_by_run ON warnings (run_id);
  `,
  `
  -- A device across runs: recognised again by any of its keys (vendor MAC, UDN, serial, TXT id,
  -- and weakly its mDNS host name) whatever address it has. The label is the user's name for it.
  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL,
    label TEXT
  );
  CREATE TABLE device_keys (
    key TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE
  );
  ALTER TABLE hosts ADD COLUMN device_id TEXT;
  ALTER TABLE hosts ADD COLUMN merged_into TEXT;
  ALTER TABLE findings ADD COLUMN title TEXT;   -- this address turned out to be the same device as that one
  -- Choices the user made once (e.g. consent to credential checks), by name.
  CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Thrown when the database was written by a newer iotscan than this one. */
export class NewerSchemaError extends Error {
  constructor(
    readonly found: number,
    readonly supported: number,
  ) {
    super(`the history database has schema version ${found}; this iotscan understands up to ${supported}`);
    this.name = 'NewerSchemaError';
  }
}

export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) throw new NewerSchemaError(current, MIGRATIONS.length);
  for (let version = current; version < MIGRATIONS.length; version += 1) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
