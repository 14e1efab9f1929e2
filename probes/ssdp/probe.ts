// SSDP / UPnP discovery over IPv4 (239.255.255.250) and IPv6 (ff02::c): M-SEARCH on the link,
// NOTIFY announcements heard meanwhile (ssdp.passive), one unicast M-SEARCH to each live host
// (how much it makes a device send back, the reflection measure; a host that answers only this
// one is ssdp.unicast-only), and the device description behind each LOCATION, fetched only when
// it sits on the responder itself and in scope. An IPv6 responder is reported under its device's
// IPv4 address when an IPv4 answer carried the same USN uuid or its EUI-64 address holds the MAC
// of an IPv4 neighbour, so a device that speaks SSDP only over IPv6 is still one host; its
// observations then keep the IPv6 address they were heard from in ssdp.sender.
import type { NeighbourEntry, UdpDatagram, UdpSocket } from '../../src/engine/net.js';
import type { DiscoveryContext, DiscoveryProbe, ProbeOutput } from '../../src/engine/probe.js';
import { printable } from '../../src/core/sanitize.js';
import {
  MAX_DESCRIPTION_BYTES,
  MAX_SSDP_RESPONSE_BYTES,
  SSDP_GROUP,
  SSDP_GROUP_V6,
  SSDP_PORT,
  buildMulticastSearch,
  buildUnicastSearch,
  deviceAddresses,
  hostHeader,
  parseDeviceDescription,
  parseSsdpNotify,
  parseSsdpResponse,
  sameHostLocation,
  usnDevice,
  withoutUrlZone,
} from './codec.js';

const DEFAULT_WINDOW_MS = 1500;
/** The MX of the multicast search: devices answer after a random delay of 0 to MX seconds (UDA 1.1 §1.3.3). */
const SEARCH_MX_S = 1;
/** Listening longer than MX plus transit hears no further answer to the search, only announcements. */
const SEARCH_WAIT_MS = SEARCH_MX_S * 1000 + 250;
/** How often the probe takes up the hosts the sweep found since, to search them by unicast. */
const SLICE_MS = 100;
/** Places kept for responders while live hosts are searched before the multicast answers are all in. */
const RESPONDER_PLACES = 32;
const SEARCH_TARGETS = ['ssdp:all', 'upnp:rootdevice'] as const;
const GROUPS = [SSDP_GROUP, SSDP_GROUP_V6] as const;
const DESCRIPTION_TIMEOUT_MS = 3000;
const MAX_LOCATIONS_PER_RESPONDER = 8;
const MAX_DESCRIBED_RESPONDERS = 64;
const DESCRIPTIONS_IN_PARALLEL = 8;
/** Distinct answers kept per responder. */
const MAX_ANSWERS_PER_RESPONDER = 64;
/** Hosts that get a unicast M-SEARCH: every responder first, then other live hosts. */
const MAX_UNICAST_TARGETS = 256;
const REFLECTION_WINDOW_MS = 1000;

const familyOf = (address: string): 4 | 6 => (address.includes(':') ? 6 : 4);

export const ssdpProbe: DiscoveryProbe = {
  kind: 'discovery',
  id: 'ssdp',
  categories: ['discovery'],
  transport: 'multicast',
  fields: [
    'ssdp.server',
    'ssdp.st',
    'ssdp.usn',
    'ssdp.location',
    'ssdp.location-offsite',
    'ssdp.family',
    'ssdp.sender',
    'ssdp.nts',
    'ssdp.passive',
    'ssdp.unicast-only',
    'upnp.deviceType',
    'upnp.friendlyName',
    'upnp.manufacturer',
    'upnp.manufacturerURL',
    'upnp.modelName',
    'upnp.modelNumber',
    'upnp.modelDescription',
    'upnp.serialNumber',
    'upnp.udn',
    'upnp.presentationURL',
    'upnp.serviceType',
    'upnp.controlURL',
    'upnp.eventSubURL',
    'upnp.location',
    'ssdp.unicast-reply-bytes',
    'ssdp.unicast-request-bytes',
    'ssdp.unicast-replies',
  ],
  run,
};

