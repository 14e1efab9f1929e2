// A Home Assistant OS box with the Mosquitto add-on letting anonymous clients in. It advertises
// itself over mDNS the way Home Assistant's zeroconf integration does; the web UI on 8123 is
// advertised but not served here.
import type { LabDevice } from '../device.js';
import { startMdnsResponder } from '../protocols/mdns.js';
import { startMqttBroker } from '../protocols/mqtt.js';
import { startInOrder } from './servers.js';

const IPV4 = '192.168.77.40';
const HOSTNAME = 'homeassistant';

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
    mustNotReport: ['default-cred-accepted'],
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
