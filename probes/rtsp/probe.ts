// RTSP version probe: OPTIONS, then DESCRIBE on a few common stream paths without credentials,
// to see whether a camera serves its stream to anyone.
import { onPorts, type ProbeContext, type ProbeOutput, type ServiceProbe } from '../../src/engine/probe.js';
import { printable } from '../../src/core/sanitize.js';
import { describeRank } from './codec.js';
import type { RtspResponse } from './codec.js';
import { RtspSession } from './session.js';

const DEFAULT_PORTS = [554, 8554] as const;
/** The root, Axis' media path (VAPIX RTSP API: /axis-media/media.amp) and a common generic one; at most three requests. */
const DESCRIBE_PATHS = ['/', '/axis-media/media.amp', '/live.sdp'] as const;

export const rtspProbe: ServiceProbe = {
  kind: 'service',
  id: 'rtsp',
  protocol: 'rtsp',
  categories: ['version'],
  transport: 'tcp',
  defaultPorts: DEFAULT_PORTS,
  fields: ['rtsp.status', 'rtsp.server', 'rtsp.public', 'rtsp.describe-status', 'rtsp.describe-path', 'rtsp.www-authenticate'],
  bannerField: 'rtsp.server',
  appliesTo: onPorts('tcp', DEFAULT_PORTS),
  run,
};


async function* run(ctx: ProbeContext): AsyncIterable<ProbeOutput> {
  const session = new RtspSession(ctx);
  try {
    const options = await session.request('OPTIONS', '/');
    if (!options.ok) {
      yield { kind: 'status', status: options.status, ...(options.detail === undefined ? {} : { detail: options.detail }) };
      return;
    }
    const fields: Record<string, string> = { 'rtsp.status': String(options.response.status) };
    const server = options.response.headers['server'];
    if (server) fields['rtsp.server'] = printable(server, 256);
    const methods = options.response.headers['public'];
    if (methods) fields['rtsp.public'] = printable(methods, 256);

    let best: { path: string; response: RtspResponse } | undefined;
    for (const path of DESCRIBE_PATHS) {
      if (ctx.signal.aborted) break;
      const describe = await session.request('DESCRIBE', path);
      if (!describe.ok) {
        if (describe.status === 'connection-refused' || describe.status === 'aborted') break;
        continue;
      }
      if (best === undefined || describeRank(describe.response.status) > describeRank(best.response.status)) {
        best = { path, response: describe.response };
      }
      if (describeRank(describe.response.status) === 3) break;
    }
    if (best !== undefined) {
      fields['rtsp.describe-status'] = String(best.response.status);
      fields['rtsp.describe-path'] = best.path;
      const challenge = best.response.headers['www-authenticate'];
      if (challenge) fields['rtsp.www-authenticate'] = printable(challenge, 512);
    }
    yield { kind: 'observation', port: ctx.subject.port, transport: 'tcp', fields };
    yield { kind: 'status', status: ctx.signal.aborted ? 'aborted' : 'success' };
  } finally {
    session.close();
  }
}
