// A cheap Wi-Fi baby monitor on the Hipcam camera platform, as sold under many brand names: the
// nursery's video and audio stream over RTSP with no login at all, a BusyBox telnet login and a
// TFTP server left in the firmware, and Dropbear using the host key baked into the firmware image,
// the same key as the airCam (.70) carries.
//
// - RTSP `Server: Hipcam RealServer/V1.0`: the server header SafetyDetectives found on baby monitors
//   streaming without authentication (Threatpost, "Baby Monitors Open to Unauthorized Viewing",
//   Feb 2021, https://threatpost.com/baby-monitors-unauthorized-viewing/163982/).
// - One SSH host key on many devices: SEC Consult, "House of Keys: Industry-Wide HTTPS Certificate
//   and SSH Key Reuse Endangers Millions of Devices Worldwide", Nov 2015 (keys from firmware images
//   and SDKs reused across vendors).
// - ONVIF with user authentication switched off: the device service on the web port answers
//   GetDeviceInformation to anyone, as users report of their home cameras (home-assistant/core#39182, a
//   camera on port 80 whose ONVIF takes no username or password; agsh/onvif#94, a camera whose
//   ONVIF get-calls need no login while its streams do). WS-Discovery answers unicast Probes with a
//   ProbeMatch several times their size; ONVIF cameras were the bulk of the ~630,000 WS-Discovery
//   reflectors on the Internet in 2019 (NJCCIC advisory "WS-Discovery-Based DDoS Attacks",
//   cyber.nj.gov, Sep 2019). The ProbeMatch and device information are lab values in the shape of
//   ONVIF Core's examples (scopes as in a public ProbeMatches of a Chinese IP camera, blog.csdn.net
//   joyden818/17508079), not recorded from a unit.
// - The web admin asks for HTTP Basic. Its password is random and unique to this device: no public
//   source documents a MAC-derived default for a baby monitor or camera that the scanner's
//   placeholders can express (see the helper report), so this device must NOT yield
//   password-derived-from-id.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AttemptCounter, LabDevice } from '../device.js';
import { handleOnvifRequest, startWsDiscoveryResponder, type OnvifServiceOptions } from '../protocols/onvif.js';
import { startRtspServer } from '../protocols/rtsp.js';
import { startSshServer } from '../protocols/ssh.js';
import { startTelnetServer } from '../protocols/telnet.js';
import { startTftpServer } from '../protocols/tftp.js';
import { labPem } from '../protocols/tls.js';
import { FIRMWARE_SSH_HOST_KEY } from './old-device.js';
import { startInOrder, type Stoppable } from './servers.js';
import { listen } from '../listen.js';

const IPV4 = '192.168.77.101';
const REALM = 'Baby Monitor';
/** Random, unique to this unit, in no credential list: guessing must fail. */
const ADMIN_AUTHORIZATION = `Basic ${Buffer.from('admin:Vq7mT2xKp9Ld').toString('base64')}`;
const ONVIF_PATH = '/onvif/device_service';
const ONVIF: OnvifServiceOptions = {
  auth: 'open',
  information: { manufacturer: 'Hipcam', model: 'IPCAM', firmwareVersion: 'V9.1.4.1.16-20170407', serialNumber: 'HI1907C0A81265', hardwareId: 'V1.0' },
};
/** Main and sub stream of the Hipcam platform, and the generic paths such firmware also answers. */
const STREAM_PATHS = ['/', '/11', '/12', '/live', '/live.sdp', '/stream1', '/h264'];

function sdp(url: string): string {
  return [
    'v=0',
    `o=StreamingServer 3331435948 1116907222000 IN IP4 ${IPV4}`,
    's=h264.mp4',
    'c=IN IP4 0.0.0.0',
    't=0 0',
    'a=control:*',
    'm=video 0 RTP/AVP 96',
    'a=rtpmap:96 H264/90000',
    `a=control:${url}/trackID=0`,
    'm=audio 0 RTP/AVP 8',
    'a=rtpmap:8 PCMA/8000/1',
    `a=control:${url}/trackID=1`,
    '',
  ].join('\r\n');
}

const UNAUTHORIZED_PAGE = '<html><head><title>401 Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>\n';
const SETTINGS_PAGE =
  '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Baby Monitor</title></head>\n' +
  '<body><h1>Baby Monitor</h1><p><a href="/live.htm">Live view</a> | <a href="/setup.htm">Settings</a></p></body></html>\n';

