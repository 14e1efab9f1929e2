// JSON lines: the event stream as it happens, one object per line, for pipes and scripts.
import type { ScanEvent } from '../core/events.js';
import { OUTPUT_SCHEMA_VERSION } from './json.js';

// JSON.stringify escapes C0 controls but leaves DEL, the C1 controls (U+009B is a one-byte CSI on
// some terminals) and the Unicode line separators raw; escaping them keeps the line inert.
const UNESCAPED_CONTROLS = /[\u007f-\u009f\u2028\u2029]/g;

/**
 * One event as one JSON line, terminated by "\n" (write it as is). No control character from a
 * hostile banner survives unescaped, so the line can neither break nor drive a terminal.
 * run-started carries `schemaVersion` so a reader knows which shape follows.
 */
export function toNdjsonLine(event: ScanEvent): string {
  const record = event.type === 'run-started' ? { type: event.type, schemaVersion: OUTPUT_SCHEMA_VERSION, run: event.run } : event;
  const json = JSON.stringify(record).replace(
    UNESCAPED_CONTROLS,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `${json}\n`;
}
