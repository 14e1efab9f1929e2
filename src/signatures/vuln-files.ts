// Reads the vulnerability files a user downloaded (plain JSON, gzip, or zip) as a stream of
// records, in bounded memory: the I/O edge of the importer. Nothing here touches the network.
// JSON is tokenized by stream-json, zip archives are read by yauzl, gzip by node:zlib; what this
// file adds is the layouts of NVD and OSV files and the bounds hostile input needs
// (docs/dependencies.md says why these libraries and what was measured).
import { createHash } from 'node:crypto';
import { close, closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { pipeline, Readable } from 'node:stream';
import { createGunzip, inflateRawSync } from 'node:zlib';
import { getManyValues, none } from 'stream-chain/defs.js';
import { Assembler } from 'stream-json/core/assembler.js';
import { jsonParser, type Token } from 'stream-json/core/parser.js';
import { fromRandomAccessReaderPromise, RandomAccessReader, type Entry, type ZipFile } from 'yauzl';
import { printable } from '../core/sanitize.js';
import { ImportFileError, type ImportItem } from './vuln-records.js';

export interface ImportLimits {
  /**
   * Size of one list element, in characters of its keys, strings and numbers plus one per token
   * (close to its length as compact JSON): a larger one is skipped, and never held whole.
   */
  maxItemChars: number;
  /** The same measure for a top-level object before its `vulnerabilities` list starts (in all, for one OSV record). */
  maxDocumentChars: number;
  /** Bytes a file may inflate to, across all its zip entries: a bound against decompression bombs. */
  maxInflatedBytes: number;
  /** Size (stored and inflated) up to which a zip entry is read and inflated whole rather than streamed. */
  maxBufferedEntryBytes: number;
}

export const IMPORT_LIMITS: ImportLimits = {
  // Far above any one NVD or OSV record; a larger one is skipped without being kept in memory.
  maxItemChars: 32 * 2 ** 20,
  maxDocumentChars: 32 * 2 ** 20,
  maxInflatedBytes: 16 * 2 ** 30,
  maxBufferedEntryBytes: 2 ** 20,
};

/** NVD records nest about ten levels deep, OSV records fewer; the tokenizer's stack grows with nesting. */
const MAX_DEPTH = 128;
const LIST_KEY = 'vulnerabilities';
const GZIP_MAGIC = [0x1f, 0x8b];
const ZIP_LOCAL_HEADER = 0x04034b50;
const ZIP_END_OF_DIRECTORY = 0x06054b50;

/** The file (or one zip entry) cannot be read: not JSON, cut short, damaged, too large. One line for the user. */
class UnreadableFile extends Error {}

/** A value being assembled from tokens, up to `limit` characters; past it the assembler is dropped and the rest only counted. */
interface Build {
  assembler: Assembler | undefined;
  size: number;
  limit: number;
}

const build = (limit: number): Build => ({ assembler: new Assembler(), size: 0, limit });

/**
 * `text` copied out of the tokenizer's input. V8 makes a slice of 13 or more characters a view of
 * the string it was cut from, so a short string a kept vulnerability holds on to would keep the
 * whole 64 KiB piece of the file alive (on a 250 MB feed: about 60 MB more at the peak).
 */
function unshared(text: string): string {
  return text.length < 13 ? text : (text + ' ').slice(0, -1);
}

/**
 * The records in one JSON document fed as text pieces. The layouts it knows: an NVD CVE API 2.0
 * page or feed file, an object whose `vulnerabilities` array holds the records
 * (https://csrc.nist.gov/schema/nvd/api/2.0/cve_api_json_2.0.schema); an array of OSV records;
 * one OSV record, an object without such an array (OSV schema 1.7). stream-json tokenizes; each
 * record is assembled on its own and handed over, so memory is one record, not the file.
 */
class RecordReader {
  // Unpacked: the tokenizer hands over strings in pieces instead of gathering each one whole, so
  // one huge string is counted against its record's limit as it arrives, and not kept.
  private readonly tokenize = jsonParser({ packValues: false });
  private root: 'start' | 'object' | 'array' | 'end' = 'start';
  private depth = 0;
  /** The depth of the list being read (1 for a top-level array, 2 for NVD's; 0 = not in one). */
  private listDepth = 0;
  private format: 'nvd' | 'osv' = 'osv';
  /** The top-level object, while no list has started in it. */
  private document: Build | undefined;
  /** The list element being read. */
  private element: Build | undefined;
  /** The last key of the top-level object, enough of it to tell the list's. */
  private key = '';
  private readingTopKey = false;
  /** The document's first character has been seen. */
  private begun = false;
  /** The key, string or number being read, while something keeps it. */
  private text = '';
  private items: ImportItem[] = [];

  constructor(private readonly limits: ImportLimits) {}

  /** The items `text` completes. */
  push(text: string): ImportItem[] {
    if (!this.begun) {
      const first = /[^ \t\n\r]/.exec(text)?.[0];
      if (first !== undefined && first !== '{' && first !== '[') throw new UnreadableFile('the file is not JSON (it starts with neither { nor [)');
      this.begun = first !== undefined;
    }
    return this.feed(text);
  }

  /** After the last piece: the items still held, or why the document is not whole. */
  end(): ImportItem[] {
    if (!this.begun) throw new UnreadableFile('the file holds no JSON');
    // stream-chain's end-of-input signal for a flushable stage (its types admit only text).
    const items = this.feed(none as unknown as string);
    if (this.root !== 'end') throw new UnreadableFile('the JSON stops in the middle (a partial download?)');
    return items;
  }

  private feed(text: string): ImportItem[] {
    let tokens;
    try {
      tokens = this.tokenize(text);
    } catch (error) {
      throw this.syntaxError(error as Error, text === (none as unknown));
    }
    if (tokens !== none) for (const token of getManyValues(tokens)) this.token(token);
    const items = this.items;
    this.items = [];
    return items;
  }

  /**
   * Why the tokenizer stopped. It drops the tokens of a piece it fails in, so its own words tell
   * text after the end (its "done" state); failing at the end of input, it was left in the middle.
   */
  private syntaxError(error: Error, atEnd: boolean): UnreadableFile {
    if (this.root === 'end' || error.message.endsWith('unexpected characters')) return new UnreadableFile('there is more text after the end of the JSON document');
    if (atEnd) return new UnreadableFile('the JSON stops in the middle (a partial download?)');
    return new UnreadableFile(`the JSON is damaged (${printable(error.message.replace(/^Parser (cannot parse input: )?/, ''), 100)})`);
  }

  /** Counts `chars` against what receives tokens now (the element, else the top-level object); its assembler while within the limit. */
  private charge(chars: number): Assembler | undefined {
    const target = this.element ?? this.document;
    if (target === undefined) return undefined;
    target.size += chars;
    if (target.size > target.limit) {
      if (target === this.document) {
        throw new UnreadableFile(
          `its top-level JSON object is larger than ${Math.round(target.limit / 2 ** 20)} MB and holds no "vulnerabilities" list: neither an NVD CVE 2.0 file nor an OSV record`,
        );
      }
      target.assembler = undefined;
    }
    return target.assembler;
  }

  /** A bare string, number or literal as a list element: skipped. */
  private primitive(): void {
    if (this.listDepth > 0 && this.depth === this.listDepth) this.items.push({ kind: 'unreadable' });
  }

  private token(token: Token): void {
    switch (token.name) {
      case 'startObject':
      case 'startArray':
        this.open(token.name);
        return;
      case 'endObject':
      case 'endArray':
        this.charge(1)?.[token.name]();
        this.close();
        return;
      case 'startKey':
        this.readingTopKey = this.root === 'object' && this.depth === 1;
        this.text = '';
        this.charge(1);
        return;
      case 'startString':
      case 'startNumber':
        this.primitive();
        this.text = '';
        this.charge(1);
        return;
      case 'stringChunk':
      case 'numberChunk':
        if (this.charge(token.value.length) !== undefined || (this.readingTopKey && this.text.length <= LIST_KEY.length)) this.text += token.value;
        return;
      case 'endKey':
        this.charge(1)?.keyValue(this.text);
        if (this.readingTopKey) this.key = this.text;
        this.readingTopKey = false;
        return;
      case 'endString':
        this.charge(1)?.stringValue(unshared(this.text));
        return;
      case 'endNumber':
        this.charge(1)?.numberValue(this.text);
        return;
      case 'nullValue':
      case 'trueValue':
      case 'falseValue':
        this.primitive();
        this.charge(1)?.consume(token);
        return;
      default:
        // Packed values and whitespace: the tokenizer is set to send neither.
        return;
    }
  }

  private open(name: 'startObject' | 'startArray'): void {
    if (this.root === 'start') {
      this.depth = 1;
      if (name === 'startArray') {
        this.root = 'array';
        this.listDepth = 1;
        this.items.push({ kind: 'list', format: 'osv' });
      } else {
        this.root = 'object';
        this.document = build(this.limits.maxDocumentChars);
        this.charge(1)?.startObject();
      }
      return;
    }
    if (this.root === 'object' && this.depth === 1 && name === 'startArray' && this.key === LIST_KEY) {
      // An NVD page or feed: from here on only the list's elements are kept.
      this.document = undefined;
      this.depth = this.listDepth = 2;
      this.format = 'nvd';
      this.items.push({ kind: 'list', format: 'nvd' });
      return;
    }
    if (this.listDepth > 0 && this.depth === this.listDepth) this.element = build(this.limits.maxItemChars);
    if (++this.depth > MAX_DEPTH) throw new UnreadableFile(`the JSON nests deeper than ${MAX_DEPTH} levels, which no NVD or OSV file does`);
    this.charge(1)?.[name]();
  }

  private close(): void {
    this.depth--;
    if (this.element !== undefined && this.depth === this.listDepth) {
      const assembler = this.element.assembler;
      this.element = undefined;
      // Too large: counted as unreadable, like an element that is not a record.
      this.items.push(assembler === undefined ? { kind: 'unreadable' } : { kind: 'record', format: this.format, value: assembler.current });
      return;
    }
    if (this.depth < this.listDepth) this.listDepth = 0;
    if (this.depth === 0) {
      this.root = 'end';
      const assembler = this.document?.assembler;
      this.document = undefined;
      if (assembler !== undefined) this.items.push({ kind: 'record', format: 'osv', value: assembler.current });
    }
  }
}

/**
 * The records of one JSON document arriving as bytes in pieces of any size (UTF-8; the decoder
 * drops a leading byte-order mark). Throws when the document as a whole cannot be read.
 */
export async function* jsonItems(bytes: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, limits: ImportLimits = IMPORT_LIMITS): AsyncGenerator<ImportItem> {
  const reader = new RecordReader(limits);
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of bytes) yield* reader.push(decoder.decode(chunk, { stream: true }));
  yield* reader.push(decoder.decode());
  yield* reader.end();
}

