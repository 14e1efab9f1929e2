// CoAP probe: one confirmable GET of /.well-known/core, the entry point RFC 6690 §4 defines for
// listing a server's resources. The answer names the resources and, set against the question's
// size, shows whether the device can be used to amplify traffic. Only GET goes out (never PUT,
// POST, DELETE or an Observe registration), one retry at most, and a block-wise answer (RFC 7959)
// is read as far as its first block: no further block is asked for.
import { randomBytes } from 'node:crypto';
import { onPorts, type ProbeContext, type ProbeOutput, type ServiceProbe } from '../../src/engine/probe.js';
import { MAX_MESSAGE_BYTES, buildEmptyAck, buildWellKnownCoreGet, classifyReply, codeText, describeResources, parseMessage } from './codec.js';
import type { CoapMessage } from './codec.js';

const DEFAULT_PORTS = [5683] as const;
/** UDP loses packets: one retransmission (RFC 7252 §4.2 allows more; a scan needs no more). */
const ATTEMPTS = 2;
/** Like TFTP and SNMP: a device on a home network answers within milliseconds. */
const MAX_WAIT_MS = 1000;
/** RFC 7252 §5.3.1: at least 32 bits of randomness in a token on a network anyone can reach. */
const TOKEN_BYTES = 4;

export const coapProbe: ServiceProbe = {
  kind: 'service',
  id: 'coap',
  protocol: 'coap',
  categories: ['safe'],
  transport: 'udp',
  defaultPorts: DEFAULT_PORTS,
  fields: ['coap.request-bytes', 'coap.reply-bytes', 'coap.code', 'coap.resources'],
  // Every live host gets one datagram: CoAP never shows up in a TCP scan.
  appliesTo: onPorts('udp', DEFAULT_PORTS),
  run,
};

async function* run(ctx: ProbeContext): AsyncIterable<ProbeOutput> {
  const { address, port } = ctx.subject;
  // One byte over the limit, so an oversized answer is seen as such rather than cut to fit.
  const socket = await ctx.net.openUdp({ maxBytes: MAX_MESSAGE_BYTES + 1, signal: ctx.signal });
  try {
    const exchange = { messageId: Math.floor(Math.random() * 0x10000), token: new Uint8Array(randomBytes(TOKEN_BYTES)) };
    const request = buildWellKnownCoreGet(exchange.messageId, exchange.token);
    // Filled in by the collect callback below.
    const seen: { final?: { kind: 'response' | 'reset'; message: CoapMessage }; acknowledged: boolean; replyBytes: number } = { acknowledged: false, replyBytes: 0 };
    for (let attempt = 0; attempt < ATTEMPTS && seen.final === undefined && !ctx.signal.aborted; attempt += 1) {
      // RFC 7252 §5.2.2: once the empty ACK came, the request arrived; only the response is awaited.
      if (!seen.acknowledged) {
        try {
          await socket.send(address, port, request);
        } catch {
          break;
        }
      }
      await socket.collect({
        windowMs: Math.min(ctx.timeoutMs, MAX_WAIT_MS),
        until: (datagram) => {
          if (datagram.address !== address || datagram.port !== port) return false;
          const message = parseMessage(datagram.data);
          const kind = message === undefined ? undefined : classifyReply(message, exchange);
          if (message === undefined || kind === undefined) return false;
          // Every datagram the question drew counts towards what it cost: the empty ACK too.
          seen.replyBytes += datagram.data.length;
          if (kind === 'empty-ack') {
            seen.acknowledged = true;
            return false;
          }
          seen.final = { kind, message };
          return true;
        },
      });
    }
    const { final } = seen;
    if (final === undefined) {
      yield { kind: 'status', status: ctx.signal.aborted ? 'aborted' : 'no-response', ...(seen.acknowledged && { detail: 'acknowledged, but the response never came' }) };
      return;
    }
    const { message } = final;
    // A separate response sent confirmable must be acknowledged, or the device sends it again (§5.2.2).
    if (final.kind === 'response' && message.type === 'con') await socket.send(address, port, buildEmptyAck(message.messageId)).catch(() => undefined);
    const fields: Record<string, string> = { 'coap.request-bytes': String(request.length), 'coap.reply-bytes': String(seen.replyBytes) };
    if (final.kind === 'response') {
      fields['coap.code'] = codeText(message.code);
      const resources = describeResources(message);
      if (resources !== undefined) fields['coap.resources'] = resources;
    }
    yield { kind: 'observation', port, transport: 'udp', fields };
    const detail = final.kind === 'reset' ? 'answered with a reset' : message.block2?.more === true ? 'answered block-wise; only the first block was read' : undefined;
    yield { kind: 'status', status: 'success', ...(detail !== undefined && { detail }) };
  } finally {
    socket.close();
  }
}
