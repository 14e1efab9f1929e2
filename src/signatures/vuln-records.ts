// One NVD or OSV record (already parsed JSON, hostile until checked) becomes the vulnerabilities it
// names for products a scan can see. Pure. Formats: NVD CVE API 2.0 schema
// (https://csrc.nist.gov/schema/nvd/api/2.0/cve_api_json_2.0.schema, documented at
// https://nvd.nist.gov/developers/vulnerabilities) and OSV schema 1.7 (https://ossf.github.io/osv-schema/).
import { SEVERITIES, type Severity } from '../core/model.js';
import { printable } from '../core/sanitize.js';
import { compareVersions } from '../core/versions.js';
import { cvss3BaseScore, severityOfScore } from './cvss.js';
import type { ImportedRange, ImportedSource, ImportedVulnerability } from './imported.js';
import type { VulnerabilityProductsSpec } from './schema.js';

/** What a file holds, in order: the start of a list of records, a record as parsed JSON, or one that could not be read. */
export type ImportItem = { kind: 'list'; format: 'nvd' | 'osv' } | { kind: 'record'; format: 'nvd' | 'osv'; value: unknown } | { kind: 'unreadable' };

/** A file that cannot be imported as a whole: missing, not JSON, cut short, too large. One line for the user. */
export class ImportFileError extends Error {
  constructor(
    message: string,
    readonly file: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ImportFileError';
  }
}

/** Product names by `part:vendor:product` and by `ecosystem\0package`, lower-case keys. */
export interface ProductMap {
  cpe: ReadonlyMap<string, string>;
  osv: ReadonlyMap<string, string>;
}

export function compileProductMap(spec: VulnerabilityProductsSpec): ProductMap {
  const cpe = new Map<string, string>();
  const osv = new Map<string, string>();
  for (const entry of spec.products) {
    for (const name of entry.cpe) cpe.set(name.toLowerCase(), entry.product);
    for (const pkg of entry.osv) osv.set(`${pkg.ecosystem.toLowerCase()}\0${pkg.name.toLowerCase()}`, entry.product);
  }
  return { cpe, osv };
}

/** What one record gave: vulnerabilities kept, entries skipped as unreadable, ranges left out as open-ended. */
export interface RecordResult {
  vulnerabilities: ImportedVulnerability[];
  skipped: number;
  openEnded: number;
}

const NOTHING: RecordResult = { vulnerabilities: [], skipped: 0, openEnded: 0 };
const MALFORMED: RecordResult = { vulnerabilities: [], skipped: 1, openEnded: 0 };

/** CVE ids (cve.org: four-digit year, then four or more digits), bounded. */
const CVE_ID = /^CVE-\d{4}-\d{4,7}$/;
/** Record ids as the OSV schema describes them (`<DB>-<ENTRYID>`), bounded. */
const RECORD_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{1,80}$/;
/** A version string this tool can compare: starts with a digit, no spaces, bounded. */
const VERSION = /^\d[\w.+~:-]{0,63}$/;
/** More ranges than this for one product in one record is not a real record. */
const MAX_RANGES = 512;
const SUMMARY_CHARS = 300;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function version(value: unknown): string | undefined {
  return typeof value === 'string' && VERSION.test(value) ? value : undefined;
}

/** NVD and OSV severity words: CRITICAL, HIGH, MEDIUM / MODERATE (GitHub), LOW, NONE. */
function severityWord(value: unknown): Severity | undefined {
  if (typeof value !== 'string') return undefined;
  const word = value.toLowerCase();
  if (word === 'moderate') return 'medium';
  if (word === 'none') return 'info';
  return (SEVERITIES as readonly string[]).includes(word) && word !== 'info' ? (word as Severity) : undefined;
}

/**
 * Splits a CPE 2.3 formatted string on the colons that are not escaped (NISTIR 7695, CPE Naming
 * 2.3, formatted string binding: a backslash quotes the next character). Returns the 11
 * components after `cpe:2.3:`, unquoted.
 */
