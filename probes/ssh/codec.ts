// SSH identification string and KEXINIT decoding (RFC 4253 §4.2 and §7.1), the type inside a
// host key blob (RFC 4253 §6.6) and the auth methods a server lists (RFC 4252 §5.1). Pure.
import { printable } from '../../src/core/sanitize.js';

/** Our software name; ssh2 is told the same, so its identification line repeats ours byte for byte. */
export const CLIENT_SOFTWARE = 'iotscan';
export const CLIENT_IDENTIFICATION = `SSH-2.0-${CLIENT_SOFTWARE}\r\n`;

/** RFC 4253 §4.2: the identification line is at most 255 characters; lines before it are allowed. */
const MAX_IDENTIFICATION_LENGTH = 255;
const MAX_PRELUDE_BYTES = 8192;
/** RFC 4253 §6.1: implementations must handle packets up to 35000 bytes. */
const MAX_PACKET_LENGTH = 35000;
const SSH_MSG_KEXINIT = 20;

export interface SshIdentification {
  /** The whole identification line, e.g. `SSH-2.0-dropbear_2014.63`. */
  banner: string;
  protocolVersion: string;
  /** `dropbear_2014.63`, `OpenSSH_9.2p1`. */
  software: string;
  /** Text after the first space, e.g. `Debian-2+deb12u3`. */
  comment?: string;
}

export type IdentificationResult =
  | { kind: 'found'; identification: SshIdentification; rest: Uint8Array }
  | { kind: 'incomplete' }
  | { kind: 'mismatch' };

export function parseIdentification(bytes: Uint8Array): IdentificationResult {
  let lineStart = 0;
  while (lineStart < bytes.length) {
    const newline = bytes.indexOf(0x0a, lineStart);
    if (newline < 0) break;
    const line = latin1(bytes.subarray(lineStart, newline)).replace(/\r$/, '');
    if (line.startsWith('SSH-')) {
      const identification = parseIdentificationLine(line);
      if (identification === undefined) return { kind: 'mismatch' };
      return { kind: 'found', identification, rest: bytes.subarray(newline + 1) };
    }
    lineStart = newline + 1;
    if (lineStart > MAX_PRELUDE_BYTES) return { kind: 'mismatch' };
  }
  const partial = bytes.subarray(lineStart);
  if (lineStart > MAX_PRELUDE_BYTES || partial.length > MAX_PRELUDE_BYTES) return { kind: 'mismatch' };
  // An unterminated line that already cannot be an identification line.
  const head = latin1(partial.subarray(0, 4));
  if (lineStart === 0 && head.length === 4 && head !== 'SSH-' && containsBinary(partial)) return { kind: 'mismatch' };
  return { kind: 'incomplete' };
}

export function parseIdentificationLine(line: string): SshIdentification | undefined {
  if (line.length > MAX_IDENTIFICATION_LENGTH) return undefined;
  const match = /^SSH-([0-9.]+)-([^\s-][^\s]*)(?: (.*))?$/.exec(line);
  if (match === null) return undefined;
  const [, protocolVersion = '', software = '', comment] = match;
  const identification: SshIdentification = {
    banner: printable(line, MAX_IDENTIFICATION_LENGTH),
    protocolVersion,
    software: printable(software, MAX_IDENTIFICATION_LENGTH),
  };
  const cleanComment = comment === undefined ? '' : printable(comment, MAX_IDENTIFICATION_LENGTH);
  if (cleanComment !== '') identification.comment = cleanComment;
  return identification;
}

export interface KexInit {
  kex: string[];
  hostKeyAlgorithms: string[];
  /** Client-to-server encryption algorithms (servers list the same both ways in practice). */
  ciphers: string[];
  /** Client-to-server MAC algorithms. */
  macs: string[];
}

export type KexInitResult = { kind: 'found'; kexInit: KexInit } | { kind: 'incomplete' } | { kind: 'invalid' };

/** Decodes the first binary packet after the identification line, which must be KEXINIT. */
export function parseKexInit(bytes: Uint8Array): KexInitResult {
  if (bytes.length < 6) return { kind: 'incomplete' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const packetLength = view.getUint32(0);
  const paddingLength = bytes[4] ?? 0;
  if (packetLength < 5 || packetLength > MAX_PACKET_LENGTH || paddingLength >= packetLength) return { kind: 'invalid' };
  if (bytes[5] !== SSH_MSG_KEXINIT) return { kind: 'invalid' };
  if (bytes.length < 4 + packetLength) return { kind: 'incomplete' };
  const payload = bytes.subarray(5, 4 + packetLength - paddingLength);
  // message type (1) + cookie (16), then the name-lists.
  let offset = 17;
  const lists: string[][] = [];
  for (let index = 0; index < 6; index += 1) {
    if (offset + 4 > payload.length) return { kind: 'invalid' };
    const length = new DataView(payload.buffer, payload.byteOffset + offset, 4).getUint32(0);
    offset += 4;
    if (offset + length > payload.length) return { kind: 'invalid' };
    const text = latin1(payload.subarray(offset, offset + length));
    offset += length;
    if (!/^[\x21-\x7e]*$/.test(text)) return { kind: 'invalid' };
    lists.push(text === '' ? [] : text.split(','));
  }
  const [kex = [], hostKeyAlgorithms = [], ciphers = [], , macs = []] = lists;
  return { kind: 'found', kexInit: { kex, hostKeyAlgorithms, ciphers, macs } };
}

/** RFC 4250 §4.6.1: names are printable US-ASCII without commas or spaces, at most 64 characters. */
const ALGORITHM_NAME = /^[\x21-\x2b\x2d-\x7e]{1,64}$/;
const MAX_AUTH_METHODS = 16;

/** The key type a host key blob starts with (`ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`). */
export function hostKeyType(blob: Uint8Array): string | undefined {
  if (blob.length < 4) return undefined;
  const length = new DataView(blob.buffer, blob.byteOffset, 4).getUint32(0);
  if (length > 64 || 4 + length > blob.length) return undefined;
  const name = latin1(blob.subarray(4, 4 + length));
  return ALGORITHM_NAME.test(name) ? name : undefined;
}

/** `ssh.auth-methods`: the well-formed names of the list, in the server's order. */
export function authMethodsField(methods: readonly string[]): string {
  return methods
    .filter((method) => ALGORITHM_NAME.test(method))
    .slice(0, MAX_AUTH_METHODS)
    .join(',');
}

function latin1(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}

function containsBinary(bytes: Uint8Array): boolean {
  return bytes.some((byte) => byte < 0x09 || (byte > 0x0d && byte < 0x20));
}
