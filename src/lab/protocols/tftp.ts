// A TFTP server for lab devices (RFC 1350) that holds no files and takes none: a read request gets
// ERROR 1 "File not found", a write request ERROR 2 "Access violation", anything else ERROR 4.
// Enough for a scanner to see that TFTP answers, with no way to read or change the device.
//
// As RFC 1350 section 4 says, the answer to a request comes from a fresh port (the server's
// transfer identifier), not from port 69; a client must accept that.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { type RunningServer } from '../listen.js';

export interface TftpServerOptions {
  host: string;
  port: number;
}

const OPCODE_RRQ = 1;
const OPCODE_WRQ = 2;
const OPCODE_ERROR = 5;
export const TFTP_FILE_NOT_FOUND = 1;
export const TFTP_ACCESS_VIOLATION = 2;
export const TFTP_ILLEGAL_OPERATION = 4;
/** A request is opcode, file name, NUL, mode, NUL: far below one 512-byte data block. */
const MAX_REQUEST_BYTES = 516;
/** Replies in flight at once; beyond this, requests go unanswered rather than opening sockets. */
const MAX_PENDING_REPLIES = 32;

/** An ERROR packet: opcode 5, error code, message, NUL. */
export function tftpError(code: number, message: string): Buffer {
  const packet = Buffer.alloc(4 + Buffer.byteLength(message, 'ascii') + 1);
  packet.writeUInt16BE(OPCODE_ERROR, 0);
  packet.writeUInt16BE(code, 2);
  packet.write(message, 4, 'ascii');
  return packet;
}

/** The error a request deserves: [code, message]. */
function answerFor(request: Buffer): [number, string] {
  if (request.length < 4 || request.length > MAX_REQUEST_BYTES) return [TFTP_ILLEGAL_OPERATION, 'Illegal TFTP operation'];
  const opcode = request.readUInt16BE(0);
  const fileNameEnd = request.indexOf(0, 2);
  const modeEnd = fileNameEnd < 0 ? -1 : request.indexOf(0, fileNameEnd + 1);
  if (fileNameEnd <= 2 || modeEnd <= fileNameEnd + 1) return [TFTP_ILLEGAL_OPERATION, 'Illegal TFTP operation'];
  if (opcode === OPCODE_RRQ) return [TFTP_FILE_NOT_FOUND, 'File not found'];
  if (opcode === OPCODE_WRQ) return [TFTP_ACCESS_VIOLATION, 'Access violation'];
  return [TFTP_ILLEGAL_OPERATION, 'Illegal TFTP operation'];
}

export async function startTftpServer(options: TftpServerOptions): Promise<RunningServer> {
  const listener = createSocket('udp4');
  const replies = new Set<Socket>();

  const reply = (request: Buffer, client: RemoteInfo): void => {
    if (replies.size >= MAX_PENDING_REPLIES) return;
    const [code, message] = answerFor(request);
    const transfer = createSocket('udp4');
    replies.add(transfer);
    const close = (): void => {
      if (!replies.delete(transfer)) return;
      transfer.close();
    };
    transfer.on('error', close);
    transfer.bind(0, options.host, () => {
      transfer.send(tftpError(code, message), client.port, client.address, close);
    });
  };

  listener.on('message', reply);
  listener.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.bind(options.port, options.host, () => {
      listener.off('error', reject);
      resolve();
    });
  });

  return {
    port: listener.address().port,
    async stop() {
      for (const transfer of replies) transfer.close();
      replies.clear();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}
