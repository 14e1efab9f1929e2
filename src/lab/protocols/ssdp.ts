// A small SSDP responder for a lab device (UPnP Device Architecture 1.0, §1: discovery), and the
// HTTP side of its UPnP stack: description pages and event subscriptions (§4: eventing).
//
// Per family, one socket bound to the group address (IPv4) or to :: in the group (IPv6) receives
// only multicast M-SEARCHes, and one socket bound to each of the device's own addresses receives
// the unicast ones and sends every reply, so the device can be told to ignore multicast searches
// and still answer unicast ones (then it does not join the group at all, like a device whose SSDP
// stack only serves direct requests).
//
// IPv6 (UDA 1.1 Annex A, carried into UDA 2.0): the link-local group ff02::c, and addresses in
// messages written as RFC 2732 / RFC 3986 §3.2.2 literals in brackets. The LOCATION names the
// address the reply is sent from (UDA 2.0 Annex A.2.3, as miniupnp issue 229 quotes it): a search
// from a link-local address is answered from the device's link-local address, one from a global
// address from its global address, as pupnp picks its link-local or ULA/GUA description URL.
import { randomUUID } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIPv4 } from 'node:net';
import { isIpv6LinkLocal } from '../../core/policy.js';
import type { RunningServer } from '../listen.js';
import { startHttpServer, type HttpServerOptions } from './http.js';

export interface SsdpIpv6Addresses {
  /** The device's link-local address (namespaces.ts derives it from the MAC) and its interface. */
  linkLocal: string;
  interface: string;
  /** Its global address, if it has one: searches from a global address are answered from there. */
  global?: string;
}

export interface SsdpResponderOptions {
  ipv4: string;
  /** SERVER header. */
  server: string;
  /** The description URL over IPv4; over IPv6 the same port and path on the answering address. */
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
  /** The families the responder answers on (default IPv4 only); 6 needs `ipv6`. */
  families?: readonly (4 | 6)[];
  ipv6?: SsdpIpv6Addresses;
}

const SSDP_PORT = 1900;
const SSDP_GROUP = '239.255.255.250';
const SSDP_GROUP_V6 = 'ff02::c';
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

/** The description URL moved to another host address: an IPv6 one goes in brackets (RFC 3986 §3.2.2). */
export function locationOn(location: string, address: string): string {
  const url = new URL(location);
  url.hostname = address.includes(':') ? `[${address}]` : address;
  return url.href;
}

/** One of the device's own addresses: the socket bound there, and the LOCATION that names it. */
interface Own {
  socket: Socket;
  /** What the socket binds: the address, with its zone when it is link-local. */
  bind: string;
  location: string;
}

/** One family: its own addresses, the socket in the group (if multicast is answered), and where a search from `source` is answered from. */
interface Family {
  own: Own[];
  group?: { socket: Socket; address: string; join(): void };
  /** NOTIFY: the HOST header, the group address to send to, and the address announced. */
  announce: { host: string; to: string; from: Own };
  replyFrom(source: string): Own;
  /** Once bound: how multicast leaves (IPv6 names the interface in the group's zone instead). */
  prepare?(): void;
}

function ipv4Family(options: SsdpResponderOptions, answerMulticast: boolean): Family {
  const own: Own = { socket: createSocket({ type: 'udp4', reuseAddr: true }), bind: options.ipv4, location: options.location };
  const socket = answerMulticast ? createSocket({ type: 'udp4', reuseAddr: true }) : undefined;
  return {
    own: [own],
    ...(socket && { group: { socket, address: SSDP_GROUP, join: () => socket.addMembership(SSDP_GROUP, options.ipv4) } }),
    announce: { host: `${SSDP_GROUP}:${SSDP_PORT}`, to: SSDP_GROUP, from: own },
    replyFrom: () => own,
    prepare: () => {
      own.socket.setMulticastInterface(options.ipv4);
      own.socket.setMulticastTTL(4);
    },
  };
}

