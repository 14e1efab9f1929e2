// Importing files as users download them (NVD page, NVD feed .json.gz / .json.zip, OSV record,
// OSV array, osv.dev zip with and without ZIP64), JSON read in pieces of any size, damaged,
// cut-short, oversized and hostile input, and what a scan then makes of the set: the
// shipped rules first, each imported CVE once, the source named in the finding, and a pack hash
// that changes with the set so no cache can serve a stale one.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { judgeHost, type HostEvidence } from '../../src/core/judge.js';
import type { Service } from '../../src/core/model.js';
import { assessVersion } from '../../src/core/vulns.js';
import { IMPORTED_SET_VERSION, type ImportedSet, type ImportedSource } from '../../src/signatures/imported.js';
import { loadProductMap, loadSignatures } from '../../src/signatures/load.js';
import { IMPORT_LIMITS, jsonItems, readImportFile } from '../../src/signatures/vuln-files.js';
import { collectRecords, ImportFileError, type FileImport, type ImportItem } from '../../src/signatures/vuln-records.js';
import { importedSetPath, readImportedSet, removeImportedSet, writeImportedSet } from '../../src/store/imported-vulns.js';

const fixture = (name: string) => new URL(`../fixtures/vulns/${name}`, import.meta.url).pathname;
const map = loadProductMap();
const made: string[] = [];
const scratch = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'iotscan-vulns-'));
  made.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const importFile = (path: string, limits = IMPORT_LIMITS): Promise<FileImport> => collectRecords(path, readImportFile(path, limits), map);
const ids = (result: FileImport) => result.vulnerabilities.map((v) => `${v.product}:${v.id}`).sort();

const NVD_KEPT = ['dnsmasq:CVE-2099-0001', 'dropbear:CVE-2016-7406', 'dropbear:CVE-2099-0002', 'live555:CVE-2099-0010', 'openssh:CVE-2099-0003', 'openssh:CVE-2099-0007'];

