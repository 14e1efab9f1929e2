// Reads the vulnerability files a user downloaded (plain JSON, gzip, or zip) as a stream of
// records, in bounded memory: the I/O edge of the importer. Nothing here touches the network.
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { pipeline, Readable } from 'node:stream';
import { createGunzip, createInflateRaw, inflateRawSync } from 'node:zlib';
import { JsonItemSplitter, JsonSplitError, type JsonSplitLimits } from './json-items.js';
import { ImportFileError, type ImportItem } from './vuln-records.js';

export interface ImportLimits extends JsonSplitLimits {
  /** Bytes a file may inflate to, across all its zip entries: a bound against decompression bombs. */
  maxInflatedBytes: number;
  /** Bytes of a zip's central directory (the list of its entries) read into memory. */
  maxZipDirectoryBytes: number;
  /** Compressed size up to which a zip entry is read and inflated whole rather than streamed. */
  maxBufferedEntryBytes: number;
}

export const IMPORT_LIMITS: ImportLimits = {
  // Far above any one NVD or OSV record; a larger one is skipped without being kept in memory.
  maxItemChars: 32 * 2 ** 20,
  maxDocumentChars: 32 * 2 ** 20,
  maxInflatedBytes: 16 * 2 ** 30,
  maxZipDirectoryBytes: 256 * 2 ** 20,
  maxBufferedEntryBytes: 2 ** 20,
};

const GZIP_MAGIC = [0x1f, 0x8b];
const ZIP_LOCAL_HEADER = 0x04034b50;
const ZIP_END_OF_DIRECTORY = 0x06054b50;

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Feeds text chunks through the splitter; an NVD list's elements are NVD records, anything else OSV. */
async function* itemsOf(chunks: AsyncIterable<string>, limits: ImportLimits): AsyncGenerator<ImportItem> {
  const splitter = new JsonItemSplitter(limits);
  for await (const chunk of chunks) {
    for (const event of splitter.push(chunk)) {
      if (event.kind === 'skipped') {
        yield { kind: 'unreadable' };
      } else if (event.kind === 'list') {
        yield { kind: 'list', format: event.list === 'vulnerabilities' ? 'nvd' : 'osv' };
      } else {
        const value = parse(event.text);
        const format = event.kind === 'item' && event.list === 'vulnerabilities' ? 'nvd' : 'osv';
        yield value === undefined ? { kind: 'unreadable' } : { kind: 'record', format, value };
      }
    }
  }
  splitter.end();
}

/** Text from a byte stream, counting the bytes against the inflate budget. */
async function* textOf(stream: Readable, budget: { left: number }): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    budget.left -= chunk.length;
    if (budget.left < 0) throw new JsonSplitError('it inflates to more data than the import allows (a damaged or hostile archive?)');
    yield decoder.decode(chunk, { stream: true });
  }
  yield decoder.decode();
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  if (readSync(fd, buffer, 0, length, position) !== length) throw new JsonSplitError('the zip archive is cut short');
  return buffer;
}

interface ZipEntry {
  name: string;
  method: number;
  encrypted: boolean;
  compressedSize: number;
  localHeaderOffset: number;
}

function uint64(buffer: Buffer, offset: number): number {
  const value = buffer.readBigUInt64LE(offset);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new JsonSplitError('the zip archive gives an impossible size');
  return Number(value);
}

/**
 * The entries of a zip archive from its central directory (PKWARE APPNOTE.TXT 6.3: §4.3.16 end of
 * central directory, §4.3.15/§4.3.14 the ZIP64 locator and record, §4.3.12 file headers, §4.5.3 the
 * ZIP64 extra field). The central directory, not the local headers, has the sizes of entries
 * written with a data descriptor.
 */
