// A NetBIOS name service for lab devices that does what Samba's nmbd does with a unicast NODE
// STATUS REQUEST (RFC 1002 §4.2.17): it answers with its name table (§4.2.18). Like nmbd
// (source3/nmbd/nmbd_incomingrequests.c, process_node_status_request, and nmbd_packets.c,
// reply_netbios_packet) it answers for `*` or one of its own names, lists every name active in
// upper case padded with spaces, marks the answer authoritative, and sends statistics of zeros
// ("we don't send any stats as they could be used to attack the protocol"), so no MAC either.
// Name queries, registrations and everything else go unanswered: the lab only needs node status.
import { serveUdp, type RunningServer } from '../listen.js';

export interface NetbiosName {
  /** Up to 15 characters. */
  name: string;
  /** The 16th byte: 0x00 workstation, 0x03 messenger, 0x20 file server, 0x1e browser election... */
  suffix: number;
  group?: boolean;
}

export interface NetbiosNameServerOptions {
  host: string;
  port: number;
  /** In the order the answer lists them (nmbd: its own name first, then alphabetical). */
  names: NetbiosName[];
  /** UNIT_ID as a MAC (`00:11:22:33:44:55`); omitted, it is six zeros as Samba sends. */
  unitId?: string;
}

/** Header (12), one unscoped encoded name (34), type and class (4): the only request shape answered. */
const REQUEST_BYTES = 50;
const TYPE_NBSTAT = 0x0021;
const CLASS_IN = 0x0001;
/** RFC 1002 §4.2.18: the 46-byte STATISTICS that follow the names, UNIT_ID first. */
const STATISTICS_BYTES = 46;
/** NAME_FLAGS as nmbd writes them (set_nb_flags): G 0x80, ACT 0x04 in the first byte; B node. */
const FLAG_GROUP = 0x80;
const FLAG_ACTIVE = 0x04;

/** The 16 raw bytes of an encoded name (RFC 1001 §14.1), or undefined if it is not one plain 32-letter label. */
function decodeQuestionName(name: Buffer): Buffer | undefined {
  if (name.length !== 34 || name[0] !== 0x20 || name[33] !== 0) return undefined;
  const raw = Buffer.alloc(16);
  for (let index = 0; index < 16; index += 1) {
    const high = (name[1 + index * 2] ?? 0) - 0x41;
    const low = (name[2 + index * 2] ?? 0) - 0x41;
    if (high < 0 || high > 15 || low < 0 || low > 15) return undefined;
    raw[index] = (high << 4) | low;
  }
  return raw;
}

/** Whether the question asks for `*` or one of the server's own names. */
function asksForUs(raw: Buffer, names: readonly NetbiosName[]): boolean {
  if (raw[0] === 0x2a && raw.subarray(1).every((byte) => byte === 0)) return true;
  const asked = raw.subarray(0, 15).toString('latin1').replace(/[ \0]+$/, '').toUpperCase();
  return names.some((entry) => entry.name.toUpperCase() === asked && entry.suffix === raw[15]);
}

function nodeStatusResponse(transactionId: number, questionName: Buffer, options: NetbiosNameServerOptions): Buffer {
  const rdata = Buffer.alloc(1 + options.names.length * 18 + STATISTICS_BYTES);
  rdata[0] = options.names.length;
  options.names.forEach((entry, index) => {
    const offset = 1 + index * 18;
    rdata.write(entry.name.toUpperCase().slice(0, 15).padEnd(15, ' '), offset, 'latin1');
    rdata[offset + 15] = entry.suffix;
    rdata[offset + 16] = FLAG_ACTIVE | (entry.group === true ? FLAG_GROUP : 0);
  });
  if (options.unitId !== undefined) {
    Buffer.from(options.unitId.replace(/[:-]/g, ''), 'hex').copy(rdata, 1 + options.names.length * 18, 0, 6);
  }
  const header = Buffer.alloc(12);
  header.writeUInt16BE(transactionId, 0);
  // Response, opcode 0 (query), authoritative, no recursion (RFC 1002 §4.2.18; nmbd clears RD and RA).
  header.writeUInt16BE(0x8400, 2);
  header.writeUInt16BE(1, 6);
  const answer = Buffer.alloc(10);
  answer.writeUInt16BE(TYPE_NBSTAT, 0);
  answer.writeUInt16BE(CLASS_IN, 2);
  // TTL 0 (bytes 4-7), then RDLENGTH.
  answer.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([header, questionName, answer, rdata]);
}

/** The answer a datagram deserves, or undefined when it gets none. */
function answerFor(request: Buffer, options: NetbiosNameServerOptions): Buffer | undefined {
  if (request.length !== REQUEST_BYTES) return undefined;
  const flags = request.readUInt16BE(2);
  // A request (R bit clear) with opcode 0, one question and nothing else.
  if ((flags & 0xf800) !== 0 || request.readUInt16BE(4) !== 1 || request.readUInt16BE(6) !== 0) return undefined;
  const questionName = request.subarray(12, 46);
  const raw = decodeQuestionName(questionName);
  if (raw === undefined || request.readUInt16BE(46) !== TYPE_NBSTAT || request.readUInt16BE(48) !== CLASS_IN) return undefined;
  if (!asksForUs(raw, options.names)) return undefined;
  return nodeStatusResponse(request.readUInt16BE(0), Buffer.from(questionName), options);
}

export async function startNetbiosNameServer(options: NetbiosNameServerOptions): Promise<RunningServer> {
  if (options.names.length > 255) throw new Error('a node status answer holds at most 255 names');
  return serveUdp(options.host, options.port, (request) => answerFor(request, options));
}
