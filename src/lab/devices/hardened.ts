// A Raspberry Pi home server set up with care: current OpenSSH with keys only and modern algorithms
// only, its own host key, a small HTTPS page with a certificate from the household's own CA
// (ECDSA P-256, TLS 1.3 only), and Motion watching the front door, whose web control asks for an
// HTTP Digest login with a password of the owner's own. Nothing else listens and nothing is
// advertised. The negative case: a correct scanner reports nothing above info here, no TLS or SSH
// check at all, and no credential finding for a login that holds.
//
// Motion 4.x (src/webu.c of github.com/Motion-Project/motion): with webcontrol_auth_method 2 the
// web control answers every request without valid credentials with 401, a Digest challenge in
// realm "Motion" with a fixed opaque, and an "Access denied" page (webu_mhd_digest); its server
// sends no Server header. webcontrol_localhost is turned off so the LAN can reach port 8080.
import type { IncomingMessage } from 'node:http';
import type { LabDevice } from '../device.js';
import { DigestLogin, startHttpServer, type HttpPage } from '../protocols/http.js';
import { startHttpsServer, labPem } from '../protocols/tls.js';
import { startSshServer } from '../protocols/ssh.js';
import { startInOrder } from './servers.js';

const IPV4 = '192.168.77.80';
const HOME_PAGE = '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>homeserver</title></head><body><p>homeserver</p></body></html>\n';
const MOTION_PORT = 8080;
/** Motion's fixed opaque value (webu_mhd_digest). */
const MOTION_OPAQUE = '80fb23a1e3760a3d1c91cd060bd07f7a90877334';
/** webcontrol_authentication: the owner's own pair, in no credential list. */
const MOTION_LOGIN = new DigestLogin('Motion', [{ username: 'frontdoor', password: 'Hx3!vLq9-Tz2' }], MOTION_OPAQUE);
const ACCESS_DENIED = '<html><head><title>Access denied</title></head><body>Access denied</body></html>';
const MOTION_PAGE =
  '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Motion</title></head>\n' +
  '<body><h1>Motion</h1><p><a href="/1/">Front door</a></p></body></html>\n';

/**
 * Motion's web control: every path asks for the Digest login first (webu_mhd_auth runs before any
 * page); behind it, the camera list on / and 404 elsewhere. Every answer to the challenge counts.
 */
function motionPage(request: IncomingMessage, page: HttpPage | undefined, recordAttempt: () => void): HttpPage {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) recordAttempt();
  if (!MOTION_LOGIN.accepts(authorization, request.method ?? 'GET', request.url ?? '/')) {
    return { status: 401, contentType: 'text/html', headers: { 'WWW-Authenticate': MOTION_LOGIN.challenge() }, body: ACCESS_DENIED };
  }
  return page ?? { status: 404, contentType: 'text/html', body: '<html><body>404 Not Found</body></html>\n' };
}

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
      'weak-guessable-cred',
      'udp-reflector-other',
      'upnp-subscribe-callback',
      'ipv6-global-services',
      // Nothing advertised, no UDP service, nothing past its support date, no port a server has no use for.
      'eol-component',
      'adb-over-network',
      'ftp-anonymous',
      'mqtt-anonymous',
      'rtsp-no-auth',
      'snmp-default-community',
      'tftp-or-legacy-cleartext',
      'mdns-txt-leak',
      'mdns-unicast-offlink',
      'ssdp-unicast-reply',
      'upnp-description-leak',
      'upnp-igd-unauth-portmap',
      'upnp-portmaps-present',
      'unexpected-open-services',
      'no-auth-admin',
      'password-derived-from-id',
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
      () => {
        const record = () => attempts.record('http');
        return startHttpServer({
          host: IPV4,
          port: MOTION_PORT,
          pages: { '/': (request) => motionPage(request, { contentType: 'text/html', body: MOTION_PAGE }, record) },
          notFound: (request) => motionPage(request, undefined, record),
        });
      },
    ]);
  },
};
