// CoAP messages (RFC 7252 §3): a confirmable GET of /.well-known/core out, the resource directory
// in CoRE Link Format (RFC 6690) back, and the empty ACK that acknowledges a separate response.
// Only what a reflector check and resource list need is decoded. Pure.
import { decodeTextSafe, printable } from '../../src/core/sanitize.js';

/** One Ethernet frame's UDP payload; RFC 7252 §4.6 keeps messages well below it (1152 bytes). */
export const MAX_MESSAGE_BYTES = 1472;
/** RFC 7252 §3: TKL 9 to 15 are reserved (a message format error). */
const MAX_TOKEN_LENGTH = 8;
const MAX_RESOURCES = 32;
const MAX_RESOURCE_LENGTH = 128;
const MAX_RESOURCES_LENGTH = 512;

/** RFC 7252 §3: the Type field. */
export type MessageType = 'con' | 'non' | 'ack' | 'rst';
const TYPES: readonly MessageType[] = ['con', 'non', 'ack', 'rst'];

/** RFC 7252 §5.10 and RFC 7959 §2.1 option numbers. */
const OPTION_URI_PATH = 11;
const OPTION_CONTENT_FORMAT = 12;
const OPTION_BLOCK2 = 23;
/** RFC 7252 §12.3: application/link-format. */
const CONTENT_FORMAT_LINK_FORMAT = 40;
/** RFC 7252 §12.1.1: GET is 0.01. */
const CODE_GET = 0x01;
const PAYLOAD_MARKER = 0xff;
const VERSION = 1;

export interface Block2 {
  num: number;
  /** The M bit: more blocks follow. */
  more: boolean;
  /** Block size in bytes: 2^(SZX + 4). */
  size: number;
}

export interface CoapMessage {
  type: MessageType;
  /** Class in the top 3 bits, detail in the low 5 (RFC 7252 §3). */
  code: number;
  messageId: number;
  token: Uint8Array;
  contentFormat?: number;
  block2?: Block2;
  payload: Uint8Array;
}

function header(type: MessageType, tokenLength: number, code: number, messageId: number): number[] {
  return [(VERSION << 6) | (TYPES.indexOf(type) << 4) | tokenLength, code, (messageId >> 8) & 0xff, messageId & 0xff];
}

/** One option whose delta and length both fit the 4-bit fields (below 13), as the two Uri-Path options here do. */
function shortOption(delta: number, value: readonly number[]): number[] {
  return [(delta << 4) | value.length, ...value];
}

const ascii = (text: string): number[] => Array.from(text, (character) => character.charCodeAt(0) & 0x7f);

/** CON GET /.well-known/core (RFC 6690 §4): two Uri-Path options, no payload. */
export function buildWellKnownCoreGet(messageId: number, token: Uint8Array): Uint8Array {
  const tokenBytes = [...token.subarray(0, MAX_TOKEN_LENGTH)];
  return Uint8Array.from([
    ...header('con', tokenBytes.length, CODE_GET, messageId & 0xffff),
    ...tokenBytes,
    ...shortOption(OPTION_URI_PATH, ascii('.well-known')),
    ...shortOption(0, ascii('core')),
  ]);
}

/** The empty ACK (code 0.00, no token) that acknowledges a confirmable message (RFC 7252 §4.2). */
export function buildEmptyAck(messageId: number): Uint8Array {
  return Uint8Array.from(header('ack', 0, 0, messageId & 0xffff));
}

/** An unsigned option value (RFC 7252 §3.2 `uint`), at most 4 bytes. */
function uint(value: Uint8Array): number {
  let result = 0;
  for (const byte of value) result = result * 256 + byte;
  return result;
}

