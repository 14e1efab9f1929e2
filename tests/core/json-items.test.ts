// The streaming splitter: the records of an NVD list, an OSV array or one OSV record, whatever
// the chunk boundaries, in bounded memory; a cut-short or foreign file is an error, not a guess.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JsonItemSplitter, JsonSplitError, type JsonSplitEvent } from '../../src/signatures/json-items.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/vulns/${name}`, import.meta.url), 'utf8');
const LIMITS = { maxItemChars: 1_000_000, maxDocumentChars: 1_000_000 };

/** Splits `text` fed in chunks of `size` characters. */
function split(text: string, size: number, limits = LIMITS): JsonSplitEvent[] {
  const splitter = new JsonItemSplitter(limits);
  const events: JsonSplitEvent[] = [];
  for (let i = 0; i < text.length; i += size) events.push(...splitter.push(text.slice(i, i + size)));
  splitter.end();
  return events;
}

describe('the JSON record splitter', () => {
  it.each([1, 7, 64, 100_000])('gives the elements of an NVD page in chunks of %i characters', (size) => {
    const text = fixture('nvd-page.json');
    const events = split(text, size);
    const expected = (JSON.parse(text) as { vulnerabilities: unknown[] }).vulnerabilities;
    expect(events[0]).toEqual({ kind: 'list', list: 'vulnerabilities' });
    const items = events.filter((e) => e.kind === 'item');
    expect(items.map((e) => JSON.parse(e.text) as unknown)).toEqual(expected);
    expect(items.every((e) => e.list === 'vulnerabilities')).toBe(true);
  });

  it('gives the records of an OSV array, and skips elements that are not objects', () => {
    const events = split(fixture('osv-records.json'), 13);
    expect(events.filter((e) => e.kind === 'item')).toHaveLength(8);
    expect(events.filter((e) => e.kind === 'skipped')).toEqual([{ kind: 'skipped', list: 'top-level array', reason: 'not-an-object' }]);
  });

  it('gives a single OSV record as the whole document', () => {
    const text = fixture('osv-record.json');
    const events = split(text, 5);
    expect(events).toHaveLength(1);
    expect(events[0]?.kind).toBe('document');
    expect(JSON.parse((events[0] as { text: string }).text)).toEqual(JSON.parse(text));
  });

  it('is not fooled by brackets, quotes and the list key inside strings', () => {
    const text = '{"note": "a \\"vulnerabilities\\": [ {", "x": {"vulnerabilities": [1]}, "vulnerabilities": [{"cve": {"id": "}]\\\\"}}, "skip", {"cve": {}}]}';
    const events = split(text, 3);
    expect(events.filter((e) => e.kind === 'item').map((e) => JSON.parse(e.text) as unknown)).toEqual([{ cve: { id: '}]\\' } }, { cve: {} }]);
    expect(events.filter((e) => e.kind === 'skipped')).toHaveLength(1);
  });

  it('skips a record past the size limit without keeping it, and goes on', () => {
    const big = JSON.stringify({ cve: { id: 'CVE-2099-1', text: 'x'.repeat(5000) } });
    const events = split(`{"vulnerabilities": [${big}, {"cve": {"id": "CVE-2099-2"}}]}`, 100, { maxItemChars: 1000, maxDocumentChars: 1000 });
    expect(events.map((e) => e.kind)).toEqual(['list', 'skipped', 'item']);
  });

  it('accepts a byte-order mark and surrounding whitespace', () => {
    expect(split('\uFEFF\n [ {"id": "A"} ] \n', 4).filter((e) => e.kind === 'item')).toHaveLength(1);
  });

  it.each([
    ['an empty file', '', /holds no JSON/],
    ['a file cut short', fixture('nvd-page.json').slice(0, 3000), /stops in the middle/],
    ['HTML', '<html><body>404</body></html>', /not JSON/],
    ['text after the document', '[{"id": "A"}] trailing', /more text after/],
  ])('refuses %s', (_name, text, message) => {
    expect(() => split(text, 50)).toThrow(JsonSplitError);
    expect(() => split(text, 50)).toThrow(message);
  });

  it('refuses a huge top-level object that holds no list, once it passes the limit', () => {
    const splitter = new JsonItemSplitter({ maxItemChars: 100, maxDocumentChars: 100 });
    expect(() => splitter.push(`{"CVE_Items": [${'{"a": 1},'.repeat(50)}`)).toThrow(/neither an NVD CVE 2.0 file nor an OSV record/);
  });
});
