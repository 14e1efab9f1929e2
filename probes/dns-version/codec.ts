// The `version.bind` CHAOS-class TXT query (a BIND convention that dnsmasq, Unbound and others
// follow; RFC 4892 §2 describes it) and its answer. Packets go through dns-packet; pure.
import { decode, encode } from 'dns-packet';
import type { Answer } from 'dns-packet';
import { decodeTextSafe } from '../../src/core/sanitize.js';

export const VERSION_NAME = 'version.bind';
const MAX_VERSION_LENGTH = 256;
/** An answer to one short question; far less than this in practice. */
export const MAX_RESPONSE_BYTES = 4096;

/** RFC 1035 §4.1.1 RCODE values that say "no version for you". */
const RCODE_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'NOERROR'],
  [1, 'FORMERR'],
  [2, 'SERVFAIL'],
  [3, 'NXDOMAIN'],
  [4, 'NOTIMP'],
  [5, 'REFUSED'],
]);

export function buildVersionQuery(id: number): Uint8Array {
  return new Uint8Array(encode({ type: 'query', id, flags: 0, questions: [{ type: 'TXT', class: 'CH', name: VERSION_NAME }] }));
}

export type VersionAnswer = { kind: 'version'; version: string } | { kind: 'no-version'; rcode: string };

function txtText(answer: Answer): string | undefined {
  if (answer.type !== 'TXT' || answer.name.toLowerCase() !== VERSION_NAME) return undefined;
  const parts = Array.isArray(answer.data) ? answer.data : [answer.data];
  const bytes = parts.map((part) => (typeof part === 'string' ? new TextEncoder().encode(part) : new Uint8Array(part)));
  const joined = new Uint8Array(bytes.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of bytes) {
    joined.set(part, offset);
    offset += part.length;
  }
  return decodeTextSafe(joined, MAX_VERSION_LENGTH);
}

/**
 * The answer to our query `id`: the version text, or the reason there is none. Anything that is not
 * a response to it (another id, a query, garbage) gives undefined.
 */
export function parseVersionResponse(bytes: Uint8Array, id: number): VersionAnswer | undefined {
  if (bytes.length > MAX_RESPONSE_BYTES) return undefined;
  let packet: ReturnType<typeof decode>;
  try {
    packet = decode(Buffer.from(bytes));
  } catch {
    return undefined;
  }
  if (packet.type !== 'response' || packet.id !== id) return undefined;
  for (const answer of packet.answers ?? []) {
    const text = txtText(answer);
    if (text !== undefined && text !== '') return { kind: 'version', version: text };
  }
  const rcode = (packet.flags ?? 0) & 0x0f;
  return { kind: 'no-version', rcode: RCODE_NAMES.get(rcode) ?? `RCODE ${rcode}` };
}
