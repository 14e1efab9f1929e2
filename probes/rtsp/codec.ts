// RTSP/1.0 (RFC 2326) requests and responses, as far as OPTIONS and DESCRIBE need them. Pure.

const MAX_HEADER_BYTES = 16 * 1024;
const MAX_BODY_BYTES = 64 * 1024;
const MAX_HEADERS = 64;

export function rtspUrl(address: string, port: number, path: string): string {
  const host = address.includes(':') ? `[${address}]` : address;
  return `rtsp://${host}:${port}${path}`;
}

export function buildRequest(method: 'OPTIONS' | 'DESCRIBE', url: string, cseq: number, authorization?: string): string {
  const lines = [`${method} ${url} RTSP/1.0`, `CSeq: ${cseq}`, 'User-Agent: iotscan'];
  if (method === 'DESCRIBE') lines.push('Accept: application/sdp');
  if (authorization !== undefined) lines.push(`Authorization: ${authorization}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

export interface RtspResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
}

export type ResponseResult =
  | { kind: 'response'; response: RtspResponse; consumed: number }
  | { kind: 'incomplete' }
  | { kind: 'invalid'; reason: string };

export function parseResponse(bytes: Uint8Array): ResponseResult {
  const text = latin1(bytes.subarray(0, MAX_HEADER_BYTES + 4));
  if (text.length >= 5 && !text.startsWith('RTSP/')) return { kind: 'invalid', reason: 'not an RTSP response' };
  const crlfEnd = text.indexOf('\r\n\r\n');
  const lfEnd = text.indexOf('\n\n');
  const headerEnd = crlfEnd >= 0 && (lfEnd < 0 || crlfEnd < lfEnd) ? crlfEnd + 4 : lfEnd >= 0 ? lfEnd + 2 : -1;
  if (headerEnd < 0) {
    return bytes.length > MAX_HEADER_BYTES ? { kind: 'invalid', reason: 'header too long' } : { kind: 'incomplete' };
  }
  const [statusLine = '', ...headerLines] = text.slice(0, headerEnd).split(/\r?\n/).filter((line) => line !== '');
  const statusMatch = /^RTSP\/1\.\d (\d{3})(?: .*)?$/.exec(statusLine);
  if (statusMatch === null) return { kind: 'invalid', reason: 'bad status line' };
  if (headerLines.length > MAX_HEADERS) return { kind: 'invalid', reason: 'too many headers' };
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const header = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (header === null) return { kind: 'invalid', reason: 'bad header line' };
    const name = (header[1] ?? '').toLowerCase();
    const value = header[2] ?? '';
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const contentLength = headers['content-length'] === undefined ? 0 : Number(headers['content-length']);
  if (!Number.isInteger(contentLength) || contentLength < 0 || contentLength > MAX_BODY_BYTES) {
    return { kind: 'invalid', reason: 'bad content length' };
  }
  if (bytes.length < headerEnd + contentLength) return { kind: 'incomplete' };
  return { kind: 'response', response: { status: Number(statusMatch[1]), headers }, consumed: headerEnd + contentLength };
}

/** How telling a DESCRIBE status is: a stream served (2xx) beats a login asked (401), which beats the rest. */
export function describeRank(status: number): number {
  if (status >= 200 && status < 300) return 3;
  if (status === 401 || status === 403) return 2;
  if (status > 0) return 1;
  return 0;
}

function latin1(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}
