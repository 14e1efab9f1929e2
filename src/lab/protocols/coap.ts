// A read-only CoAP server for lab devices (RFC 7252): GET of a fixed set of resources, and of
// /.well-known/core, which lists them in CoRE Link Format (RFC 6690 §4). A confirmable request is
// answered piggybacked on the ACK (§5.2.1), a non-confirmable one with a non-confirmable response
// (§5.2.3). Other methods get 4.05, unknown paths 4.04. A payload larger than one block goes out
// block-wise (RFC 7959 §2): the block a request's Block2 option asks for, or the first one.
// Malformed datagrams, responses and empty messages are ignored; no state is kept between requests.
import { serveUdp, type RunningServer } from '../listen.js';

export interface CoapOption {
  number: number;
  value: Buffer;
}

export interface CoapResource {
  /** `/cit/d`: the Uri-Path options joined with `/`. */
  path: string;
  payload: string;
  /** RFC 7252 §12.3 (0 text/plain, 40 link-format, 50 json); omitted, no Content-Format option is sent. */
  contentFormat?: number;
}

export interface CoapServerOptions {
  host: string;
  port: number;
  resources: CoapResource[];
  /** Options every response with a payload carries (vendor options such as Shelly's CoIoT ones). */
  responseOptions?: CoapOption[];
}

/** RFC 7252 §4.6: the message size a request may have; anything longer is not read. */
const MAX_REQUEST_BYTES = 1152;
const OPTION_URI_PATH = 11;
const OPTION_CONTENT_FORMAT = 12;
const OPTION_BLOCK2 = 23;
const CONTENT_FORMAT_LINK_FORMAT = 40;
/** SZX 6: 1024-byte blocks, the largest RFC 7959 §2.2 allows and the default of a device that has room. */
const MAX_SZX = 6;
const CODE_GET = 0x01;
const CODE_CONTENT = 0x45;
/** RFC 7959 §2.2: a block past the end of the body is a Bad Option. */
const CODE_BAD_OPTION = 0x82;
const CODE_NOT_FOUND = 0x84;
const CODE_METHOD_NOT_ALLOWED = 0x85;
const TYPE_CON = 0;
const TYPE_NON = 1;
const TYPE_ACK = 2;

interface Request {
  type: number;
  code: number;
  messageId: number;
  token: Buffer;
  path: string;
  /** The Block2 option of the request (a client asking for a given block), if any. */
  block2?: number;
}

/** A request; undefined for anything else or anything malformed (RFC 7252 §3). */
function parseRequest(datagram: Buffer): Request | undefined {
  if (datagram.length < 4 || datagram.length > MAX_REQUEST_BYTES) return undefined;
  const first = datagram[0] ?? 0;
  const type = (first >> 4) & 0x03;
  const tokenLength = first & 0x0f;
  const code = datagram[1] ?? 0;
  // Version 1, CON or NON, a method code (class 0, not the empty 0.00), a legal token length.
  if (first >> 6 !== 1 || (type !== TYPE_CON && type !== TYPE_NON) || code === 0 || code >> 5 !== 0 || tokenLength > 8) return undefined;
  if (4 + tokenLength > datagram.length) return undefined;
  const segments: string[] = [];
  let block2: number | undefined;
  let offset = 4 + tokenLength;
  let number = 0;
  while (offset < datagram.length) {
    const byte = datagram[offset] ?? 0;
    if (byte === 0xff) break;
    offset += 1;
    const read = (nibble: number): number | undefined => {
      if (nibble < 13) return nibble;
      if (nibble === 13 && offset < datagram.length) return (datagram[offset++] ?? 0) + 13;
      if (nibble === 14 && offset + 1 < datagram.length) {
        const value = datagram.readUInt16BE(offset) + 269;
        offset += 2;
        return value;
      }
      return undefined;
    };
    const delta = read(byte >> 4);
    const length = delta === undefined ? undefined : read(byte & 0x0f);
    if (delta === undefined || length === undefined || offset + length > datagram.length) return undefined;
    number += delta;
    const value = datagram.subarray(offset, offset + length);
    if (number === OPTION_URI_PATH) segments.push(value.toString('utf8'));
    if (number === OPTION_BLOCK2 && length <= 3) block2 = value.reduce((total, part) => total * 256 + part, 0);
    offset += length;
  }
  return {
    type,
    code,
    messageId: datagram.readUInt16BE(2),
    token: Buffer.from(datagram.subarray(4, 4 + tokenLength)),
    path: `/${segments.join('/')}`,
    ...(block2 !== undefined && { block2 }),
  };
}

