// An SSH server for lab devices, built on ssh2's Server: a real key exchange with a host key made
// at start, a chosen software version in the identification string and a chosen list of offered
// auth methods. Every authentication attempt is rejected, so no session is ever opened.
import * as net from 'node:net';
import ssh2 from 'ssh2';
import type { AuthenticationType } from 'ssh2';

export interface SshServerOptions {
  host: string;
  port: number;
  /** Software version after `SSH-2.0-`, e.g. `dropbear_2014.63`. */
  ident: string;
  /** Methods announced in every rejection, e.g. ['password'] or ['publickey']. */
  authMethods: AuthenticationType[];
  /** Called once per authentication attempt other than the `none` method query. */
  onLoginAttempt?: () => void;
}

export interface RunningSshServer {
  port: number;
  stop(): Promise<void>;
}

const MAX_CONNECTIONS = 32;
const MAX_AUTH_ATTEMPTS_PER_CONNECTION = 10;
const LOGIN_GRACE_MS = 30_000;

export async function startSshServer(options: SshServerOptions): Promise<RunningSshServer> {
  const hostKey = ssh2.utils.generateKeyPairSync('ed25519').private;

  const sshServer = new ssh2.Server({ hostKeys: [hostKey], ident: options.ident }, (client) => {
    let attempts = 0;
    client.on('authentication', (context) => {
      if (context.method !== 'none') {
        attempts += 1;
        options.onLoginAttempt?.();
      }
      context.reject(options.authMethods);
      if (attempts >= MAX_AUTH_ATTEMPTS_PER_CONNECTION) client.end();
    });
    client.on('error', () => client.end());
  });

  // The TCP side is ours, so every socket can be bounded in time and destroyed at stop.
  const sockets = new Set<net.Socket>();
  const tcpServer = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setTimeout(LOGIN_GRACE_MS, () => socket.destroy());
    sshServer.injectSocket(socket);
  });
  tcpServer.maxConnections = MAX_CONNECTIONS;

  await new Promise<void>((resolve, reject) => {
    tcpServer.once('error', reject);
    tcpServer.listen(options.port, options.host, () => {
      tcpServer.off('error', reject);
      resolve();
    });
  });

  const address = tcpServer.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : options.port,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => tcpServer.close(() => resolve()));
    },
  };
}
