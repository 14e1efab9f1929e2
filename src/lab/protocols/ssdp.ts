// A small SSDP responder for a lab device (UPnP Device Architecture 1.0, §1: discovery), and the
// HTTP side of its UPnP stack: description pages and event subscriptions (§4: eventing).
//
// Two sockets on port 1900: one bound to the group address receives only multicast M-SEARCHes,
// one bound to the device's address receives only unicast ones and sends every reply, so the
// device can be told to ignore multicast searches and still answer unicast ones (then it does not
// join the group at all, like a device whose SSDP stack only serves direct requests).
import { randomUUID } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIPv4 } from 'node:net';
import type { RunningServer } from '../listen.js';
import { startHttpServer, type HttpServerOptions } from './http.js';

export interface SsdpResponderOptions {
  ipv4: string;
  /** SERVER header. */
  server: string;
  location: string;
  /** 'uuid:...' */
  usnBase: string;
  /** e.g. 'upnp:rootdevice', 'urn:schemas-upnp-org:device:InternetGatewayDevice:1' */
  searchTargets: string[];
  /** Answer M-SEARCHes sent to the multicast group (default true); unicast ones are always answered. */
  answerMulticast?: boolean;
  /** Announce itself with NOTIFY ssdp:alive on start (default true). */
  notify?: boolean;
  /** Vendor headers added to every answer and NOTIFY, e.g. { 'hue-bridgeid': '001788FFFE...' }. */
  extraHeaders?: Record<string, string>;
}

const SSDP_PORT = 1900;
const SSDP_GROUP = '239.255.255.250';
const MAX_REQUEST_BYTES = 2048;
const MAX_REPLY_DELAY_MS = 100;
const MAX_AGE_SECONDS = 1800;
/** Replies waiting for their delay; more M-SEARCHes than this in 100 ms are dropped. */
const MAX_PENDING_REPLIES = 64;

interface Search {
  searchTarget: string;
  maxWaitSeconds: number;
}