/** What one sender address said, by how it was heard. */
interface Responder {
  address: string;
  /** Distinct answers to the multicast search, keyed by USN and ST. */
  searched: Map<string, Record<string, string>>;
  /** Distinct NOTIFY announcements, keyed by USN, NT and NTS. */
  notified: Map<string, Record<string, string>>;
  /** Distinct answers to the unicast search. */
  unicast: Map<string, Record<string, string>>;
  locations: Set<string>;
  /** `uuid:…` of the USNs it sent. */
  devices: Set<string>;
}

type Heard = 'searched' | 'notified' | 'unicast';

async function* run(ctx: DiscoveryContext): AsyncIterable<ProbeOutput> {
  const windowMs = ctx.windowMs > 0 ? ctx.windowMs : DEFAULT_WINDOW_MS;
  let swept = false;
  void ctx.livenessDone.then(() => (swept = true));
  const responders = new Map<string, Responder>();
  const search = await openSocket(ctx);
  if (search === undefined) {
    yield { kind: 'status', status: 'unknown-error', detail: 'cannot open a UDP socket' };
    return;
  }
  // NOTIFY goes to the groups on port 1900. Without that port (taken without address reuse) the
  // probe still searches; it only hears no announcements.
  const listener = await openSocket(ctx, true);
  const hearAnnouncements = async (ms: number): Promise<void> => {
    for (const datagram of (await listener?.collect({ windowMs: ms })) ?? []) recordNotify(ctx, responders, datagram);
  };
  const unicast = await openSocket(ctx);
  const reflection = unicast === undefined ? undefined : new ReflectionRun(ctx, responders, unicast);
  let measures: Reflection[] = [];
  let neighbours: NeighbourEntry[] = [];
  try {
    try {
      const searchGroups = async (): Promise<number> => {
        let sent = 0;
        for (const group of GROUPS) {
          for (const target of SEARCH_TARGETS) {
            if (await sendQuietly(search, group, buildMulticastSearch(target, SEARCH_MX_S, group))) sent += 1;
          }
        }
        return sent;
      };
      if ((await searchGroups()) === 0) {
        yield { kind: 'status', status: 'no-response', detail: 'cannot send to the SSDP groups (no multicast route?)' };
        return;
      }
      // While the multicast answers come in, each host the sweep names gets its unicast search
      // at once: both wait out the same second (UDA 1.1 §1.3.3), not one after the other. Until
      // the multicast answers are in, live hosts leave places for the responders. Answers that
      // come late (a link busy with the sweep) are still taken while the sweep runs.
      let searchEnds = Date.now() + Math.min(windowMs, SEARCH_WAIT_MS);
      let searchedAgain = false;
      for (let searching = true; !ctx.signal.aborted && (searching || !swept); searching = Date.now() < searchEnds) {
        const slice = searching ? Math.max(1, Math.min(SLICE_MS, searchEnds - Date.now())) : SLICE_MS;
        const [answers] = await Promise.all([search.collect({ windowMs: slice }), hearAnnouncements(slice), reflection?.listen(slice)]);
        for (const datagram of answers) recordAnswer(ctx, responders, datagram, 'searched');
        await reflection?.search(unicastTargets(ctx, responders, ctx.liveHosts(), MAX_UNICAST_TARGETS - RESPONDER_PLACES));
        // UDP loses datagrams, so a control point should send each M-SEARCH more than once (UDA 1.1
        // §1.3.2): once more when nobody answered the first.
        if (!searchedAgain && Date.now() >= searchEnds) {
          searchedAgain = true;
          const answered = [...responders.values()].some((responder) => responder.searched.size > 0);
          if (!answered && (await searchGroups()) > 0) searchEnds = Date.now() + Math.min(windowMs, SEARCH_WAIT_MS);
        }
      }
    } finally {
      search.close();
    }
    // The sweep is over, so the neighbour table holds every live host on the link. Only confirmed
    // entries: a remembered one may be a device that left, or the old address of one that moved.
    if (!ctx.signal.aborted) neighbours = (await ctx.net.neighbours()).filter((neighbour) => neighbour.confirmed && ctx.inScope(neighbour.address));
    if (reflection !== undefined && !ctx.signal.aborted) {
      // The rest of the live hosts, and those only the OS neighbour table knows.
      await reflection.search(unicastTargets(ctx, responders, [...ctx.liveHosts(), ...neighbours.map((neighbour) => neighbour.address)], MAX_UNICAST_TARGETS));
      [measures] = await Promise.all([reflection.finish(), hearAnnouncements(reflection.remainingMs())]);
    }
  } finally {
    reflection?.close();
    listener?.close();
  }

  // An IPv6 responder is named by its device's IPv4 address when the USN or its MAC tells it.
  const addressOf = deviceAddresses([...responders.values()], neighbours);
  const deviceAddress = (responder: Responder): string => addressOf(responder.address);

  /** Where it was heard, when the observation names the device by another address. */
  const heardFrom = (sender: string, address: string): Record<string, string> => (sender === address ? {} : { 'ssdp.sender': sender });
  for (const responder of responders.values()) {
    const address = deviceAddress(responder);
    const heard = { 'ssdp.family': String(familyOf(responder.address)), ...heardFrom(responder.address, address) };
    const unicastOnly = responder.searched.size === 0 && responder.unicast.size > 0;
    for (const fields of responder.searched.values()) yield observation(address, { ...fields, ...heard });
    for (const fields of responder.notified.values()) yield observation(address, { ...fields, 'ssdp.passive': 'yes', ...heard });
    if (unicastOnly) {
      for (const fields of responder.unicast.values()) yield observation(address, { ...fields, 'ssdp.unicast-only': 'yes', ...heard });
    }
  }
  for (const { address, fields } of measures) yield observation(addressOf(address), { ...fields, ...heardFrom(address, addressOf(address)) });

  // A device heard over both families is described once, over IPv4.
  const described = [...responders.values()].filter((responder) => deviceAddress(responder) === responder.address || !hasFetchable(ctx, responders.get(deviceAddress(responder))));
  const jobs = described.slice(0, MAX_DESCRIBED_RESPONDERS).flatMap((responder) => [...responder.locations].slice(0, MAX_LOCATIONS_PER_RESPONDER).map((location) => ({ responder, location })));
  for (let start = 0; start < jobs.length && !ctx.signal.aborted; start += DESCRIPTIONS_IN_PARALLEL) {
    const batch = jobs.slice(start, start + DESCRIPTIONS_IN_PARALLEL);
    for (const outputs of await Promise.all(batch.map(({ responder, location }) => describe(ctx, responder.address, deviceAddress(responder), location)))) yield* outputs;
  }

  yield ctx.signal.aborted
    ? { kind: 'status', status: 'aborted' }
    : responders.size > 0
      ? { kind: 'status', status: 'success' }
      : { kind: 'status', status: 'no-response', detail: 'no SSDP responder answered' };
}

