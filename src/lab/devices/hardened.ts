// A Raspberry Pi home server set up with care: current OpenSSH with keys only and modern algorithms
// only, its own host key, and a small HTTPS page with a certificate from the household's own CA
// (ECDSA P-256, TLS 1.3 only). Nothing else listens and nothing is advertised. The negative case:
// a correct scanner reports nothing above info here, and no TLS or SSH check at all.
import type { LabDevice } from '../device.js';
import { startHttpsServer, labPem } from '../protocols/tls.js';
import { startSshServer } from '../protocols/ssh.js';
import { startInOrder } from './servers.js';

const IPV4 = '192.168.77.80';
const HOME_PAGE = '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>homeserver</title></head><body><p>homeserver</p></body></html>\n';

export const device: LabDevice = {
  spec: {
    id: 'hardened',
    ipv4: IPV4,
    mac: 'd8:3a:dd:44:55:66',
    hostname: 'homeserver',
    // From the network a Raspberry Pi can be told (its MAC), not which model: the truth says what a scanner can know.
    truth: { vendor: 'Raspberry Pi', model: 'Raspberry Pi', type: 'server' },
    expectedFindings: [
      // Info: a current OpenSSH tells its version, as every SSH server must.
      { check: 'version-banner-disclosure', port: 22, transport: 'tcp', severity: 'info' },
    ],
    mustNotReport: [
      'default-cred-accepted',
      'known-vulnerable-version',
      'telnet-open',
      'cleartext-admin-login',
      'weak-tls',
      'self-signed-or-expired-cert',
      'ssh-weak-algorithms',
      'shared-tls-or-ssh-key',
      'unauth-info-endpoint',
      'cleartext-personal-media',
      'onvif-unauth',
      'udp-reflector-other',
      'upnp-subscribe-callback',
      'ipv6-global-services',
    ],
  },

  async start({ attempts }) {
    return startInOrder([
      () =>
        startSshServer({
          host: IPV4,
          port: 22,
          ident: 'OpenSSH_10.2',
          // OpenSSH's modern choices as far as ssh2 implements them: no SHA-1, no CBC, no MAC-then-encrypt.
          algorithms: {
            kex: ['curve25519-sha256', 'curve25519-sha256@libssh.org'],
            cipher: ['chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com', 'aes128-gcm@openssh.com'],
            hmac: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com'],
            serverHostKey: ['ssh-ed25519'],
          },
          authMethods: ['publickey'],
          onLoginAttempt: () => attempts.record('ssh'),
        }),
      () =>
        startHttpsServer({
          host: IPV4,
          port: 443,
          key: labPem('hardened.key.pem'),
          cert: labPem('hardened.cert.pem'),
          minVersion: 'TLSv1.3',
          handler: (request, response) => {
            if (request.method !== 'GET' && request.method !== 'HEAD') {
              response.writeHead(405, { Allow: 'GET, HEAD' }).end();
              return;
            }
            response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(request.method === 'HEAD' ? undefined : HOME_PAGE);
          },
        }),
    ]);
  },
};
