// An NVIDIA SHIELD Android TV with network debugging switched on and ADB authentication off: its
// adbd on TCP 5555 answers a client's CONNECT with its own CONNECT at once, so anyone on the LAN
// could install apps or open a shell. Besides that, Chromecast built in: mDNS _googlecast._tcp with
// the usual TXT, the eureka_info endpoint on 8008 and the TLS cast channel on 8009.
import type { LabDevice } from '../device.js';
import { startAdbServer } from '../protocols/adb.js';
import { startHttpServer } from '../protocols/http.js';
import { startMdnsResponder } from '../protocols/mdns.js';
import { startInOrder, startOpenPortWithoutService } from './servers.js';

const IPV4 = '192.168.77.100';
const HOSTNAME = 'SHIELD-Android-TV';
const CAST_ID = '3f9a6c2e8b1d4e7fa0c5b2d9e6f1a4c7';
const FRIENDLY_NAME = 'Living Room TV';
const MODEL = 'SHIELD Android TV';

// Connection banner as adbd builds it (AOSP adb.cpp get_connection_string: "<type>::" then
// ro.product.name, ro.product.model, ro.product.device and features joined by ';'). foster_e /
// foster are the SHIELD Android TV's product and device names; the features are an Android 11 adbd's.
const ADB_BANNER =
  `device::ro.product.name=foster_e;ro.product.model=${MODEL};ro.product.device=foster;` +
  'features=shell_v2,cmd,stat_v2,ls_v2,fixed_push_mkdir,apex,abb,fixed_push_symlink_timestamp,abb_exec,' +
  'remount_shell,track_app,sendrecv_v2,sendrecv_v2_brotli,sendrecv_v2_lz4,sendrecv_v2_zstd,sendrecv_v2_dry_run_send';

// The fields of an unauthenticated eureka_info answer (GHLocalApi, "eureka_info GET"): the Wi-Fi
// network it joined and its MAC address, as older Cast firmware hands them to anyone on the LAN.
const EUREKA_INFO = JSON.stringify({
  name: FRIENDLY_NAME,
  ssdp_udn: '3f9a6c2e-8b1d-4e7f-a0c5-b2d9e6f1a4c7',
  ssid: 'Miller Family WiFi',
  mac_address: '00:04:4B:5E:A1:08',
  connected: true,
});

export const device: LabDevice = {
  spec: {
    id: 'android-tv',
    ipv4: IPV4,
    // 00:04:4B: NVIDIA's IEEE MA-L block.
    mac: '00:04:4b:5e:a1:07',
    hostname: HOSTNAME,
    // From the network: the cast TXT `md` and the adb banner name the model; no firmware is told.
    truth: { vendor: 'NVIDIA', model: MODEL, type: 'media-player' },
    expectedFindings: [
      { check: 'adb-over-network', port: 5555, transport: 'tcp', severity: 'critical' },
      // The cast TXT carries the device id (`id`) and a MAC-like `bs`.
      { check: 'mdns-txt-leak', port: 5353, transport: 'udp', severity: 'low' },
      // A debug bridge is not part of a media player's profile (signatures/profiles/speaker-tv.yaml).
      { check: 'unexpected-open-services', port: 5555, transport: 'tcp', severity: 'medium' },
      // eureka_info on 8008 shows the Wi-Fi name and MAC without a login.
      { check: 'unauth-info-endpoint', port: 8008, transport: 'tcp', severity: 'medium' },
      // Info: it answers a unicast mDNS question, normal on a LAN.
      { check: 'mdns-unicast-offlink', port: 5353, transport: 'udp', severity: 'info' },
    ],
    mustNotReport: ['default-cred-accepted', 'weak-guessable-cred', 'telnet-open'],
  },

  // No service here takes a credential, so nothing is counted.
  async start() {
    return startInOrder([
      () => startAdbServer({ host: IPV4, port: 5555, banner: ADB_BANNER }),
      () =>
        startHttpServer({
          host: IPV4,
          port: 8008,
          pages: { '/setup/eureka_info': { contentType: 'application/json', body: EUREKA_INFO } },
        }),
      () => startOpenPortWithoutService(IPV4, 8009),
      () =>
        startMdnsResponder({
          hostname: HOSTNAME,
          ipv4: IPV4,
          services: [
            {
              type: '_googlecast._tcp',
              instance: `SHIELD-Android-TV-${CAST_ID}`,
              port: 8009,
              txt: {
                id: CAST_ID,
                cd: '9B41D07E25C36A8F1E0B74D2C58A93F6',
                rm: '',
                ve: '05',
                md: MODEL,
                ic: '/setup/icon.png',
                fn: FRIENDLY_NAME,
                ca: '463365',
                st: '0',
                bs: 'FA8F3C2D9E41',
                nf: '1',
                rs: '',
              },
            },
          ],
        }),
    ]);
  },
};
