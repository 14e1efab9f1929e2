// MQTT check: does the broker accept a client without credentials, and if so, does it let that
// client read every topic? Only the NUMBER of distinct topics is kept: never names or payloads.
// The one payload read is the broker's own `$SYS/broker/version`, its self-description.
import type { TcpConn } from '../../src/engine/net.js';
import { onPorts, type ProbeContext, type ProbeOutput, type ServiceProbe } from '../../src/engine/probe.js';
import { printable } from '../../src/core/sanitize.js';
import { BROKER_VERSION_TOPIC, MqttReader, connackOutcome, connectPacket, disconnectPacket, randomClientId, subscribeAllPacket } from './codec.js';
import type { Packet } from 'mqtt-packet';

const DEFAULT_PORTS = [1883] as const;
/** How long to listen on `#` once subscribed. */
const LISTEN_MS = 1000;
/** Distinct topics counted at most (memory bound); the count says "at least" beyond it. */
const MAX_COUNTED_TOPICS = 10_000;
const MAX_VERSION_LENGTH = 80;

export const mqttProbe: ServiceProbe = {
  kind: 'service',
  id: 'mqtt',
  protocol: 'mqtt',
  categories: ['safe'],
  transport: 'tcp',
  defaultPorts: DEFAULT_PORTS,
  fields: ['mqtt.connack', 'mqtt.subscribe-all', 'mqtt.topics', 'mqtt.broker-version'],
  appliesTo: onPorts('tcp', DEFAULT_PORTS),
  run,
};

/** A SUBACK return code below 0x80 grants the subscription at that QoS (MQTT 3.1.1 §3.9.3). */
function isGrant(code: unknown): boolean {
  return typeof code === 'number' && code < 0x80;
}

/**
 * Reads packets until `stop(packet)` says so (that packet is returned), the time is up or the
 * stream ends or breaks (undefined).
 */
async function readPackets(conn: TcpConn, reader: MqttReader, timeoutMs: number, stop: (packet: Packet) => boolean): Promise<Packet | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return undefined;
    const read = await conn.read({ timeoutMs: remaining, maxBytes: 256 * 1024 });
    for (const packet of reader.feed(read.data)) {
      if (stop(packet)) return packet;
    }
    if (reader.error !== undefined || read.end !== 'ok') return undefined;
  }
}

async function* run(ctx: ProbeContext): AsyncIterable<ProbeOutput> {
  const { address, port } = ctx.subject;
  const connected = await ctx.net.connectTcp(address, port, { timeoutMs: ctx.timeoutMs, signal: ctx.signal, maxBytes: 4 * 1024 * 1024 });
  if (!connected.ok) {
    yield { kind: 'status', status: connected.status, ...(connected.detail === undefined ? {} : { detail: connected.detail }) };
    return;
  }
  const conn = connected.conn;
  try {
    const reader = new MqttReader();
    conn.write(connectPacket(randomClientId()));
    const connack = await readPackets(conn, reader, ctx.timeoutMs, (packet) => packet.cmd === 'connack');
    if (connack === undefined || connack.cmd !== 'connack') {
      yield ctx.signal.aborted
        ? { kind: 'status', status: 'aborted' }
        : { kind: 'status', status: reader.error === undefined ? 'io-timeout' : 'protocol-mismatch', detail: reader.error ?? 'no CONNACK' };
      return;
    }
    const outcome = connackOutcome(connack.returnCode ?? connack.reasonCode ?? 0);
    const fields: Record<string, string> = { 'mqtt.connack': outcome };
    if (outcome === 'accepted') {
      const topics = new Set<string>();
      let brokerVersion: string | undefined;
      const countTopic = (packet: Packet): void => {
        if (packet.cmd !== 'publish') return;
        if (packet.topic === BROKER_VERSION_TOPIC) brokerVersion = printable(Buffer.from(packet.payload).toString('utf8'), MAX_VERSION_LENGTH);
        else if (topics.size < MAX_COUNTED_TOPICS) topics.add(packet.topic);
      };
      const countUntil = (cmd: Packet['cmd'] | undefined) => (packet: Packet): boolean => {
        countTopic(packet);
        return packet.cmd === cmd;
      };
      conn.write(subscribeAllPacket(1));
      const suback = await readPackets(conn, reader, ctx.timeoutMs, countUntil('suback'));
      // The first grant is `#`; a broker may refuse the $SYS subscription and still serve every topic.
      const [first, versionGrant] = suback?.cmd === 'suback' ? suback.granted : [];
      const granted = isGrant(first);
      fields['mqtt.subscribe-all'] = granted ? 'allowed' : 'denied';
      if (granted) {
        // Retained messages arrive at once, live ones during the window: listen for all of it.
        await readPackets(conn, reader, LISTEN_MS, countUntil(undefined));
        // A broker busy with other clients may send its retained version late; one that granted
        // the topic gets one more window, ended by the version itself.
        if (brokerVersion === undefined && isGrant(versionGrant)) {
          await readPackets(conn, reader, LISTEN_MS, (packet) => {
            countTopic(packet);
            return brokerVersion !== undefined;
          });
        }
        fields['mqtt.topics'] = String(topics.size);
        if (brokerVersion !== undefined && brokerVersion !== '') fields['mqtt.broker-version'] = brokerVersion;
      }
      conn.write(disconnectPacket());
    }
    yield { kind: 'observation', port, transport: 'tcp', fields };
    yield { kind: 'status', status: ctx.signal.aborted ? 'aborted' : 'success' };
  } finally {
    conn.close();
  }
}
