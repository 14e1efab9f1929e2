// DNS version probe: one CHAOS-class TXT query for `version.bind`. Name servers on home routers
// (dnsmasq above all) answer it with their software and version, e.g. `dnsmasq-2.80`.
import type { ProbeContext, ProbeOutput, ServiceProbe, ServiceSubject } from '../../src/engine/probe.js';
import { MAX_RESPONSE_BYTES, buildVersionQuery, parseVersionResponse } from './codec.js';
import type { VersionAnswer } from './codec.js';

const DEFAULT_PORTS = [53] as const;
/** UDP loses packets: one retry before calling the port silent. */
const ATTEMPTS = 2;
/** Like SNMP: a resolver on a home network answers within milliseconds. */
const MAX_WAIT_MS = 1000;

export const dnsVersionProbe: ServiceProbe = {
  kind: 'service',
  id: 'dns-version',
  protocol: 'dns',
  // Safe rather than version: it then waits for silent hosts alongside SNMP and TFTP instead of
  // adding its own wait to the identify phase. Nothing identifies a host before both phases end.
  categories: ['safe'],
  transport: 'udp',
  defaultPorts: DEFAULT_PORTS,
  fields: ['dns.version'],
  bannerField: 'dns.version',
  appliesTo: (subject: ServiceSubject) => subject.transport === 'udp' && (DEFAULT_PORTS as readonly number[]).includes(subject.port),
  run,
};

async function* run(ctx: ProbeContext): AsyncIterable<ProbeOutput> {
  const { address, port } = ctx.subject;
  const socket = await ctx.net.openUdp({ maxBytes: MAX_RESPONSE_BYTES, signal: ctx.signal });
  try {
    let answer: VersionAnswer | undefined;
    for (let attempt = 0; attempt < ATTEMPTS && answer === undefined && !ctx.signal.aborted; attempt += 1) {
      const id = Math.floor(Math.random() * 0x10000);
      try {
        await socket.send(address, port, buildVersionQuery(id));
      } catch {
        break;
      }
      await socket.collect({
        windowMs: Math.min(ctx.timeoutMs, MAX_WAIT_MS),
        until: (datagram) => {
          if (datagram.address !== address || datagram.port !== port) return false;
          answer = parseVersionResponse(datagram.data, id);
          return answer !== undefined;
        },
      });
    }
    if (answer === undefined) {
      yield { kind: 'status', status: ctx.signal.aborted ? 'aborted' : 'no-response' };
      return;
    }
    if (answer.kind === 'no-version') {
      // A name server that keeps its version to itself: nothing to record, and nothing wrong.
      yield { kind: 'status', status: 'success', detail: `answered ${answer.rcode} without a version` };
      return;
    }
    yield { kind: 'observation', port, transport: 'udp', fields: { 'dns.version': answer.version } };
    yield { kind: 'status', status: 'success' };
  } finally {
    socket.close();
  }
}
