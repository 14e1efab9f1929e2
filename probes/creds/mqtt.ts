// MQTT credential driver, strategy `mqtt-connect` (MQTT 3.1.1 §3.1, §3.2). A login counts only
// when CONNACK 0 answers the pair where an anonymous CONNECT got 4 (bad user name or password)
// or 5 (not authorized). The client disconnects at once: it never subscribes or publishes.
import { generate } from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';
import type { AttemptOutcome, Credential, CredentialContext, CredentialDriver, LoginRequirement } from '../../src/engine/probe.js';
import { Baselines, unreachable } from './common.js';
import { MqttReader, connackOutcome, disconnectPacket, randomClientId } from '../mqtt/codec.js';
import type { Failure } from '../../src/engine/net.js';

/** CONNACK codes that mean "who are you?": 4 bad user name or password, 5 not authorized. */
const REFUSED_CODES = new Set([4, 5]);
/** CONNACK 3: server unavailable. */
const SERVER_UNAVAILABLE = 3;

/** The anonymous CONNACK code, kept per broker (an anonymous CONNECT is one more login to count). */
const baselines = new Baselines<number>();

function connectPacket(credential: Credential | undefined): Uint8Array {
  const packet: Parameters<typeof generate>[0] = { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: randomClientId(), keepalive: 30 };
  if (credential !== undefined) {
    // 3.1.1 has no password without a user name; an empty user name is sent as such.
    packet.username = credential.username;
    if (credential.password !== '') packet.password = Buffer.from(credential.password, 'utf8');
  }
  return generate(packet);
}

/** One CONNECT and its CONNACK code; DISCONNECT right after an accepted one. */
async function connack(ctx: CredentialContext, credential: Credential | undefined): Promise<{ ok: true; code: number } | Failure> {
  const { address, port } = ctx.subject;
  const connected = await ctx.net.connectTcp(address, port, { timeoutMs: ctx.timeoutMs, signal: ctx.signal, maxBytes: 64 * 1024 });
  if (!connected.ok) return connected;
  const { conn } = connected;
  try {
    const reader = new MqttReader();
    conn.write(connectPacket(credential));
    const deadline = Date.now() + ctx.timeoutMs;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return { ok: false, status: 'io-timeout', detail: 'no CONNACK' };
      const read = await conn.read({ timeoutMs: remaining, maxBytes: 16 * 1024 });
      const answer = reader.feed(read.data).find((packet: Packet) => packet.cmd === 'connack');
      if (answer !== undefined && answer.cmd === 'connack') {
        const code = answer.returnCode ?? answer.reasonCode ?? 0;
        if (code === 0) conn.write(disconnectPacket());
        return { ok: true, code };
      }
      if (reader.error !== undefined) return { ok: false, status: 'protocol-mismatch', detail: `not MQTT: ${reader.error}` };
      if (read.end === 'aborted') return { ok: false, status: 'aborted' };
      if (read.end !== 'ok') return { ok: false, status: read.end === 'io-timeout' ? 'io-timeout' : 'protocol-mismatch', detail: 'no CONNACK' };
    }
  } finally {
    conn.close();
  }
}

function baselineKey(ctx: CredentialContext): string {
  return `${ctx.subject.address}|${ctx.subject.port}`;
}

export const mqttDriver: CredentialDriver = {
  protocol: 'mqtt',
  strategies: ['mqtt-connect'],
  baselineSpendsAttempt: ['mqtt-connect'],

  async requiresLogin(ctx: CredentialContext): Promise<LoginRequirement> {
    const anonymous = await connack(ctx, undefined);
    if (!anonymous.ok) return unreachable(anonymous);
    baselines.remember(baselineKey(ctx), anonymous.code);
    if (anonymous.code === 0) return { kind: 'no-login', detail: 'CONNACK 0 (accepted) to a CONNECT without credentials' };
    if (REFUSED_CODES.has(anonymous.code)) return { kind: 'login-required', detail: `CONNACK ${anonymous.code} (${connackOutcome(anonymous.code)}) without credentials` };
    return { kind: 'unreachable', status: 'protocol-mismatch', detail: `CONNACK ${anonymous.code} (${connackOutcome(anonymous.code)}) without credentials` };
  },

  async attempt(ctx: CredentialContext, credential: Credential): Promise<AttemptOutcome> {
    let anonymousCode = baselines.recall(baselineKey(ctx));
    if (anonymousCode === undefined) {
      const anonymous = await connack(ctx, undefined);
      if (!anonymous.ok) return { kind: 'abort', reason: `anonymous CONNECT failed: ${anonymous.status}` };
      anonymousCode = anonymous.code;
      baselines.remember(baselineKey(ctx), anonymousCode);
    }
    if (anonymousCode === SERVER_UNAVAILABLE) return { kind: 'back-off', reason: 'CONNACK 3 (server unavailable) without credentials' };
    if (!REFUSED_CODES.has(anonymousCode)) return { kind: 'abort', reason: `CONNACK ${anonymousCode} without credentials: a pair proves nothing here` };

    const answer = await connack(ctx, credential);
    if (!answer.ok) return { kind: 'abort', reason: `CONNECT failed: ${answer.status}` };
    if (answer.code === 0) {
      return { kind: 'success', evidence: `CONNACK 0 (accepted) for the pair where a CONNECT without credentials got CONNACK ${anonymousCode} (${connackOutcome(anonymousCode)}); disconnected at once` };
    }
    if (REFUSED_CODES.has(answer.code)) return { kind: 'rejected' };
    if (answer.code === SERVER_UNAVAILABLE) return { kind: 'back-off', reason: 'CONNACK 3 (server unavailable)' };
    return { kind: 'abort', reason: `CONNACK ${answer.code} (${connackOutcome(answer.code)})` };
  },
};
