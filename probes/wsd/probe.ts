// WS-Discovery probe: one unicast Probe to UDP 3702 (one retry), and the ProbeMatches that answers
// it. The answer names what the device is (Types, Scopes) and where its device service lives
// (XAddrs, only recorded here: the onvif probe decides what it may contact). Its size against the
// Probe's size is what makes WS-Discovery a reflector: Akamai measured WS-Discovery replies up to
// 153 times the request on devices reachable from the Internet ("New DDoS Vector Observed in the
// Wild: WSD attacks hitting 35/Gbps", Sep 2019, akamai.com/blog/security).
import { randomUUID } from 'node:crypto';
import type { ProbeContext, ProbeOutput, ServiceProbe, ServiceSubject } from '../../src/engine/probe.js';
import { MAX_REPLY_BYTES, WSD_PORT, buildProbe, parseProbeMatches, probeMatchFields } from './codec.js';
import type { ProbeMatch } from './codec.js';

const DEFAULT_PORTS = [WSD_PORT] as const;
/** UDP loses packets: one retry before calling the port silent. */
const ATTEMPTS = 2;
/** A device on a home network answers within milliseconds; ONVIF devices within well under a second. */
const MAX_WAIT_MS = 1000;

export const wsdProbe: ServiceProbe = {
  kind: 'service',
  id: 'wsd',
  protocol: 'ws-discovery',
  categories: ['version'],
  transport: 'udp',
  defaultPorts: DEFAULT_PORTS,
  fields: ['wsd.request-bytes', 'wsd.reply-bytes', 'wsd.types', 'wsd.scopes', 'wsd.xaddrs'],
  // Every live host gets one datagram: WS-Discovery never shows up in a TCP scan.
  appliesTo: (subject: ServiceSubject) => subject.transport === 'udp' && (DEFAULT_PORTS as readonly number[]).includes(subject.port),
  run,
};

async function* run(ctx: ProbeContext): AsyncIterable<ProbeOutput> {
  const { address, port } = ctx.subject;
  // One byte over the cap, so a reply that was cut can be told from one that fits.
  const socket = await ctx.net.openUdp({ maxBytes: MAX_REPLY_BYTES + 1, signal: ctx.signal });
  try {
    // SOAP-over-UDP retransmits a message unchanged (its Appendix I), so the retry keeps the MessageID.
    const messageId = `urn:uuid:${randomUUID()}`;
    const request = buildProbe(messageId);
    let answer: { matches: ProbeMatch[]; bytes: number } | undefined;
    for (let attempt = 0; attempt < ATTEMPTS && answer === undefined && !ctx.signal.aborted; attempt += 1) {
      try {
        await socket.send(address, port, request);
      } catch {
        break;
      }
      await socket.collect({
        windowMs: Math.min(ctx.timeoutMs, MAX_WAIT_MS),
        // The device answers from its own address; the source port is its choice.
        until: (datagram) => {
          if (datagram.address !== address) return false;
          const parsed = parseProbeMatches(datagram.data, messageId);
          if (parsed.kind !== 'matches') return false;
          answer = { matches: parsed.matches, bytes: datagram.data.length };
          return true;
        },
      });
    }
    if (answer === undefined) {
      yield { kind: 'status', status: ctx.signal.aborted ? 'aborted' : 'no-response' };
      return;
    }
    yield {
      kind: 'observation',
      port,
      transport: 'udp',
      fields: { 'wsd.request-bytes': String(request.length), 'wsd.reply-bytes': String(answer.bytes), ...probeMatchFields(answer.matches) },
    };
    yield { kind: 'status', status: 'success' };
  } finally {
    socket.close();
  }
}