/** Bytes counted against the inflate budget. */
async function* counted(bytes: AsyncIterable<Buffer>, budget: { left: number }): AsyncGenerator<Buffer> {
  for await (const chunk of bytes) {
    budget.left -= chunk.length;
    if (budget.left < 0) throw new UnreadableFile('it inflates to more data than the import allows (a damaged or hostile archive?)');
    yield chunk;
  }
}

/** yauzl's own errors (a damaged archive, sizes that do not match) carry no code; file system and zlib errors do. */
function zipError(error: unknown, what: string): unknown {
  if (error instanceof UnreadableFile || !(error instanceof Error) || typeof (error as NodeJS.ErrnoException).code === 'string') return error;
  return new UnreadableFile(`${what} (${printable(error.message, 100)})`, { cause: error });
}

/** Bytes of an archive read at a time and the number of such blocks kept. */
const BLOCK_BYTES = 2 ** 20;
const CACHED_BLOCKS = 4;

/**
 * The archive as yauzl reads it, through a few cached blocks: yauzl's RandomAccessReader, its
 * extension point for sources of its users' own. yauzl reads each directory entry and local
 * header with small separate reads; served from memory instead of one file system call each, and
 * with small entries inflated whole (entryBytes), 30,000 entries take under 2 s instead of about
 * 15 (docs/dependencies.md).
 */