/** Parses an M-SEARCH; undefined for anything else or anything malformed. */
function parseSearch(packet: Buffer): Search | undefined {
  if (packet.length > MAX_REQUEST_BYTES) return undefined;
  const lines = packet.toString('latin1').split(/\r?\n/);
  if (lines[0]?.trim().toUpperCase() !== 'M-SEARCH * HTTP/1.1') return undefined;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.set(line.slice(0, colon).trim().toUpperCase(), line.slice(colon + 1).trim());
  }
  if (headers.get('MAN')?.replace(/"/g, '') !== 'ssdp:discover') return undefined;
  const searchTarget = headers.get('ST');
  if (!searchTarget) return undefined;
  const maxWait = Number.parseInt(headers.get('MX') ?? '1', 10);
  return { searchTarget, maxWaitSeconds: Number.isFinite(maxWait) && maxWait >= 0 ? maxWait : 1 };
}

function usnFor(usnBase: string, target: string): string {
  return target === usnBase ? usnBase : `${usnBase}::${target}`;
}

export async function startSsdpResponder(options: SsdpResponderOptions): Promise<{ stop(): Promise<void> }> {
  const answerMulticast = options.answerMulticast ?? true;
  const allTargets = [...options.searchTargets, options.usnBase];
  const extraHeaders = Object.entries(options.extraHeaders ?? {}).map(([name, value]) => `${name}: ${value}`);

  const response = (target: string): Buffer =>
    Buffer.from(
      [
        'HTTP/1.1 200 OK',
        `CACHE-CONTROL: max-age=${MAX_AGE_SECONDS}`,
        `DATE: ${new Date().toUTCString()}`,
        'EXT:',
        `LOCATION: ${options.location}`,
        `SERVER: ${options.server}`,
        ...extraHeaders,
        `ST: ${target}`,
        `USN: ${usnFor(options.usnBase, target)}`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      'latin1',
    );

  const notify = (target: string): Buffer =>
    Buffer.from(
      [
        'NOTIFY * HTTP/1.1',
        `HOST: ${SSDP_GROUP}:${SSDP_PORT}`,
        `CACHE-CONTROL: max-age=${MAX_AGE_SECONDS}`,
        `LOCATION: ${options.location}`,
        `NT: ${target}`,
        'NTS: ssdp:alive',
        `SERVER: ${options.server}`,
        ...extraHeaders,
        `USN: ${usnFor(options.usnBase, target)}`,
        '',
        '',
      ].join('\r\n'),
      'latin1',
    );

  const unicastSocket = createSocket({ type: 'udp4', reuseAddr: true });
  const groupSocket = answerMulticast ? createSocket({ type: 'udp4', reuseAddr: true }) : undefined;
  const sockets = groupSocket ? [unicastSocket, groupSocket] : [unicastSocket];
  const pending = new Set<NodeJS.Timeout>();

  const onSearch = (packet: Buffer, source: RemoteInfo): void => {
    const search = parseSearch(packet);
    if (!search) return;
    const targets =
      search.searchTarget === 'ssdp:all'
        ? allTargets
        : allTargets.filter((target) => target === search.searchTarget);
    for (const target of targets) {
      if (pending.size >= MAX_PENDING_REPLIES) return;
      // MX asks for a random delay up to MX seconds; the lab keeps it short so scans stay fast.
      const delay = Math.random() * Math.min(search.maxWaitSeconds * 1000, MAX_REPLY_DELAY_MS);
      const timer = setTimeout(() => {
        pending.delete(timer);
        unicastSocket.send(response(target), source.port, source.address);
      }, delay);
      pending.add(timer);
    }
  };

  for (const socket of sockets) {
    socket.on('message', onSearch);
    socket.on('error', () => {});
  }

  const bind = (socket: Socket, address: string): Promise<void> =>
    new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(SSDP_PORT, address, () => {
        socket.off('error', reject);
        resolve();
      });
    });

  const stop = async (): Promise<void> => {
    for (const timer of pending) clearTimeout(timer);
    pending.clear();
    // Also right after a failed bind: a dgram socket closes whether it is bound or not.
    await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
  };

  try {
    await bind(unicastSocket, options.ipv4);
    if (groupSocket) {
      await bind(groupSocket, SSDP_GROUP);
      groupSocket.addMembership(SSDP_GROUP, options.ipv4);
    }
    unicastSocket.setMulticastInterface(options.ipv4);
    unicastSocket.setMulticastTTL(4);
  } catch (error) {
    await stop();
    throw error;
  }

  if (options.notify ?? true) {
    for (const target of allTargets) {
      await new Promise<void>((resolve) => {
        unicastSocket.send(notify(target), SSDP_PORT, SSDP_GROUP, () => resolve());
      });
    }
  }

  return { stop };
}

// ---- eventing ----------------------------------------------------------------------------------

/**
 * How a device's UPnP stack treats the CALLBACK of an event SUBSCRIBE. `any`: every delivery URL
 * is accepted (CallStranger, CVE-2020-12695; UDA before 2.0 of 2020-04-17 did not forbid it).
 * `same-subnet`: a delivery URL outside the device's own subnet gets 412 Precondition Failed, as
 * UDA 2.0 §4.1.1 requires and pupnp's fix (gena_validate_delivery_urls, pull request #181) does.
 */
export type CallbackPolicy = 'any' | 'same-subnet';

export interface UpnpEventOptions {
  /** The device's IPv4 address; `same-subnet` compares callbacks with its /24. */
  ipv4: string;
  callbacks: CallbackPolicy;
  /** The eventSubURL paths the description names. */
  paths: readonly string[];
}

/** The lab LAN is one /24 (namespaces.ts gives every address that prefix). */
const LAB_PREFIX_OCTETS = 3;
const MAX_SUBSCRIPTIONS = 64;
const DEFAULT_SUBSCRIPTION_SECONDS = 1800;
const MAX_CALLBACK_HEADER = 512;

interface Subscription {
  path: string;
  expires: number;
}

/** The delivery URLs of a CALLBACK header (`<url>` one or more times); undefined when malformed (UDA 1.1 §4.1.2). */
function deliveryUrls(header: string): URL[] | undefined {
  if (header.length > MAX_CALLBACK_HEADER || !/^(<[^<>]+>)+$/.test(header)) return undefined;
  const urls: URL[] = [];
  for (const [, text] of header.matchAll(/<([^<>]+)>/g)) {
    try {
      const url = new URL(text ?? '');
      if (url.protocol !== 'http:') return undefined;
      urls.push(url);
    } catch {
      return undefined;
    }
  }
  return urls;
}

