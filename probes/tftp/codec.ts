// TFTP packets (RFC 1350 §5): a read request out, and the DATA or ERROR that answers it. Pure.
import { decodeLatin1Safe } from '../../src/core/sanitize.js';

const OPCODE_RRQ = 1;
const OPCODE_DATA = 3;
const OPCODE_ERROR = 5;
const MAX_ERROR_LENGTH = 256;

/** RFC 1350 §5 error codes, used when the server sends a code without a message. */
const ERROR_MEANINGS: readonly string[] = [
  'Not defined',
  'File not found',
  'Access violation',
  'Disk full or allocation exceeded',
  'Illegal TFTP operation',
  'Unknown transfer ID',
  'File already exists',
  'No such user',
];

/** RRQ: opcode 1, file name, NUL, mode, NUL (netascii names). Octet mode: no newline translation. */
export function buildReadRequest(filename: string): Uint8Array {
  const ascii = (text: string) => Array.from(text, (character) => character.charCodeAt(0) & 0x7f);
  return Uint8Array.from([0, OPCODE_RRQ, ...ascii(filename), 0, ...ascii('octet'), 0]);
}

export type TftpReply = { kind: 'data'; block: number } | { kind: 'error'; code: number; message: string };

/** A DATA or ERROR packet; anything else (or a malformed one) gives undefined. */
export function parseReply(bytes: Uint8Array): TftpReply | undefined {
  if (bytes.length < 4) return undefined;
  const opcode = ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0);
  const second = ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0);
  // RFC 1350 §5: a DATA packet carries at most 512 bytes of data.
  if (opcode === OPCODE_DATA) return bytes.length <= 4 + 512 ? { kind: 'data', block: second } : undefined;
  if (opcode !== OPCODE_ERROR) return undefined;
  const rest = bytes.subarray(4);
  const end = rest.indexOf(0);
  const message = decodeLatin1Safe(end < 0 ? rest : rest.subarray(0, end), MAX_ERROR_LENGTH);
  return { kind: 'error', code: second, message: message !== '' ? message : (ERROR_MEANINGS[second] ?? `error ${second}`) };
}
