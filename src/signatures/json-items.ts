// Splits a JSON document that arrives in chunks into the records of its one long list, so a feed
// of hundreds of megabytes is read in bounded memory: each record is handed over as its own text
// (for JSON.parse) and dropped. Pure: the caller reads the bytes.
//
// The layouts it knows: an NVD CVE API 2.0 page or feed file, an object whose `vulnerabilities`
// array holds the records (https://csrc.nist.gov/schema/nvd/api/2.0/cve_api_json_2.0.schema);
// an array of OSV records; one OSV record, an object without such an array (OSV schema 1.7).
// It tracks strings, escapes and nesting only; JSON.parse validates each record.

export type JsonListName = 'vulnerabilities' | 'top-level array';

export type JsonSplitEvent =
  /** A list of records begins. */
  | { kind: 'list'; list: JsonListName }
  /** One element of the list, as its JSON text. */
  | { kind: 'item'; list: JsonListName; text: string }
  /** A list element that is not an object or an array, or one larger than the item limit: skipped. */
  | { kind: 'skipped'; list: JsonListName; reason: 'not-an-object' | 'too-large' }
  /** The whole document, when it is an object with no `vulnerabilities` list (one OSV record). */
  | { kind: 'document'; text: string };

/** The input is not one of the layouts above, or it stops in the middle (a partial download). */
export class JsonSplitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonSplitError';
  }
}

