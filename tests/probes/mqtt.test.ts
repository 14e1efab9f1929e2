import { Aedes } from 'aedes';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttReader, connackOutcome, connectPacket, randomClientId } from '../../probes/mqtt/codec.js';
import { mqttProbe } from '../../probes/mqtt/probe.js';
import { hexFixture, listenTcp, runServiceProbe, subjectFor } from '../fixtures/harness.js';

describe('mqtt codec', () => {
  it('reads recorded CONNACK, SUBACK and PUBLISH packets, even split byte by byte', () => {
    const reader = new MqttReader();
    expect(reader.feed(hexFixture('mqtt/connack-accepted.hex'))).toMatchObject([{ cmd: 'connack', returnCode: 0 }]);
    expect(reader.feed(hexFixture('mqtt/suback-granted.hex'))).toMatchObject([{ cmd: 'suback', messageId: 1, granted: [0] }]);
    const publish = hexFixture('mqtt/publish.hex');
    const packets = [...publish].flatMap((byte) => reader.feed(Uint8Array.from([byte])));
    expect(packets).toMatchObject([{ cmd: 'publish', topic: 'home/temp2' }]);
    expect(new MqttReader().feed(hexFixture('mqtt/connack-not-authorized.hex'))).toMatchObject([{ cmd: 'connack', returnCode: 5 }]);
  });

  it('maps CONNACK return codes', () => {
    expect([0, 1, 4, 5].map(connackOutcome)).toEqual(['accepted', 'refused-1', 'bad-credentials', 'not-authorized']);
  });

  it('builds a clean-session CONNECT without credentials', () => {
    const bytes = connectPacket('iotscan-00ff');
    const [packet] = new MqttReader().feed(bytes);
    expect(packet).toMatchObject({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'iotscan-00ff' });
    expect(packet).not.toHaveProperty('username');
    expect(randomClientId(() => 0.5)).toBe('iotscan-8000');
  });

  it('flags garbage and stops', () => {
    const reader = new MqttReader();
    reader.feed(Uint8Array.from([0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
    expect(reader.error).toBeDefined();
    expect(reader.feed(hexFixture('mqtt/connack-accepted.hex'))).toEqual([]);
  });
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function broker(configure: (aedes: Aedes) => void): Promise<{ port: number; aedes: Aedes }> {
  const aedes = await Aedes.createBroker();
  configure(aedes);
  const server = await listenTcp((socket) => aedes.handle(socket));
  cleanups.push(async () => {
    await server.close();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
  });
  return { port: server.port, aedes };
}

function publish(aedes: Aedes, topic: string, retain: boolean): Promise<void> {
  return new Promise((resolve) => {
    aedes.publish({ cmd: 'publish', topic, payload: Buffer.from('21.5'), qos: 0, retain, dup: false }, () => resolve());
  });
}

describe('mqtt probe', () => {
  it('counts distinct topics on an open broker and keeps no topic names', async () => {
    const { port, aedes } = await broker(() => undefined);
    await publish(aedes, 'home/livingroom/temperature', true);
    await publish(aedes, 'home/kitchen/light', true);
    const live = setInterval(() => {
      void publish(aedes, 'home/door/state', false);
      void publish(aedes, 'home/door/state', false);
    }, 100);
    cleanups.push(async () => clearInterval(live));
    const run = await runServiceProbe(mqttProbe, subjectFor('127.0.0.1', port));
    expect(run.status).toBe('success');
    expect(run.observations).toHaveLength(1);
    const fields = run.observations[0]?.fields ?? {};
    expect(fields['mqtt.connack']).toBe('accepted');
    expect(fields['mqtt.subscribe-all']).toBe('allowed');
    // Two retained topics, one live topic; $SYS topics of aedes may add more, never names.
    expect(Number(fields['mqtt.topics'])).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(run)).not.toContain('home/');
  });

  it('waits one more window for a broker version that comes late', async () => {
    // A broker slowed down by other clients: its version arrives 1.4 s after the subscription.
    const { port, aedes } = await broker(() => undefined);
    aedes.on('subscribe', (subscriptions) => {
      if (!subscriptions.some((subscription) => subscription.topic === '$SYS/broker/version')) return;
      const late = setTimeout(() => {
        aedes.publish({ cmd: 'publish', topic: '$SYS/broker/version', payload: Buffer.from('mosquitto version 2.0.18'), qos: 0, retain: false, dup: false }, () => undefined);
      }, 1_400);
      cleanups.push(async () => clearTimeout(late));
    });
    const run = await runServiceProbe(mqttProbe, subjectFor('127.0.0.1', port));
    expect(run.observations[0]?.fields['mqtt.broker-version']).toBe('mosquitto version 2.0.18');
  });

  it('reports a broker that refuses anonymous clients', async () => {
    const { port } = await broker((aedes) => {
      aedes.authenticate = (_client, username, _password, callback) => callback(null, username === 'owner');
    });
    const run = await runServiceProbe(mqttProbe, subjectFor('127.0.0.1', port));
    expect(run.observations[0]?.fields).toEqual({ 'mqtt.connack': 'not-authorized' });
  });

  it('reports a refused subscription to #', async () => {
    const { port } = await broker((aedes) => {
      aedes.authorizeSubscribe = (_client, subscription, callback) => callback(subscription.topic === '#' ? new Error('no') : null, subscription);
    });
    const run = await runServiceProbe(mqttProbe, subjectFor('127.0.0.1', port));
    expect(run.observations[0]?.fields['mqtt.connack']).toBe('accepted');
    expect(run.observations[0]?.fields['mqtt.subscribe-all']).toBe('denied');
    expect(run.observations[0]?.fields['mqtt.topics']).toBeUndefined();
  });
});
