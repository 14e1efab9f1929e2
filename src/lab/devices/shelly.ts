// A Shelly Plug S (first generation, firmware 1.14.0) that its owner renamed in the app: its
// mDNS instance name has dots and non-ASCII characters ("Küche.Steckdose v1.2 – Kaffeemaschine"),
// which a scanner must keep whole. Its HTTP API has no login set (the factory state): /shelly
// names the device and /settings hands its whole configuration to anyone on the LAN.
//
// Read-only: the real device changes state on GET (/relay/0?turn=on, /settings?name=...); the
// lab serves fixed pages and ignores every query string.
//
// Gen1 Shellies also speak CoIoT, Shelly's protocol on CoAP (UDP 5683), switched on by default
// ("coiot": {"enabled": true} in /settings). Per "The CoIoT Protocol for Shelly devices" (rev 1.0,
// https://shelly-api-docs.shelly.cloud/gen1/docs/coiot/v1/CoIoT%20for%20Shelly%20devices%20(rev%201.0)%20.pdf)
// it answers GETs of /cit/d (device description) and /cit/s (status) with JSON, piggybacked on the
// ACK, every response with a payload carrying option 3332, the global device id
// `<devtype>#<devid>#<version>` (the coiot-coap client's model.ts; `SHSW-1#68A038#1` in
// ioBroker.shelly issue #82), CoIoT version 2 since firmware 1.8 (openHAB Shelly binding, "Advanced
// Users"). NOT SOURCED: what a Shelly answers to GET /.well-known/core. The lab lists its two
// CoIoT resources there, as RFC 7252 §7.2 says CoAP servers should (CoRE Link Format discovery); a
// real device may answer 4.04 instead, which would be no amplification at all.
import type { LabDevice } from '../device.js';
import { startCoapServer } from '../protocols/coap.js';
import { startHttpServer, type HttpPage } from '../protocols/http.js';
import { startMdnsResponder } from '../protocols/mdns.js';
import { startInOrder } from './servers.js';

const IPV4 = '192.168.77.95';
const MAC = 'c4:5b:be:6b:1f:2a';
const MAC_HEX = MAC.replace(/:/g, '').toUpperCase();
const DEVICE_ID = `shellyplug-s-${MAC_HEX}`;
const NAME = 'Küche.Steckdose v1.2 – Kaffeemaschine';
const FIRMWARE = '20230913-112003/v1.14.0-gcb84623';

/** CoIoT option 3332 (COIOT_OPTION_GLOBAL_DEVID): device type, MAC tail, CoIoT version (2). */
const COIOT_DEVICE_ID = `SHPLG-S#${MAC_HEX.slice(-6)}#2`;
const COIOT_OPTION_GLOBAL_DEVID = 3332;

/**
 * The CoIoT v2 description and status of a Plug S: blocks and sensors (id, type, description, unit,
 * range, linked blocks) as the coiot-coap client's model.ts describes them, and a status of
 * [channel, sensor id, value] triples as quoted from real devices in Home Assistant issues #48485
 * and #56978 (1101 output, 4101 power, 4103 energy, 6102 overpower, 3104 temperature, 6101 overtemp).
 */
const COIOT_DESCRIPTION = {
  blk: [
    { I: 1, D: 'relay_0' },
    { I: 2, D: 'device' },
  ],
  sen: [
    { I: 9103, T: 'EVC', D: 'cfgChanged', R: 'U16', L: 2 },
    { I: 1101, T: 'S', D: 'output', R: '0/1', L: 1 },
    { I: 4101, T: 'P', D: 'power', U: 'W', R: ['0/2500', '-1'], L: 1 },
    { I: 4103, T: 'E', D: 'energy', U: 'Wmin', R: ['U32', '-1'], L: 1 },
    { I: 6102, T: 'A', D: 'overpower', R: ['0/1', '-1'], L: 1 },
    { I: 3104, T: 'T', D: 'deviceTemp', U: 'C', R: ['-40/300', '999'], L: 2 },
    { I: 6101, T: 'A', D: 'overtemp', R: ['0/1', '-1'], L: 2 },
  ],
};
const COIOT_STATUS = { G: [[0, 9103, 0], [0, 1101, 0], [0, 4101, 0], [0, 4103, 0], [0, 6102, 0], [0, 3104, 24.1], [0, 6101, 0]] };

const json = (value: unknown): HttpPage => ({ contentType: 'application/json', body: JSON.stringify(value) });

