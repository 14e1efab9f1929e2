// UPnP event subscription check (CallStranger, CVE-2020-12695): does the device accept an event
// subscription whose delivery address is not the subscriber's and not on its network? One SUBSCRIBE
// to one service's event URL on the device itself, with the device's own loopback as CALLBACK
// (see LOOPBACK_CALLBACK for why nothing can leave the device); an accepted subscription is
// cancelled at once with UNSUBSCRIBE, so no state is left behind.
import type { Failure } from '../../src/engine/net.js';
import type { ProbeContext, ProbeOutput, ServiceProbe, ServiceSubject } from '../../src/engine/probe.js';
import { printable } from '../../src/core/sanitize.js';
import { MAX_DESCRIPTION_BYTES, hostHeader, parseDeviceDescription, sameHostLocation } from '../ssdp/codec.js';
import {
  MAX_EVENT_RESPONSE_BYTES,
  buildSubscribe,
  buildUnsubscribe,
  callbackCheck,
  grantedTimeout,
  headersComplete,
  isRequestTarget,
  parseEventResponse,
  subscriptionId,
} from './codec.js';
import type { EventResponse } from './codec.js';

/** Descriptions read again at most, as the upnp-igd probe does. */
const MAX_LOCATIONS = 4;

export const upnpEventsProbe: ServiceProbe = {
  kind: 'service',
  id: 'upnp-events',
  protocol: 'upnp',
  categories: ['safe'],
  transport: 'tcp',
  defaultPorts: [],
  fields: [
    'upnp-events.callback-check',
    'upnp-events.status',
    'upnp-events.service',
    'upnp-events.event-url',
    'upnp-events.unsubscribed',
    'upnp-events.timeout',
  ],
  appliesTo: (subject: ServiceSubject) =>
    subject.transport === 'tcp' && (subject.serviceFields.get('upnp.eventSubURL')?.length ?? 0) > 0 && descriptionLocations(subject).length > 0,
  run,
};

/** LOCATIONs on this host and this port: the descriptions whose services this port announced. */
function descriptionLocations(subject: ServiceSubject): string[] {
  return (subject.serviceFields.get('upnp.location') ?? []).filter((location) => sameHostLocation(location, subject.address)?.port === subject.port);
}

interface EventService {
  serviceType: string;
  /** As the description named it (a path, or a URL on this host's other port). */
  eventUrl: string;
  port: number;
  path: string;
}

type Found = { kind: 'found'; service: EventService } | { kind: 'none' } | { kind: 'failed'; status: 'no-response' | 'aborted'; detail: string };

async function* run(ctx: ProbeContext): AsyncIterable<ProbeOutput> {
  const { port } = ctx.subject;
  const found = await findEventService(ctx);
  if (found.kind === 'failed') {
    yield { kind: 'status', status: found.status, detail: found.detail };
    return;
  }
  if (found.kind === 'none') {
    yield { kind: 'observation', port, transport: 'tcp', fields: { 'upnp-events.callback-check': 'no-event-url' } };
    yield { kind: 'status', status: 'success' };
    return;
  }
  const { service } = found;
  const host = hostHeader(ctx.subject.address, service.port);
  const subscribed = await exchange(ctx, service.port, buildSubscribe(host, service.path));
  if (!subscribed.ok) {
    yield { kind: 'status', status: subscribed.status, ...(subscribed.detail !== undefined && { detail: subscribed.detail }) };
    return;
  }
  const check = callbackCheck(subscribed.response);
  const fields: Record<string, string> = {
    'upnp-events.callback-check': check,
    'upnp-events.status': String(subscribed.response.status),
    'upnp-events.service': service.serviceType,
    'upnp-events.event-url': service.eventUrl,
  };
  if (check === 'accepted-loopback') {
    // Without a SID there is nothing to cancel: the subscription lapses after its TIMEOUT.
    const sid = subscriptionId(subscribed.response);
    const cancelled = sid === undefined ? undefined : await exchange(ctx, service.port, buildUnsubscribe(host, service.path, sid));
    fields['upnp-events.unsubscribed'] = cancelled?.ok === true && cancelled.response.status === 200 ? 'yes' : 'no';
    const granted = grantedTimeout(subscribed.response);
    if (granted !== undefined) fields['upnp-events.timeout'] = granted;
  }
  yield { kind: 'observation', port, transport: 'tcp', fields };
  yield { kind: 'status', status: ctx.signal.aborted ? 'aborted' : 'success' };
}

/** Reads the description again to pair a service with its event URL; the first usable one is tested. */
async function findEventService(ctx: ProbeContext): Promise<Found> {
  const { address, port } = ctx.subject;
  let described = false;
  for (const location of descriptionLocations(ctx.subject).slice(0, MAX_LOCATIONS)) {
    const target = sameHostLocation(location, address);
    if (target === undefined) continue;
    const response = await ctx.net.http({
      address,
      port,
      method: 'GET',
      path: target.path,
      headers: { host: hostHeader(address, port), 'user-agent': 'iotscan', connection: 'close' },
      timeoutMs: ctx.timeoutMs,
      maxBytes: MAX_DESCRIPTION_BYTES,
      signal: ctx.signal,
    });
    if (!response.ok) {
      if (response.status === 'aborted') return { kind: 'failed', status: 'aborted', detail: 'aborted' };
      continue;
    }
    if (response.status !== 200 || response.truncated) continue;
    const parsed = parseDeviceDescription(new TextDecoder().decode(response.body), location);
    if (!parsed.ok) continue;
    described = true;
    for (const { serviceType, eventSubURL } of parsed.description.services) {
      if (eventSubURL === undefined) continue;
      // A path is on the description's own port; a full URL must still be on this very host.
      const where = eventSubURL.startsWith('/') ? { port, path: eventSubURL } : sameHostLocation(eventSubURL, address);
      if (where !== undefined && isRequestTarget(where.path)) {
        return { kind: 'found', service: { serviceType, eventUrl: printable(eventSubURL, 512), ...where } };
      }
    }
  }
  return described ? { kind: 'none' } : { kind: 'failed', status: 'no-response', detail: 'the device description could not be read again' };
}

/** One request on its own connection, and the answer's status line and headers. */
async function exchange(ctx: ProbeContext, port: number, request: string): Promise<{ ok: true; response: EventResponse } | Failure> {
  const connected = await ctx.net.connectTcp(ctx.subject.address, port, { timeoutMs: ctx.timeoutMs, signal: ctx.signal, maxBytes: MAX_EVENT_RESPONSE_BYTES + 1 });
  if (!connected.ok) return connected;
  const { conn } = connected;
  try {
    conn.write(request);
    const read = await conn.read({ until: headersComplete, maxBytes: MAX_EVENT_RESPONSE_BYTES + 1, timeoutMs: ctx.timeoutMs });
    if (read.end === 'aborted') return { ok: false, status: 'aborted' };
    if (read.data.length === 0) return read.end === 'io-timeout' ? { ok: false, status: 'io-timeout' } : { ok: false, status: 'no-response', detail: 'closed without an answer' };
    const response = parseEventResponse(read.data);
    return response === undefined ? { ok: false, status: 'protocol-mismatch', detail: 'not an HTTP answer' } : { ok: true, response };
  } finally {
    conn.close();
  }
}
