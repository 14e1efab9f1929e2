// UDP side of the Net port: one IPv4 socket bound on 0.0.0.0, optionally in multicast groups on
// every interface. Multicast never leaves the link (TTL 1).
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import type { UdpDatagram, UdpSocket } from '../engine/net.js';
import { ipv4InterfaceAddresses, isIpv4Multicast } from './interfaces.js';

/** Datagrams waiting for a `collect` call; beyond this the newest are dropped. */
const MAX_QUEUED_DATAGRAMS = 2048;

export async function openUdp(options: {
  bindPort?: number;
  reuseAddr?: boolean;
  multicastGroups?: string[];
  maxBytes: number;
  signal: AbortSignal;
}): Promise<UdpSocket> {
  const socket = createSocket({ type: 'udp4', reuseAddr: options.reuseAddr ?? false });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port: options.bindPort ?? 0, address: '0.0.0.0' }, () => {
      socket.removeListener('error', reject);
      resolve();
    });
  });
  const interfaces = ipv4InterfaceAddresses();
  const groups = options.multicastGroups ?? [];
  // Every multicast datagram this socket sends stays on the local link.
  socket.setMulticastTTL(1);
  for (const group of groups) {
    for (const interfaceAddress of interfaces) {
      try {
        socket.addMembership(group, interfaceAddress);
      } catch {
        // Interface without multicast support, or two addresses on one interface: one join is enough.
      }
    }
  }
  return new NodeUdpSocket(socket, interfaces, options.maxBytes, options.signal);
}

class NodeUdpSocket implements UdpSocket {
  readonly localPort: number;
  private readonly queue: UdpDatagram[] = [];
  private wake: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly interfaces: string[],
    maxBytes: number,
    private readonly signal: AbortSignal,
  ) {
    this.localPort = socket.address().port;
    socket.on('message', (message, remote) => {
      if (this.queue.length >= MAX_QUEUED_DATAGRAMS) return;
      this.queue.push({ address: remote.address, port: remote.port, data: new Uint8Array(message.subarray(0, maxBytes)) });
      this.wake?.();
    });
    // A late ICMP error must not crash the process; the probe sees silence instead.
    socket.on('error', () => undefined);
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  private readonly onAbort = (): void => {
    this.close();
    this.wake?.();
  };

  async send(address: string, port: number, data: Uint8Array): Promise<void> {
    if (this.closed) throw new Error('UDP socket is closed');
    if (!isIpv4Multicast(address) || this.interfaces.length === 0) {
      await this.sendOnce(address, port, data);
      return;
    }
    // Multicast goes out of one interface per send: send once on each, like the joins. Naming the
    // interface also lets multicast leave a host that has no route for 224.0.0.0/4 (no default route).
    let sent = 0;
    let lastError: unknown;
    for (const interfaceAddress of this.interfaces) {
      try {
        this.socket.setMulticastInterface(interfaceAddress);
        await this.sendOnce(address, port, data);
        sent += 1;
      } catch (error) {
        lastError = error;
      }
    }
    if (sent === 0) throw lastError instanceof Error ? lastError : new Error('multicast send failed on every interface');
  }

  private sendOnce(address: string, port: number, data: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.send(data, port, address, (error) => (error ? reject(error) : resolve()));
    });
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
        return this.closed || this.signal.aborted;
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
    this.signal.removeEventListener('abort', this.onAbort);
    try {
      this.socket.close();
    } catch {
      // Already closed.
    }
  }
}
