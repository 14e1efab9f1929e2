// One question to one UDP service, as the single-datagram probes ask it (TFTP, DNS, NetBIOS,
// WS-Discovery): sent, sent once more if nothing usable came back (UDP loses packets), and each
// time read for up to a second, which a device on a home network needs only milliseconds of.
import type { ProbeContext } from './probe.js';

const ATTEMPTS = 2;
const MAX_WAIT_MS = 1000;

export interface UdpQuestion<T> {
  request: Uint8Array;
  /** Datagrams above this are refused (the socket reads one byte more, to tell them apart). */
  maxReplyBytes: number;
  /** The answer may come from another port of the same address (TFTP, WS-Discovery). */
  anyReplyPort?: boolean;
  /** The answer to this question in a datagram, or undefined for anything else. */
  read(data: Uint8Array): T | undefined;
}

/** The answer and its size, or undefined when the service stayed silent (or the scan stopped). */
export async function askUdp<T>(ctx: ProbeContext, question: UdpQuestion<T>): Promise<{ answer: T; bytes: number } | undefined> {
  const { address, port } = ctx.subject;
  const socket = await ctx.net.openUdp({ maxBytes: question.maxReplyBytes + 1, signal: ctx.signal });
  try {
    let reply: { answer: T; bytes: number } | undefined;
    for (let attempt = 0; attempt < ATTEMPTS && reply === undefined && !ctx.signal.aborted; attempt += 1) {
      try {
        await socket.send(address, port, question.request);
      } catch {
        break;
      }
      await socket.collect({
        windowMs: Math.min(ctx.timeoutMs, MAX_WAIT_MS),
        until: (datagram) => {
          if (datagram.address !== address || (question.anyReplyPort !== true && datagram.port !== port)) return false;
          if (datagram.data.length > question.maxReplyBytes) return false;
          const answer = question.read(datagram.data);
          if (answer !== undefined) reply = { answer, bytes: datagram.data.length };
          return answer !== undefined;
        },
      });
    }
    return reply;
  } finally {
    socket.close();
  }
}
