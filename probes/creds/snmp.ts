// SNMP credential driver, strategy `snmp-community` (SNMPv2c, RFC 3416): the password is the
// community, the user name is unused. A GET of sysDescr.0 that gets a Response carrying that
// community counts, where a made-up community got none (agents stay silent to a wrong community).
// Each community is sent once and answered within 1 s or not at all: an agent counts every
// datagram with a wrong community as a failed login, so a resend would spend the budget twice.
import { randomInt } from 'node:crypto';
import type { UdpSocket } from '../../src/engine/net.js';
import type { AttemptOutcome, Credential, CredentialContext, CredentialDriver, LoginRequirement } from '../../src/engine/probe.js';
import { SYSTEM_OIDS, buildGetRequest, parseResponse, valueText } from '../snmp/codec.js';
import type { SnmpResponse } from '../snmp/codec.js';
import { Baselines, evidenceText, throwawayName } from './common.js';

const SENDS = 1;
const WAIT_MS = 1000;
const MAX_DATAGRAM_BYTES = 65507;

type Asked = { kind: 'answered'; response: SnmpResponse } | { kind: 'silent' } | { kind: 'failed'; detail: string };

/** Whether the made-up community was answered, kept per agent: one wrong community per scan. */
const baselines = new Baselines<'answered' | 'silent'>();

async function ask(ctx: CredentialContext, community: string): Promise<Asked> {
  const { address, port } = ctx.subject;
  let socket: UdpSocket;
  try {
    socket = await ctx.net.openUdp({ maxBytes: MAX_DATAGRAM_BYTES, signal: ctx.signal });
  } catch (error) {
    return { kind: 'failed', detail: `no UDP socket: ${error instanceof Error ? error.message : String(error)}` };
  }
  try {
    const requestId = randomInt(1, 0x7fffffff);
    const request = buildGetRequest(community, requestId, [SYSTEM_OIDS.sysDescr]);
    for (let send = 0; send < SENDS && !ctx.signal.aborted; send += 1) {
      try {
        await socket.send(address, port, request);
      } catch (error) {
        return { kind: 'failed', detail: `send failed: ${error instanceof Error ? error.message : String(error)}` };
      }
      let answer: SnmpResponse | undefined;
      await socket.collect({
        windowMs: Math.min(ctx.timeoutMs, WAIT_MS),
        until: (datagram) => {
          if (datagram.address !== address || datagram.port !== port) return false;
          const response = parseResponse(datagram.data);
          if (response?.requestId !== requestId || response.community !== community) return false;
          answer = response;
          return true;
        },
      });
      if (answer !== undefined) return { kind: 'answered', response: answer };
    }
    return ctx.signal.aborted ? { kind: 'failed', detail: 'aborted' } : { kind: 'silent' };
  } finally {
    socket.close();
  }
}

async function measureBaseline(ctx: CredentialContext): Promise<'answered' | 'silent' | { failed: string }> {
  const asked = await ask(ctx, throwawayName());
  if (asked.kind === 'failed') return { failed: asked.detail };
  baselines.remember(`${ctx.subject.address}|${ctx.subject.port}`, asked.kind);
  return asked.kind;
}

export const snmpDriver: CredentialDriver = {
  protocol: 'snmp',
  strategies: ['snmp-community'],
  baselineSpendsAttempt: ['snmp-community'],

  async requiresLogin(ctx: CredentialContext): Promise<LoginRequirement> {
    const baseline = await measureBaseline(ctx);
    if (baseline === 'answered') return { kind: 'no-login', detail: 'the agent answers a made-up community' };
    if (baseline === 'silent') return { kind: 'login-required', detail: 'no answer to a made-up community' };
    return { kind: 'unreachable', status: ctx.signal.aborted ? 'aborted' : 'unknown-error', detail: baseline.failed };
  },

  async attempt(ctx: CredentialContext, credential: Credential): Promise<AttemptOutcome> {
    const baseline = baselines.recall(`${ctx.subject.address}|${ctx.subject.port}`) ?? (await measureBaseline(ctx));
    if (typeof baseline === 'object') return { kind: 'abort', reason: baseline.failed };
    if (baseline === 'answered') return { kind: 'abort', reason: 'the agent answers a made-up community: a community proves nothing here' };

    const asked = await ask(ctx, credential.password);
    if (asked.kind === 'failed') return { kind: 'abort', reason: asked.detail };
    if (asked.kind === 'silent') return { kind: 'rejected' };
    const descr = asked.response.varbinds.find((varbind) => varbind.oid === SYSTEM_OIDS.sysDescr);
    const text = descr === undefined ? undefined : valueText(descr.value);
    return {
      kind: 'success',
      evidence: evidenceText(`GET sysDescr.0 answered with the community where a made-up one got no answer${text === undefined || text === '' ? '' : ` (sysDescr "${text}")`}`, credential),
    };
  },
};
