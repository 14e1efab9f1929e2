// `iotscan vulns import|status|clear`: a larger vulnerability set from NVD or OSV files the user
// downloaded, kept beside the history and used by every scan beside the shipped rules. Offline:
// nothing is fetched, and no product or version leaves the machine.
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { SignatureError } from '../core/match.js';
import { printable } from '../core/sanitize.js';
import { describeOrigin } from '../core/vulns.js';
import { plural } from '../report/words.js';
import { IMPORTED_SET_VERSION, type ImportedSet, type ImportedSource } from '../signatures/imported.js';
import { loadProductMap } from '../signatures/load.js';
import { fileSha256, readImportFile } from '../signatures/vuln-files.js';
import { collectRecords, ImportFileError } from '../signatures/vuln-records.js';
import { importedSetPath, readImportedSet, removeImportedSet, writeImportedSet } from '../store/imported-vulns.js';

export const VULNS_USAGE = `  iotscan vulns import FILE... [--db PATH]    add NVD CVE 2.0 or OSV files you downloaded (.json, .json.gz, .zip)
  iotscan vulns status [--db PATH]            what is imported, from which files, when
  iotscan vulns clear [--db PATH]             remove the imported set (scans go back to the shipped rules)`;

class VulnsUsageError extends Error {}

/** The set a scan uses beside the shipped rules: the one stored beside the history database `db`. */
export function importedSetFor(db: string | undefined): ImportedSet | undefined {
  return readImportedSet(importedSetPath(db));
}

function countByProduct(sources: readonly ImportedSource[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const source of sources) for (const v of source.vulnerabilities) counts.set(v.product, (counts.get(v.product) ?? 0) + 1);
  return counts;
}

async function importFiles(files: readonly string[], path: string, now: () => Date): Promise<number> {
  if (files.length === 0) throw new VulnsUsageError('vulns import needs at least one file: iotscan vulns import nvdcve-2.0-2024.json.gz');
  const map = loadProductMap();
  const existing = readImportedSet(path);
  const importedAt = now().toISOString();
  const added = new Map<string, ImportedSource>();
  let skipped = 0;
  let openEnded = 0;
  let failed = 0;
  for (const file of files) {
    const name = printable(basename(file), 128);
    try {
      const result = await collectRecords(file, readImportFile(file), map);
      added.set(name, { file: name, format: result.format, importedAt, sha256: await fileSha256(file), vulnerabilities: result.vulnerabilities });
      skipped += result.skipped;
      openEnded += result.openEnded;
      const products = new Set(result.vulnerabilities.map((v) => v.product)).size;
      process.stdout.write(`${name}: ${plural(result.vulnerabilities.length, 'vulnerability', 'vulnerabilities')} for ${plural(products, 'product', 'products')} in ${plural(result.records, 'record', 'records')}\n`);
    } catch (error) {
      if (!(error instanceof ImportFileError)) throw error;
      process.stderr.write(`iotscan: ${name}: ${error.message}; not imported\n`);
      failed++;
    }
  }
  const sources = [...added.values()];
  if (sources.length > 0) {
    // A file imported again replaces its earlier import; other files stay.
    writeImportedSet(path, { formatVersion: IMPORTED_SET_VERSION, sources: [...(existing?.sources ?? []).filter((s) => !added.has(s.file)), ...sources] });
  }
  const vulnerabilities = sources.reduce((sum, s) => sum + s.vulnerabilities.length, 0);
  process.stdout.write(
    `imported ${plural(vulnerabilities, 'vulnerability', 'vulnerabilities')} for ${plural(countByProduct(sources).size, 'product', 'products')} from ${plural(sources.length, 'file', 'files')}, ${skipped} skipped` +
      `${openEnded > 0 ? `, ${openEnded} without a fixed or last affected version left out` : ''}` +
      `${failed > 0 ? `; ${plural(failed, 'file', 'files')} not imported` : ''}\n`,
  );
  return failed > 0 ? 1 : 0;
}

function status(path: string): number {
  const set = readImportedSet(path);
  if (set === undefined || set.sources.length === 0) {
    process.stdout.write('no vulnerability set imported; scans use the shipped rules (add one with: iotscan vulns import FILE...)\n');
    return 0;
  }
  process.stdout.write(`imported vulnerability set in ${path}:\n`);
  for (const source of set.sources) {
    const products = [...countByProduct([source])].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    process.stdout.write(`  ${describeOrigin(source)}: ${plural(source.vulnerabilities.length, 'vulnerability', 'vulnerabilities')}${products.length > 0 ? ` (${products.map(([p, n]) => `${p} ${n}`).join(', ')})` : ''}\n`);
  }
  const total = set.sources.reduce((sum, s) => sum + s.vulnerabilities.length, 0);
  process.stdout.write(`${plural(total, 'vulnerability', 'vulnerabilities')} for ${plural(countByProduct(set.sources).size, 'product', 'products')} from ${plural(set.sources.length, 'file', 'files')}, used by every scan beside the shipped rules\n`);
  return 0;
}

function clear(path: string): number {
  process.stdout.write(removeImportedSet(path) ? `removed the imported vulnerability set (${path})\n` : 'no imported vulnerability set to remove\n');
  return 0;
}

/** The `vulns` command: its own mistakes are one line on stderr and exit code 2. */
export async function vulnsCommand(args: readonly string[], now: () => Date = () => new Date()): Promise<number> {
  try {
    const [action, ...rest] = args;
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: { db: { type: 'string' } }, allowPositionals: true, strict: true });
    } catch (error) {
      throw new VulnsUsageError((error as Error).message.replace(/\. To specify a positional.*$/s, ''));
    }
    const path = importedSetPath(parsed.values.db);
    switch (action) {
      case 'import':
        return await importFiles(parsed.positionals, path, now);
      case 'status':
      case 'clear':
        if (parsed.positionals.length > 0) throw new VulnsUsageError(`vulns ${action} takes no files`);
        return action === 'status' ? status(path) : clear(path);
      default:
        throw new VulnsUsageError(`vulns takes import, status or clear, not "${printable(action ?? '', 32)}"`);
    }
  } catch (error) {
    if (error instanceof VulnsUsageError || error instanceof SignatureError) {
      process.stderr.write(`iotscan: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