class CachedFileReader extends RandomAccessReader {
  private readonly blocks = new Map<number, Buffer>();

  constructor(
    private readonly path: string,
    private readonly fd: number,
  ) {
    super();
  }

  private block(index: number): Buffer {
    let block = this.blocks.get(index);
    if (block === undefined) {
      const buffer = Buffer.allocUnsafe(BLOCK_BYTES);
      block = buffer.subarray(0, readSync(this.fd, buffer, 0, BLOCK_BYTES, index * BLOCK_BYTES));
      // Directory and entry data are each read front to back: the oldest block goes first.
      if (this.blocks.size >= CACHED_BLOCKS) this.blocks.delete(this.blocks.keys().next().value ?? index);
      this.blocks.set(index, block);
    }
    return block;
  }

  /** Copies up to `length` bytes from `position`; fewer at the end of the file. */
  copy(target: Buffer, offset: number, length: number, position: number): number {
    let copied = 0;
    while (copied < length) {
      const at = position + copied;
      const block = this.block(Math.floor(at / BLOCK_BYTES));
      const from = at % BLOCK_BYTES;
      if (from >= block.length) break;
      copied += block.copy(target, offset + copied, from, Math.min(block.length, from + length - copied));
    }
    return copied;
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (error: Error | null, bytesRead?: number) => void): void {
    try {
      const bytesRead = this.copy(buffer, offset, length, position);
      queueMicrotask(() => callback(null, bytesRead));
    } catch (error) {
      queueMicrotask(() => callback(error as Error));
    }
  }

