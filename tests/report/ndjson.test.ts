import { describe, expect, it } from 'vitest';
import { toNdjsonLine } from '../../src/report/ndjson.js';
import { OUTPUT_SCHEMA_VERSION } from '../../src/report/json.js';
import { RUN, SCRIPTED_EVENTS } from './fixtures/scan-events.js';

describe('toNdjsonLine', () => {
  it('writes one parseable object per line, every event', () => {
    const text = SCRIPTED_EVENTS.map(toNdjsonLine).join('');
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(SCRIPTED_EVENTS.length);
    expect(lines.map((line) => (JSON.parse(line) as { type: string }).type)).toEqual(SCRIPTED_EVENTS.map((e) => e.type));
  });

  it('puts schemaVersion on run-started', () => {
    const parsed = JSON.parse(toNdjsonLine({ type: 'run-started', run: RUN })) as Record<string, unknown>;
    expect(parsed).toEqual({ type: 'run-started', schemaVersion: OUTPUT_SCHEMA_VERSION, run: RUN });
  });

  it('keeps hostile text on one inert line and round-trips it', () => {
    const banner = 'evil\n\u001b[2J\u009b31m\u2028\u007fend';
    const line = toNdjsonLine({ type: 'service-found', address: '10.0.0.2', service: { transport: 'tcp', port: 23, name: 'telnet', banner } });
    const raw = [...line.slice(0, -1)].filter((char) => {
      const code = char.charCodeAt(0);
      return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
    });
    expect(raw).toEqual([]);
    expect((JSON.parse(line) as { service: { banner: string } }).service.banner).toBe(banner);
  });
});