const SHELLY_INFO = {
  type: 'SHPLG-S',
  mac: MAC_HEX,
  auth: false,
  fw: FIRMWARE,
  longid: 1,
  num_outputs: 1,
  num_meters: 1,
};

const SETTINGS = {
  device: { type: 'SHPLG-S', mac: MAC_HEX, hostname: DEVICE_ID, num_outputs: 1, num_meters: 1 },
  wifi_ap: { enabled: false, ssid: `shellyplug-s-${MAC_HEX.slice(-6)}`, key: '' },
  wifi_sta: { enabled: true, ssid: 'Zuhause', ipv4_method: 'dhcp', ip: null, gw: null, mask: null, dns: null },
  wifi_sta1: { enabled: false, ssid: null, ipv4_method: 'dhcp', ip: null, gw: null, mask: null, dns: null },
  ap_roaming: { enabled: false, threshold: -70 },
  mqtt: { enable: false, server: '192.168.33.3:1883', user: '', id: DEVICE_ID, reconnect_timeout_max: 60, keep_alive: 60 },
  coiot: { enabled: true, update_period: 15, peer: '' },
  sntp: { server: 'time.google.com', enabled: true },
  login: { enabled: false, unprotected: false, username: 'admin' },
  pin_code: '',
  name: NAME,
  fw: FIRMWARE,
  discoverable: true,
  build_info: { build_id: FIRMWARE, build_timestamp: '2023-09-13T11:20:03Z', build_version: '1.0' },
  cloud: { enabled: true, connected: true },
  timezone: 'Europe/Berlin',
  lat: 52.52,
  lng: 13.405,
  tzautodetect: true,
  time: '08:15',
  hwinfo: { hw_revision: 'prod-190516', batch_id: 1 },
  max_power: 2500,
  led_status_disable: false,
  led_power_disable: false,
  relays: [{ name: 'Kaffeemaschine', ison: false, has_timer: false, default_state: 'last', auto_on: 0, auto_off: 0, schedule: false }],
};

const WEB_UI = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Shelly Plug S</title></head>
<body><div id="app"><h1>Shelly Plug S</h1><p id="name"></p>
<script>fetch('/settings').then((r) => r.json()).then((s) => { document.getElementById('name').textContent = s.name; });</script>
</div></body></html>
`;

export const device: LabDevice = {
  spec: {
    id: 'shelly',
    ipv4: IPV4,
    mac: MAC,
    hostname: DEVICE_ID,
    truth: { vendor: 'Shelly', model: 'Plug S', type: 'plug', firmware: '1.14.0' },
    expectedFindings: [
      // /settings: the whole configuration, no password asked.
      { check: 'no-auth-admin', port: 80, transport: 'tcp', severity: 'critical' },
      // TXT id carries the MAC.
      { check: 'mdns-txt-leak', port: 5353, transport: 'udp', severity: 'low' },
      // A 25-byte GET of /.well-known/core draws a 48-byte answer (see the note on CoIoT above).
      { check: 'udp-reflector-other', port: 5683, transport: 'udp', severity: 'low' },
      // Info: it answers a unicast mDNS question, normal on a LAN.
      { check: 'mdns-unicast-offlink', port: 5353, transport: 'udp', severity: 'info' },
    ],
    // No login exists, so a 200 is no credential hit and no password crosses the network.
    mustNotReport: ['default-cred-accepted', 'weak-guessable-cred', 'cleartext-admin-login'],
  },

  async start() {
    return startInOrder([
      () =>
        startHttpServer({
          host: IPV4,
          port: 80,
          server: 'Mongoose/6.18',
          pages: {
            '/': { contentType: 'text/html; charset=utf-8', body: WEB_UI },
            '/shelly': json(SHELLY_INFO),
            '/settings': json(SETTINGS),
          },
        }),
      () =>
        startCoapServer({
          host: IPV4,
          port: 5683,
          resources: [
            { path: '/cit/d', payload: JSON.stringify(COIOT_DESCRIPTION) },
            { path: '/cit/s', payload: JSON.stringify(COIOT_STATUS) },
          ],
          responseOptions: [{ number: COIOT_OPTION_GLOBAL_DEVID, value: Buffer.from(COIOT_DEVICE_ID, 'latin1') }],
        }),
      () =>
        startMdnsResponder({
          hostname: DEVICE_ID,
          ipv4: IPV4,
          services: [{ type: '_http._tcp', instance: NAME, port: 80, txt: { id: DEVICE_ID, fw: FIRMWARE, arch: 'esp8266' } }],
        }),
    ]);
  },
};
