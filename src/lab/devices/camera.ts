// An Axis M1011 network camera with its factory login root/pass still set: a Boa web server that
// asks for HTTP Digest or Basic authentication, an RTSP server that asks for Basic, and mDNS
// adverts whose TXT records give away the MAC address, model and firmware.
//
// root/pass: Axis manuals of that era state that every Axis product ships with administrator
// root and password pass (e.g. AXIS 2120 User's Manual, "System Security",
// https://www.manualsdir.com/manuals/37853/axis-communications-2120.html?page=30).
//
// Web login: Axis products support HTTP Basic and HTTP Digest (AXIS 211A User Manual, System
// Options > Security), and "HTTP/RTSP Password Settings" default to "Encrypted & unencrypted" on
// a new or reset unit (note in the AXIS P3915-R Mk II and AXIS A1601 user manuals, System Options
// > Security > Users), so a 401 offers both schemes; Axis's Hardening Guide for cameras (2017,
// §5.2 "HTTP digest authentication") advises switching to Digest only. This unit kept the
// default, so root/pass opens the pages either way.
//
// ONVIF: Axis firmware of this web-interface generation (Setup > System Options) enables ONVIF
// only with a user created for it and then asks for that user on every ONVIF request ("By creating
// a user you automatically enable ONVIF communication. Use the username and password with all
// ONVIF communication with the product.", AXIS P3224-V Mk II user manual, System Options >
// Security > ONVIF). No ONVIF user is set up here, so the device service refuses
// GetDeviceInformation as not authorized. As an ONVIF device it is discoverable by default and
// answers WS-Discovery Probes (ONVIF Core Specification, "Device discovery > Modes of operation"),
// which makes it a small reflector like any other.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Server } from 'node:net';
import type { AttemptCounter, LabDevice, RunningDevice } from '../device.js';
import { basicAccepts, DigestLogin, type LabAccount } from '../protocols/http.js';
import { startMdnsResponder } from '../protocols/mdns.js';
import { startRtspServer } from '../protocols/rtsp.js';
import { handleOnvifRequest, startWsDiscoveryResponder, type OnvifServiceOptions } from '../protocols/onvif.js';
import { listen } from '../listen.js';

const IPV4 = '192.168.77.20';
const REALM = 'AXIS_00408C1A2B3C';
const ROOT: LabAccount = { username: 'root', password: 'pass' };
const DEFAULT_AUTHORIZATION = `Basic ${Buffer.from(`${ROOT.username}:${ROOT.password}`).toString('base64')}`;
const WEB_LOGIN = new DigestLogin(REALM, [ROOT]);
const ONVIF_PATH = '/onvif/device_service';
const ONVIF: OnvifServiceOptions = { auth: 'username-token' };
/**
 * VAPIX picture URLs (https://developer.axis.com/vapix/network-video/video-streaming): a JPEG
 * snapshot and a Motion JPEG stream, over plain HTTP behind the same Basic login as the pages.
 */
const PICTURES = new Map([
  ['/axis-cgi/jpg/image.cgi', 'image/jpeg'],
  ['/axis-cgi/mjpg/video.cgi', 'multipart/x-mixed-replace; boundary=myboundary'],
]);
const PROTECTED_PATHS = new Set(['/', '/view/index.shtml', ...PICTURES.keys()]);
/** The start of a JPEG (SOI, then an APP0 marker): enough for any client to know what it got. */
const TINY_JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]);
const IDLE_TIMEOUT_MS = 30_000;

const UNAUTHORIZED_PAGE =
  '<HTML><HEAD><TITLE>401 Unauthorized</TITLE></HEAD>\n<BODY><H1>401 Unauthorized</H1>\n' +
  'Your client does not have permission to get URL from this server.\n</BODY></HTML>\n';

const HOME_PAGE =
  '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>AXIS M1011 Network Camera</title></head>\n' +
  '<body><h1>AXIS M1011 Network Camera</h1><p><a href="/view/index.shtml">Live View</a> | ' +
  '<a href="/admin/admin.shtml">Setup</a></p><img src="/mjpg/video.mjpg" alt="Live view"></body></html>\n';

function handleHttp(request: IncomingMessage, response: ServerResponse, attempts: AttemptCounter): void {
  response.setHeader('Server', 'Boa/0.94.14rc21');
  const path = (request.url ?? '/').split('?')[0];
  if (request.method === 'POST' && path === ONVIF_PATH) {
    handleOnvifRequest(request, response, ONVIF);
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(501, { 'Content-Type': 'text/html' }).end();
    return;
  }
  if (path === undefined || !PROTECTED_PATHS.has(path)) {
    response.writeHead(404, { 'Content-Type': 'text/html' });
    response.end('<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD><BODY><H1>404 Not Found</H1></BODY></HTML>\n');
    return;
  }
  const authorization = request.headers.authorization;
  if (authorization !== undefined) attempts.record('http');
  if (!basicAccepts(authorization, [ROOT]) && !WEB_LOGIN.accepts(authorization, request.method, request.url ?? '/')) {
    response.writeHead(401, {
      'WWW-Authenticate': [WEB_LOGIN.challenge(), `Basic realm="${REALM}"`],
      'Content-Type': 'text/html',
    });
    response.end(UNAUTHORIZED_PAGE);
    return;
  }
  const picture = PICTURES.get(path);
  if (picture !== undefined) {
    response.writeHead(200, { 'Content-Type': picture });
    response.end(TINY_JPEG);
    return;
  }
  response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  response.end(HOME_PAGE);
}

