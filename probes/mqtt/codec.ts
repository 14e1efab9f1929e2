// MQTT 3.1.1 packets through mqtt-packet: CONNECT without credentials, SUBSCRIBE to `#`,
// DISCONNECT, and a reader that turns received bytes into packets. Pure (no sockets).
import { generate, parser } from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';

export function connectPacket(clientId: string): Uint8Array {
  return generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive: 30 });
}

/**
 * `#` for the topic count, and the broker's own version topic: `#` never matches `$SYS` topics
 * (MQTT 3.1.1 §4.7.2), and `$SYS/broker/version` is the broker describing itself, like a banner.
 */
export const BROKER_VERSION_TOPIC = '$SYS/broker/version';

export function subscribeAllPacket(messageId: number): Uint8Array {
  return generate({ cmd: 'subscribe', messageId, subscriptions: [{ topic: '#', qos: 0 }, { topic: BROKER_VERSION_TOPIC, qos: 0 }] });
}

export function disconnectPacket(): Uint8Array {
  return generate({ cmd: 'disconnect' });
}

/** A random client id `iotscan-xxxx` (4 hex digits), so parallel scans do not kick each other off. */
export function randomClientId(random: () => number = Math.random): string {
  return `iotscan-${Math.floor(random() * 0x10000).toString(16).padStart(4, '0')}`;
}

/** MQTT 3.1.1 §3.2.2.3 CONNACK return codes. */
export function connackOutcome(returnCode: number): string {
  switch (returnCode) {
    case 0:
      return 'accepted';
    case 4:
      return 'bad-credentials';
    case 5:
      return 'not-authorized';
    default:
      return `refused-${returnCode}`;
  }
}

/** Feeds bytes in, gets whole packets out; a malformed stream sets `error` and stops. */
export class MqttReader {
  private readonly parser = parser({ protocolVersion: 4 });
  private readonly packets: Packet[] = [];
  error: string | undefined;

  constructor() {
    this.parser.on('packet', (packet: Packet) => this.packets.push(packet));
    this.parser.on('error', (error: unknown) => {
      this.error = error instanceof Error ? error.message : String(error);
    });
  }

  feed(bytes: Uint8Array): Packet[] {
    if (this.error === undefined && bytes.length > 0) this.parser.parse(Buffer.from(bytes));
    return this.packets.splice(0);
  }
}