/** An unsigned option value in as few bytes as it needs (RFC 7252 §3.2). */
function uintValue(value: number): Buffer {
  const bytes: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from(bytes);
}

/** Options in ascending order, each as delta and length with their extended bytes (RFC 7252 §3.1). */
function encodeOptions(options: readonly CoapOption[]): Buffer {
  const nibble = (value: number): [number, number[]] =>
    value < 13 ? [value, []] : value < 269 ? [13, [value - 13]] : [14, [(value - 269) >> 8, (value - 269) & 0xff]];
  const parts: Buffer[] = [];
  let previous = 0;
  for (const option of [...options].sort((a, b) => a.number - b.number)) {
    const [deltaNibble, deltaBytes] = nibble(option.number - previous);
    const [lengthNibble, lengthBytes] = nibble(option.value.length);
    parts.push(Buffer.from([(deltaNibble << 4) | lengthNibble, ...deltaBytes, ...lengthBytes]), option.value);
    previous = option.number;
  }
  return Buffer.concat(parts);
}

export async function startCoapServer(options: CoapServerOptions): Promise<RunningServer> {
  const wellKnownCore: CoapResource = {
    path: '/.well-known/core',
    contentFormat: CONTENT_FORMAT_LINK_FORMAT,
    payload: options.resources.map((resource) => `<${resource.path}>`).join(','),
  };
  const resources = new Map([wellKnownCore, ...options.resources].map((resource) => [resource.path, resource]));
  let nextMessageId = Math.floor(Math.random() * 0x10000);

  const respond = (request: Request, code: number, resourceOptions: CoapOption[], payload: Buffer): Buffer => {
    // Piggybacked on the ACK for CON (same Message ID); a NON gets a NON with an ID of its own.
    const type = request.type === TYPE_CON ? TYPE_ACK : TYPE_NON;
    const messageId = request.type === TYPE_CON ? request.messageId : (nextMessageId = (nextMessageId + 1) & 0xffff);
    const head = Buffer.from([(1 << 6) | (type << 4) | request.token.length, code, messageId >> 8, messageId & 0xff]);
    const withPayload = payload.length > 0 ? [...resourceOptions, ...(options.responseOptions ?? [])] : resourceOptions;
    return Buffer.concat([head, request.token, encodeOptions(withPayload), ...(payload.length > 0 ? [Buffer.from([0xff]), payload] : [])]);
  };

  const answer = (request: Request): Buffer => {
    if (request.code !== CODE_GET) return respond(request, CODE_METHOD_NOT_ALLOWED, [], Buffer.alloc(0));
    const resource = resources.get(request.path);
    if (resource === undefined) return respond(request, CODE_NOT_FOUND, [], Buffer.alloc(0));
    const body = Buffer.from(resource.payload, 'utf8');
    const format: CoapOption[] = resource.contentFormat === undefined ? [] : [{ number: OPTION_CONTENT_FORMAT, value: uintValue(resource.contentFormat) }];
    // RFC 7959 §2.2: the client may ask for a block (and a smaller size); the first block otherwise.
    const szx = Math.min(request.block2 === undefined ? MAX_SZX : request.block2 & 0x07, MAX_SZX);
    const size = 1 << (szx + 4);
    if (request.block2 === undefined && body.length <= size) return respond(request, CODE_CONTENT, format, body);
    const num = request.block2 === undefined ? 0 : request.block2 >> 4;
    if (num * size >= body.length && num > 0) return respond(request, CODE_BAD_OPTION, [], Buffer.alloc(0));
    const block = body.subarray(num * size, (num + 1) * size);
    const more = (num + 1) * size < body.length;
    const block2: CoapOption = { number: OPTION_BLOCK2, value: uintValue((num << 4) | (more ? 0x08 : 0) | szx) };
    return respond(request, CODE_CONTENT, [...format, block2], block);
  };

  return serveUdp(options.host, options.port, (datagram) => {
    const request = parseRequest(datagram);
    return request === undefined ? undefined : answer(request);
  });
}
