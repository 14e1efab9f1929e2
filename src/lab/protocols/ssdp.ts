// A small SSDP responder for a lab device (UPnP Device Architecture 1.0, §1: discovery).
//
// Two sockets on port 1900: one bound to the group address receives only multicast M-SEARCHes,
// one bound to the device's address receives only unicast ones and sends every reply, so the
// device can be told to ignore multicast searches and still answer unicast ones (then it does not
// join the group at all, like a device whose SSDP stack only serves direct requests).
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

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
