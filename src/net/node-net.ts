// The Net port on node sockets (node:net, node:dgram, node:http, node:tls). Probes see only the interface.
import type { Net } from '../engine/net.js';
import { httpExchange } from './http.js';
import { readNeighbours } from './neighbours.js';
import { connectTcp } from './tcp.js';
import { tlsHandshake } from './tls.js';
import { openUdp } from './udp.js';

export function createNodeNet(): Net {
  return {
    connectTcp,
    openUdp,
    http: httpExchange,
    tls: tlsHandshake,
    neighbours: readNeighbours,
  };
}
