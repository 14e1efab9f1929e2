// A Home Assistant OS box with the Mosquitto add-on letting anonymous clients in, and the
// community FTP add-on sharing its media. It advertises itself over mDNS the way Home Assistant's
// zeroconf integration does; the web UI on 8123 is advertised but not served here.
//
// The FTP add-on (github.com/hassio-addons/addon-ftp) is vsftpd with anonymous login off
// (ftp/rootfs/etc/vsftpd/vsftpd.conf: anonymous_enable=NO) and the options' default banner and
// user (ftp/config.yaml: "Welcome to the Hass.io FTP service.", hassio with media and share). The
// add-on will not start with the default password changeme, which HaveIBeenPwned lists (bashio's
// config.require.safe_password), so the owner gave hassio a password of their own: the service
// asks for a login and the published default is refused.
import type { LabDevice } from '../device.js';
import { startFtpServer } from '../protocols/ftp.js';
import { startMdnsResponder } from '../protocols/mdns.js';
import { startMqttBroker } from '../protocols/mqtt.js';
import { startInOrder } from './servers.js';

const IPV4 = '192.168.77.40';
const HOSTNAME = 'homeassistant';
/** The FTP user's password: the owner's own, unique to this box and in no credential list. */
const FTP_ACCOUNT = { username: 'hassio', password: 'k7Rw2qNf9xLz' };
/** The folders the add-on's default user sees (media and share), as vsftpd lists them with hide_ids. */
const FTP_LISTING = [
  'drwxr-xr-x    1 ftp      ftp          4096 Jan 14 09:12 media',
  'drwxr-xr-x    1 ftp      ftp          4096 Jan 14 09:12 share',
];

/** What a household broker holds retained: zigbee2mqtt's bridge state, an HA discovery config, a reading. */
const RETAINED_TOPICS: Record<string, string> = {
  'zigbee2mqtt/bridge/state': '{"state":"online"}',
  'homeassistant/sensor/living_room_temperature/config': JSON.stringify({
    name: 'Living room temperature',
    state_topic: 'home/livingroom/temperature',
    unit_of_measurement: '°C',
    device_class: 'temperature',
    unique_id: 'living_room_temperature',
  }),
  'home/livingroom/temperature': '21.4',
  // Mosquitto publishes its version here (mosquitto(8), "$SYS/broker/version"); the HA add-on ships 2.0.18.
  '$SYS/broker/version': 'mosquitto version 2.0.18',
};

export const device: LabDevice = {
  spec: {
    id: 'mqtt-hub',
    ipv4: IPV4,
    mac: 'dc:a6:32:11:22:33',
    hostname: HOSTNAME,
    truth: { vendor: 'Home Assistant', model: 'Home Assistant OS', type: 'hub', firmware: '2023.1.7' },
    expectedFindings: [
      { check: 'mqtt-anonymous', port: 1883, transport: 'tcp', severity: 'high' },
      // The installation's uuid in the _home-assistant._tcp TXT record is a stable device id.
      { check: 'mdns-txt-leak', port: 5353, transport: 'udp', severity: 'low' },
      // Info: it answers a unicast mDNS question, normal on a LAN.
      { check: 'mdns-unicast-offlink', port: 5353, transport: 'udp', severity: 'info' },
    ],
    // FTP asks for a login and the add-on's default (hassio/changeme) is refused.
    mustNotReport: ['default-cred-accepted', 'weak-guessable-cred', 'ftp-anonymous'],
  },

  async start({ attempts }) {
    return startInOrder([
      () =>
        startMqttBroker({
          host: IPV4,
          port: 1883,
          retained: RETAINED_TOPICS,
          onLoginAttempt: () => attempts.record('mqtt'),
        }),
      () =>
        startFtpServer({
          host: IPV4,
          port: 21,
          greeting: 'Welcome to the Hass.io FTP service.',
          acceptLogin: (user, password) => user === FTP_ACCOUNT.username && password === FTP_ACCOUNT.password,
          listing: FTP_LISTING,
          onLoginAttempt: () => attempts.record('ftp'),
        }),
      () =>
        startMdnsResponder({
          hostname: HOSTNAME,
          ipv4: IPV4,
          services: [
            {
              type: '_home-assistant._tcp',
              instance: 'Home',
              port: 8123,
              txt: {
                location_name: 'Home',
                uuid: '0f1a2b3c4d5e4f60a1b2c3d4e5f60718',
                version: '2023.1.7',
                internal_url: `http://${IPV4}:8123`,
                requires_api_password: 'True',
              },
            },
            { type: '_mqtt._tcp', instance: 'Mosquitto broker', port: 1883, txt: {} },
          ],
        }),
    ]);
  },
};
