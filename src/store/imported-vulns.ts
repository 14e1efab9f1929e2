// Where the imported vulnerability set lives: one JSON file beside the history database (the
// user's data folder, $XDG_DATA_HOME/iotscan by default; `--db PATH` moves both). Written aside
// and renamed, so a scan that reads it meanwhile sees the old set or the new one, never half.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SignatureError } from '../core/match.js';
import { IMPORTED_SET_VERSION, importedSetSchema, type ImportedSet } from '../signatures/imported.js';
import { defaultDbPath } from './store.js';

export const IMPORTED_SET_FILE = 'imported-vulnerabilities.json';

/** A stored set larger than this is not one this tool wrote. */
const MAX_SET_BYTES = 512 * 2 ** 20;

/** The set's path beside the history database `db` (or the default one; an in-memory database has no folder). */
export function importedSetPath(db?: string, env: Readonly<Record<string, string | undefined>> = process.env): string {
  return join(dirname(db === undefined || db === ':memory:' ? defaultDbPath(env) : db), IMPORTED_SET_FILE);
}

/** The stored set, or undefined when none was imported. A damaged file is one clear error, never ignored. */
export function readImportedSet(path: string): ImportedSet | undefined {
  if (!existsSync(path)) return undefined;
  const fix = 'remove it with: iotscan vulns clear';
  if (statSync(path).size > MAX_SET_BYTES) throw new SignatureError(`the imported vulnerability set is too large to be one this tool wrote; ${fix}`, path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SignatureError(`cannot read the imported vulnerability set (${(error as NodeJS.ErrnoException).code ?? 'error'})`, path, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text) as unknown;
  } catch (error) {
    throw new SignatureError(`the imported vulnerability set is damaged (not JSON); ${fix}`, path, { cause: error });
  }
  const version = (data as { formatVersion?: unknown } | null)?.formatVersion;
  if (version !== IMPORTED_SET_VERSION) {
    throw new SignatureError(`the imported vulnerability set was written by another version of iotscan (format ${String(version)}); import the files again after: iotscan vulns clear`, path);
  }
  const result = importedSetSchema.safeParse(data);
  if (!result.success) throw new SignatureError(`the imported vulnerability set is damaged (${result.error.issues[0]?.message ?? 'invalid'}); ${fix}`, path);
  return result.data;
}

export function writeImportedSet(path: string, set: ImportedSet): void {
  try {
    // The folder holds the history too, which is private: created owner-only, as openStore does.
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const partial = `${path}.${process.pid}.tmp`;
    writeFileSync(partial, JSON.stringify(set));
    renameSync(partial, path);
  } catch (error) {
    throw new SignatureError(`cannot write the imported vulnerability set (${(error as NodeJS.ErrnoException).code ?? 'error'})`, path, { cause: error });
  }
}

/** Removes the stored set; false when there was none. */
export function removeImportedSet(path: string): boolean {
  if (!existsSync(path)) return false;
  try {
    rmSync(path);
  } catch (error) {
    throw new SignatureError(`cannot remove the imported vulnerability set (${(error as NodeJS.ErrnoException).code ?? 'error'})`, path, { cause: error });
  }
  return true;
}