function describeSdp(url: string): string {
  return [
    'v=0',
    `o=- 1234567890 1 IN IP4 ${IPV4}`,
    's=Media Presentation',
    'e=NONE',
    'c=IN IP4 0.0.0.0',
    't=0 0',
    'm=video 0 RTP/AVP 96',
    'a=rtpmap:96 H264/90000',
    `a=control:${url}/trackID=1`,
    '',
  ].join('\r\n');
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export const device: LabDevice = {
  spec: {
    id: 'camera',
    ipv4: IPV4,
    mac: '00:40:8c:1a:2b:3c',
    hostname: 'axis-00408c1a2b3c',
    truth: { vendor: 'Axis', model: 'M1011', type: 'camera', firmware: '5.20.1' },
    expectedFindings: [
      // root/pass over Digest (signatures/credentials/axis-camera-http.yaml).
      { check: 'default-cred-accepted', port: 80, transport: 'tcp', severity: 'critical' },
      // The same factory root/pass opens the RTSP stream, which asks for it (Basic).
      { check: 'default-cred-accepted', port: 554, transport: 'tcp', severity: 'critical' },
      { check: 'cleartext-admin-login', port: 80, transport: 'tcp', severity: 'medium' },
      { check: 'mdns-txt-leak', port: 5353, transport: 'udp', severity: 'low' },
      // Boa, the camera's web server, has had no release since 2005.
      { check: 'eol-component', port: 80, transport: 'tcp', severity: 'medium' },
      { check: 'version-banner-disclosure', port: 80, transport: 'tcp', severity: 'low' },
      { check: 'udp-reflector-other', port: 3702, transport: 'udp', severity: 'low' },
      // The VAPIX snapshot and stream: behind a login, but over plain HTTP.
      { check: 'cleartext-personal-media', port: 80, transport: 'tcp', severity: 'high' },
      // Info: it answers a unicast mDNS question, normal on a LAN.
      { check: 'mdns-unicast-offlink', port: 5353, transport: 'udp', severity: 'info' },
    ],
    mustNotReport: ['rtsp-no-auth', 'no-auth-admin', 'onvif-unauth'],
  },

  async start({ attempts }): Promise<RunningDevice> {
    const http = createHttpServer((request, response) => handleHttp(request, response, attempts));
    http.headersTimeout = IDLE_TIMEOUT_MS;
    http.requestTimeout = IDLE_TIMEOUT_MS;
    await listen(http, 80, IPV4);
    const rtsp = await startRtspServer({
      host: IPV4,
      port: 554,
      server: 'GStreamer RTSP server',
      streamPaths: ['/', '/axis-media/media.amp'],
      sdp: describeSdp,
      onLoginAttempt: () => attempts.record('rtsp'),
      login: { realm: REALM, authorization: DEFAULT_AUTHORIZATION },
    });
    const wsd = await startWsDiscoveryResponder({
      host: IPV4,
      port: 3702,
      endpoint: 'urn:uuid:5f5a69c2-e0ae-504f-829b-00408c1a2b3c',
      types: ['dn:NetworkVideoTransmitter', 'tds:Device'],
      scopes: [
        'onvif://www.onvif.org/type/video_encoder',
        'onvif://www.onvif.org/type/audio_encoder',
        'onvif://www.onvif.org/hardware/M1011',
        'onvif://www.onvif.org/name/AXIS%20M1011',
        'onvif://www.onvif.org/location/',
      ],
      xaddrs: [`http://${IPV4}${ONVIF_PATH}`],
    });
    const txt = { macaddress: '00408C1A2B3C', model: 'M1011', fw: '5.20.1' };
    const mdns = await startMdnsResponder({
      hostname: 'axis-00408c1a2b3c',
      ipv4: IPV4,
      services: [
        { type: '_http._tcp', instance: 'AXIS M1011 - 00408C1A2B3C', port: 80, txt },
        { type: '_axis-video._tcp', instance: 'AXIS M1011 - 00408C1A2B3C', port: 80, txt },
      ],
    });
    return {
      stop: async () => {
        http.closeAllConnections();
        await Promise.all([close(http), rtsp.stop(), mdns.stop(), wsd.stop()]);
      },
    };
  },
};
