// Starting a lab server: listen, and fail the start (not crash the device) when the port is taken.
import { createSocket, type RemoteInfo } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';

/** Listens on host:port; resolves with the port actually bound (useful with port 0). */
export async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : port;
}

export interface RunningServer {
  port: number;
  stop(): Promise<void>;
}

/**
 * A TCP server that remembers its connections, so stop() ends them too: a connection nobody
 * reads from would otherwise keep the device process (and the lab) from going down.
 */
export async function serveTcp(host: string, port: number, onConnection: (socket: Socket) => void, maxConnections = 32): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  server.maxConnections = maxConnections;
  const bound = await listen(server, port, host);
  return {
    port: bound,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A UDP service that answers each datagram at most once, to where it came from. */
export async function serveUdp(host: string, port: number, answer: (datagram: Buffer, client: RemoteInfo) => Uint8Array | undefined): Promise<RunningServer> {
  const socket = createSocket('udp4');
  socket.on('message', (datagram, client) => {
    const reply = answer(datagram, client);
    if (reply !== undefined) socket.send(reply, client.port, client.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  // A send to a client that went away (a late ICMP error) must not stop the device.
  socket.on('error', () => undefined);
  return {
    port: socket.address().port,
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
