// UDP side of the Net port. One UdpSocket is an IPv4 socket (0.0.0.0) and, when IPv6 is wanted
// (an IPv6 group to join, or a first send to an IPv6 address), an IPv6 socket ([::], IPv6 only)
// on the same port; what both receive lands in one queue. Multicast groups are joined, and
// multicast is sent, once per interface: by address for IPv4, by interface index (`::%eth0`) for
// IPv6. Multicast never leaves the link (TTL / hop limit 1). Link-local IPv6 senders come back
// with their zone (`fe80::1%eth0`), so an answer can be sent back on the link it came from.
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import type { UdpDatagram, UdpSocket } from '../engine/net.js';
import { isIpv6Multicast, splitZone } from '../core/policy.js';
import { ipv4InterfaceAddresses, ipv6MulticastInterfaces, isIpv4Multicast } from './interfaces.js';

/** Datagrams waiting for a `collect` call; beyond this the newest are dropped. */
const MAX_QUEUED_DATAGRAMS = 2048;

type Family = 4 | 6;

interface OpenOptions {
  bindPort?: number;
  reuseAddr?: boolean;
  multicastGroups?: string[];
  maxBytes: number;
  signal: AbortSignal;
}

/** One OS socket of a UdpSocket. */
interface Leg {
  socket: Socket;
  /** Where multicast goes out and groups are joined: IPv4 interface addresses, or IPv6 interface names. */
  interfaces: string[];
}

const familyOf = (address: string): Family => (address.includes(':') ? 6 : 4);

export async function openUdp(options: OpenOptions): Promise<UdpSocket> {
  const groups = options.multicastGroups ?? [];
  for (const group of groups) {
    if (!isIpv4Multicast(group) && !isIpv6Multicast(group)) throw new Error(`not a multicast group: ${group}`);
  }
  const socket = new NodeUdpSocket(options);
  try {
    await socket.open(4);
    if (groups.some((group) => familyOf(group) === 6)) {
      try {
        await socket.open(6);
      } catch (error) {
        // A host without IPv6 still does IPv4 discovery; only an IPv6-only request must fail.
        if (!groups.some((group) => familyOf(group) === 4)) throw error;
      }
    }
  } catch (error) {
    socket.close();
    throw error;
  }
  return socket;
}

async function bindLeg(family: Family, options: OpenOptions, groups: readonly string[]): Promise<Leg> {
  const socket = createSocket({ type: family === 4 ? 'udp4' : 'udp6', reuseAddr: options.reuseAddr ?? false, ...(family === 6 && { ipv6Only: true }) });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port: options.bindPort ?? 0, address: family === 4 ? '0.0.0.0' : '::' }, () => {
      socket.removeListener('error', reject);
      resolve();
    });
  });
  const interfaces = family === 4 ? ipv4InterfaceAddresses() : ipv6MulticastInterfaces();
  // Every multicast datagram this socket sends stays on the local link.
  socket.setMulticastTTL(1);
  for (const group of groups) {
    for (const name of interfaces) {
      try {
        socket.addMembership(group, family === 4 ? name : `::%${name}`);
      } catch {
        // Interface without multicast support, or two addresses on one interface: one join is enough.
      }
    }
  }
  return { socket, interfaces };
}

class NodeUdpSocket implements UdpSocket {
  localPort = 0;
  private readonly legs = new Map<Family, Promise<Leg>>();
  private readonly queue: UdpDatagram[] = [];
  private wake: (() => void) | undefined;
  private closed = false;
  /** Multicast sends set the outgoing interface first, so sends run one at a time. */
  private sending: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: OpenOptions) {
    options.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  private readonly onAbort = (): void => {
    this.close();
    this.wake?.();
  };

  /** The socket of one family, bound and in the requested groups of that family. */
  open(family: Family): Promise<Leg> {
    const existing = this.legs.get(family);
    if (existing !== undefined) return existing;
    const groups = (this.options.multicastGroups ?? []).filter((group) => familyOf(group) === family);
    const opening = bindLeg(family, this.options, groups).then((leg) => {
      if (this.closed) {
        leg.socket.close();
        throw new Error('UDP socket is closed');
      }
      if (family === 4) this.localPort = leg.socket.address().port;
      leg.socket.on('message', (message, remote) => {
        if (this.queue.length >= MAX_QUEUED_DATAGRAMS) return;
        this.queue.push({ address: remote.address, port: remote.port, data: new Uint8Array(message.subarray(0, this.options.maxBytes)) });
        this.wake?.();
      });
      // A late ICMP error must not crash the process; the probe sees silence instead.
      leg.socket.on('error', () => undefined);
      return leg;
    });
    // A failed open may be retried by a later send.
    opening.catch(() => this.legs.delete(family));
    this.legs.set(family, opening);
    return opening;
  }

  send(address: string, port: number, data: Uint8Array): Promise<void> {
    const next = this.sending.then(() => this.sendNow(address, port, data));
    this.sending = next.catch(() => undefined);
    return next;
  }

  private async sendNow(address: string, port: number, data: Uint8Array): Promise<void> {
    if (this.closed) throw new Error('UDP socket is closed');
    const family = familyOf(address);
    const leg = await this.open(family);
    const multicast = family === 4 ? isIpv4Multicast(address) : isIpv6Multicast(address);
    // Unicast, a group with its zone given (ff02::fb%eth0), or no interface to choose from.
    if (!multicast || splitZone(address).zone !== undefined || leg.interfaces.length === 0) {
      await sendOnce(leg.socket, address, port, data);
      return;
    }
    // Multicast goes out of one interface per send: send once on each, like the joins. Naming the
    // interface also lets multicast leave a host that has no multicast route (no default route).
    let sent = 0;
    let lastError: unknown;
    for (const name of leg.interfaces) {
      try {
        leg.socket.setMulticastInterface(family === 4 ? name : `::%${name}`);
        await sendOnce(leg.socket, address, port, data);
        sent += 1;
      } catch (error) {
        lastError = error;
      }
    }
    if (sent === 0) throw lastError instanceof Error ? lastError : new Error('multicast send failed on every interface');
  }

  collect(options: { windowMs: number; maxDatagrams?: number; until?: (d: UdpDatagram) => boolean }): Promise<UdpDatagram[]> {
    const collected: UdpDatagram[] = [];
    const maxDatagrams = options.maxDatagrams ?? Number.POSITIVE_INFINITY;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve(collected);
      };
      const drain = (): boolean => {
        while (this.queue.length > 0) {
          const datagram = this.queue.shift() as UdpDatagram;
          collected.push(datagram);
          if (collected.length >= maxDatagrams || options.until?.(datagram) === true) return true;
        }
        return this.closed || this.options.signal.aborted;
      };
      const timer = setTimeout(done, options.windowMs);
      if (drain()) {
        done();
        return;
      }
      this.wake = () => {
        if (drain()) done();
      };
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.options.signal.removeEventListener('abort', this.onAbort);
    for (const opening of this.legs.values()) {
      opening.then(
        (leg) => {
          try {
            leg.socket.close();
          } catch {
            // Already closed.
          }
        },
        () => undefined,
      );
    }
  }
}

function sendOnce(socket: Socket, address: string, port: number, data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.send(data, port, address, (error) => (error ? reject(error) : resolve()));
  });
}