describe('reading downloaded files', () => {
  it.each([
    ['nvd-page.json', 'plain JSON', IMPORT_LIMITS],
    ['nvdcve-2.0-2099.json.gz', 'gzip, streamed', IMPORT_LIMITS],
    ['nvdcve-2.0-2099.json.zip', 'zip entry inflated whole', IMPORT_LIMITS],
    ['nvdcve-2.0-2099.json.zip', 'zip entry streamed', { ...IMPORT_LIMITS, maxBufferedEntryBytes: 0 }],
  ])('reads the NVD records of %s (%s), told by content not name', async (name, _how, limits) => {
    const result = await importFile(fixture(name), limits);
    expect(result.format).toBe('nvd');
    expect(result.records).toBe(12);
    expect(ids(result)).toEqual(NVD_KEPT);
    // The malformed record and the unusable version; the range with no upper bound.
    expect(result).toMatchObject({ skipped: 2, openEnded: 1 });
  });

  it('reads one OSV record and an OSV array', async () => {
    expect(ids(await importFile(fixture('osv-record.json')))).toEqual(['nginx:BIT-nginx-2099-0101']);
    const array = await importFile(fixture('osv-records.json'));
    expect(array.format).toBe('osv');
    expect(ids(array)).toEqual(['apache-httpd:BIT-apache-2099-0201', 'nginx:BIT-nginx-2099-0203', 'nginx:BIT-nginx-2099-0204']);
    // The number, the limit event, the record without affected packages.
    expect(array).toMatchObject({ records: 8, skipped: 3, openEnded: 1 });
  });

  it.each(['osv-bitnami.zip', 'osv-bitnami-zip64.zip'])('reads the .json entries of %s, skipping a broken one', async (name) => {
    const result = await importFile(fixture(name));
    expect(result.format).toBe('osv');
    const expected = name === 'osv-bitnami.zip' ? ['apache-httpd:BIT-apache-2099-0201', 'nginx:BIT-nginx-2099-0101', 'nginx:BIT-nginx-2099-0203'] : ['apache-httpd:BIT-apache-2099-0201', 'nginx:BIT-nginx-2099-0101'];
    expect(ids(result)).toEqual(expected);
    expect(result.skipped).toBe(name === 'osv-bitnami.zip' ? 1 : 0);
  });

  it('streams a zip entry larger than the read cache straight from the file', async () => {
    const page = JSON.parse(readFileSync(fixture('nvd-page.json'), 'utf8')) as Record<string, unknown>;
    const padded = Buffer.from(JSON.stringify({ padding: 'x'.repeat(1_200_000), ...page }));
    const result = await importFile(write(scratch(), 'nvdcve-2.0-2099.json.zip', storedZip('nvdcve-2.0-2099.json', padded)));
    expect(ids(result)).toEqual(NVD_KEPT);
  });

  it.each([
    ['a missing file', () => '/nonexistent/nvdcve-2.0-2024.json.gz', /no such file/, IMPORT_LIMITS],
    ['an empty file', (dir: string) => write(dir, 'empty.json', Buffer.from(' \n')), /holds no JSON/, IMPORT_LIMITS],
    ['a download cut short', (dir: string) => write(dir, 'cut.json', readFileSync(fixture('nvd-page.json')).subarray(0, 3000)), /stops in the middle/, IMPORT_LIMITS],
    ['a gzip download cut short', (dir: string) => write(dir, 'cut.json.gz', gzipSync(readFileSync(fixture('nvd-page.json'))).subarray(0, 900)), /damaged|stops in the middle|unexpected end/, IMPORT_LIMITS],
    ['a zip download cut short', (dir: string) => write(dir, 'cut.zip', readFileSync(fixture('osv-bitnami.zip')).subarray(0, 1500)), /zip archive is damaged or cut short/, IMPORT_LIMITS],
    ['an HTML error page', (dir: string) => write(dir, 'page.json', Buffer.from('<!doctype html><title>429 Too Many Requests</title>')), /not JSON/, IMPORT_LIMITS],
    ['text after the document', (dir: string) => write(dir, 'two.json', Buffer.from('[{"id": "A"}] trailing')), /more text after the end/, IMPORT_LIMITS],
    ['a syntax error inside a record', (dir: string) => write(dir, 'bad.json', Buffer.from('{"vulnerabilities": [{"cve": {"id": "CVE-2099-1"}}, {"cve": {"id": tru}}, {"cve": {"id": "CVE-2099-3"}}]}')), /JSON is damaged/, IMPORT_LIMITS],
    ['nesting no feed has', (dir: string) => write(dir, 'deep.json', Buffer.from(`[${'['.repeat(200)}${']'.repeat(200)}]`)), /nests deeper than 128 levels/, IMPORT_LIMITS],
    ['a huge top-level object with no list', (dir: string) => write(dir, 'old.json', Buffer.from(`{"CVE_Items": [${'{"a": 1},'.repeat(50)}{}]}`)), /neither an NVD CVE 2.0 file nor an OSV record/, { ...IMPORT_LIMITS, maxDocumentChars: 100 }],
    ['a zip without records', (dir: string) => write(dir, 'empty.zip', Buffer.from('504b0506000000000000000000000000000000000000', 'hex')), /holds no NVD or OSV records/, IMPORT_LIMITS],
    ['a gzip bomb', (dir: string) => write(dir, 'bomb.json.gz', gzipSync(Buffer.from(`[${' '.repeat(4_000_000)}]`))), /more data than the import allows/, IMPORT_LIMITS],
    ['a zip bomb', () => fixture('osv-bomb.zip'), /more data than the import allows/, IMPORT_LIMITS],
  ])('refuses %s as a whole, with one line', async (_name, make, message, limits) => {
    const path = make(scratch());
    const error = await importFile(path, { ...limits, maxInflatedBytes: 1_000_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportFileError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });
});

/** The items of JSON `text` fed to the reader `size` bytes at a time (so pieces split UTF-8 sequences too). */
async function items(text: string, size: number, limits = IMPORT_LIMITS): Promise<ImportItem[]> {
  const bytes = Buffer.from(text);
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size));
  const result: ImportItem[] = [];
  for await (const item of jsonItems(pieces, limits)) result.push(item);
  return result;
}