function zipEntries(fd: number, size: number, limits: ImportLimits): ZipEntry[] {
  const tailLength = Math.min(size, 22 + 0xffff);
  const tail = readAt(fd, size - tailLength, tailLength);
  let end = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === ZIP_END_OF_DIRECTORY) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new JsonSplitError('the zip archive has no central directory (damaged or cut short)');
  let count = tail.readUInt16LE(end + 10);
  let directorySize = tail.readUInt32LE(end + 12);
  let directoryOffset = tail.readUInt32LE(end + 16);
  if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    const locatorAt = size - tailLength + end - 20;
    const locator = locatorAt >= 0 ? readAt(fd, locatorAt, 20) : undefined;
    if (locator === undefined || locator.readUInt32LE(0) !== 0x07064b50) throw new JsonSplitError('the zip archive lacks its ZIP64 locator');
    const record = readAt(fd, uint64(locator, 8), 56);
    if (record.readUInt32LE(0) !== 0x06064b50) throw new JsonSplitError('the zip archive lacks its ZIP64 directory record');
    count = uint64(record, 32);
    directorySize = uint64(record, 40);
    directoryOffset = uint64(record, 48);
  }
  if (directorySize > limits.maxZipDirectoryBytes) throw new JsonSplitError('the zip archive lists more entries than the import reads');
  if (directoryOffset + directorySize > size) throw new JsonSplitError('the zip archive is cut short');
  const directory = readAt(fd, directoryOffset, directorySize);
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let n = 0; n < count; n++) {
    if (at + 46 > directory.length || directory.readUInt32LE(at) !== 0x02014b50) throw new JsonSplitError('the zip archive has a damaged central directory');
    const nameLength = directory.readUInt16LE(at + 28);
    const extraLength = directory.readUInt16LE(at + 30);
    const commentLength = directory.readUInt16LE(at + 32);
    if (at + 46 + nameLength + extraLength + commentLength > directory.length) throw new JsonSplitError('the zip archive has a damaged central directory');
    let compressedSize = directory.readUInt32LE(at + 20);
    const uncompressed = directory.readUInt32LE(at + 24);
    let localHeaderOffset = directory.readUInt32LE(at + 42);
    // ZIP64 extra field: the 8-byte values of the fields set to 0xFFFFFFFF, in this order.
    for (let x = at + 46 + nameLength; x + 4 <= at + 46 + nameLength + extraLength; ) {
      const id = directory.readUInt16LE(x);
      const length = directory.readUInt16LE(x + 2);
      if (id === 0x0001) {
        let field = x + 4;
        const next = () => {
          if (field + 8 > x + 4 + length) throw new JsonSplitError('the zip archive has a damaged ZIP64 field');
          const value = uint64(directory, field);
          field += 8;
          return value;
        };
        if (uncompressed === 0xffffffff) next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next();
      }
      x += 4 + length;
    }
    entries.push({
      name: directory.toString('utf8', at + 46, at + 46 + nameLength),
      method: directory.readUInt16LE(at + 10),
      encrypted: (directory.readUInt16LE(at + 8) & 1) === 1,
      compressedSize,
      localHeaderOffset,
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** An entry's bytes in 64 KiB pieces, read at their offset (the descriptor stays open for the next entry). */
function* bytesAt(fd: number, start: number, length: number): Generator<Buffer> {
  for (let at = 0; at < length; at += 65_536) yield readAt(fd, start + at, Math.min(65_536, length - at));
}

/** Output of one entry inflated in a single call; a larger one is streamed instead. */
const BUFFERED_OUTPUT_BYTES = 64 * 2 ** 20;

/**
 * An entry's text. Small entries (osv.dev's records are a few kilobytes) are inflated in one call,
 * which is much cheaper per entry than a stream; large ones (an NVD feed in a zip) stream.
 */
async function* entryText(fd: number, entry: ZipEntry, dataStart: number, budget: { left: number }, limits: ImportLimits): AsyncGenerator<string> {
  if (entry.compressedSize <= limits.maxBufferedEntryBytes) {
    const compressed = readAt(fd, dataStart, entry.compressedSize);
    const bytes = entry.method === 0 ? compressed : inflateSmall(compressed, Math.max(1, Math.min(budget.left, BUFFERED_OUTPUT_BYTES)));
    if (bytes !== undefined) {
      budget.left -= bytes.length;
      yield new TextDecoder('utf-8').decode(bytes);
      return;
    }
  }
  const raw = Readable.from(bytesAt(fd, dataStart, entry.compressedSize));
  try {
    yield* textOf(entry.method === 8 ? pipeline(raw, createInflateRaw(), () => {}) : raw, budget);
  } finally {
    raw.destroy();
  }
}

/** Inflates a deflated entry, or undefined when it would pass `maxOutputLength` (then it is streamed against the budget). */
function inflateSmall(compressed: Buffer, maxOutputLength: number): Buffer | undefined {
  try {
    return inflateRawSync(compressed, { maxOutputLength });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return undefined;
    throw error;
  }
}

/**
 * Each .json entry of a zip in turn: osv.dev exports every ecosystem as <ECOSYSTEM>/all.zip, one
 * record per file (https://google.github.io/osv.dev/data), and NVD offers its feeds as .json.zip too.
 */
async function* zipItems(path: string, limits: ImportLimits): AsyncGenerator<ImportItem> {
  const fd = openSync(path, 'r');
  try {
    const { size } = fstatSync(fd);
    const budget = { left: limits.maxInflatedBytes };
    for (const entry of zipEntries(fd, size, limits)) {
      if (!entry.name.toLowerCase().endsWith('.json')) continue;
      // Stored (0) and deflated (8) are what zip tools and osv.dev write; anything else is skipped.
      if (entry.encrypted || (entry.method !== 0 && entry.method !== 8)) {
        yield { kind: 'unreadable' };
        continue;
      }
      const local = readAt(fd, entry.localHeaderOffset, 30);
      if (local.readUInt32LE(0) !== ZIP_LOCAL_HEADER) throw new JsonSplitError('the zip archive has a damaged entry header');
      const dataStart = entry.localHeaderOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      if (dataStart + entry.compressedSize > size) throw new JsonSplitError('the zip archive is cut short');
      if (entry.compressedSize === 0) {
        yield { kind: 'unreadable' };
        continue;
      }
      // One damaged record in an archive of thousands is skipped, not fatal.
      try {
        yield* itemsOf(entryText(fd, entry, dataStart, budget, limits), limits);
      } catch (error) {
        if (!(error instanceof JsonSplitError) && (error as NodeJS.ErrnoException).code?.startsWith('Z_') !== true) throw error;
        if (budget.left < 0) throw error;
        yield { kind: 'unreadable' };
      }
    }
  } finally {
    closeSync(fd);
  }
}

function firstBytes(path: string, count: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(count);
    return buffer.subarray(0, readSync(fd, buffer, 0, count, 0));
  } finally {
    closeSync(fd);
  }
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'not allowed to read it';
  if (code === 'EISDIR') return 'it is a folder, not a file';
  if (code?.startsWith('Z_') === true) return 'its gzip data is damaged';
  return (error as Error).message;
}

/**
 * The records of one file, whatever its packing (told by its first bytes, not its name): NVD CVE
 * API 2.0 pages and feed files (https://nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-2024.json.gz, .json.zip) and OSV records (one, an
 * array, or a zip of them). A record that cannot be read is reported as such; a file that cannot
 * be read at all throws ImportFileError.
 */
export async function* readImportFile(path: string, limits: ImportLimits = IMPORT_LIMITS): AsyncGenerator<ImportItem> {
  try {
    const head = firstBytes(path, 4);
    if (head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]) {
      yield* itemsOf(textOf(pipeline(createReadStream(path), createGunzip(), () => {}), { left: limits.maxInflatedBytes }), limits);
    } else if (head.length === 4 && (head.readUInt32LE(0) === ZIP_LOCAL_HEADER || head.readUInt32LE(0) === ZIP_END_OF_DIRECTORY)) {
      yield* zipItems(path, limits);
    } else {
      yield* itemsOf(textOf(createReadStream(path), { left: Number.POSITIVE_INFINITY }), limits);
    }
  } catch (error) {
    if (error instanceof ImportFileError) throw error;
    const known = error instanceof JsonSplitError || typeof (error as NodeJS.ErrnoException).code === 'string';
    if (!known) throw error;
    throw new ImportFileError(describe(error), path, { cause: error });
  }
}

/** The SHA-256 of a file's bytes, so `vulns status` can tell which download was imported. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) hash.update(chunk);
  } catch (error) {
    throw new ImportFileError(describe(error), path, { cause: error });
  }
  return hash.digest('hex');
}
