// DNS version probe: one CHAOS-class TXT query for `version.bind`. Name servers on home routers
// (dnsmasq above all) answer it with their software and version, e.g. `dnsmasq-2.80`.
import { askUdp } from '../../src/engine/udp-question.js';
import { onPorts, type ProbeContext, type ProbeOutput, type ServiceProbe } from '../../src/engine/probe.js';
import { MAX_RESPONSE_BYTES, buildVersionQuery, parseVersionResponse } from './codec.js';

const DEFAULT_PORTS = [53] as const;

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
  appliesTo: onPorts('udp', DEFAULT_PORTS),
  run,
};

async function* run(ctx: ProbeContext): AsyncIterable<ProbeOutput> {
  const id = Math.floor(Math.random() * 0x10000);
  const reply = await askUdp(ctx, { request: buildVersionQuery(id), maxReplyBytes: MAX_RESPONSE_BYTES, read: (data) => parseVersionResponse(data, id) });
  if (reply === undefined) {
    yield { kind: 'status', status: ctx.signal.aborted ? 'aborted' : 'no-response' };
    return;
  }
  if (reply.answer.kind === 'no-version') {
    // A name server that keeps its version to itself: nothing to record, and nothing wrong.
    yield { kind: 'status', status: 'success', detail: `answered ${reply.answer.rcode} without a version` };
    return;
  }
  yield { kind: 'observation', port: ctx.subject.port, transport: 'udp', fields: { 'dns.version': reply.answer.version } };
  yield { kind: 'status', status: 'success' };
}
