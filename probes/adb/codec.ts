// ADB transport messages (AOSP system/core adb/protocol.txt, "protocol overview and basics" and
// "CONNECT"): a 24-byte header of six little-endian 32-bit words (command, arg0, arg1,
// data_length, data_check, magic = command ^ 0xffffffff), then data_length bytes of payload. Pure.
import { decodeTextSafe } from '../../src/core/sanitize.js';

/** Command constants from protocol.txt ("message command constants"): ASCII, little-endian. */
export const A_CNXN = 0x4e584e43;
export const A_AUTH = 0x48545541;
export const A_STLS = 0x534c5453;
const KNOWN_COMMANDS: ReadonlySet<string> = new Set(['SYNC', 'CNXN', 'AUTH', 'OPEN', 'OKAY', 'CLSE', 'WRTE', 'STLS']);

/** protocol.txt: "version=0x01000000"; the oldest version, which every adbd accepts. */
const A_VERSION_MIN = 0x01000000;
/** Older adb hard-coded maxdata=4096, so nothing sent before the device's CONNECT may be larger. */
const LEGACY_MAX_DATA = 4096;
/** "<systemtype>:<serialno>:<banner>": a host with no serial and no banner. */
const HOST_IDENTITY = 'host::\0';

export const HEADER_BYTES = 24;
/** A device's CONNECT banner is a few hundred bytes of properties and features; more is not ADB. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
const MAX_BANNER_LENGTH = 512;

/**
 * The host's CONNECT. data_check is the byte sum of the payload, which adbd before protocol
 * version 0x01000001 (A_VERSION_SKIP_CHECKSUM) still verifies.
 */
export function buildConnect(): Uint8Array {
  const payload = new TextEncoder().encode(HOST_IDENTITY);
  const message = new Uint8Array(HEADER_BYTES + payload.length);
  const view = new DataView(message.buffer);
  const checksum = payload.reduce((sum, byte) => (sum + byte) >>> 0, 0);
  const words = [A_CNXN, A_VERSION_MIN, LEGACY_MAX_DATA, payload.length, checksum, (A_CNXN ^ 0xffffffff) >>> 0];
  words.forEach((word, index) => view.setUint32(index * 4, word, true));
  message.set(payload, HEADER_BYTES);
  return message;
}

export interface AdbMessage {
  command: number;
  arg0: number;
  arg1: number;
  payload: Uint8Array;
}

export type AdbReadResult = { kind: 'message'; message: AdbMessage } | { kind: 'incomplete' } | { kind: 'invalid' };

/** The first message in `bytes`: its header must check out (magic) and its payload fit the cap. */
export function parseMessage(bytes: Uint8Array): AdbReadResult {
  // The first four bytes already tell an ADB command from another protocol's greeting.
  if (bytes.length >= 4 && !KNOWN_COMMANDS.has(String.fromCharCode(...bytes.subarray(0, 4)))) return { kind: 'invalid' };
  if (bytes.length < HEADER_BYTES) return { kind: 'incomplete' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const command = view.getUint32(0, true);
  const dataLength = view.getUint32(12, true);
  const magic = view.getUint32(20, true);
  if (((command ^ 0xffffffff) >>> 0) !== magic || dataLength > MAX_PAYLOAD_BYTES) return { kind: 'invalid' };
  if (bytes.length < HEADER_BYTES + dataLength) return { kind: 'incomplete' };
  return {
    kind: 'message',
    message: { command, arg0: view.getUint32(4, true), arg1: view.getUint32(8, true), payload: bytes.slice(HEADER_BYTES, HEADER_BYTES + dataLength) },
  };
}

export type AdbReply = { reply: 'cnxn'; banner?: string } | { reply: 'auth' };

/**
 * What the device's answer to our CONNECT says. CNXN: it accepted us without any key. AUTH: it
 * wants a signature with an authorised key. STLS: it wants a TLS handshake with a paired key
 * (Android 11 wireless debugging), which is key authorisation too.
 */
export function replyOf(message: AdbMessage): AdbReply | undefined {
  switch (message.command) {
    case A_CNXN: {
      const banner = decodeTextSafe(message.payload.subarray(0, MAX_BANNER_LENGTH), MAX_BANNER_LENGTH);
      return banner === '' ? { reply: 'cnxn' } : { reply: 'cnxn', banner };
    }
    case A_AUTH:
    case A_STLS:
      return { reply: 'auth' };
    default:
      return undefined;
  }
}
