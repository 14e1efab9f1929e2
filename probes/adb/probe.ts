// ADB probe: is Android's debug bridge open on the network? One CONNECT, one reply read. A CNXN
// reply means anyone on the network gets a shell; AUTH means the device wants an authorised key.
// Never answers AUTH, never opens a stream, never asks for a shell.
import { onPorts, type ProbeContext, type ProbeOutput, type ServiceProbe } from '../../src/engine/probe.js';
import { HEADER_BYTES, MAX_PAYLOAD_BYTES, buildConnect, parseMessage, replyOf } from './codec.js';

/**
 * The adb server looks for daemons on the odd ports 5555-5585, and 5555 is the port devices use for
 * adb over the network (Android developer documentation, "Android Debug Bridge (adb)").
 */
const DEFAULT_PORTS = [5555] as const;

export const adbProbe: ServiceProbe = {
  kind: 'service',
  id: 'adb',
  protocol: 'adb',
  categories: ['version'],
  transport: 'tcp',
  defaultPorts: DEFAULT_PORTS,
  fields: ['adb.reply', 'adb.banner'],
  bannerField: 'adb.banner',
  appliesTo: onPorts('tcp', DEFAULT_PORTS),
  run,
};

async function* run(ctx: ProbeContext): AsyncIterable<ProbeOutput> {
  const { address, port } = ctx.subject;
  const maxBytes = HEADER_BYTES + MAX_PAYLOAD_BYTES;
  const connected = await ctx.net.connectTcp(address, port, { timeoutMs: ctx.timeoutMs, signal: ctx.signal, maxBytes });
  if (!connected.ok) {
    yield { kind: 'status', status: connected.status, ...(connected.detail === undefined ? {} : { detail: connected.detail }) };
    return;
  }
  const conn = connected.conn;
  try {
    conn.write(buildConnect());
    const answer = await conn.read({ until: (buffered) => parseMessage(buffered).kind !== 'incomplete', maxBytes });
    const parsed = parseMessage(answer.data);
    if (parsed.kind !== 'message') {
      if (answer.end === 'aborted') yield { kind: 'status', status: 'aborted' };
      else if (answer.data.length === 0 && answer.end === 'io-timeout') yield { kind: 'status', status: 'io-timeout', detail: 'no reply to CNXN' };
      else yield { kind: 'status', status: 'protocol-mismatch', detail: 'not an ADB message' };
      return;
    }
    const reply = replyOf(parsed.message);
    if (reply === undefined) {
      yield { kind: 'status', status: 'protocol-mismatch', detail: 'unexpected ADB command in reply to CNXN' };
      return;
    }
    const fields: Record<string, string> = { 'adb.reply': reply.reply };
    if (reply.reply === 'cnxn' && reply.banner !== undefined) fields['adb.banner'] = reply.banner;
    yield { kind: 'observation', port, transport: 'tcp', fields };
    yield { kind: 'status', status: 'success' };
  } finally {
    conn.close();
  }
}