function observation(address: string, fields: Record<string, string>): ProbeOutput {
  return { kind: 'observation', address, port: SSDP_PORT, transport: 'udp', fields };
}

function responderFor(ctx: DiscoveryContext, responders: Map<string, Responder>, address: string): Responder | undefined {
  if (!ctx.inScope(address)) return undefined;
  const responder = responders.get(address) ?? { address, searched: new Map(), notified: new Map(), unicast: new Map(), locations: new Set<string>(), devices: new Set<string>() };
  responders.set(address, responder);
  return responder;
}

function hasFetchable(ctx: DiscoveryContext, responder: Responder | undefined): boolean {
  return responder !== undefined && ctx.inScope(responder.address) && [...responder.locations].some((location) => sameHostLocation(location, responder.address) !== undefined);
}

/** The header fields worth keeping, printable. */
function headerFields(headers: Record<string, string>, names: Readonly<Record<string, string>>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [field, header] of Object.entries(names)) {
    const value = headers[header];
    if (value !== undefined && value !== '') fields[field] = printable(value, 512);
  }
  return fields;
}

function remember(responder: Responder, heard: Heard, key: string, fields: Record<string, string>, headers: Record<string, string>): void {
  const answers = responder[heard];
  if (answers.has(key) || answers.size >= MAX_ANSWERS_PER_RESPONDER) return;
  answers.set(key, fields);
  const location = headers['location'];
  if (location !== undefined && location !== '') responder.locations.add(location);
  const device = usnDevice(headers['usn'] ?? '');
  if (device !== undefined) responder.devices.add(device);
}

