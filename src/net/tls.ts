// TLS side of the Net port: one handshake on node:tls, its outcome as a value, then the socket is
// closed. Nothing is verified against a CA (home devices present self-signed certificates), so no
// secret may ever be sent over such a connection; the probe sends nothing at all.
import { isIP } from 'node:net';
import { connect } from 'node:tls';
import type { Failure, TlsHandshake, TlsRequest } from '../engine/net.js';
import { failureFromError } from './tcp.js';

export function tlsHandshake(request: TlsRequest): Promise<TlsHandshake | Failure> {
  const { address, port, signal, timeoutMs } = request;
  if (signal.aborted) return Promise.resolve({ ok: false, status: 'aborted' });
  return new Promise((resolve) => {
    let settled = false;
    let tcpConnected = false;
    const socket = connect({
      host: address,
      port,
      // RFC 6066 §3: SNI carries host names only, never an address literal.
      ...(isIP(address) === 0 && { servername: address }),
      rejectUnauthorized: false,
      minVersion: request.minVersion,
      maxVersion: request.maxVersion,
      ciphers: request.ciphers,
      // Old devices use small DH groups; the handshake is for looking, not for protecting data.
      minDHSize: 1,
    });
    const finish = (result: TlsHandshake | Failure): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = (): void => finish({ ok: false, status: 'aborted' });
    const timer = setTimeout(() => finish({ ok: false, status: tcpConnected ? 'io-timeout' : 'connection-timeout' }), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      tcpConnected = true;
    });
    socket.once('secureConnect', () => {
      const cipher = socket.getCipher();
      const raw = socket.getPeerCertificate(false).raw as Buffer | undefined;
      finish({
        ok: true,
        version: socket.getProtocol() ?? 'unknown',
        cipher: cipher.standardName || cipher.name,
        ...(raw !== undefined && raw.length > 0 && { certificate: new Uint8Array(raw) }),
      });
    });
    socket.on('error', (error: Error) => {
      // Once TCP is up, every failure is the server refusing or not speaking TLS.
      if (tcpConnected) finish({ ok: false, status: 'protocol-mismatch', detail: handshakeErrorDetail(error) });
      else finish(failureFromError(error, 'connect'));
    });
    socket.once('close', () => finish({ ok: false, status: tcpConnected ? 'protocol-mismatch' : 'no-response', detail: 'closed during the TLS handshake' }));
  });
}

/** OpenSSL's reason (`ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION`, `ECONNRESET`), not its long multi-line text. */
function handshakeErrorDetail(error: Error): string {
  const code = 'code' in error && typeof error.code === 'string' ? error.code : '';
  return code !== '' ? code : error.message.split('\n')[0] ?? 'handshake failed';
}
