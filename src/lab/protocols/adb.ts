// An Android Debug Bridge daemon as reached over TCP (`adb connect host:5555`) with authentication
// switched off: it answers the client's CONNECT with its own CONNECT and banner straight away,
// which is the finding. No stream is ever opened: every OPEN (shell:, sync:, ...) gets a CLOSE.
//
// Wire format from AOSP system/core adb/protocol.txt: 24-byte little-endian header (command, arg0,
// arg1, data_length, data_check, magic = command ^ 0xffffffff) then the payload; messages before
// CONNECT are ignored, a bad header closes the connection
// (https://android.googlesource.com/platform/system/core/+/master/adb/protocol.txt).
// Versions: 0x01000000 needs data_check = byte sum of the payload; 0x01000001 (Android 9+) lets
// both sides skip it and allows 1 MiB payloads (AOSP adb.h A_VERSION_SKIP_CHECKSUM, MAX_PAYLOAD).
import type * as net from 'node:net';
import { serveTcp, type RunningServer } from '../listen.js';

export interface AdbServerOptions {
  host: string;
  port: number;
  /** Device identity sent in CONNECT, e.g. `device::ro.product.name=...;features=...`. */
  banner: string;
}

export const A_CNXN = 0x4e584e43;
export const A_OPEN = 0x4e45504f;
export const A_CLSE = 0x45534c43;
const KNOWN_COMMANDS = new Set([
  0x434e5953, // SYNC
  A_CNXN,
  0x48545541, // AUTH
  A_OPEN,
  0x59414b4f, // OKAY
  A_CLSE,
  0x45545257, // WRTE
  0x534c5453, // STLS
]);
export const A_VERSION_MIN = 0x01000000;
export const A_VERSION_SKIP_CHECKSUM = 0x01000001;
const MAX_PAYLOAD = 1024 * 1024;
/** What a client may send before CONNECT told it our maxdata (protocol.txt: 4096 for old clients). */
const MAX_INCOMING_PAYLOAD = 64 * 1024;
const HEADER_BYTES = 24;
const IDLE_TIMEOUT_MS = 30_000;

export interface AdbMessage {
  command: number;
  arg0: number;
  arg1: number;
  payload: Buffer;
}

function byteSum(payload: Buffer): number {
  let sum = 0;
  for (const byte of payload) sum = (sum + byte) >>> 0;
  return sum;
}

/** One message on the wire; data_check carries the byte sum, which every version accepts. */
export function encodeAdbMessage(message: AdbMessage): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(message.command >>> 0, 0);
  header.writeUInt32LE(message.arg0 >>> 0, 4);
  header.writeUInt32LE(message.arg1 >>> 0, 8);
  header.writeUInt32LE(message.payload.length, 12);
  header.writeUInt32LE(byteSum(message.payload), 16);
  header.writeUInt32LE((message.command ^ 0xffffffff) >>> 0, 20);
  return Buffer.concat([header, message.payload]);
}

/**
 * Splits one message off the front of the buffer: undefined while it is incomplete, 'invalid'
 * for a header protocol.txt says must close the connection.
 */
export function takeAdbMessage(buffer: Buffer): { message: AdbMessage; rest: Buffer } | 'invalid' | undefined {
  if (buffer.length < HEADER_BYTES) return undefined;
  const command = buffer.readUInt32LE(0);
  const length = buffer.readUInt32LE(12);
  if (buffer.readUInt32LE(20) !== (command ^ 0xffffffff) >>> 0 || !KNOWN_COMMANDS.has(command) || length > MAX_INCOMING_PAYLOAD) {
    return 'invalid';
  }
  if (buffer.length < HEADER_BYTES + length) return undefined;
  return {
    message: {
      command,
      arg0: buffer.readUInt32LE(4),
      arg1: buffer.readUInt32LE(8),
      payload: buffer.subarray(HEADER_BYTES, HEADER_BYTES + length),
    },
    rest: buffer.subarray(HEADER_BYTES + length),
  };
}

function handleConnection(socket: net.Socket, banner: Buffer): void {
  let buffer: Buffer = Buffer.alloc(0);
  let connected = false;
  socket.setTimeout(IDLE_TIMEOUT_MS, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const taken = takeAdbMessage(buffer);
      if (taken === undefined) return;
      if (taken === 'invalid') {
        socket.destroy();
        return;
      }
      buffer = taken.rest;
      const { command, arg0, arg1 } = taken.message;
      if (command === A_CNXN) {
        if (arg0 < A_VERSION_MIN || arg1 === 0) {
          socket.destroy();
          return;
        }
        connected = true;
        // adbd answers with the lower of the two versions and of the two payload limits
        // (AOSP adb transport.cpp, atransport::update_version).
        const version = Math.min(arg0, A_VERSION_SKIP_CHECKSUM);
        socket.write(encodeAdbMessage({ command: A_CNXN, arg0: version, arg1: Math.min(arg1, MAX_PAYLOAD), payload: banner }));
      } else if (connected && command === A_OPEN && arg0 !== 0) {
        // A failed OPEN: CLOSE with local-id 0 and the client's id as remote-id.
        socket.write(encodeAdbMessage({ command: A_CLSE, arg0: 0, arg1: arg0, payload: Buffer.alloc(0) }));
      }
      // Anything else (before CONNECT, or stream traffic for streams that never opened) is ignored.
    }
  });
}

export async function startAdbServer(options: AdbServerOptions): Promise<RunningServer> {
  const banner = Buffer.from(options.banner, 'utf8');
  return serveTcp(options.host, options.port, (socket) => handleConnection(socket, banner));
}
