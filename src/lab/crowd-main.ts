// Entry point of the crowd's one server process: `node crowd-main.js <count>`, started by the lab
// inside the crowd namespace. Every crowd host with a service gets its listener here (a small web
// page on 80, or SSH with keys only on 22); prints `ready` once all listen; SIGTERM stops it.
import { createServer } from 'node:http';
import { crowdLayout, CROWD_SERVICES, type CrowdHost } from './crowd.js';
import type { Stoppable } from './devices/servers.js';
import { startSshServer } from './protocols/ssh.js';
import { listen } from './listen.js';

const PAGE = '<!DOCTYPE html><html><head><title>Web Configuration</title></head><body><form method="post" action="/login"><input name="pin" type="password"></form></body></html>\n';

/** A device's small web interface: one page for every path, bounded in time and header size. */
async function startCrowdWebServer(host: string): Promise<Stoppable> {
  const server = createServer({ maxHeaderSize: 8192, headersTimeout: 5_000, requestTimeout: 10_000 }, (request, response) => {
    request.resume();
    response.writeHead(200, { Server: 'lighttpd/1.4.59', 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(PAGE) });
    response.end(request.method === 'HEAD' ? undefined : PAGE);
  });
  server.keepAliveTimeout = 2_000;
  await listen(server, CROWD_SERVICES.http, host);
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A host key of the crowd host's own. ssh2's ed25519 key generation drops a leading zero byte of
 * the public key about once in 256 keys, and ssh2 then cannot parse its own key (mscdex/ssh2
 * issues 1390 and 1513): such a key is drawn again.
 */
function startService(host: CrowdHost): Promise<Stoppable> | undefined {
  switch (host.service) {
    case 'http':
      return startCrowdWebServer(host.ipv4);
    case 'ssh':
      return startSshServer({ host: host.ipv4, port: CROWD_SERVICES.ssh, ident: 'dropbear_2020.81', authMethods: ['publickey'], });
    case undefined:
      return undefined;
  }
}

async function main(): Promise<void> {
  const count = Number(process.argv[2]);
  const servers = await Promise.all(crowdLayout(count).flatMap((host) => startService(host) ?? []));
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    Promise.all(servers.map((server) => server.stop())).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write('ready\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`crowd failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
