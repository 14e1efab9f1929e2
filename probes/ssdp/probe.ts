// SSDP / UPnP discovery: M-SEARCH on the link, the device description behind each LOCATION (only
// when it sits on the responder itself), and how much a unicast M-SEARCH makes a device send back
// (the reflection / amplification measure).
import type { UdpDatagram, UdpSocket } from '../../src/engine/net.js';
import type { DiscoveryContext, DiscoveryProbe, ProbeOutput } from '../../src/engine/probe.js';
import { printable } from '../../src/core/sanitize.js';
import {
  MAX_DESCRIPTION_BYTES,
  MAX_SSDP_RESPONSE_BYTES,
  SSDP_GROUP,
  SSDP_PORT,
  buildMulticastSearch,
  buildUnicastSearch,
  parseDeviceDescription,
  parseSsdpResponse,
  sameHostLocation,
} from './codec.js';

const DEFAULT_WINDOW_MS = 1500;
const SEARCH_TARGETS = ['ssdp:all', 'upnp:rootdevice'] as const;
const DESCRIPTION_TIMEOUT_MS = 3000;
const MAX_LOCATIONS_PER_RESPONDER = 8;
const MAX_REFLECTION_TARGETS = 64;
const REFLECTION_WINDOW_MS = 1000;

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
    'upnp.location',
    'ssdp.unicast-reply-bytes',
    'ssdp.unicast-request-bytes',
    'ssdp.unicast-replies',
  ],
  run,
};

interface Responder {
  /** Distinct answers keyed by USN and ST. */
  answers: Map<string, Record<string, string>>;
  locations: Set<string>;
}

async function* run(ctx: DiscoveryContext): AsyncIterable<ProbeOutput> {
  const windowMs = ctx.windowMs > 0 ? ctx.windowMs : DEFAULT_WINDOW_MS;
  const responders = new Map<string, Responder>();
  const search = await openSocket(ctx);
  if (search === undefined) {
    yield { kind: 'status', status: 'unknown-error', detail: 'cannot open a UDP socket' };
    return;
  }
  try {
    let sent = 0;
    for (const target of SEARCH_TARGETS) {
      if (await sendQuietly(search, SSDP_GROUP, buildMulticastSearch(target))) sent += 1;
    }
    if (sent === 0) {
      yield { kind: 'status', status: 'no-response', detail: 'cannot send to the SSDP group (no multicast route?)' };
      return;
    }
    for (const datagram of await search.collect({ windowMs })) record(ctx, responders, datagram);
  } finally {
    search.close();
  }

  for (const [address, responder] of responders) {
    for (const fields of responder.answers.values()) {
      yield { kind: 'observation', address, port: SSDP_PORT, transport: 'udp', fields };
    }
  }

  for (const [address, responder] of responders) {
    for (const location of [...responder.locations].slice(0, MAX_LOCATIONS_PER_RESPONDER)) {
      if (ctx.signal.aborted) break;
      yield* describe(ctx, address, location);
    }
  }

  if (!ctx.signal.aborted && responders.size > 0) yield* measureReflection(ctx, [...responders.keys()].slice(0, MAX_REFLECTION_TARGETS));

  yield ctx.signal.aborted
    ? { kind: 'status', status: 'aborted' }
    : responders.size > 0
      ? { kind: 'status', status: 'success' }
      : { kind: 'status', status: 'no-response', detail: 'no SSDP responder answered' };
}

function record(ctx: DiscoveryContext, responders: Map<string, Responder>, datagram: UdpDatagram): void {
  if (!ctx.inScope(datagram.address)) return;
  const response = parseSsdpResponse(datagram.data);
  if (response === undefined) return;
  const { headers } = response;
  const responder = responders.get(datagram.address) ?? { answers: new Map(), locations: new Set<string>() };
  responders.set(datagram.address, responder);
  const key = `${headers['usn'] ?? ''}\n${headers['st'] ?? ''}`;
  if (responder.answers.has(key) || responder.answers.size >= 64) return;
  const fields: Record<string, string> = {};
  const keep = (field: string, header: string): void => {
    const value = headers[header];
    if (value !== undefined && value !== '') fields[field] = printable(value, 512);
  };
  keep('ssdp.server', 'server');
  keep('ssdp.st', 'st');
  keep('ssdp.usn', 'usn');
  keep('ssdp.location', 'location');
  responder.answers.set(key, fields);
  const location = headers['location'];
  if (location !== undefined && location !== '') responder.locations.add(location);
}