const values = (result: ImportItem[]) => result.flatMap((item) => (item.kind === 'record' ? [item.value] : []));

describe('reading JSON in pieces', () => {
  it.each([1, 7, 64, 100_000])('gives the elements of an NVD page fed %i bytes at a time', async (size) => {
    const text = readFileSync(fixture('nvd-page.json'), 'utf8');
    const result = await items(text, size);
    expect(result[0]).toEqual({ kind: 'list', format: 'nvd' });
    expect(values(result)).toEqual((JSON.parse(text) as { vulnerabilities: unknown[] }).vulnerabilities);
    expect(result.every((item) => item.kind !== 'record' || item.format === 'nvd')).toBe(true);
  });

  it('gives the records of an OSV array, and skips elements that are not objects', async () => {
    const result = await items(readFileSync(fixture('osv-records.json'), 'utf8'), 13);
    expect(result.filter((item) => item.kind === 'record')).toHaveLength(8);
    expect(result.filter((item) => item.kind === 'unreadable')).toHaveLength(1);
  });

  it('gives a single OSV record whole', async () => {
    const text = readFileSync(fixture('osv-record.json'), 'utf8');
    expect(await items(text, 5)).toEqual([{ kind: 'record', format: 'osv', value: JSON.parse(text) as unknown }]);
  });

  it('is not fooled by brackets, quotes and the list key inside strings', async () => {
    const text = '{"note": "a \\"vulnerabilities\\": [ {", "x": {"vulnerabilities": [1]}, "vulnerabilities": [{"cve": {"id": "}]\\\\ ✓"}}, "skip", {"cve": {}}]}';
    const result = await items(text, 3);
    expect(values(result)).toEqual([{ cve: { id: '}]\\ ✓' } }, { cve: {} }]);
    expect(result.filter((item) => item.kind === 'unreadable')).toHaveLength(1);
  });

  it('skips a record past the size limit, whether its long string comes in one piece or many, and goes on', async () => {
    const limits = { ...IMPORT_LIMITS, maxItemChars: 1000 };
    const big = JSON.stringify({ cve: { id: 'CVE-2099-1', text: 'x'.repeat(5000) } });
    const list = `{"vulnerabilities": [${big}, {"cve": {"id": "CVE-2099-2"}}]}`;
    for (const size of [100, list.length]) {
      const result = await items(list, size, limits);
      expect(result.map((item) => item.kind)).toEqual(['list', 'unreadable', 'record']);
      expect(values(result)).toEqual([{ cve: { id: 'CVE-2099-2' } }]);
    }
  });

  it('keeps a "__proto__" key as data, as JSON.parse does, never as a prototype', async () => {
    const [item] = await items('{"id": "A", "__proto__": {"polluted": true}}', 8);
    const value = (item as { value: object }).value;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.getOwnPropertyNames(value)).toEqual(['id', '__proto__']);
    expect((value as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('accepts a byte-order mark and surrounding whitespace', async () => {
    expect(values(await items('\uFEFF\n [ {"id": "A"} ] \n', 4))).toEqual([{ id: 'A' }]);
  });
});

function write(dir: string, name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** A zip of one stored entry (PKWARE APPNOTE.TXT 6.3: §4.3.7 local file header, §4.3.12 central directory header, §4.3.16 end of central directory). */
function storedZip(name: string, data: Buffer): Buffer {
  const fileName = Buffer.from(name);
  // The fields local and central headers share, from "version needed to extract" on.
  const shared = (header: Buffer, at: number) => {
    header.writeUInt16LE(20, at);
    header.writeUInt16LE(0x21, at + 6); // DOS date 1980-01-01; method 0 (stored), time 0
    header.writeUInt32LE(crc32(data), at + 10);
    header.writeUInt32LE(data.length, at + 14);
    header.writeUInt32LE(data.length, at + 18);
    header.writeUInt16LE(fileName.length, at + 22);
  };
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  shared(local, 4);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  shared(central, 6);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(local.length + fileName.length + data.length, 16);
  return Buffer.concat([local, fileName, data, central, fileName, end]);
}

async function importedSet(...names: string[]): Promise<ImportedSet> {
  const sources: ImportedSource[] = [];
  for (const name of names) {
    const result = await importFile(fixture(name));
    sources.push({ file: name, format: result.format, importedAt: '2099-02-03T04:05:06.000Z', sha256: '0'.repeat(64), vulnerabilities: result.vulnerabilities });
  }
  return { formatVersion: IMPORTED_SET_VERSION, sources };
}

const service = (product: string, version: string, port: number, banner: string): Service => ({ transport: 'tcp', port, name: 'x', product, version, banner });

function judge(knowledge: ReturnType<typeof loadSignatures>, services: Service[]) {
  const host: HostEvidence = { address: '192.168.1.9', observations: [], services, identity: { signals: [] }, judgedAt: '2099-02-04T00:00:00Z' };
  return judgeHost(host, knowledge).find((f) => f.check === 'known-vulnerable-version');
}

describe('a scan with an imported set', () => {
  it('judges a product no shipped rule covers from the import alone, naming the file and date', async () => {
    const pack = loadSignatures(undefined, { imported: await importedSet('nvd-page.json', 'osv-records.json') });
    const finding = judge(pack, [service('live555', '2016.11.28', 554, 'LIVE555 Streaming Media v2016.11.28')]);
    expect(finding).toMatchObject({ severity: 'high', confidence: 'medium', port: 554 });
    expect(finding?.evidence.facts).toEqual({
      product: 'live555 2016.11.28',
      cves: 'CVE-2099-0010',
      'fixed in': '2018.10.17',
      'imported from': 'NVD file nvd-page.json, imported 2099-02-03: CVE-2099-0010',
    });
  });

  it('adds imported CVEs to the shipped rule\'s, with the known-exploited flag, naming both sources', async () => {
    const pack = loadSignatures(undefined, { imported: await importedSet('nvd-page.json') });
    const finding = judge(pack, [service('dnsmasq', '2.85', 53, 'dnsmasq-2.85')]);
    expect(finding).toMatchObject({ severity: 'critical', port: 53 });
    expect(finding?.summary).toMatch(/2 published vulnerabilities, some exploited in the wild/);
    expect(finding?.evidence.facts).toMatchObject({ rule: 'dnsmasq', 'imported from': 'NVD file nvd-page.json, imported 2099-02-03: CVE-2099-0001' });
  });

  it('keeps a shipped rule\'s judgement of a CVE it names, even where the imported range is wider', async () => {
    const pack = loadSignatures(undefined, { imported: await importedSet('nvd-page.json') });
    // The shipped rule fixes CVE-2016-7406 in 2016.74; the imported copy says "before 2099.1".
    const assessment = assessVersion(pack.versions, 'dropbear', '2017.75');
    expect(assessment?.vulnerabilities.map((v) => v.cves.join()).sort()).toEqual(['CVE-2018-15599', 'CVE-2099-0002']);
  });

  it('names each CVE once when two imported files carry it', async () => {
    const pack = loadSignatures(undefined, { imported: await importedSet('nvd-page.json', 'nvdcve-2.0-2099.json.gz') });
    const assessment = assessVersion(pack.versions, 'openssh', '8.5p1');
    expect(assessment?.vulnerabilities.filter((v) => v.cves.includes('CVE-2099-0007')).map((v) => v.importedFrom?.file)).toEqual(['nvd-page.json']);
  });

  it('keeps the confidence rules: a distribution revision makes an imported match low confidence, with the reason', async () => {
    const pack = loadSignatures(undefined, { imported: await importedSet('nvd-page.json') });
    const finding = judge(pack, [service('openssh', '7.4p1', 22, 'SSH-2.0-OpenSSH_7.4p1 Debian-10+deb9u7')]);
    expect(finding?.confidence).toBe('low');
    expect(finding?.confidenceReason).toMatch(/backported/);
    expect(finding?.evidence.facts['cves']).toContain('CVE-2099-0003');
  });

  it('checks inclusive and exclusive bounds: versionEndIncluding, versionStartExcluding, last_affected', async () => {
    const pack = loadSignatures(undefined, { imported: await importedSet('nvd-page.json', 'osv-records.json', 'osv-record.json') });
    const has = (product: string, version: string, cve: string) => assessVersion(pack.versions, product, version)?.vulnerabilities.some((v) => v.cves.includes(cve)) ?? false;
    expect([has('dropbear', '2019.78', 'CVE-2099-0002'), has('dropbear', '2020.79', 'CVE-2099-0002')]).toEqual([true, false]);
    expect([has('openssh', '8.0', 'CVE-2099-0007'), has('openssh', '8.0p1', 'CVE-2099-0007'), has('openssh', '8.8', 'CVE-2099-0007')]).toEqual([false, true, false]);
    expect([has('apache-httpd', '2.4.49', 'CVE-2099-0201'), has('apache-httpd', '2.4.50', 'CVE-2099-0201')]).toEqual([true, false]);
    expect([has('nginx', '1.20.2', 'CVE-2099-0101'), has('nginx', '1.21.0', 'CVE-2099-0101'), has('nginx', '1.22.0', 'CVE-2099-0101')]).toEqual([true, false, true]);
  });

  it('changes the pack hash with the set, whatever the parsed-signature cache holds', async () => {
    const cacheDir = scratch();
    const shipped = loadSignatures(undefined, { cacheDir });
    const first = loadSignatures(undefined, { cacheDir, imported: await importedSet('nvd-page.json') });
    const second = loadSignatures(undefined, { cacheDir, imported: await importedSet('nvd-page.json', 'osv-record.json') });
    expect(new Set([shipped.info.hash, first.info.hash, second.info.hash]).size).toBe(3);
    expect(assessVersion(second.versions, 'nginx', '1.20.0')?.vulnerabilities.some((v) => v.cves.includes('CVE-2099-0101'))).toBe(true);
    expect(assessVersion(first.versions, 'nginx', '1.20.0')?.vulnerabilities.some((v) => v.cves.includes('CVE-2099-0101'))).toBe(false);
    expect(loadSignatures(undefined, { cacheDir, imported: { formatVersion: IMPORTED_SET_VERSION, sources: [] } }).info.hash).toBe(shipped.info.hash);
  });
});

describe('the stored set', () => {
  it('lives beside the history database: the default one, or the one --db names', () => {
    expect(importedSetPath(undefined, { XDG_DATA_HOME: '/data', HOME: '/home/me' })).toBe('/data/iotscan/imported-vulnerabilities.json');
    expect(importedSetPath(undefined, { HOME: '/home/me' })).toBe('/home/me/.local/share/iotscan/imported-vulnerabilities.json');
    expect(importedSetPath('/srv/scans/history.db', {})).toBe('/srv/scans/imported-vulnerabilities.json');
    expect(importedSetPath(':memory:', { XDG_DATA_HOME: '/data' })).toBe('/data/iotscan/imported-vulnerabilities.json');
  });

  it('reads back what was written, and is gone after removal', async () => {
    const path = join(scratch(), 'nested', 'imported-vulnerabilities.json');
    expect(readImportedSet(path)).toBeUndefined();
    const set = await importedSet('osv-record.json');
    writeImportedSet(path, set);
    expect(readImportedSet(path)).toEqual(set);
    expect(removeImportedSet(path)).toBe(true);
    expect(removeImportedSet(path)).toBe(false);
  });

  it.each([
    ['from another version of iotscan', '{"formatVersion": 2, "sources": []}', /another version of iotscan/],
    ['with a wrong field', '{"formatVersion": 1, "sources": [{"file": "x"}]}', /damaged/],
  ])('refuses a set %s in one line', (_name, text, message) => {
    const path = join(scratch(), 'imported-vulnerabilities.json');
    writeFileSync(path, text);
    expect(() => readImportedSet(path)).toThrow(message);
  });
});