function sameSubnet(url: URL, ipv4: string): boolean {
  if (!isIPv4(url.hostname)) return false;
  const prefix = (address: string): string => address.split('.').slice(0, LAB_PREFIX_OCTETS).join('.');
  return prefix(url.hostname) === prefix(ipv4);
}

/** TIMEOUT: Second-N as asked, capped; the default when absent or `infinite` (UDA 1.1 §4.1.2). */
function grantedSeconds(header: string | undefined): number {
  const seconds = Number(/^Second-(\d{1,6})$/i.exec(header ?? '')?.[1]);
  return Number.isInteger(seconds) && seconds > 0 ? Math.min(seconds, DEFAULT_SUBSCRIPTION_SECONDS) : DEFAULT_SUBSCRIPTION_SECONDS;
}

/**
 * SUBSCRIBE and UNSUBSCRIBE on the event paths (UDA 1.1 §4.1.2-§4.1.4), answered as a stack with
 * the given callback policy would. The returned handler says whether it answered the request.
 * A real publisher sends an initial NOTIFY to the delivery URL; the lab never sends one, so no
 * scan can make a lab device send traffic anywhere. Subscriptions are kept (bounded, expiring)
 * only so that renewals and UNSUBSCRIBE get the right answer.
 */
export function upnpEventHandler(options: UpnpEventOptions): (request: IncomingMessage, response: ServerResponse) => boolean {
  const subscriptions = new Map<string, Subscription>();
  const paths = new Set(options.paths);
  const answer = (response: ServerResponse, status: number, headers: Record<string, string> = {}): true => {
    response.writeHead(status, { ...headers, 'Content-Length': 0 }).end();
    return true;
  };
  return (request, response) => {
    if (request.method !== 'SUBSCRIBE' && request.method !== 'UNSUBSCRIBE') return false;
    const now = Date.now();
    for (const [sid, subscription] of subscriptions) if (subscription.expires <= now) subscriptions.delete(sid);
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (!paths.has(path)) return answer(response, 404);
    const header = (name: string): string | undefined => {
      const value = request.headers[name];
      return typeof value === 'string' ? value.trim() : undefined;
    };
    const sid = header('sid');
    const known = sid === undefined ? undefined : subscriptions.get(sid);
    // SID together with NT or CALLBACK: "incompatible header fields" (400).
    if (sid !== undefined && (header('nt') !== undefined || header('callback') !== undefined)) return answer(response, 400);
    if (request.method === 'UNSUBSCRIBE') {
      if (sid === undefined || known === undefined || known.path !== path) return answer(response, 412);
      subscriptions.delete(sid);
      return answer(response, 200);
    }
    if (sid !== undefined) {
      if (known === undefined || known.path !== path) return answer(response, 412);
      const seconds = grantedSeconds(header('timeout'));
      known.expires = now + seconds * 1000;
      return answer(response, 200, { SID: sid, TIMEOUT: `Second-${seconds}` });
    }
    const urls = deliveryUrls(header('callback') ?? '');
    if (header('nt') !== 'upnp:event' || urls === undefined) return answer(response, 412);
    if (options.callbacks === 'same-subnet' && !urls.every((url) => sameSubnet(url, options.ipv4))) return answer(response, 412);
    // Too many live subscriptions: a busy publisher answers 5xx (pupnp gives 500).
    if (subscriptions.size >= MAX_SUBSCRIPTIONS) return answer(response, 500);
    const seconds = grantedSeconds(header('timeout'));
    const created = `uuid:${randomUUID()}`;
    subscriptions.set(created, { path, expires: now + seconds * 1000 });
    return answer(response, 200, { SID: created, TIMEOUT: `Second-${seconds}` });
  };
}

/** The HTTP server of a device's UPnP stack: its documents, and SUBSCRIBE/UNSUBSCRIBE on the event paths. */
export function startUpnpHttpServer(options: HttpServerOptions & { events: UpnpEventOptions }): Promise<RunningServer> {
  return startHttpServer({ ...options, extra: { methods: ['SUBSCRIBE', 'UNSUBSCRIBE'], handle: upnpEventHandler(options.events) } });
}