/** Fetches and parses one LOCATION, or reports it as off-site when it is not on the responder. */
async function* describe(ctx: DiscoveryContext, address: string, location: string): AsyncIterable<ProbeOutput> {
  const target = sameHostLocation(location, address);
  if (target === undefined || !ctx.inScope(address)) {
    yield { kind: 'observation', address, port: SSDP_PORT, transport: 'udp', fields: { 'ssdp.location-offsite': printable(location, 512) } };
    return;
  }
  const response = await ctx.net.http({
    address,
    port: target.port,
    method: 'GET',
    path: target.path,
    headers: { host: `${address}:${target.port}`, 'user-agent': 'iotscan', accept: 'text/xml, application/xml', connection: 'close' },
    timeoutMs: DESCRIPTION_TIMEOUT_MS,
    maxBytes: MAX_DESCRIPTION_BYTES,
    signal: ctx.signal,
  });
  if (!response.ok || response.status !== 200 || response.truncated) return;
  const xml = new TextDecoder('utf-8').decode(response.body);
  const parsed = parseDeviceDescription(xml, location);
  if (!parsed.ok) return;
  const cleanLocation = printable(location, 512);
  for (const device of parsed.description.devices) {
    if (Object.keys(device.fields).length === 0) continue;
    yield { kind: 'observation', address, port: target.port, transport: 'tcp', fields: device.fields };
  }
  for (const service of parsed.description.services) {
    const fields: Record<string, string> = { 'upnp.serviceType': service.serviceType, 'upnp.location': cleanLocation };
    if (service.controlURL !== undefined) fields['upnp.controlURL'] = service.controlURL;
    yield { kind: 'observation', address, port: target.port, transport: 'tcp', fields };
  }
}

/** One unicast M-SEARCH ssdp:all to each responder, and what came back within a second. */
async function* measureReflection(ctx: DiscoveryContext, addresses: readonly string[]): AsyncIterable<ProbeOutput> {
  const socket = await openSocket(ctx);
  if (socket === undefined) return;
  const requestBytes = new Map<string, number>();
  try {
    for (const address of addresses) {
      const request = buildUnicastSearch(address, 'ssdp:all');
      if (await sendQuietly(socket, address, request)) requestBytes.set(address, new TextEncoder().encode(request).length);
    }
    const replies = new Map<string, { bytes: number; count: number }>();
    for (const datagram of await socket.collect({ windowMs: REFLECTION_WINDOW_MS })) {
      // Any datagram from a searched address counts: some devices answer from another source port.
      if (!requestBytes.has(datagram.address)) continue;
      const total = replies.get(datagram.address) ?? { bytes: 0, count: 0 };
      total.bytes += datagram.data.length;
      total.count += 1;
      replies.set(datagram.address, total);
    }
    for (const [address, request] of requestBytes) {
      const total = replies.get(address) ?? { bytes: 0, count: 0 };
      yield {
        kind: 'observation',
        address,
        port: SSDP_PORT,
        transport: 'udp',
        fields: {
          'ssdp.unicast-reply-bytes': String(total.bytes),
          'ssdp.unicast-request-bytes': String(request),
          'ssdp.unicast-replies': String(total.count),
        },
      };
    }
  } finally {
    socket.close();
  }
}

async function openSocket(ctx: DiscoveryContext): Promise<UdpSocket | undefined> {
  try {
    // One byte over the response cap, so an oversized answer is seen as oversized and refused.
    return await ctx.net.openUdp({ maxBytes: MAX_SSDP_RESPONSE_BYTES + 1, signal: ctx.signal });
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
