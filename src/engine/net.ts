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

/** Protocol versions Node's TLS can offer; it refuses SSLv3 outright. */
export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface TlsRequest {
  address: string;
  port: number;
  /** The range of versions offered; min = max asks whether the server accepts exactly that one. */
  minVersion: TlsVersion;
  maxVersion: TlsVersion;
  /** OpenSSL cipher list; `DEFAULT@SECLEVEL=0` lets the legacy suites and signatures through. */
  ciphers: string;
  /** For the TCP connect and the handshake together. */
  timeoutMs: number;
  signal: AbortSignal;
}

/** A completed handshake. The certificate is never verified against any CA: devices sign their own. */
export interface TlsHandshake {
  ok: true;
  /** Negotiated protocol version, e.g. `TLSv1.3`. */
  version: string;
  /** Negotiated cipher suite: its IANA name when the runtime knows it, else OpenSSL's. */
  cipher: string;
  /** The server's own (leaf) certificate in DER, if it sent one. */
  certificate?: Uint8Array;
}

export interface NeighbourEntry {
  address: string;
  mac: string;
  /**
   * The OS heard from the neighbour lately (Linux REACHABLE, or a static entry). False for an
   * entry kept from earlier traffic (STALE, DELAY, PROBE): the device may have left since.
   * Readers that cannot tell (macOS arp, /proc/net/arp) say true.
   */
  confirmed: boolean;
}

export interface Net {
  connectTcp(address: string, port: number, options: { timeoutMs: number; signal: AbortSignal; maxBytes?: number }): Promise<{ ok: true; conn: TcpConn } | Failure>;
  /**
   * A UDP socket. `bindPort` with `reuseAddr` lets several listeners share a port (mDNS 5353);
   * `multicastGroups` are joined on every interface that has an address.
   */
  openUdp(options: { bindPort?: number; reuseAddr?: boolean; multicastGroups?: string[]; maxBytes: number; signal: AbortSignal }): Promise<UdpSocket>;
  http(request: HttpRequest): Promise<HttpResponse | Failure>;
  /**
   * One TLS handshake, then the connection is closed. A refused or failed handshake after the
   * TCP connect (an alert, a reset, a non-TLS answer) is `protocol-mismatch`.
   */
  tls(request: TlsRequest): Promise<TlsHandshake | Failure>;
  /** The OS neighbour (ARP/NDP) table: complete entries only. */
  neighbours(): Promise<NeighbourEntry[]>;
}