function recordAnswer(ctx: DiscoveryContext, responders: Map<string, Responder>, datagram: UdpDatagram, heard: 'searched' | 'unicast'): void {
  const response = parseSsdpResponse(datagram.data);
  if (response === undefined) return;
  const responder = responderFor(ctx, responders, datagram.address);
  if (responder === undefined) return;
  const { headers } = response;
  const fields = headerFields(headers, { 'ssdp.server': 'server', 'ssdp.st': 'st', 'ssdp.usn': 'usn', 'ssdp.location': 'location' });
  remember(responder, heard, `${headers['usn'] ?? ''}\n${headers['st'] ?? ''}`, fields, headers);
}

function recordNotify(ctx: DiscoveryContext, responders: Map<string, Responder>, datagram: UdpDatagram): void {
  const notify = parseSsdpNotify(datagram.data);
  if (notify === undefined) return;
  const responder = responderFor(ctx, responders, datagram.address);
  if (responder === undefined) return;
  const { headers } = notify;
  // NT names the device or service type announced, as ST does in a search answer.
  const fields = { ...headerFields(headers, { 'ssdp.server': 'server', 'ssdp.st': 'nt', 'ssdp.usn': 'usn', 'ssdp.location': 'location' }), 'ssdp.nts': notify.nts };
  // A device saying goodbye has no description to offer.
  const kept = notify.nts === 'ssdp:byebye' ? { ...headers, location: '' } : headers;
  remember(responder, 'notified', `${headers['usn'] ?? ''}\n${headers['nt'] ?? ''}\n${notify.nts}`, fields, kept);
}

/** Responders first, then the given live hosts in scope, `limit` in all: each gets one unicast M-SEARCH. */
function unicastTargets(ctx: DiscoveryContext, responders: ReadonlyMap<string, Responder>, live: readonly string[], limit: number): string[] {
  const targets = new Set(responders.keys());
  for (const address of live) {
    if (targets.size >= limit) break;
    if (ctx.inScope(address)) targets.add(address);
  }
  return [...targets];
}

interface Reflection {
  /** The searched address. */
  address: string;
  fields: Record<string, string>;
}

/**
 * One unicast M-SEARCH ssdp:all to each target (at most MAX_UNICAST_TARGETS), and what it sends
 * back within REFLECTION_WINDOW_MS of its own request: the reflection measure for every
 * responder, and the answers of hosts that only answer this way. Targets are added as they
 * become known; each one's second starts at its request.
 */
class ReflectionRun {
  private readonly sentAt = new Map<string, number>();
  private readonly requestBytes = new Map<string, number>();
  private readonly replies = new Map<string, { bytes: number; count: number }>();
  /** Addresses tried, sent or not: a send that failed is not retried. */
  private readonly tried = new Set<string>();

  constructor(
    private readonly ctx: DiscoveryContext,
    private readonly responders: Map<string, Responder>,
    private readonly socket: UdpSocket,
  ) {}

  async search(targets: readonly string[]): Promise<void> {
    for (const address of targets) {
      if (this.tried.has(address) || this.tried.size >= MAX_UNICAST_TARGETS) continue;
      this.tried.add(address);
      const request = buildUnicastSearch(address, 'ssdp:all');
      if (await sendQuietly(this.socket, address, request)) {
        this.sentAt.set(address, Date.now());
        this.requestBytes.set(address, new TextEncoder().encode(request).length);
      }
    }
  }

  /** Listens for `ms`, noting each reply as it arrives. */
  async listen(ms: number): Promise<void> {
    await this.socket.collect({ windowMs: ms, until: (datagram) => this.note(datagram, Date.now()) });
  }

