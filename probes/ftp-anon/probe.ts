// Anonymous FTP check: USER anonymous / PASS iotscan@, and when that is accepted whether the root
// can be listed (entries are counted, names are never kept). Read-only: PASV, LIST, QUIT.
import type { ProbeContext, ProbeOutput, ServiceProbe, ServiceSubject } from '../../src/engine/probe.js';
import { countListEntries, parsePassivePort } from '../ftp/codec.js';
import { FtpControl } from '../ftp/probe.js';

const DEFAULT_PORTS = [21] as const;
const MAX_LISTING_BYTES = 256 * 1024;

export const ftpAnonProbe: ServiceProbe = {
  kind: 'service',
  id: 'ftp-anon',
  protocol: 'ftp',
  categories: ['safe'],
  transport: 'tcp',
  defaultPorts: DEFAULT_PORTS,
  fields: ['ftp.anonymous', 'ftp.anonymous.listing', 'ftp.anonymous.entries'],
  appliesTo: (subject: ServiceSubject) =>
    subject.transport === 'tcp' && ((DEFAULT_PORTS as readonly number[]).includes(subject.port) || subject.serviceFields.has('ftp.banner')),
  run,
};

async function* run(ctx: ProbeContext): AsyncIterable<ProbeOutput> {
  const { port } = ctx.subject;
  const opened = await FtpControl.open(ctx);
  if (!opened.ok) {
    yield { kind: 'status', status: opened.status, ...(opened.detail !== undefined && { detail: opened.detail }) };
    return;
  }
  const { control, greeting } = opened;
  try {
    if (greeting.code !== 220) {
      yield { kind: 'status', status: 'protocol-mismatch', detail: `greeting code ${greeting.code}` };
      return;
    }
    const user = await control.command('USER anonymous');
    if (!user.ok) {
      yield { kind: 'status', status: user.status, detail: user.detail };
      return;
    }
    let loggedIn = user.reply.code === 230;
    if (user.reply.code === 331) {
      const pass = await control.command('PASS iotscan@');
      if (!pass.ok) {
        yield { kind: 'status', status: pass.status, detail: pass.detail };
        return;
      }
      loggedIn = pass.reply.code === 230;
    }
    if (!loggedIn) {
      yield { kind: 'observation', port, transport: 'tcp', fields: { 'ftp.anonymous': 'rejected' } };
      yield { kind: 'status', status: 'success' };
      return;
    }
    const entries = await listRoot(ctx, control);
    const fields: Record<string, string> = { 'ftp.anonymous': 'accepted', 'ftp.anonymous.listing': entries === undefined ? 'denied' : 'allowed' };
    if (entries !== undefined) fields['ftp.anonymous.entries'] = String(entries);
    yield { kind: 'observation', port, transport: 'tcp', fields };
    control.quit();
    yield { kind: 'status', status: ctx.signal.aborted ? 'aborted' : 'success' };
  } finally {
    control.close();
  }
}

/** Number of entries in the root listing, or undefined when listing is refused or fails. */
async function listRoot(ctx: ProbeContext, control: FtpControl): Promise<number | undefined> {
  const passive = await control.command('PASV');
  if (!passive.ok) return undefined;
  const dataPort = parsePassivePort(passive.reply);
  if (dataPort === undefined) return undefined;
  // The address in the 227 reply is ignored: data goes only to the host being checked (no FTP bounce).
  const data = await ctx.net.connectTcp(ctx.subject.address, dataPort, {
    timeoutMs: ctx.timeoutMs,
    signal: ctx.signal,
    maxBytes: MAX_LISTING_BYTES,
  });
  if (!data.ok) return undefined;
  try {
    const started = await control.command('LIST');
    if (!started.ok || (started.reply.code !== 150 && started.reply.code !== 125)) return undefined;
    let listing = '';
    for (;;) {
      const chunk = await data.conn.read({ maxBytes: MAX_LISTING_BYTES, timeoutMs: ctx.timeoutMs });
      listing += new TextDecoder().decode(chunk.data);
      if (chunk.end !== 'ok') break;
      if (listing.length >= MAX_LISTING_BYTES) break;
    }
    const finished = await control.reply();
    if (!finished.ok || finished.reply.code >= 400) return undefined;
    return countListEntries(listing);
  } finally {
    data.conn.close();
  }
}
