// Starting a lab server: listen, and fail the start (not crash the device) when the port is taken.
import type { Server } from 'node:net';

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
