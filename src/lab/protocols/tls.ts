// HTTPS for lab devices: a Node TLS server with the protocol versions, cipher list and certificate a
// device is meant to have, and a request handler of the device's choosing.
//
// Certificates and keys are committed PEM files in src/lab/certs (see its README for how they were
// made). tsc copies only .js into dist/, so they are found from the repository root, whichever of
// src/ or dist/ this module runs from.
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import type { SecureVersion } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { listen, type RunningServer } from '../listen.js';

const CERTS_RELATIVE = join('src', 'lab', 'certs');
const HANDSHAKE_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_CONNECTIONS = 32;

/** The nearest ancestor of this module that holds src/lab/certs: the repository root. */
function certsDirectory(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(directory, CERTS_RELATIVE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`lab certificates not found: no ${CERTS_RELATIVE} above ${fileURLToPath(import.meta.url)}`);
    directory = parent;
  }
}

/** The text of one committed PEM file of src/lab/certs, e.g. `router.cert.pem`. */
export function labPem(fileName: string): string {
  return readFileSync(join(certsDirectory(), fileName), 'utf8');
}

export interface HttpsServerOptions {
  host: string;
  port: number;
  /** PEM private key and certificate (leaf only). */
  key: string;
  cert: string;
  minVersion: SecureVersion;
  maxVersion?: SecureVersion;
  /** OpenSSL cipher string for TLS 1.2 and below; Node's default when absent. */
  ciphers?: string;
  handler(request: IncomingMessage, response: ServerResponse): void;
}

export async function startHttpsServer(options: HttpsServerOptions): Promise<RunningServer> {
  const server = createServer(
    {
      key: options.key,
      cert: options.cert,
      minVersion: options.minVersion,
      ...(options.maxVersion !== undefined && { maxVersion: options.maxVersion }),
      ...(options.ciphers !== undefined && { ciphers: options.ciphers }),
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    },
    options.handler,
  );
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = REQUEST_TIMEOUT_MS / 2;
  server.maxConnections = MAX_CONNECTIONS;
  // Handshakes that fail (a client offering only versions the device refuses) are expected here.
  server.on('tlsClientError', (_error: Error, socket: Socket) => socket.destroy());

  const port = await listen(server, options.port, options.host);
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
