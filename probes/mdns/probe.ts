// mDNS / DNS-SD discovery over IPv4 (224.0.0.251) and IPv6 (ff02::fb): asks the link which
// service types exist, then for the instances of each type, then (bounded, one query packet per
// step, each question at most twice) for the SRV/TXT/A/AAAA records the answers lacked. Every
// query goes out once per interface and family. It listens for the whole window, so announcements
// nobody asked for are kept too (mdns.passive). Afterwards one unicast query to each responding
// host tells whether it answers mDNS sent straight to it.
import type { UdpDatagram, UdpSocket } from '../../src/engine/net.js';
import type { DiscoveryContext, DiscoveryProbe, ProbeOutput } from '../../src/engine/probe.js';
import {
  MDNS_GROUP,
  MDNS_GROUP_V6,
  MDNS_PORT,
  MdnsRecordStore,
  SERVICE_TYPES_NAME,
  addressCandidates,
  decodeResponse,
  encodeQuery,
  instanceFields,
} from './codec.js';
import type { MdnsRecord, Question, ServiceInstance } from './codec.js';

const DEFAULT_WINDOW_MS = 1500;
/** Share of the window per step: the type enumeration, then up to three follow-ups. */
const STEP_SHARES = [0.4, 0.2, 0.2, 0.2] as const;
/** Responders delay shared answers by 20-120 ms (RFC 6762 §6): no step is shorter than this. */
const MIN_STEP_MS = 250;
/** Questions per packet, so a query stays well inside one Ethernet frame. */
const MAX_QUESTIONS_PER_QUERY = 20;
const MAX_UNICAST_CHECKS = 64;
const MAX_DATAGRAM_BYTES = 9000;
/** The least time between the first two queries for a question (RFC 6762 §5.2). */
const REQUERY_GAP_MS = 1000;
/** How often the probe looks whether the liveness sweep has ended, listening meanwhile. */
const SWEEP_POLL_MS = 100;
const GROUPS = [MDNS_GROUP, MDNS_GROUP_V6] as const;

const familyOf = (address: string): 4 | 6 => (address.includes(':') ? 6 : 4);

export const mdnsProbe: DiscoveryProbe = {
  kind: 'discovery',
  id: 'mdns',
  categories: ['discovery'],
  transport: 'multicast',
  fields: [
    'mdns.service',
    'mdns.instance',
    'mdns.subtypes',
    'mdns.hostname',
    'mdns.txt',
    'mdns.txt.*',
    'mdns.a',
    'mdns.aaaa',
    'mdns.family',
    'mdns.passive',
    'mdns.unicast-reply',
  ],
  run,
};

async function* run(ctx: DiscoveryContext): AsyncIterable<ProbeOutput> {
  let socket: UdpSocket;
  try {
    socket = await ctx.net.openUdp({ bindPort: MDNS_PORT, reuseAddr: true, multicastGroups: [...GROUPS], maxBytes: MAX_DATAGRAM_BYTES, signal: ctx.signal });
  } catch (error) {
    yield { kind: 'status', status: 'unknown-error', detail: `cannot open the mDNS socket: ${error instanceof Error ? error.message : String(error)}` };
    return;
  }
  try {
    const windowMs = ctx.windowMs > 0 ? ctx.windowMs : DEFAULT_WINDOW_MS;
    const deadline = Date.now() + windowMs;
    let swept = false;
    void ctx.livenessDone.then(() => (swept = true));
    const store = new MdnsRecordStore();
    /** Families some responder spoke over: follow-ups go only there. */
    const heardFamilies = new Set<4 | 6>();
    const take = (datagram: UdpDatagram): MdnsRecord[] | undefined => {
      const records = decodeResponse(datagram.data);
      if (records === undefined) return undefined;
      heardFamilies.add(familyOf(datagram.address));
      store.add(datagram.address, records);
      return records;
    };
    /** Listens for `ms`, or until every question in `settle` has its answer. */
    const listen = async (ms: number, settle: readonly Question[] = []): Promise<void> => {
      const closed = settle.length > 0;
      await socket.collect({ windowMs: ms, until: (datagram) => take(datagram) !== undefined && closed && store.settled(settle) });
    };

    let groups: readonly string[] = GROUPS;
    let questions: Question[] = [{ type: 'PTR', domain: SERVICE_TYPES_NAME }];
    for (const [step, share] of STEP_SHARES.entries()) {
      if (questions.length === 0 || groups.length === 0 || ctx.signal.aborted) break;
      const query = questions.slice(0, MAX_QUESTIONS_PER_QUERY);
      const sentAt = Date.now();
      const sentTo = await sendToGroups(socket, groups, encodeQuery(query));
      if (step === 0 && sentTo.length === 0) {
        yield { kind: 'status', status: 'no-response', detail: 'cannot send to the mDNS groups (no multicast route?)' };
        return;
      }
      store.asked(query);
      await listen(Math.max(MIN_STEP_MS, Math.round(windowMs * share)), query);
      if (step === 0 && heardFamilies.size === 0 && !ctx.signal.aborted) {
        // Nobody has answered yet: on a link busy with the sweep's ARP requests, answers come late
        // or are lost. Ask once more, a second after the first query, and wait out the window.
        await listen(Math.max(0, sentAt + REQUERY_GAP_MS - Date.now()), query);
        if (heardFamilies.size === 0 && !ctx.signal.aborted) {
          await sendToGroups(socket, sentTo, encodeQuery(query));
          store.asked(query);
          await listen(Math.max(MIN_STEP_MS, deadline - Date.now()), query);
        }
      }
      groups = sentTo.filter((group) => heardFamilies.has(familyOf(group)));
      questions = store.followUps();
    }
    // Announcements keep arriving after the questions run out: listen while the sweep still runs,
    // at most for the rest of the window.
    while (!swept && !ctx.signal.aborted && Date.now() < deadline) await listen(Math.min(SWEEP_POLL_MS, deadline - Date.now()));

    const unicast = ctx.signal.aborted ? [] : await unicastCheck(ctx, socket, located(ctx, store.instances()), windowMs, take);
    for (const { instance, address } of located(ctx, store.instances())) {
      yield {
        kind: 'observation',
        address,
        ...(instance.port === undefined ? {} : { port: instance.port }),
        transport: /\._udp\.local$/i.test(instance.serviceType) ? 'udp' : 'tcp',
        fields: instanceFields(instance),
      };
    }
    for (const check of unicast) {
      yield {
        kind: 'observation',
        address: check.host,
        port: MDNS_PORT,
        transport: 'udp',
        fields: { 'mdns.unicast-reply': check.answered ? 'yes' : 'no', 'mdns.family': String(familyOf(check.queried)) },
      };
    }
    yield ctx.signal.aborted
      ? { kind: 'status', status: 'aborted' }
      : heardFamilies.size > 0
        ? { kind: 'status', status: 'success' }
        : { kind: 'status', status: 'no-response', detail: 'no mDNS responder answered' };
  } finally {
    socket.close();
  }
}