  private note(datagram: UdpDatagram, arrived: number): boolean {
    // Any datagram from a searched address counts: some devices answer from another source port.
    const sent = this.sentAt.get(datagram.address);
    if (sent === undefined || arrived - sent > REFLECTION_WINDOW_MS) return false;
    const total = this.replies.get(datagram.address) ?? { bytes: 0, count: 0 };
    total.bytes += datagram.data.length;
    total.count += 1;
    this.replies.set(datagram.address, total);
    recordAnswer(this.ctx, this.responders, datagram, 'unicast');
    return false;
  }

  /** Until the last request has had its second. */
  remainingMs(): number {
    return Math.max(0, ...[...this.sentAt.values()].map((sent) => sent + REFLECTION_WINDOW_MS - Date.now()));
  }

  async finish(): Promise<Reflection[]> {
    for (let left = this.remainingMs(); left > 0 && !this.ctx.signal.aborted; left = this.remainingMs()) await this.listen(left);
    const measured: Reflection[] = [];
    for (const [address, request] of this.requestBytes) {
      const total = this.replies.get(address);
      // A live host that does not speak SSDP is no news; a responder that stays silent is.
      if (total === undefined && !this.responders.has(address)) continue;
      measured.push({
        address,
        fields: {
          'ssdp.unicast-reply-bytes': String(total?.bytes ?? 0),
          'ssdp.unicast-request-bytes': String(request),
          'ssdp.unicast-replies': String(total?.count ?? 0),
        },
      });
    }
    return measured;
  }

  close(): void {
    this.socket.close();
  }
}

/** Fetches and parses one LOCATION, or reports it as off-site when it is not on the responder. */
async function describe(ctx: DiscoveryContext, responder: string, address: string, location: string): Promise<ProbeOutput[]> {
  const target = sameHostLocation(location, responder);
  if (target === undefined || !ctx.inScope(responder)) {
    return [observation(address, { 'ssdp.location-offsite': printable(location, 512) })];
  }
  const response = await ctx.net.http({
    address: responder,
    port: target.port,
    method: 'GET',
    path: target.path,
    headers: { host: hostHeader(responder, target.port), 'user-agent': 'iotscan', accept: 'text/xml, application/xml', connection: 'close' },
    timeoutMs: DESCRIPTION_TIMEOUT_MS,
    maxBytes: MAX_DESCRIPTION_BYTES,
    signal: ctx.signal,
  });
  if (!response.ok || response.status !== 200 || response.truncated) return [];
  // Control and event URLs resolve against the LOCATION, which a zone would make unparsable.
  const parsed = parseDeviceDescription(new TextDecoder('utf-8').decode(response.body), withoutUrlZone(location));
  if (!parsed.ok) return [];
  const outputs: ProbeOutput[] = [];
  const cleanLocation = printable(location, 512);
  for (const device of parsed.description.devices) {
    if (Object.keys(device.fields).length > 0) outputs.push({ kind: 'observation', address, port: target.port, transport: 'tcp', fields: device.fields });
  }
  for (const service of parsed.description.services) {
    const fields: Record<string, string> = { 'upnp.serviceType': service.serviceType, 'upnp.location': cleanLocation };
    if (service.controlURL !== undefined) fields['upnp.controlURL'] = service.controlURL;
    if (service.eventSubURL !== undefined) fields['upnp.eventSubURL'] = service.eventSubURL;
    outputs.push({ kind: 'observation', address, port: target.port, transport: 'tcp', fields });
  }
  return outputs;
}

async function openSocket(ctx: DiscoveryContext, announcements = false): Promise<UdpSocket | undefined> {
  try {
    // One byte over the response cap, so an oversized answer is seen as oversized and refused.
    return await ctx.net.openUdp({
      maxBytes: MAX_SSDP_RESPONSE_BYTES + 1,
      signal: ctx.signal,
      ...(announcements && { bindPort: SSDP_PORT, reuseAddr: true, multicastGroups: [...GROUPS] }),
    });
  } catch {
    return undefined;
  }
}

async function sendQuietly(socket: UdpSocket, address: string, text: string): Promise<boolean> {
  try {
    await socket.send(address, SSDP_PORT, new TextEncoder().encode(text));
    return true;
  } catch {
    return false;
  }
}
