// TFTP probe: one read request for a file that does not exist. Any ERROR or DATA answer proves a
// TFTP server (unauthenticated file transfer). It never writes (no WRQ) and never acknowledges
// DATA, so no transfer ever goes past the first block.
import { askUdp } from '../../src/engine/udp-question.js';
import { onPorts, type ProbeContext, type ProbeOutput, type ServiceProbe } from '../../src/engine/probe.js';
import { buildReadRequest, parseReply } from './codec.js';

const DEFAULT_PORTS = [69] as const;
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
  appliesTo: onPorts('udp', DEFAULT_PORTS),
  run,
};

/** A name no device has, so a server can only answer with an error (or, oddly, with data). */
function harmlessFilename(): string {
  return `iotscan-probe-${Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0')}`;
}

async function* run(ctx: ProbeContext): AsyncIterable<ProbeOutput> {
  const reply = await askUdp(ctx, {
    request: buildReadRequest(harmlessFilename()),
    maxReplyBytes: MAX_DATAGRAM_BYTES,
    // RFC 1350 §4: the server answers from a new port of its own (its transfer ID), so only the address must match.
    anyReplyPort: true,
    read: parseReply,
  });
  if (reply === undefined) {
    yield { kind: 'status', status: ctx.signal.aborted ? 'aborted' : 'no-response' };
    return;
  }
  const fields: Record<string, string> = { 'tftp.reply': reply.answer.kind };
  if (reply.answer.kind === 'error') fields['tftp.error'] = reply.answer.message;
  yield { kind: 'observation', port: ctx.subject.port, transport: 'udp', fields };
  yield { kind: 'status', status: 'success' };
}