/** Instances with the address their observation carries: the first candidate in scope; the others are dropped. */
function located(ctx: DiscoveryContext, instances: readonly ServiceInstance[]): { instance: ServiceInstance; address: string }[] {
  const found: { instance: ServiceInstance; address: string }[] = [];
  for (const instance of instances) {
    const address = addressCandidates(instance).find((candidate) => ctx.inScope(candidate));
    if (address !== undefined) found.push({ instance, address });
  }
  return found;
}

interface UnicastCheck {
  /** The address observations about this device carry. */
  host: string;
  /** The responder address the query went to (it answered multicast from there). */
  queried: string;
  serviceType: string;
  answered: boolean;
}

/**
 * Sends one ordinary (not legacy, not QU) query from port 5353 straight to each responding host,
 * at the address it answered from, for one of its own service types, and notes which hosts answer.
 */
async function unicastCheck(
  ctx: DiscoveryContext,
  socket: UdpSocket,
  instances: readonly { instance: ServiceInstance; address: string }[],
  windowMs: number,
  take: (datagram: UdpDatagram) => MdnsRecord[] | undefined,
): Promise<UnicastCheck[]> {
  const checks = new Map<string, UnicastCheck>();
  const hosts = new Set<string>();
  for (const { instance, address } of instances) {
    if (hosts.has(address) || checks.size >= MAX_UNICAST_CHECKS) continue;
    const queried = instance.sources.find((source) => ctx.inScope(source));
    if (queried === undefined || checks.has(queried)) continue;
    hosts.add(address);
    checks.set(queried, { host: address, queried, serviceType: instance.serviceType, answered: false });
  }
  if (checks.size === 0) return [];
  // Late multicast answers to the discovery queries must not count as unicast replies.
  for (const datagram of await socket.collect({ windowMs: 0 })) take(datagram);
  for (const check of checks.values()) {
    try {
      await socket.send(check.queried, MDNS_PORT, encodeQuery([{ type: 'PTR', domain: check.serviceType }]));
    } catch {
      // Unreachable: stays "no".
    }
  }
  // Ends early once every host has answered: only silence needs the whole wait.
  const note = (datagram: UdpDatagram): boolean => {
    const records = take(datagram);
    const check = checks.get(datagram.address);
    if (check !== undefined && records !== undefined && MdnsRecordStore.answers(records, check.serviceType)) check.answered = true;
    return [...checks.values()].every((entry) => entry.answered);
  };
  await socket.collect({ windowMs: Math.max(MIN_STEP_MS, Math.round(windowMs / 3)), until: note });
  return [...checks.values()];
}

/** Sends the query to each group; returns the groups it could be sent to. */
async function sendToGroups(socket: UdpSocket, groups: readonly string[], data: Uint8Array): Promise<string[]> {
  const sent: string[] = [];
  for (const group of groups) {
    try {
      await socket.send(group, MDNS_PORT, data);
      sent.push(group);
    } catch {
      // No route or no interface for this family; the other may still work.
    }
  }
  return sent;
}
