// mDNS / DNS-SD discovery: asks the link which service types exist, then for the instances of
// each type, then (bounded, one query packet per step) for the SRV/TXT/A records the answers
// lacked. Afterwards one unicast query per responding host tells whether it answers mDNS sent
// straight to it.
import type { UdpSocket } from '../../src/engine/net.js';
import type { DiscoveryContext, DiscoveryProbe, ProbeOutput } from '../../src/engine/probe.js';
import { MDNS_GROUP, MDNS_PORT, MdnsRecordStore, SERVICE_TYPES_NAME, decodeResponse, encodeQuery, instanceFields } from './codec.js';
import type { Question, ServiceInstance } from './codec.js';

const DEFAULT_WINDOW_MS = 1500;
/** Share of the window per step: the type enumeration, then up to three follow-ups. */
const STEP_SHARES = [0.4, 0.2, 0.2, 0.2] as const;
/** Responders delay shared answers by 20-120 ms (RFC 6762 §6): no step is shorter than this. */
const MIN_STEP_MS = 250;
/** Questions per packet, so a query stays well inside one Ethernet frame. */
const MAX_QUESTIONS_PER_QUERY = 20;
const MAX_UNICAST_CHECKS = 64;
const MAX_DATAGRAM_BYTES = 9000;

export const mdnsProbe: DiscoveryProbe = {
  kind: 'discovery',
  id: 'mdns',
  categories: ['discovery'],
  transport: 'multicast',
  fields: ['mdns.service', 'mdns.instance', 'mdns.hostname', 'mdns.txt.*', 'mdns.unicast-reply'],
  run,
};

async function* run(ctx: DiscoveryContext): AsyncIterable<ProbeOutput> {
  let socket: UdpSocket;
  try {
    socket = await ctx.net.openUdp({ bindPort: MDNS_PORT, reuseAddr: true, multicastGroups: [MDNS_GROUP], maxBytes: MAX_DATAGRAM_BYTES, signal: ctx.signal });
  } catch (error) {
    yield { kind: 'status', status: 'unknown-error', detail: `cannot open the mDNS socket: ${error instanceof Error ? error.message : String(error)}` };
    return;
  }
  try {
    const windowMs = ctx.windowMs > 0 ? ctx.windowMs : DEFAULT_WINDOW_MS;
    const store = new MdnsRecordStore();
    const responders = new Set<string>();
    const listen = async (ms: number): Promise<void> => {
      for (const datagram of await socket.collect({ windowMs: ms })) {
        const records = decodeResponse(datagram.data);
        if (records === undefined) continue;
        responders.add(datagram.address);
        store.add(datagram.address, records);
      }
    };

    const askedTypes = new Set<string>();
    let questions: Question[] = [{ name: SERVICE_TYPES_NAME, type: 'PTR' }];
    for (const share of STEP_SHARES) {
      if (questions.length === 0 || ctx.signal.aborted) break;
      const query = questions.slice(0, MAX_QUESTIONS_PER_QUERY);
      if (!(await sendQuietly(socket, MDNS_GROUP, encodeQuery(query)))) {
        yield { kind: 'status', status: 'no-response', detail: 'cannot send to the mDNS group (no multicast route?)' };
        return;
      }
      for (const question of query) if (question.type === 'PTR') askedTypes.add(question.name.toLowerCase());
      await listen(Math.max(MIN_STEP_MS, Math.round(windowMs * share)));
      questions = store.followUps(askedTypes);
    }

    const instances = store.instances().filter((instance) => ctx.inScope(instance.address));
    for (const instance of instances) {
      yield {
        kind: 'observation',
        address: instance.address,
        ...(instance.port === undefined ? {} : { port: instance.port }),
        transport: /\._udp\.local$/i.test(instance.serviceType) ? 'udp' : 'tcp',
        fields: instanceFields(instance),
      };
    }

    if (!ctx.signal.aborted) {
      for (const [address, answered] of await unicastCheck(ctx, socket, instances, windowMs)) {
        yield { kind: 'observation', address, port: MDNS_PORT, transport: 'udp', fields: { 'mdns.unicast-reply': answered ? 'yes' : 'no' } };
      }
    }
    yield ctx.signal.aborted
      ? { kind: 'status', status: 'aborted' }
      : responders.size > 0
        ? { kind: 'status', status: 'success' }
        : { kind: 'status', status: 'no-response', detail: 'no mDNS responder answered' };
  } finally {
    socket.close();
  }
}

/**
 * Sends one ordinary (not legacy, not QU) query from port 5353 straight to each responding host
 * for one of its own service types, and notes which hosts answer.
 */
async function unicastCheck(
  ctx: DiscoveryContext,
  socket: UdpSocket,
  instances: readonly ServiceInstance[],
  windowMs: number,
): Promise<Map<string, boolean>> {
  const typeByHost = new Map<string, string>();
  for (const instance of instances) {
    if (!typeByHost.has(instance.address) && typeByHost.size < MAX_UNICAST_CHECKS) typeByHost.set(instance.address, instance.serviceType);
  }
  const answered = new Map<string, boolean>();
  // Late multicast answers to the discovery queries must not count as unicast replies.
  await socket.collect({ windowMs: 0 });
  for (const [address, serviceType] of typeByHost) {
    answered.set(address, false);
    await sendQuietly(socket, address, encodeQuery([{ name: serviceType, type: 'PTR' }]));
  }
  if (typeByHost.size === 0) return answered;
  for (const datagram of await socket.collect({ windowMs: Math.max(MIN_STEP_MS, Math.round(windowMs / 3)) })) {
    const serviceType = typeByHost.get(datagram.address);
    if (serviceType === undefined) continue;
    const records = decodeResponse(datagram.data);
    if (records !== undefined && MdnsRecordStore.answers(records, serviceType)) answered.set(datagram.address, true);
  }
  return answered;
}

async function sendQuietly(socket: UdpSocket, address: string, data: Uint8Array): Promise<boolean> {
  try {
    await socket.send(address, MDNS_PORT, data);
    return true;
  } catch {
    return false;
  }
}