/** A 4-bit delta or length nibble with its extended bytes (RFC 7252 §3.1); undefined when malformed. */
function extended(nibble: number, bytes: Uint8Array, offset: number): { value: number; next: number } | undefined {
  if (nibble < 13) return { value: nibble, next: offset };
  if (nibble === 13) return offset < bytes.length ? { value: (bytes[offset] ?? 0) + 13, next: offset + 1 } : undefined;
  if (nibble === 14) return offset + 1 < bytes.length ? { value: (((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0)) + 269, next: offset + 2 } : undefined;
  return undefined;
}

/** A CoAP message, or undefined for anything RFC 7252 §3 calls a message format error (and oversized ones). */
export function parseMessage(bytes: Uint8Array): CoapMessage | undefined {
  if (bytes.length < 4 || bytes.length > MAX_MESSAGE_BYTES) return undefined;
  const first = bytes[0] ?? 0;
  if (first >> 6 !== VERSION) return undefined;
  const tokenLength = first & 0x0f;
  if (tokenLength > MAX_TOKEN_LENGTH || 4 + tokenLength > bytes.length) return undefined;
  // An empty message (code 0.00) is the 4-byte header and nothing else (§4.1).
  if (bytes[1] === 0 && bytes.length !== 4) return undefined;
  const message: CoapMessage = {
    type: TYPES[(first >> 4) & 0x03] ?? 'con',
    code: bytes[1] ?? 0,
    messageId: ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0),
    token: new Uint8Array(bytes.subarray(4, 4 + tokenLength)),
    payload: new Uint8Array(0),
  };
  let offset = 4 + tokenLength;
  let number = 0;
  while (offset < bytes.length) {
    const byte = bytes[offset] ?? 0;
    if (byte === PAYLOAD_MARKER) {
      // A marker with nothing after it is a format error (§3).
      if (offset + 1 >= bytes.length) return undefined;
      message.payload = new Uint8Array(bytes.subarray(offset + 1));
      break;
    }
    const delta = extended(byte >> 4, bytes, offset + 1);
    if (delta === undefined) return undefined;
    const length = extended(byte & 0x0f, bytes, delta.next);
    if (length === undefined || length.next + length.value > bytes.length) return undefined;
    number += delta.value;
    const value = bytes.subarray(length.next, length.next + length.value);
    if (number === OPTION_CONTENT_FORMAT && value.length <= 2) message.contentFormat = uint(value);
    if (number === OPTION_BLOCK2 && value.length <= 3) {
      // RFC 7959 §2.2: NUM, then the M bit, then a 3-bit SZX (7 is reserved).
      const block = uint(value);
      if ((block & 0x07) === 7) return undefined;
      message.block2 = { num: block >> 4, more: (block & 0x08) !== 0, size: 1 << ((block & 0x07) + 4) };
    }
    offset = length.next + length.value;
  }
  return message;
}

/** `2.05`: the code as RFC 7252 §3 writes it, class dot two-digit detail. */
export function codeText(code: number): string {
  return `${code >> 5}.${String(code & 0x1f).padStart(2, '0')}`;
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((byte, index) => byte === b[index]);

/**
 * How a message relates to our request (RFC 7252 §4.2, §5.2, §5.3.2): the empty ACK before a separate
 * response, a reset, the response itself (piggybacked on the ACK or sent on its own), or unrelated.
 */
export function classifyReply(message: CoapMessage, request: { messageId: number; token: Uint8Array }): 'empty-ack' | 'reset' | 'response' | undefined {
  const isResponse = message.code >> 5 >= 2 && message.code >> 5 <= 5;
  if (message.type === 'ack' || message.type === 'rst') {
    if (message.messageId !== request.messageId) return undefined;
    if (message.code === 0) return message.type === 'ack' ? 'empty-ack' : 'reset';
    return message.type === 'ack' && isResponse && sameBytes(message.token, request.token) ? 'response' : undefined;
  }
  return isResponse && sameBytes(message.token, request.token) ? 'response' : undefined;
}

/**
 * The target of each link in a CoRE Link Format document (RFC 6690 §2): `</sensors/temp>;rt="x",...`
 * gives `/sensors/temp`. Commas inside quoted parameter values do not split links; a link cut off
 * (the end of a first Block2 block) is left out.
 */
export function linkFormatTargets(text: string): string[] {
  const targets: string[] = [];
  let atLinkStart = true;
  let quoted = false;
  for (let index = 0; index < text.length && targets.length < MAX_RESOURCES; index += 1) {
    const character = text[index];
    if (quoted) {
      if (character === '\\') index += 1;
      else if (character === '"') quoted = false;
      continue;
    }
    if (character === '"') quoted = true;
    else if (character === ',') atLinkStart = true;
    else if (character === '<' && atLinkStart) {
      const end = text.indexOf('>', index + 1);
      if (end < 0) break;
      const target = printable(text.slice(index + 1, end), MAX_RESOURCE_LENGTH);
      if (target !== '') targets.push(target);
      index = end;
      atLinkStart = false;
    } else if (character !== ' ') atLinkStart = false;
  }
  return targets;
}

/** The resources a 2.05 answer lists, space-separated, or undefined when it is no link-format document. */
export function describeResources(message: CoapMessage): string | undefined {
  if (codeText(message.code) !== '2.05' || message.payload.length === 0) return undefined;
  const text = decodeTextSafe(message.payload, MAX_MESSAGE_BYTES);
  // Without a Content-Format the payload is taken for link format only if it looks like one.
  const linkFormat = message.contentFormat === undefined ? text.startsWith('<') : message.contentFormat === CONTENT_FORMAT_LINK_FORMAT;
  if (!linkFormat) return undefined;
  const targets = linkFormatTargets(text);
  return targets.length > 0 ? printable(targets.join(' '), MAX_RESOURCES_LENGTH) : undefined;
}
