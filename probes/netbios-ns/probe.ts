// NetBIOS name service probe: one NODE STATUS REQUEST for `*` (what `nmblookup -A` and
// `nbtstat -A` send). The answer lists the names the device registered (its host name, its
// workgroup) and, from Windows, its MAC. Its size against the question's is what makes a NetBIOS
// name service an amplifier (US-CERT TA14-017A puts NetBIOS at about 3.8x).
import type { ProbeContext, ProbeOutput, ServiceProbe, ServiceSubject } from '../../src/engine/probe.js';
import { MAX_RESPONSE_BYTES, buildNodeStatusRequest, describeNames, parseNodeStatusResponse } from './codec.js';
import type { NodeStatus } from './codec.js';

const DEFAULT_PORTS = [137] as const;
/** UDP loses packets: one retry before calling the port silent. */
const ATTEMPTS = 2;
/** Like TFTP and SNMP: a name service on a home network answers within milliseconds. */
const MAX_WAIT_MS = 1000;

export const netbiosNsProbe: ServiceProbe = {
  kind: 'service',
  id: 'netbios-ns',
  protocol: 'netbios-ns',
  categories: ['safe'],
  transport: 'udp',
  defaultPorts: DEFAULT_PORTS,
  fields: ['netbios-ns.request-bytes', 'netbios-ns.reply-bytes', 'netbios-ns.names', 'netbios-ns.mac'],
  // Every live host gets one datagram: NetBIOS never shows up in a TCP scan.
  appliesTo: (subject: ServiceSubject) => subject.transport === 'udp' && (DEFAULT_PORTS as readonly number[]).includes(subject.port),
  run,
};

async function* run(ctx: ProbeContext): AsyncIterable<ProbeOutput> {
  const { address, port } = ctx.subject;
  // One byte over the limit, so an oversized answer is seen as such rather than cut to fit.
  const socket = await ctx.net.openUdp({ maxBytes: MAX_RESPONSE_BYTES + 1, signal: ctx.signal });
  try {
    const transactionId = Math.floor(Math.random() * 0x10000);
    const request = buildNodeStatusRequest(transactionId);
    let status: NodeStatus | undefined;
    let replyBytes = 0;
    for (let attempt = 0; attempt < ATTEMPTS && status === undefined && !ctx.signal.aborted; attempt += 1) {
      try {
        await socket.send(address, port, request);
      } catch {
        break;
      }
      await socket.collect({
        windowMs: Math.min(ctx.timeoutMs, MAX_WAIT_MS),
        until: (datagram) => {
          if (datagram.address !== address || datagram.port !== port) return false;
          status = parseNodeStatusResponse(datagram.data, transactionId);
          if (status !== undefined) replyBytes = datagram.data.length;
          return status !== undefined;
        },
      });
    }
    if (status === undefined) {
      yield { kind: 'status', status: ctx.signal.aborted ? 'aborted' : 'no-response' };
      return;
    }
    const fields: Record<string, string> = {
      'netbios-ns.request-bytes': String(request.length),
      'netbios-ns.reply-bytes': String(replyBytes),
    };
    const names = describeNames(status.names);
    if (names !== '') fields['netbios-ns.names'] = names;
    if (status.mac !== undefined) fields['netbios-ns.mac'] = status.mac;
    yield { kind: 'observation', port, transport: 'udp', fields };
    yield { kind: 'status', status: 'success' };
  } finally {
    socket.close();
  }
}