export interface JsonSplitLimits {
  /** Characters one list element may have; a longer one is skipped, never buffered. */
  maxItemChars: number;
  /** Characters a top-level object may have before its `vulnerabilities` list starts (or in all, for one OSV record). */
  maxDocumentChars: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const BYTE_ORDER_MARK = 0xfeff;
const LIST_KEY = 'vulnerabilities';

const STRING_STOP = /["\\]/g;
const STRUCTURAL = /["{}[\]]/g;

/** The index of the next match of `pattern` (a global regex) in `text` from `from`, or text.length. */
function nextMatch(pattern: RegExp, text: string, from: number): number {
  pattern.lastIndex = from;
  return pattern.exec(text)?.index ?? text.length;
}

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/** Where the parser is among the keys and values of the top-level object. */
type KeyState = 'expect-key' | 'in-key' | 'after-key' | 'expect-value' | 'after-value';

/** Text gathered across chunks, with a size cap: past it the text is dropped, not kept. */
class Capture {
  private parts: string[] = [];
  private size = 0;
  tooLarge = false;

  constructor(private start: number) {}

  /** At the end of a chunk: keep its tail, and start at 0 in the next one. */
  carry(chunk: string, limit: number): void {
    this.add(chunk.slice(this.start), limit);
    this.start = 0;
  }

  /** The whole text up to `end` of this chunk, or undefined when it outgrew `limit`. */
  finish(chunk: string, end: number, limit: number): string | undefined {
    this.add(chunk.slice(this.start, end), limit);
    return this.tooLarge ? undefined : this.parts.join('');
  }

  private add(text: string, limit: number): void {
    if (this.tooLarge) return;
    this.size += text.length;
    if (this.size > limit) {
      this.tooLarge = true;
      this.parts = [];
    } else {
      this.parts.push(text);
    }
  }
}

export class JsonItemSplitter {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private root: 'start' | 'object' | 'array' | 'end' = 'start';
  private keyState: KeyState = 'expect-key';
  private key = '';
  /** The depth inside the list being split (0 = not in one). */
  private listDepth = 0;
  private listName: JsonListName = 'top-level array';
  private item: Capture | undefined;
  /** Inside a list element that is a bare string, number or literal. */
  private inPrimitive = false;
  private document: Capture | undefined;

  constructor(private readonly limits: JsonSplitLimits) {}

  push(chunk: string): JsonSplitEvent[] {
    const events: JsonSplitEvent[] = [];
    for (let i = 0; i < chunk.length; i++) {
      if (this.inString) {
        if (this.escaped) {
          this.escaped = false;
          continue;
        }
        // Most of a feed is string content: jump to the next quote or backslash.
        if (this.keyState !== 'in-key') i = nextMatch(STRING_STOP, chunk, i);
        if (i === chunk.length) break;
        const code = chunk.charCodeAt(i);
        if (code === BACKSLASH) this.escaped = true;
        else if (code === QUOTE) {
          this.inString = false;
          if (this.keyState === 'in-key') this.keyState = 'after-key';
        } else if (this.key.length <= LIST_KEY.length) this.key += chunk[i];
        continue;
      }
      // Below the top level and inside a record only quotes and brackets matter.
      if (this.depth >= 2 && this.depth !== this.listDepth) {
        i = nextMatch(STRUCTURAL, chunk, i);
        if (i === chunk.length) break;
      }
      const code = chunk.charCodeAt(i);
      if (isWhitespace(code)) continue;
      if (this.root === 'start') this.begin(code, i, events);
      else if (this.root === 'end') throw new JsonSplitError('there is more text after the end of the JSON document');
      else if (this.listDepth > 0 && this.depth === this.listDepth && this.item === undefined) this.betweenItems(code, chunk, i, events);
      else this.structural(code, chunk, i, events);
    }
    this.item?.carry(chunk, this.limits.maxItemChars);
    this.document?.carry(chunk, this.limits.maxDocumentChars);
    if (this.document?.tooLarge === true) throw this.documentTooLarge();
    return events;
  }

  /** Call after the last chunk: a document that is not complete is an error. */
  end(): void {
    if (this.root === 'start') throw new JsonSplitError('the file holds no JSON');
    if (this.root !== 'end') throw new JsonSplitError('the JSON stops in the middle (a partial download?)');
  }

  private begin(code: number, i: number, events: JsonSplitEvent[]): void {
    if (code === BYTE_ORDER_MARK) return;
    if (code === OPEN_OBJECT) {
      this.root = 'object';
      this.depth = 1;
      this.keyState = 'expect-key';
      this.document = new Capture(i);
    } else if (code === OPEN_ARRAY) {
      this.root = 'array';
      this.depth = 1;
      this.listDepth = 1;
      this.listName = 'top-level array';
      events.push({ kind: 'list', list: this.listName });
    } else {
      throw new JsonSplitError('the file is not JSON (it starts with neither { nor [)');
    }
  }

  private betweenItems(code: number, chunk: string, i: number, events: JsonSplitEvent[]): void {
    if (code === COMMA) {
      this.inPrimitive = false;
    } else if (code === CLOSE_ARRAY) {
      this.inPrimitive = false;
      this.listDepth = 0;
      this.depth--;
      this.closed(chunk, i, events);
    } else if (code === OPEN_OBJECT || code === OPEN_ARRAY) {
      this.item = new Capture(i);
      this.depth++;
    } else if (!this.inPrimitive) {
      this.inPrimitive = true;
      if (code === QUOTE) this.inString = true;
      events.push({ kind: 'skipped', list: this.listName, reason: 'not-an-object' });
    } else if (code === QUOTE) {
      this.inString = true;
    }
  }

  private structural(code: number, chunk: string, i: number, events: JsonSplitEvent[]): void {
    const topLevelObject = this.root === 'object' && this.depth === 1;
    switch (code) {
      case QUOTE:
        this.inString = true;
        if (topLevelObject) {
          if (this.keyState === 'expect-key') {
            this.keyState = 'in-key';
            this.key = '';
          } else {
            this.keyState = 'after-value';
          }
        }
        return;
      case OPEN_OBJECT:
      case OPEN_ARRAY:
        if (topLevelObject && this.keyState === 'expect-value' && this.key === LIST_KEY && code === OPEN_ARRAY) {
          // An NVD page or feed: from here on only the list's elements are kept.
          this.listDepth = 2;
          this.listName = 'vulnerabilities';
          this.document = undefined;
          events.push({ kind: 'list', list: this.listName });
        }
        this.depth++;
        return;
      case CLOSE_OBJECT:
      case CLOSE_ARRAY: {
        this.depth--;
        const item = this.item;
        if (item !== undefined && this.depth === this.listDepth) {
          this.item = undefined;
          const text = item.finish(chunk, i + 1, this.limits.maxItemChars);
          events.push(text === undefined ? { kind: 'skipped', list: this.listName, reason: 'too-large' } : { kind: 'item', list: this.listName, text });
        } else {
          this.closed(chunk, i, events);
        }
        return;
      }
      case COLON:
        if (topLevelObject && this.keyState === 'after-key') this.keyState = 'expect-value';
        return;
      case COMMA:
        if (topLevelObject) this.keyState = 'expect-key';
        return;
      default:
        if (topLevelObject && this.keyState === 'expect-value') this.keyState = 'after-value';
    }
  }

  /** After a closing bracket at `i`: the end of the document, or of a value of the top-level object. */
  private closed(chunk: string, i: number, events: JsonSplitEvent[]): void {
    if (this.depth === 0) {
      this.root = 'end';
      const document = this.document;
      this.document = undefined;
      if (document === undefined) return;
      const text = document.finish(chunk, i + 1, this.limits.maxDocumentChars);
      if (text === undefined) throw this.documentTooLarge();
      events.push({ kind: 'document', text });
    } else if (this.root === 'object' && this.depth === 1) {
      this.keyState = 'after-value';
    }
  }

  private documentTooLarge(): JsonSplitError {
    return new JsonSplitError(
      `its top-level JSON object is larger than ${Math.round(this.limits.maxDocumentChars / 2 ** 20)} MB and holds no "vulnerabilities" list: neither an NVD CVE 2.0 file nor an OSV record`,
    );
  }
}