export function parseCpe23(name: string): string[] | undefined {
  if (!name.startsWith('cpe:2.3:') || name.length > 512) return undefined;
  const components: string[] = [];
  let current = '';
  for (let i = 'cpe:2.3:'.length; i < name.length; i++) {
    const char = name[i];
    if (char === '\\') {
      current += name[i + 1] ?? '';
      i++;
    } else if (char === ':') {
      components.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  components.push(current);
  return components.length === 11 ? components : undefined;
}

const ANY = '*';
const NOT_APPLICABLE = '-';

type RangeOutcome = { range: ImportedRange } | 'open-ended' | 'malformed';

const NVD_BOUNDS = ['versionStartIncluding', 'versionStartExcluding', 'versionEndExcluding', 'versionEndIncluding'] as const;

/** One NVD cpeMatch as a range: its version bounds, else the exact version in the name (7.4 + update p1 = 7.4p1). */
function nvdRange(match: JsonObject, cpeVersion: string, cpeUpdate: string): RangeOutcome {
  const bounds: Partial<Record<(typeof NVD_BOUNDS)[number], string>> = {};
  for (const key of NVD_BOUNDS) {
    if (match[key] === undefined) continue;
    const value = version(match[key]);
    if (value === undefined) return 'malformed';
    bounds[key] = value;
  }
  if (Object.keys(bounds).length > 0) {
    const { versionStartIncluding: introduced, versionStartExcluding: introducedAfter, versionEndExcluding: fixed, versionEndIncluding: lastAffected } = bounds;
    if (fixed === undefined && lastAffected === undefined) return 'open-ended';
    return {
      range: {
        ...(introduced !== undefined && { introduced }),
        ...(introducedAfter !== undefined && { introducedAfter }),
        ...(fixed !== undefined && { fixed }),
        ...(lastAffected !== undefined && { lastAffected }),
      },
    };
  }
  if (cpeVersion === ANY || cpeVersion === NOT_APPLICABLE) return 'open-ended';
  const exact = version(cpeUpdate === ANY || cpeUpdate === NOT_APPLICABLE ? cpeVersion : `${cpeVersion}${cpeUpdate}`);
  return exact === undefined ? 'malformed' : { range: { introduced: exact, lastAffected: exact } };
}

/** The first base severity NVD gives, CVSS v3.1 first, the primary (NVD's own) score before others. */
function nvdSeverity(metrics: unknown): Severity | undefined {
  if (!isObject(metrics)) return undefined;
  for (const key of ['cvssMetricV31', 'cvssMetricV40', 'cvssMetricV30', 'cvssMetricV2']) {
    const list = metrics[key];
    if (!Array.isArray(list)) continue;
    const scores = list.filter(isObject);
    for (const metric of [...scores.filter((m) => m['type'] === 'Primary'), ...scores.filter((m) => m['type'] !== 'Primary')]) {
      // v3 and v4 keep baseSeverity in cvssData; v2 keeps it beside cvssData.
      const severity = severityWord(isObject(metric['cvssData']) ? (metric['cvssData']['baseSeverity'] ?? metric['baseSeverity']) : metric['baseSeverity']);
      if (severity !== undefined) return severity;
    }
  }
  return undefined;
}

function englishDescription(descriptions: unknown): string | undefined {
  if (!Array.isArray(descriptions)) return undefined;
  const english = descriptions.find((d) => isObject(d) && d['lang'] === 'en' && typeof d['value'] === 'string');
  return isObject(english) ? (english['value'] as string) : undefined;
}

function dedupe(ranges: readonly ImportedRange[]): ImportedRange[] {
  return [...new Map(ranges.map((r) => [JSON.stringify(r), r])).values()];
}

/**
 * One element of an NVD `vulnerabilities` list: `{ cve: {...} }`. Only vulnerable cpeMatch entries
 * of configuration nodes that are not negated count; a rejected CVE gives nothing.
 */
export function nvdRecord(item: unknown, map: ProductMap): RecordResult {
  const cve = isObject(item) ? item['cve'] : undefined;
  if (!isObject(cve) || typeof cve['id'] !== 'string' || !CVE_ID.test(cve['id'])) return MALFORMED;
  const id = cve['id'];
  if (cve['vulnStatus'] === 'Rejected') return NOTHING;
  const configurations = cve['configurations'] ?? [];
  if (!Array.isArray(configurations)) return MALFORMED;
  const ranges = new Map<string, ImportedRange[]>();
  let skipped = 0;
  let openEnded = 0;
  for (const configuration of configurations) {
    const nodes = isObject(configuration) ? configuration['nodes'] : undefined;
    if (!Array.isArray(nodes)) {
      skipped++;
      continue;
    }
    for (const node of nodes) {
      if (!isObject(node) || !Array.isArray(node['cpeMatch'])) {
        skipped++;
        continue;
      }
      if (node['negate'] === true) continue;
      for (const match of node['cpeMatch']) {
        if (!isObject(match) || typeof match['criteria'] !== 'string') {
          skipped++;
          continue;
        }
        if (match['vulnerable'] !== true) continue;
        const cpe = parseCpe23(match['criteria']);
        if (cpe === undefined) {
          skipped++;
          continue;
        }
        const [part = '', vendor = '', product = '', cpeVersion = '', cpeUpdate = ''] = cpe;
        const name = map.cpe.get(`${part}:${vendor}:${product}`.toLowerCase());
        if (name === undefined) continue;
        const outcome = nvdRange(match, cpeVersion, cpeUpdate);
        if (outcome === 'malformed') skipped++;
        else if (outcome === 'open-ended') openEnded++;
        else ranges.set(name, [...(ranges.get(name) ?? []), outcome.range]);
      }
    }
  }
  if (ranges.size === 0) return { vulnerabilities: [], skipped, openEnded };
  const severity = nvdSeverity(cve['metrics']);
  const summary = printable(englishDescription(cve['descriptions']) ?? id, SUMMARY_CHARS);
  const vulnerabilities: ImportedVulnerability[] = [];
  for (const [product, list] of ranges) {
    const unique = dedupe(list);
    if (unique.length > MAX_RANGES) {
      skipped++;
      continue;
    }
    vulnerabilities.push({
      product,
      id,
      cves: [id],
      ranges: unique,
      severity: severity ?? 'medium',
      severityGiven: severity !== undefined,
      // NVD sets cisaExploitAdd on CVEs in CISA's Known Exploited Vulnerabilities catalogue.
      knownExploited: typeof cve['cisaExploitAdd'] === 'string',
      summary: summary === '' ? id : summary,
      reference: `https://nvd.nist.gov/vuln/detail/${id}`,
    });
  }
  return { vulnerabilities, skipped, openEnded };
}

type OsvEvent = { kind: 'introduced' | 'fixed' | 'last_affected'; version: string | undefined };

/** A SEMVER or ECOSYSTEM range's events as intervals, the way OSV's evaluation walks them in version order. */
function osvRanges(events: unknown): { ranges: ImportedRange[]; openEnded: number } | 'malformed' {
  if (!Array.isArray(events)) return 'malformed';
  const parsed: OsvEvent[] = [];
  for (const event of events) {
    const keys = isObject(event) ? Object.keys(event) : [];
    const kind = keys[0];
    // The schema allows one key per event; `limit` is meant for GIT ranges and is not handled.
    if (!isObject(event) || keys.length !== 1 || (kind !== 'introduced' && kind !== 'fixed' && kind !== 'last_affected')) return 'malformed';
    const value = event[kind];
    // "0" in introduced sorts before every version (OSV schema, "Special values").
    if (kind === 'introduced' && value === '0') {
      parsed.push({ kind, version: undefined });
      continue;
    }
    const checked = version(value);
    if (checked === undefined) return 'malformed';
    parsed.push({ kind, version: checked });
  }
  // Version order; at the same version an introduction comes first, as in the schema's IsVulnerable.
  parsed.sort((a, b) => {
    if (a.version === undefined || b.version === undefined) return a.version === b.version ? 0 : a.version === undefined ? -1 : 1;
    return compareVersions(a.version, b.version) || (a.kind === 'introduced' ? -1 : b.kind === 'introduced' ? 1 : 0);
  });
  const ranges: ImportedRange[] = [];
  let open: { from: string | undefined } | undefined;
  for (const event of parsed) {
    if (event.kind === 'introduced') {
      open ??= { from: event.version };
    } else if (open !== undefined) {
      const bound = event.kind === 'fixed' ? { fixed: event.version as string } : { lastAffected: event.version as string };
      ranges.push({ ...(open.from !== undefined && { introduced: open.from }), ...bound });
      open = undefined;
    }
  }
  return { ranges, openEnded: open === undefined ? 0 : 1 };
}

/** A CVSS v3 vector among `severity[]` entries (OSV schema, severity field), as a rating. */
function osvVectorSeverity(list: unknown): Severity | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const entry of list) {
    if (!isObject(entry) || entry['type'] !== 'CVSS_V3' || typeof entry['score'] !== 'string') continue;
    const score = cvss3BaseScore(entry['score']);
    if (score !== undefined) return severityOfScore(score);
  }
  return undefined;
}