function ipv6Family(options: SsdpResponderOptions, addresses: SsdpIpv6Addresses, answerMulticast: boolean): Family {
  // IPv6 only: a dual-stack socket would also take the IPv4 searches sent to the device.
  const open = (): Socket => createSocket({ type: 'udp6', reuseAddr: true, ipv6Only: true });
  const linkLocal: Own = { socket: open(), bind: `${addresses.linkLocal}%${addresses.interface}`, location: locationOn(options.location, addresses.linkLocal) };
  const global: Own | undefined =
    addresses.global === undefined ? undefined : { socket: open(), bind: addresses.global, location: locationOn(options.location, addresses.global) };
  const socket = answerMulticast ? open() : undefined;
  return {
    own: global ? [linkLocal, global] : [linkLocal],
    ...(socket && { group: { socket, address: '::', join: () => socket.addMembership(SSDP_GROUP_V6, `::%${addresses.interface}`) } }),
    // A link-local LOCATION is announced on the link-local group, as pupnp does.
    announce: { host: `[${SSDP_GROUP_V6.toUpperCase()}]:${SSDP_PORT}`, to: `${SSDP_GROUP_V6}%${addresses.interface}`, from: linkLocal },
    replyFrom: (source) => (isIpv6LinkLocal(source) ? linkLocal : (global ?? linkLocal)),
  };
}

export async function startSsdpResponder(options: SsdpResponderOptions): Promise<{ stop(): Promise<void> }> {
  const answerMulticast = options.answerMulticast ?? true;
  const allTargets = [...options.searchTargets, options.usnBase];
  const extraHeaders = Object.entries(options.extraHeaders ?? {}).map(([name, value]) => `${name}: ${value}`);
  const familyList = options.families ?? [4];
  if (familyList.includes(6) && options.ipv6 === undefined) throw new Error("an SSDP responder on IPv6 needs the device's IPv6 addresses");

  const response = (target: string, location: string): Buffer =>
    Buffer.from(
      [
        'HTTP/1.1 200 OK',
        `CACHE-CONTROL: max-age=${MAX_AGE_SECONDS}`,
        `DATE: ${new Date().toUTCString()}`,
        'EXT:',
        `LOCATION: ${location}`,
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

  const notify = (target: string, host: string, location: string): Buffer =>
    Buffer.from(
      [
        'NOTIFY * HTTP/1.1',
        `HOST: ${host}`,
        `CACHE-CONTROL: max-age=${MAX_AGE_SECONDS}`,
        `LOCATION: ${location}`,
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

  const families: Family[] = [];
  if (familyList.includes(4)) families.push(ipv4Family(options, answerMulticast));
  if (familyList.includes(6) && options.ipv6 !== undefined) families.push(ipv6Family(options, options.ipv6, answerMulticast));
  const sockets = families.flatMap((family) => [...family.own.map((own) => own.socket), ...(family.group ? [family.group.socket] : [])]);
  const pending = new Set<NodeJS.Timeout>();

  const onSearch = (packet: Buffer, source: RemoteInfo, from: Own): void => {
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
        // A link-local source comes with its zone (fe80::1%eth0), so the reply finds its link.
        from.socket.send(response(target, from.location), source.port, source.address);
      }, delay);
      pending.add(timer);
    }
  };

  for (const family of families) {
    for (const own of family.own) own.socket.on('message', (packet: Buffer, source: RemoteInfo) => onSearch(packet, source, own));
    family.group?.socket.on('message', (packet: Buffer, source: RemoteInfo) => onSearch(packet, source, family.replyFrom(source.address)));
  }
  for (const socket of sockets) socket.on('error', () => {});

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
    for (const family of families) {
      for (const own of family.own) await bind(own.socket, own.bind);
      if (family.group) {
        await bind(family.group.socket, family.group.address);
        family.group.join();
      }
    }
    for (const family of families) family.prepare?.();
  } catch (error) {
    await stop();
    throw error;
  }

  if (options.notify ?? true) {
    for (const family of families) {
      for (const target of allTargets) {
        await new Promise<void>((resolve) => {
          family.announce.from.socket.send(notify(target, family.announce.host, family.announce.from.location), SSDP_PORT, family.announce.to, () => resolve());
        });
      }
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