function handleWeb(request: IncomingMessage, response: ServerResponse, attempts: AttemptCounter): void {
  if (request.method === 'POST' && (request.url ?? '').split('?')[0] === ONVIF_PATH) {
    handleOnvifRequest(request, response, ONVIF);
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  const authorization = request.headers.authorization;
  if (authorization !== undefined) attempts.record('http');
  if (authorization !== ADMIN_AUTHORIZATION) {
    response.writeHead(401, { 'WWW-Authenticate': `Basic realm="${REALM}"`, 'Content-Type': 'text/html' }).end(UNAUTHORIZED_PAGE);
    return;
  }
  response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(request.method === 'HEAD' ? undefined : SETTINGS_PAGE);
}

async function startWeb(attempts: AttemptCounter): Promise<Stoppable> {
  const server = createServer((request, response) => handleWeb(request, response, attempts));
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.maxConnections = 32;
  await listen(server, 80, IPV4);
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const device: LabDevice = {
  spec: {
    id: 'baby-monitor',
    ipv4: IPV4,
    // E0:B9:4D: Shenzhen Bilian, maker of the Wi-Fi modules in many such cameras.
    mac: 'e0:b9:4d:6c:21:0f',
    hostname: 'IPCAM',
    // What the network tells: the Hipcam RTSP server and a web realm naming the product kind.
    truth: { vendor: 'Hipcam', model: 'Hipcam IP camera', type: 'baby-monitor' },
    expectedFindings: [
      { check: 'rtsp-no-auth', port: 554, transport: 'tcp', severity: 'high' },
      { check: 'telnet-open', port: 23, transport: 'tcp', severity: 'high' },
      { check: 'tftp-or-legacy-cleartext', port: 69, transport: 'udp', severity: 'medium' },
      // The same host key as old-device (.70).
      { check: 'shared-tls-or-ssh-key', port: 22, transport: 'tcp', severity: 'high' },
      { check: 'cleartext-admin-login', port: 80, transport: 'tcp', severity: 'medium' },
      // SSH and telnet are not in the camera profile (signatures/profiles/camera.yaml); 22 is the first.
      { check: 'unexpected-open-services', port: 22, transport: 'tcp', severity: 'medium' },
      { check: 'onvif-unauth', port: 80, transport: 'tcp', severity: 'medium' },
      { check: 'udp-reflector-other', port: 3702, transport: 'udp', severity: 'low' },
      // Info: its SSH names its software version, as every SSH server must.
      { check: 'version-banner-disclosure', port: 22, transport: 'tcp', severity: 'info' },
    ],
    mustNotReport: ['default-cred-accepted', 'weak-guessable-cred', 'password-derived-from-id', 'ssh-weak-algorithms'],
  },

  async start({ attempts }) {
    return startInOrder([
      () =>
        startRtspServer({
          host: IPV4,
          port: 554,
          server: 'Hipcam RealServer/V1.0',
          streamPaths: STREAM_PATHS,
          sdp,
          onLoginAttempt: () => attempts.record('rtsp'),
        }),
      () => startTftpServer({ host: IPV4, port: 69 }),
      () =>
        startWsDiscoveryResponder({
          host: IPV4,
          port: 3702,
          endpoint: 'urn:uuid:2419d68a-2dd2-21b2-a205-e0b94d6c210f',
          types: ['dn:NetworkVideoTransmitter'],
          scopes: [
            'onvif://www.onvif.org/type/NetworkVideoTransmitter',
            'onvif://www.onvif.org/type/video_encoder',
            'onvif://www.onvif.org/type/audio_encoder',
            'onvif://www.onvif.org/hardware/IPCAM',
            'onvif://www.onvif.org/name/IPCAM',
            'onvif://www.onvif.org/location/country/china',
          ],
          xaddrs: [`http://${IPV4}${ONVIF_PATH}`],
        }),
      () =>
        startTelnetServer({
          ipv4: IPV4,
          port: 23,
          banner: '\r\n',
          loginPrompt: 'BusyBox on (none) login: ',
          passwordPrompt: 'Password: ',
          accept: [],
          shellPrompt: '# ',
          failMessage: 'Login incorrect',
          maxFailuresPerConnection: 3,
          onAttempt: () => attempts.record('telnet'),
        }),
      () =>
        startSshServer({
          host: IPV4,
          port: 22,
          ident: 'dropbear_2019.78',
          hostKey: labPem(FIRMWARE_SSH_HOST_KEY),
          // A build with SHA-1 key exchange and CBC modes left out.
          algorithms: {
            kex: ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp521', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp256', 'diffie-hellman-group14-sha256'],
            cipher: ['aes128-ctr', 'aes256-ctr'],
            hmac: ['hmac-sha2-256', 'hmac-sha1'],
            serverHostKey: ['ssh-rsa'],
          },
          authMethods: ['password'],
          onLoginAttempt: () => attempts.record('ssh'),
        }),
      () => startWeb(attempts),
    ]);
  },
};
