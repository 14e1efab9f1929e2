// NetBIOS name service over UDP (RFC 1002): the NODE STATUS REQUEST for the wildcard name `*`
// (§4.2.17) and its NODE STATUS RESPONSE (§4.2.18), which lists the names a node has registered
// and a unit id (the adapter's MAC on Windows; zeros on Samba). Pure.
import { decodeLatin1Safe, printable } from '../../src/core/sanitize.js';

/** One Ethernet frame's UDP payload: a status answer larger than this is not taken as one. */
export const MAX_RESPONSE_BYTES = 1472;
/** RFC 1002 §4.2.18: NUM_NAMES is one byte; a home device registers a handful. */
const MAX_NAMES = 32;
/** Labels a name may have (the encoded name plus a NetBIOS scope); more means garbage. */
const MAX_LABELS = 16;

/** RFC 1002 §4.2.1.3: RR_TYPE NBSTAT and RR_CLASS IN. */
const TYPE_NBSTAT = 0x0021;
const CLASS_IN = 0x0001;
/** RFC 1002 §4.2.1.1: the R bit (response) and the OPCODE field of the header's second word. */
const FLAG_RESPONSE = 0x8000;
const OPCODE_MASK = 0x7800;
const RCODE_MASK = 0x000f;
/** RFC 1002 §4.2.18 NAME_FLAGS: G, the group-name bit. */
const NAME_FLAG_GROUP = 0x8000;

/**
 * First-level encoding (RFC 1001 §14.1): each half-byte of the 16-byte name becomes a letter from
 * 'A'. The wildcard `*` is padded with NULs, not spaces, as Samba's put_nmb_name (libsmb/nmblib.c)
 * sends it (nmblookup -A).
 */
function encodeWildcardName(): number[] {
  const raw = [0x2a, ...new Array<number>(15).fill(0)];
  const encoded = raw.flatMap((byte) => [0x41 + (byte >> 4), 0x41 + (byte & 0x0f)]);
  return [0x20, ...encoded, 0];
}

/** NODE STATUS REQUEST (RFC 1002 §4.2.17): no flags set, one question `*`, type NBSTAT, class IN. */
export function buildNodeStatusRequest(transactionId: number): Uint8Array {
  const id = transactionId & 0xffff;
  return Uint8Array.from([id >> 8, id & 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...encodeWildcardName(), 0, TYPE_NBSTAT, 0, CLASS_IN]);
}

export interface NodeName {
  name: string;
  /** The 16th byte: what the name stands for (0x00 workstation, 0x20 file server, ...). */
  suffix: number;
  group: boolean;
}

export interface NodeStatus {
  names: NodeName[];
  /** The unit id as a lower-case MAC, when the node sent one that is not all zeros. */
  mac?: string;
}

const word = (bytes: Uint8Array, offset: number): number => ((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0);

/** Offset just past a (possibly scoped or compressed) name, or undefined if it runs off the end. */
function skipName(bytes: Uint8Array, start: number): number | undefined {
  let offset = start;
  for (let labels = 0; labels < MAX_LABELS; labels += 1) {
    const length = bytes[offset];
    if (length === undefined) return undefined;
    if (length === 0) return offset + 1;
    // RFC 1002 §4.1.4 (after RFC 883): a label pointer is two bytes with the top bits set.
    if ((length & 0xc0) === 0xc0) return offset + 2 <= bytes.length ? offset + 2 : undefined;
    if ((length & 0xc0) !== 0) return undefined;
    offset += 1 + length;
  }
  return undefined;
}

/**
 * The NODE STATUS RESPONSE to transaction `transactionId`: names and unit id. Anything else (another
 * transaction, a request, an error, a truncated or oversized packet) gives undefined.
 */
export function parseNodeStatusResponse(bytes: Uint8Array, transactionId: number): NodeStatus | undefined {
  if (bytes.length < 12 || bytes.length > MAX_RESPONSE_BYTES) return undefined;
  if (word(bytes, 0) !== (transactionId & 0xffff)) return undefined;
  const flags = word(bytes, 2);
  if ((flags & FLAG_RESPONSE) === 0 || (flags & OPCODE_MASK) !== 0 || (flags & RCODE_MASK) !== 0) return undefined;
  if (word(bytes, 4) !== 0 || word(bytes, 6) < 1) return undefined;
  const nameEnd = skipName(bytes, 12);
  if (nameEnd === undefined || nameEnd + 10 > bytes.length) return undefined;
  if (word(bytes, nameEnd) !== TYPE_NBSTAT || word(bytes, nameEnd + 2) !== CLASS_IN) return undefined;
  const rdLength = word(bytes, nameEnd + 8);
  const rdata = bytes.subarray(nameEnd + 10, nameEnd + 10 + rdLength);
  if (rdata.length !== rdLength || rdLength < 1) return undefined;
  const count = rdata[0] ?? 0;
  if (1 + count * 18 > rdata.length) return undefined;
  const names: NodeName[] = [];
  for (let index = 0; index < Math.min(count, MAX_NAMES); index += 1) {
    const entry = rdata.subarray(1 + index * 18, 1 + (index + 1) * 18);
    // The first 15 bytes, padded with spaces (or NULs after the wildcard); the 16th is the suffix.
    const name = decodeLatin1Safe(entry.subarray(0, 15), 15).replace(/[\s\0]+$/, '');
    names.push({ name, suffix: entry[15] ?? 0, group: (word(entry, 16) & NAME_FLAG_GROUP) !== 0 });
  }
  // STATISTICS start with the 6-byte UNIT_ID; Samba leaves all of it zero (no stats are sent).
  const unitId = rdata.subarray(1 + count * 18, 1 + count * 18 + 6);
  const status: NodeStatus = { names };
  if (unitId.length === 6 && unitId.some((byte) => byte !== 0)) {
    status.mac = Array.from(unitId, (byte) => byte.toString(16).padStart(2, '0')).join(':');
  }
  return status;
}

/** Long enough for every name a home device registers; an ellipsis marks a cut. */
const MAX_DESCRIPTION_LENGTH = 512;

/** `NAS<00> WORKGROUP<00 group>`: each name with its suffix in hex, the way nmblookup shows them. */
export function describeNames(names: readonly NodeName[]): string {
  const described = names
    .filter((entry) => entry.name !== '')
    .map((entry) => `${entry.name}<${entry.suffix.toString(16).padStart(2, '0')}${entry.group ? ' group' : ''}>`)
    .join(' ');
  return printable(described, MAX_DESCRIPTION_LENGTH);
}