  /** An entry's stored bytes: a small one from the cache, a large one streamed from the file (its own descriptor, which the stream closes). */
  override _readStreamForRange(start: number, end: number): Readable {
    if (end - start > BLOCK_BYTES) return createReadStream(this.path, { start, end: end - 1 });
    const bytes = Buffer.allocUnsafe(end - start);
    return Readable.from([bytes.subarray(0, this.copy(bytes, 0, bytes.length, start))]);
  }

  override close(callback: (error: Error | null) => void): void {
    close(this.fd, callback);
  }
}

/**
 * An entry's bytes. A small one (osv.dev's records are a few kilobytes) is read from the cache and
 * inflated in one call, which costs far less per entry than yauzl's read and inflate streams, and
 * must come to the size the directory gives; a large one (an NVD feed in a zip) streams, and yauzl
 * checks its size (validateEntrySizes). yauzl finds where the entry's data starts either way.
 */
async function* entryBytes(zip: ZipFile, reader: CachedFileReader, entry: Entry, limits: ImportLimits): AsyncGenerator<Buffer> {
  if (Math.max(entry.compressedSize, entry.uncompressedSize) > limits.maxBufferedEntryBytes) {
    yield* (await zip.openReadStreamPromise(entry)) as AsyncIterable<Buffer>;
    return;
  }
  const { fileDataStart } = await zip.readLocalFileHeaderPromise(entry, { minimal: true });
  const stored = Buffer.allocUnsafe(entry.compressedSize);
  let bytes = stored.subarray(0, reader.copy(stored, 0, stored.length, fileDataStart));
  if (entry.compressionMethod === 8) {
    try {
      bytes = inflateRawSync(bytes, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new UnreadableFile('a zip entry inflates to more than its directory gives');
      throw error;
    }
  }
  if (bytes.length !== entry.uncompressedSize) throw new UnreadableFile('a zip entry is shorter than its directory gives');
  yield bytes;
}

/**
 * Each .json entry of a zip in turn: osv.dev exports every ecosystem as <ECOSYSTEM>/all.zip, one
 * record per file (https://google.github.io/osv.dev/data), and NVD offers its feeds as .json.zip too.
 * yauzl reads the central directory (ZIP64 included) one entry at a time; the budget bounds what
 * all entries together inflate to.
 */
async function* zipItems(path: string, limits: ImportLimits): AsyncGenerator<ImportItem> {
  const fd = openSync(path, 'r');
  const reader = new CachedFileReader(path, fd);
  let zip: ZipFile;
  try {
    zip = await fromRandomAccessReaderPromise(reader, fstatSync(fd).size, { lazyEntries: true, validateEntrySizes: true });
  } catch (error) {
    closeSync(fd);
    throw zipError(error, 'the zip archive is damaged or cut short');
  }
  const budget = { left: limits.maxInflatedBytes };
  try {
    for await (const entry of zip.eachEntry()) {
      if (!entry.fileName.toLowerCase().endsWith('.json')) continue;
      // Stored and deflated are what zip tools and osv.dev write; encrypted entries and other methods are skipped.
      if (!entry.canDecodeFileData()) {
        yield { kind: 'unreadable' };
        continue;
      }
      // One damaged record in an archive of thousands is skipped, not fatal.
      try {
        yield* jsonItems(counted(entryBytes(zip, reader, entry, limits), budget), limits);
      } catch (error) {
        const entryError = zipError(error, 'a zip entry is damaged');
        const skippable = entryError instanceof UnreadableFile || (entryError as NodeJS.ErrnoException).code?.startsWith('Z_') === true;
        if (budget.left < 0 || !skippable) throw entryError;
        yield { kind: 'unreadable' };
      }
    }
  } catch (error) {
    throw zipError(error, 'the zip archive is damaged');
  } finally {
    // Closes the file once the last entry stream is done (yauzl counts them).
    zip.close();
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
      yield* jsonItems(counted(pipeline(createReadStream(path), createGunzip(), () => {}) as AsyncIterable<Buffer>, { left: limits.maxInflatedBytes }), limits);
    } else if (head.length === 4 && (head.readUInt32LE(0) === ZIP_LOCAL_HEADER || head.readUInt32LE(0) === ZIP_END_OF_DIRECTORY)) {
      yield* zipItems(path, limits);
    } else {
      yield* jsonItems(createReadStream(path) as AsyncIterable<Buffer>, limits);
    }
  } catch (error) {
    if (error instanceof ImportFileError) throw error;
    const known = error instanceof UnreadableFile || typeof (error as NodeJS.ErrnoException).code === 'string';
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