function databaseSeverity(value: unknown): Severity | undefined {
  return isObject(value) ? severityWord(value['severity']) : undefined;
}

/**
 * One OSV record. Only `affected[]` entries whose package the product map names count; of those,
 * SEMVER and ECOSYSTEM ranges, or the `versions[]` list when there is no such range. A withdrawn
 * record gives nothing.
 */
export function osvRecord(record: unknown, map: ProductMap): RecordResult {
  if (!isObject(record) || typeof record['id'] !== 'string' || !RECORD_ID.test(record['id']) || !Array.isArray(record['affected'])) return MALFORMED;
  const id = record['id'];
  if (record['withdrawn'] !== undefined) return NOTHING;
  const aliases = Array.isArray(record['aliases']) ? record['aliases'].filter((a): a is string => typeof a === 'string' && CVE_ID.test(a)) : [];
  const cves = [...new Set([...(CVE_ID.test(id) ? [id] : []), ...aliases])];
  const byProduct = new Map<string, { ranges: ImportedRange[]; severity: Severity | undefined }>();
  let skipped = 0;
  let openEnded = 0;
  for (const affected of record['affected']) {
    const pkg = isObject(affected) ? affected['package'] : undefined;
    if (!isObject(affected) || !isObject(pkg) || typeof pkg['ecosystem'] !== 'string' || typeof pkg['name'] !== 'string') {
      skipped++;
      continue;
    }
    // "Debian:12" and the like scope a package to a release; the map names the ecosystem.
    const ecosystem = pkg['ecosystem'].split(':')[0] ?? '';
    const product = map.osv.get(`${ecosystem.toLowerCase()}\0${pkg['name'].toLowerCase()}`);
    if (product === undefined) continue;
    const ranges: ImportedRange[] = [];
    let linear = false;
    for (const range of Array.isArray(affected['ranges']) ? affected['ranges'] : []) {
      if (!isObject(range) || (range['type'] !== 'SEMVER' && range['type'] !== 'ECOSYSTEM')) continue;
      linear = true;
      const outcome = osvRanges(range['events']);
      if (outcome === 'malformed') {
        skipped++;
        continue;
      }
      ranges.push(...outcome.ranges);
      openEnded += outcome.openEnded;
    }
    if (!linear && Array.isArray(affected['versions'])) {
      for (const listed of affected['versions']) {
        const exact = version(listed);
        if (exact === undefined) skipped++;
        else ranges.push({ introduced: exact, lastAffected: exact });
      }
    }
    if (ranges.length === 0) continue;
    const entry = byProduct.get(product) ?? { ranges: [], severity: undefined };
    entry.ranges.push(...ranges);
    entry.severity ??= osvVectorSeverity(affected['severity']) ?? databaseSeverity(affected['database_specific']);
    byProduct.set(product, entry);
  }
  if (byProduct.size === 0) return { vulnerabilities: [], skipped, openEnded };
  const recordSeverity = osvVectorSeverity(record['severity']) ?? databaseSeverity(record['database_specific']);
  const text = typeof record['summary'] === 'string' && record['summary'].trim() !== '' ? record['summary'] : typeof record['details'] === 'string' ? record['details'] : id;
  const summary = printable(text, SUMMARY_CHARS);
  const vulnerabilities: ImportedVulnerability[] = [];
  for (const [product, entry] of byProduct) {
    const unique = dedupe(entry.ranges);
    if (unique.length > MAX_RANGES) {
      skipped++;
      continue;
    }
    const severity = entry.severity ?? recordSeverity;
    vulnerabilities.push({
      product,
      id,
      cves: cves.length > 0 ? cves : [id],
      ranges: unique,
      severity: severity ?? 'medium',
      severityGiven: severity !== undefined,
      // The OSV schema has no known-exploited field.
      knownExploited: false,
      summary: summary === '' ? id : summary,
      reference: `https://osv.dev/vulnerability/${id}`,
    });
  }
  return { vulnerabilities, skipped, openEnded };
}

