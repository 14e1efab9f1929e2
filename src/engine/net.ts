// The Net port: the only way probes touch the network. `src/net/node-net.ts` implements it on
// node sockets; every read is bounded in size and time, and outcomes are values.
import type { ProbeStatus } from '../core/model.js';

export type Failure = { ok: false; status: Exclude<ProbeStatus, 'success' | 'skipped-by-policy'>; detail?: string };

export interface TcpReadResult {
  data: Uint8Array;
  /** `ok`: the `until` predicate held; `closed`: the peer closed; `limit`: maxBytes reached. */
  end: 'ok' | 'closed' | 'io-timeout' | 'limit' | 'aborted';
}

export interface TcpConn {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  write(data: Uint8Array | string): void;
  /**
   * Reads what has arrived since the last read, waiting until `until(buffered)` holds, the peer
   * closes, `maxBytes` are buffered or `timeoutMs` passes.
   */
  read(options: { until?: (buffered: Uint8Array) => boolean; maxBytes?: number; timeoutMs?: number }): Promise<TcpReadResult>;
  close(): void;
}

export interface UdpDatagram {
  address: string;
  port: number;
  data: Uint8Array;
}

export interface UdpSocket {
  readonly localPort: number;
  send(address: string, port: number, data: Uint8Array): Promise<void>;
  /** Collects datagrams for `windowMs` (or until `until` says enough), each capped at `maxBytes`. */
  collect(options: { windowMs: number; maxDatagrams?: number; until?: (d: UdpDatagram) => boolean }): Promise<UdpDatagram[]>;
  close(): void;
}

export interface HttpRequest {
  address: string;
  port: number;
  method: 'GET' | 'POST' | 'HEAD' | 'OPTIONS';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  maxBytes: number;
  signal: AbortSignal;
}

export interface HttpResponse {
  ok: true;
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Uint8Array;
  truncated: boolean;
}

export interface NeighbourEntry {
  address: string;
  mac: string;
}

export interface Net {
  connectTcp(address: string, port: number, options: { timeoutMs: number; signal: AbortSignal; maxBytes?: number }): Promise<{ ok: true; conn: TcpConn } | Failure>;
  /**
   * A UDP socket. `bindPort` with `reuseAddr` lets several listeners share a port (mDNS 5353);
   * `multicastGroups` are joined on every interface that has an address.
   */
  openUdp(options: { bindPort?: number; reuseAddr?: boolean; multicastGroups?: string[]; maxBytes: number; signal: AbortSignal }): Promise<UdpSocket>;
  http(request: HttpRequest): Promise<HttpResponse | Failure>;
  /** The OS neighbour (ARP/NDP) table: complete entries only. */
  neighbours(): Promise<NeighbourEntry[]>;
}
