import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { buildReadRequest, parseReply } from '../../probes/tftp/codec.js';
import { tftpProbe } from '../../probes/tftp/probe.js';
import { bindUdp, closeUdpSockets, hexFixture, runServiceProbe, subjectFor } from '../fixtures/harness.js';

describe('tftp codec', () => {
  it('builds an octet-mode read request (RFC 1350)', () => {
    expect(Buffer.from(buildReadRequest('iotscan-probe-0badf00d')).toString('latin1')).toBe('\0\u0001iotscan-probe-0badf00d\0octet\0');
  });

  it('reads the ERROR and DATA packets recorded from tftpd-hpa', () => {
    expect(parseReply(hexFixture('tftp/tftpd-hpa-file-not-found.hex'))).toEqual({ kind: 'error', code: 1, message: 'File not found' });
    expect(parseReply(hexFixture('tftp/tftpd-hpa-data.hex'))).toEqual({ kind: 'data', block: 1 });
  });

  it('names an error by its code when the message is empty, and strips control characters', () => {
    expect(parseReply(Uint8Array.from([0, 5, 0, 2, 0]))).toEqual({ kind: 'error', code: 2, message: 'Access violation' });
    expect(parseReply(Uint8Array.from([0, 5, 0, 99]))).toEqual({ kind: 'error', code: 99, message: 'error 99' });
    const hostile = Buffer.concat([Buffer.from([0, 5, 0, 0]), Buffer.from('\u001b[31mno\u0007 way'), Buffer.from([0])]);
    expect(parseReply(hostile)).toEqual({ kind: 'error', code: 0, message: 'no way' });
    const long = Buffer.concat([Buffer.from([0, 5, 0, 0]), Buffer.alloc(4000, 0x41)]);
    const reply = parseReply(long);
    expect(reply?.kind === 'error' && reply.message.length).toBeLessThanOrEqual(256);
  });

  it('ignores everything else', () => {
    expect(parseReply(Uint8Array.from([0, 6, 0, 0]))).toBeUndefined();
    expect(parseReply(Uint8Array.from([0, 3, 0]))).toBeUndefined();
    expect(parseReply(new Uint8Array(600).fill(0).map((_, index) => (index === 1 ? 3 : 0)))).toBeUndefined();
    for (let round = 0; round < 200; round += 1) expect(() => parseReply(randomBytes(Math.floor(Math.random() * 700)))).not.toThrow();
  });
});

afterEach(closeUdpSockets);

/**
 * A TFTP server in the manner of RFC 1350 §4: requests arrive on the listening port, and the answer
 * comes from a fresh port (the server's transfer ID). It records everything it receives on both.
 */
async function tftpServer(answer: Buffer | undefined): Promise<{ port: number; requests: Buffer[]; afterAnswer: Buffer[] }> {
  const listener = await bindUdp();
  const transfer = await bindUdp();
  const requests: Buffer[] = [];
  const afterAnswer: Buffer[] = [];
  transfer.on('message', (message) => afterAnswer.push(message));
  listener.on('message', (message, remote) => {
    requests.push(message);
    if (answer !== undefined) transfer.send(answer, remote.port, remote.address);
  });
  return { port: listener.address().port, requests, afterAnswer };
}

describe('tftp probe', () => {
  it('proves a server by its error for a file that does not exist', async () => {
    const server = await tftpServer(Buffer.from(hexFixture('tftp/tftpd-hpa-file-not-found.hex')));
    const run = await runServiceProbe(tftpProbe, subjectFor('127.0.0.1', server.port, { transport: 'udp' }));
    expect(run.status).toBe('success');
    expect(run.observations).toEqual([{ kind: 'observation', port: server.port, transport: 'udp', fields: { 'tftp.reply': 'error', 'tftp.error': 'File not found' } }]);
    expect(server.requests).toHaveLength(1);
    const request = server.requests[0] ?? Buffer.alloc(0);
    expect([...request.subarray(0, 2)]).toEqual([0, 1]);
    const [filename, mode, rest] = request.subarray(2).toString('latin1').split('\0');
    expect([mode, rest]).toEqual(['octet', '']);
    expect(filename).toMatch(/^iotscan-probe-[0-9a-f]{8}$/);
  });

  it('stops at the first DATA packet without acknowledging it', async () => {
    const server = await tftpServer(Buffer.from(hexFixture('tftp/tftpd-hpa-data.hex')));
    const run = await runServiceProbe(tftpProbe, subjectFor('127.0.0.1', server.port, { transport: 'udp' }));
    expect(run.observations[0]?.fields).toEqual({ 'tftp.reply': 'data' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.afterAnswer).toEqual([]);
    // Only read requests ever go out: opcode 1, never a WRQ (2) or an ACK (4).
    expect(server.requests.every((request) => request[0] === 0 && request[1] === 1)).toBe(true);
  });

  it('retries once, then calls a silent or garbage-speaking port silent', async () => {
    for (const answer of [undefined, randomBytes(300)]) {
      const server = await tftpServer(answer);
      const run = await runServiceProbe(tftpProbe, subjectFor('127.0.0.1', server.port, { transport: 'udp' }), 150);
      expect(run.status).toBe('no-response');
      expect(run.observations).toEqual([]);
      expect(server.requests).toHaveLength(2);
    }
  });

  it('applies to UDP 69 only', () => {
    expect(tftpProbe.appliesTo(subjectFor('127.0.0.1', 69, { transport: 'udp' }))).toBe(true);
    expect(tftpProbe.appliesTo(subjectFor('127.0.0.1', 69))).toBe(false);
  });
});
