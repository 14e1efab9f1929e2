import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { A_AUTH, A_CNXN, A_STLS, buildConnect, parseMessage, replyOf } from '../../probes/adb/codec.js';
import { adbProbe } from '../../probes/adb/probe.js';
import { listenTcp, runServiceProbe, subjectFor } from '../fixtures/harness.js';

/** An ADB message as protocol.txt lays it out, written independently of the codec. */
function adbMessage(command: string, arg0: number, arg1: number, payload: Buffer, magic?: number): Buffer {
  const header = Buffer.alloc(24);
  const commandWord = Buffer.from(command, 'latin1').readUInt32LE(0);
  header.writeUInt32LE(commandWord, 0);
  header.writeUInt32LE(arg0, 4);
  header.writeUInt32LE(arg1, 8);
  header.writeUInt32LE(payload.length, 12);
  header.writeUInt32LE(payload.reduce((sum, byte) => sum + byte, 0), 16);
  header.writeUInt32LE(magic ?? (commandWord ^ 0xffffffff) >>> 0, 20);
  return Buffer.concat([header, payload]);
}

const DEVICE_BANNER = 'device::ro.product.name=atv_box;ro.product.model=Living Room TV;ro.product.device=box;features=shell_v2,cmd\0';

describe('adb codec', () => {
  it('builds the CONNECT protocol.txt describes', () => {
    const connect = Buffer.from(buildConnect());
    expect(connect.subarray(0, 4).toString('latin1')).toBe('CNXN');
    expect(connect.readUInt32LE(4)).toBe(0x01000000);
    expect(connect.readUInt32LE(8)).toBe(4096);
    expect(connect.subarray(24).toString('latin1')).toBe('host::\0');
    expect(connect.readUInt32LE(12)).toBe(7);
    expect(connect).toEqual(adbMessage('CNXN', 0x01000000, 4096, Buffer.from('host::\0', 'latin1')));
    expect(A_CNXN).toBe(Buffer.from('CNXN').readUInt32LE(0));
    expect(A_AUTH).toBe(Buffer.from('AUTH').readUInt32LE(0));
    expect(A_STLS).toBe(Buffer.from('STLS').readUInt32LE(0));
  });

  it('reads a device CONNECT, waits for a whole message and refuses bad headers', () => {
    const reply = adbMessage('CNXN', 0x01000001, 256 * 1024, Buffer.from(DEVICE_BANNER, 'latin1'));
    const parsed = parseMessage(reply);
    expect(parsed.kind === 'message' && replyOf(parsed.message)).toEqual({
      reply: 'cnxn',
      banner: 'device::ro.product.name=atv_box;ro.product.model=Living Room TV;ro.product.device=box;features=shell_v2,cmd',
    });
    expect(parseMessage(reply.subarray(0, 30)).kind).toBe('incomplete');
    expect(parseMessage(reply.subarray(0, 10)).kind).toBe('incomplete');
    expect(parseMessage(adbMessage('CNXN', 1, 1, Buffer.alloc(0), 0x12345678)).kind).toBe('invalid');
    const huge = adbMessage('CNXN', 1, 1, Buffer.alloc(0));
    huge.writeUInt32LE(0x7fffffff, 12);
    expect(parseMessage(huge).kind).toBe('invalid');
    for (let round = 0; round < 200; round += 1) expect(() => parseMessage(randomBytes(64))).not.toThrow();
  });

  it('strips terminal escapes from the banner', () => {
    const parsed = parseMessage(adbMessage('CNXN', 0x01000000, 4096, Buffer.from('device::\u001b[2Jro.product.model=TV\u0007\0', 'latin1')));
    expect(parsed.kind === 'message' && replyOf(parsed.message)).toEqual({ reply: 'cnxn', banner: 'device::ro.product.model=TV' });
  });
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A fake adbd: answers a valid CNXN with `reply` and records every byte the probe sends. */
async function fakeAdbd(reply: Buffer | undefined): Promise<{ port: number; received: () => Buffer }> {
  const chunks: Buffer[] = [];
  const server = await listenTcp((socket: Socket) => {
    let buffered = Buffer.alloc(0);
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      buffered = Buffer.concat([buffered, chunk]);
      if (answered || buffered.length < 24 || buffered.length < 24 + buffered.readUInt32LE(12)) return;
      answered = true;
      if (buffered.subarray(0, 4).toString('latin1') === 'CNXN' && reply !== undefined) socket.write(reply);
    });
  });
  closers.push(server.close);
  return { port: server.port, received: () => Buffer.concat(chunks) };
}

describe('adb probe', () => {
  it('reports an open debug bridge and its banner', async () => {
    const device = await fakeAdbd(adbMessage('CNXN', 0x01000001, 256 * 1024, Buffer.from(DEVICE_BANNER, 'latin1')));
    const run = await runServiceProbe(adbProbe, subjectFor('127.0.0.1', device.port));
    expect(run.status).toBe('success');
    expect(run.observations).toEqual([
      {
        kind: 'observation',
        port: device.port,
        transport: 'tcp',
        fields: { 'adb.reply': 'cnxn', 'adb.banner': 'device::ro.product.name=atv_box;ro.product.model=Living Room TV;ro.product.device=box;features=shell_v2,cmd' },
      },
    ]);
  });

  it('reports key authorisation and never answers the challenge', async () => {
    for (const reply of [adbMessage('AUTH', 1, 0, randomBytes(20)), adbMessage('STLS', 0x01000000, 0, Buffer.alloc(0))]) {
      const device = await fakeAdbd(reply);
      const run = await runServiceProbe(adbProbe, subjectFor('127.0.0.1', device.port));
      expect(run.status).toBe('success');
      expect(run.observations[0]?.fields).toEqual({ 'adb.reply': 'auth' });
      // Only our CONNECT ever went out: no signature, no public key, no OPEN.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(device.received()).toEqual(Buffer.from(buildConnect()));
    }
  });

  it('calls other answers a protocol mismatch without throwing', async () => {
    const oversize = adbMessage('CNXN', 1, 1, Buffer.alloc(0));
    oversize.writeUInt32LE(0x7fffffff, 12);
    const replies = [Buffer.from('SSH-2.0-OpenSSH_9.2\r\n'), oversize, adbMessage('OKAY', 1, 1, Buffer.alloc(0)), randomBytes(1024 * 1024)];
    for (const reply of replies) {
      const device = await fakeAdbd(reply);
      const run = await runServiceProbe(adbProbe, subjectFor('127.0.0.1', device.port));
      expect(run.status).toBe('protocol-mismatch');
      expect(run.observations).toEqual([]);
    }
  });

  it('times out on a silent port', async () => {
    const device = await fakeAdbd(undefined);
    const run = await runServiceProbe(adbProbe, subjectFor('127.0.0.1', device.port), 200);
    expect(run.status).toBe('io-timeout');
  });
});
