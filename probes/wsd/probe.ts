// WS-Discovery probe: one unicast Probe to UDP 3702 (one retry), and the ProbeMatches that answers
// it. The answer names what the device is (Types, Scopes) and where its device service lives
// (XAddrs, only recorded here: the onvif probe decides what it may contact). Its size against the
// Probe's size is what makes WS-Discovery a reflector: Akamai measured WS-Discovery replies up to
// 153 times the request on devices reachable from the Internet ("New DDoS Vector Observed in the
// Wild: WSD attacks hitting 35/Gbps", Sep 2019, akamai.com/blog/security).
import { askUdp } from '../../src/engine/udp-question.js';
import { randomUUID } from 'node:crypto';
import { onPorts, type ProbeContext, type ProbeOutput, type ServiceProbe } from '../../src/engine/probe.js';
import { MAX_REPLY_BYTES, WSD_PORT, buildProbe, parseProbeMatches, probeMatchFields } from './codec.js';

const DEFAULT_PORTS = [WSD_PORT] as const;

export const wsdProbe: ServiceProbe = {
  kind: 'service',
  id: 'wsd',
  protocol: 'ws-discovery',
  categories: ['version'],
  transport: 'udp',
  defaultPorts: DEFAULT_PORTS,
  fields: ['wsd.request-bytes', 'wsd.reply-bytes', 'wsd.types', 'wsd.scopes', 'wsd.xaddrs'],
  // Every live host gets one datagram: WS-Discovery never shows up in a TCP scan.
  appliesTo: onPorts('udp', DEFAULT_PORTS),
  run,
};

async function* run(ctx: ProbeContext): AsyncIterable<ProbeOutput> {
  // SOAP-over-UDP retransmits a message unchanged (its Appendix I), so the retry keeps the MessageID.
  const messageId = `urn:uuid:${randomUUID()}`;
  const request = buildProbe(messageId);
  const reply = await askUdp(ctx, {
    request,
    maxReplyBytes: MAX_REPLY_BYTES,
    // The device answers from its own address; the source port is its choice.
    anyReplyPort: true,
    read: (data) => {
      const parsed = parseProbeMatches(data, messageId);
      return parsed.kind === 'matches' ? parsed.matches : undefined;
    },
  });
  if (reply === undefined) {
    yield { kind: 'status', status: ctx.signal.aborted ? 'aborted' : 'no-response' };
    return;
  }
  yield {
    kind: 'observation',
    port: ctx.subject.port,
    transport: 'udp',
    fields: { 'wsd.request-bytes': String(request.length), 'wsd.reply-bytes': String(reply.bytes), ...probeMatchFields(reply.answer) },
  };
  yield { kind: 'status', status: 'success' };
}