/** What one file gave. */
export interface FileImport {
  format: ImportedSource['format'];
  vulnerabilities: ImportedVulnerability[];
  /** Records read, whether or not they concern a product a scan can see. */
  records: number;
  skipped: number;
  openEnded: number;
}

/** Far more than every CVE of every mapped product: a file past this is not a vulnerability feed. */
export const MAX_VULNERABILITIES_PER_FILE = 200_000;

/** Reads a file's records through the product map. The last record with the same id and product wins. */
export async function collectRecords(file: string, items: AsyncIterable<ImportItem>, map: ProductMap, maxVulnerabilities = MAX_VULNERABILITIES_PER_FILE): Promise<FileImport> {
  const kept = new Map<string, ImportedVulnerability>();
  const formats = new Set<'nvd' | 'osv'>();
  let records = 0;
  let skipped = 0;
  let openEnded = 0;
  let seen = false;
  for await (const item of items) {
    seen = true;
    if (item.kind === 'unreadable') {
      skipped++;
      continue;
    }
    formats.add(item.format);
    if (item.kind === 'list') continue;
    records++;
    const result = item.format === 'nvd' ? nvdRecord(item.value, map) : osvRecord(item.value, map);
    skipped += result.skipped;
    openEnded += result.openEnded;
    for (const vulnerability of result.vulnerabilities) kept.set(`${vulnerability.product}\0${vulnerability.id}`, vulnerability);
    if (kept.size > maxVulnerabilities) throw new ImportFileError(`it names more than ${maxVulnerabilities} vulnerabilities for the products a scan sees, which no real feed does`, file);
  }
  if (!seen) throw new ImportFileError('it holds no NVD or OSV records', file);
  const format = formats.size === 2 ? 'mixed' : formats.has('nvd') ? 'nvd' : 'osv';
  return { format, vulnerabilities: [...kept.values()], records, skipped, openEnded };
}
