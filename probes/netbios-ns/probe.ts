// NetBIOS name service probe: one NODE STATUS REQUEST for `*` (what `nmblookup -A` and
// `nbtstat -A` send). The answer lists the names the device registered (its host name, its
// workgroup) and, from Windows, its MAC. Its size against the question's is what makes a NetBIOS
// name service an amplifier (US-CERT TA14-017A puts NetBIOS at about 3.8x).
import { askUdp } from '../../src/engine/udp-question.js';
import { onPorts, type ProbeContext, type ProbeOutput, type ServiceProbe } from '../../src/engine/probe.js';
import { MAX_RESPONSE_BYTES, buildNodeStatusRequest, describeNames, parseNodeStatusResponse } from './codec.js';

const DEFAULT_PORTS = [137] as const;

export const netbiosNsProbe: ServiceProbe = {
  kind: 'service',
  id: 'netbios-ns',
  protocol: 'netbios-ns',
  categories: ['safe'],
  transport: 'udp',
  defaultPorts: DEFAULT_PORTS,
  fields: ['netbios-ns.request-bytes', 'netbios-ns.reply-bytes', 'netbios-ns.names', 'netbios-ns.mac'],
  // Every live host gets one datagram: NetBIOS never shows up in a TCP scan.
  appliesTo: onPorts('udp', DEFAULT_PORTS),
  run,
};

async function* run(ctx: ProbeContext): AsyncIterable<ProbeOutput> {
  const transactionId = Math.floor(Math.random() * 0x10000);
  const request = buildNodeStatusRequest(transactionId);
  const reply = await askUdp(ctx, { request, maxReplyBytes: MAX_RESPONSE_BYTES, read: (data) => parseNodeStatusResponse(data, transactionId) });
  if (reply === undefined) {
    yield { kind: 'status', status: ctx.signal.aborted ? 'aborted' : 'no-response' };
    return;
  }
  const fields: Record<string, string> = {
    'netbios-ns.request-bytes': String(request.length),
    'netbios-ns.reply-bytes': String(reply.bytes),
  };
  const names = describeNames(reply.answer.names);
  if (names !== '') fields['netbios-ns.names'] = names;
  if (reply.answer.mac !== undefined) fields['netbios-ns.mac'] = reply.answer.mac;
  yield { kind: 'observation', port: ctx.subject.port, transport: 'udp', fields };
  yield { kind: 'status', status: 'success' };
}
