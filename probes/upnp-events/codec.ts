// UPnP eventing (GENA) requests and answers, UPnP Device Architecture 1.1 §4.1: SUBSCRIBE with
// NT and CALLBACK (§4.1.2), UNSUBSCRIBE (§4.1.4), and the publisher's HTTP answer. Only the
// status line and headers matter: neither answer has a body. Strict, size-capped parsing. Pure.

/**
 * The delivery URL this scanner offers: the device's own loopback, discard port (RFC 863). A
 * stack that checks callbacks refuses it (UDA 2.0 of 2020-04-17, §4.1.1: a delivery URL outside
 * the event URL's network segment shall not be accepted, the CallStranger fix; miniupnpd accepts
 * only the subscriber's own address, miniupnp/miniupnp#454), and a stack that does not check
 * accepts it. Either way the initial event message a publisher sends after accepting (UDA 1.1 §4)
 * could only go to the device itself: no packet leaves it and nobody else is hit.
 */
export const LOOPBACK_CALLBACK = 'http://127.0.0.1:9/iotscan';
/** Requested subscription length: short, so a subscription that cannot be cancelled ends soon. */
const SUBSCRIPTION_SECONDS = 60;
export const MAX_EVENT_RESPONSE_BYTES = 8192;

const MAX_HEADERS = 64;
const MAX_HEADER_VALUE = 1024;
const USER_AGENT = 'iotscan/1 UPnP/1.1 iotscan/1';
const HEADER_END = [0x0d, 0x0a, 0x0d, 0x0a] as const;

/** An origin-form request target (RFC 7230 §5.3.1) with nothing that could end the request line. */
export function isRequestTarget(path: string): boolean {
  return /^\/[\x21-\x7e]{0,1023}$/.test(path);
}

/** SUBSCRIBE with NT and CALLBACK (UDA 1.1 §4.1.2); `host` is the HOST header value. */
export function buildSubscribe(host: string, path: string): string {
  if (!isRequestTarget(path)) throw new Error(`not a request target: ${JSON.stringify(path)}`);
  return [
    `SUBSCRIBE ${path} HTTP/1.1`,
    `HOST: ${host}`,
    `USER-AGENT: ${USER_AGENT}`,
    `CALLBACK: <${LOOPBACK_CALLBACK}>`,
    'NT: upnp:event',
    `TIMEOUT: Second-${SUBSCRIPTION_SECONDS}`,
    'CONNECTION: close',
    '',
    '',
  ].join('\r\n');
}

/** UNSUBSCRIBE (UDA 1.1 §4.1.4): only HOST and SID; NT or CALLBACK would make it a 400. */
export function buildUnsubscribe(host: string, path: string, sid: string): string {
  if (!isRequestTarget(path)) throw new Error(`not a request target: ${JSON.stringify(path)}`);
  if (!isSid(sid)) throw new Error('not a subscription id');
  return [`UNSUBSCRIBE ${path} HTTP/1.1`, `HOST: ${host}`, `SID: ${sid}`, 'CONNECTION: close', '', ''].join('\r\n');
}

/** True once the blank line after the headers has arrived. */
export function headersComplete(bytes: Uint8Array): boolean {
  for (let index = 0; index + HEADER_END.length <= bytes.length; index += 1) {
    if (HEADER_END.every((byte, offset) => bytes[index + offset] === byte)) return true;
  }
  return false;
}

export interface EventResponse {
  status: number;
  /** Lower-case names; the first occurrence of a header wins. */
  headers: Record<string, string>;
}

/** Status line and headers of an HTTP answer; undefined for anything that is not one. */
export function parseEventResponse(bytes: Uint8Array): EventResponse | undefined {
  if (bytes.length === 0 || bytes.length > MAX_EVENT_RESPONSE_BYTES) return undefined;
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  const headEnd = text.indexOf('\r\n\r\n');
  const head = headEnd === -1 ? text : text.slice(0, headEnd);
  // Headers are ASCII text; NUL or other C0 bytes (except CR, LF, tab) mean this is not HTTP.
  for (let index = 0; index < head.length; index += 1) {
    const code = head.charCodeAt(index);
    if ((code < 0x20 && code !== 0x0d && code !== 0x0a && code !== 0x09) || code === 0x7f) return undefined;
  }
  const lines = head.split(/\r?\n/);
  const statusLine = /^HTTP\/1\.[01] ([1-5]\d\d)(?: .*)?$/.exec(lines[0] ?? '');
  if (statusLine === null) return undefined;
  const headers: Record<string, string> = {};
  const fields = lines.slice(1).filter((line) => line !== '');
  if (fields.length > MAX_HEADERS) return undefined;
  for (const line of fields) {
    const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (match === null) return undefined;
    const name = (match[1] ?? '').toLowerCase();
    if (!(name in headers)) headers[name] = (match[2] ?? '').slice(0, MAX_HEADER_VALUE);
  }
  return { status: Number(statusLine[1]), headers };
}

/** A subscription id that can be sent back as it came: `uuid:` and visible ASCII only (UDA 1.1 §4.1.2). */
function isSid(value: string): boolean {
  return /^uuid:[\x21-\x7e]{1,128}$/i.test(value);
}

/** The SID of an accepted subscription, if the answer carries a usable one. */
export function subscriptionId(response: EventResponse): string | undefined {
  const sid = response.headers['sid'];
  return sid !== undefined && isSid(sid) ? sid : undefined;
}

/** The subscription length the device granted (TIMEOUT: Second-N, UDA 1.1 §4.1.2): seconds, or `infinite`. */
export function grantedTimeout(response: EventResponse): string | undefined {
  const value = /^Second-(\d{1,10}|infinite)$/i.exec(response.headers['timeout'] ?? '')?.[1];
  if (value === undefined) return undefined;
  return /^\d+$/.test(value) ? String(Number(value)) : 'infinite';
}

/** What the answer to the loopback SUBSCRIBE says about the device's callback check. */
export type CallbackCheck = 'accepted-loopback' | 'rejected';

/**
 * 2xx: the subscription was made, so the callback was not checked. Anything else is a refusal;
 * 412 Precondition Failed is UDA 1.1 §4.1.2's answer to a missing or invalid CALLBACK, and what
 * checking stacks send (miniupnpd's checkCallbackURL, pupnp's fix in pull request #181).
 */
export function callbackCheck(response: EventResponse): CallbackCheck {
  return response.status >= 200 && response.status < 300 ? 'accepted-loopback' : 'rejected';
}
