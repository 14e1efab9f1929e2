// TFTP probe: one read request for a file that does not exist. Any ERROR or DATA answer proves a
// TFTP server (unauthenticated file transfer). It never writes (no WRQ) and never acknowledges
// DATA, so no transfer ever goes past the first block.
import type { ProbeContext, ProbeOutput, ServiceProbe, ServiceSubject } from '../../src/engine/probe.js';
import { buildReadRequest, parseReply } from './codec.js';
import type { TftpReply } from './codec.js';

const DEFAULT_PORTS = [69] as const;
/** UDP loses packets: one retry before calling the port silent. */
const ATTEMPTS = 2;
/** Like SNMP: a server on a home network answers within milliseconds. */
const MAX_WAIT_MS = 1000;
/** RFC 1350: a DATA packet is at most 4 + 512 bytes; an ERROR is short. */
const MAX_DATAGRAM_BYTES = 1024;

export const tftpProbe: ServiceProbe = {
  kind: 'service',
  id: 'tftp',
  protocol: 'tftp',
  categories: ['safe'],
  transport: 'udp',
  defaultPorts: DEFAULT_PORTS,
  fields: ['tftp.reply', 'tftp.error'],
  // Every live host gets one datagram: TFTP never shows up in a TCP scan.
  appliesTo: (subject: ServiceSubject) => subject.transport === 'udp' && (DEFAULT_PORTS as readonly number[]).includes(subject.port),
  run,
};

/** A name no device has, so a server can only answer with an error (or, oddly, with data). */
function harmlessFilename(): string {
  return `iotscan-probe-${Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0')}`;
}

async function* run(ctx: ProbeContext): AsyncIterable<ProbeOutput> {
  const { address, port } = ctx.subject;
  const socket = await ctx.net.openUdp({ maxBytes: MAX_DATAGRAM_BYTES, signal: ctx.signal });
  try {
    let reply: TftpReply | undefined;
    const request = buildReadRequest(harmlessFilename());
    for (let attempt = 0; attempt < ATTEMPTS && reply === undefined && !ctx.signal.aborted; attempt += 1) {
      try {
        await socket.send(address, port, request);
      } catch {
        break;
      }
      await socket.collect({
        windowMs: Math.min(ctx.timeoutMs, MAX_WAIT_MS),
        // RFC 1350 §4: the server answers from a new port of its own (its transfer ID), so only the address must match.
        until: (datagram) => {
          if (datagram.address !== address) return false;
          reply = parseReply(datagram.data);
          return reply !== undefined;
        },
      });
    }
    if (reply === undefined) {
      yield { kind: 'status', status: ctx.signal.aborted ? 'aborted' : 'no-response' };
      return;
    }
    const fields: Record<string, string> = { 'tftp.reply': reply.kind };
    if (reply.kind === 'error') fields['tftp.error'] = reply.message;
    yield { kind: 'observation', port, transport: 'udp', fields };
    yield { kind: 'status', status: 'success' };
  } finally {
    socket.close();
  }
}
