// A small mDNS / DNS-SD responder for a lab device (RFC 6762, RFC 6763), over IPv4 (224.0.0.251),
// IPv6 (ff02::fb on one interface) or both.
//
// multicast-dns owns the sockets' set-up (bind, group membership, outgoing interface); packets
// are parsed and built here because an instance name may contain dots ("Mr. Smith's TV"), which
// must stay inside one DNS label, and dns-packet splits every name on '.'.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import makeMdns from 'multicast-dns';

export interface MdnsServiceOptions {
  /** Service type, e.g. '_http._tcp'. */
  type: string;
  /** Instance name: any UTF-8, may contain dots. */
  instance: string;
  port: number;
  /** `true` is a valueless key. */
  txt: Record<string, string | true>;
  subtypes?: string[];
}

export interface MdnsResponderOptions {
  /** Host name without `.local`. */
  hostname: string;
  /** The device's IPv4 address: its A record, and where the IPv4 sockets listen. */
  ipv4: string;
  /** The device's link-local IPv6 address (its AAAA record) and the interface it is on. */
  ipv6?: { address: string; interface: string };
  /** A global IPv6 address the device also has: one more AAAA record. */
  globalIpv6?: string;
  /**
   * The families the responder listens and answers on (default IPv4 only). A device with [6]
   * ignores IPv4 mDNS altogether, though its answers still carry its A record. 6 needs `ipv6`.
   */
  families?: readonly (4 | 6)[];
  services: MdnsServiceOptions[];
}

const MDNS_PORT = 5353;
const MDNS_GROUP = '224.0.0.251';
const MDNS_GROUP_V6 = 'ff02::fb';
const MAX_QUERY_BYTES = 9000;
const MAX_QUESTIONS = 32;

const TYPE_A = 1;
const TYPE_PTR = 12;
const TYPE_TXT = 16;
const TYPE_AAAA = 28;
const TYPE_SRV = 33;
const TYPE_NSEC = 47;
const TYPE_ANY = 255;
const CLASS_IN = 1;
const CACHE_FLUSH = 0x8000;
const UNICAST_RESPONSE = 0x8000;

// RFC 6762 §10: host-related records 120 s, others 75 min; §6.7: at most 10 s to legacy resolvers.
const HOST_TTL = 120;
const SERVICE_TTL = 4500;
const LEGACY_TTL = 10;

type Labels = string[];

interface ResourceRecord {
  labels: Labels;
  type: number;
  /** Unique records get the cache-flush bit in multicast answers. */
  unique: boolean;
  ttl: number;
  rdata: Buffer;
}

interface Question {
  labels: Labels;
  type: number;
  unicastResponse: boolean;
  /** The question exactly as it came, to echo to legacy resolvers. */
  raw: Buffer;
}

interface ParsedQuery {
  id: number;
  questions: Question[];
}

function nameKey(labels: Labels): string {
  return labels.map((label) => label.toLowerCase()).join('\u0000');
}

function encodeName(labels: Labels): Buffer {
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'utf8').subarray(0, 63);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function encodeTxt(txt: Record<string, string | true>): Buffer {
  const strings = Object.entries(txt).map(([key, value]) => {
    const bytes = Buffer.from(value === true ? key : `${key}=${value}`, 'utf8').subarray(0, 255);
    return Buffer.concat([Buffer.from([bytes.length]), bytes]);
  });
  // RFC 6763 §6.1: an empty TXT record holds one empty string.
  return strings.length > 0 ? Buffer.concat(strings) : Buffer.from([0]);
}

function encodeSrv(port: number, target: Labels): Buffer {
  const head = Buffer.alloc(6);
  head.writeUInt16BE(0, 0);
  head.writeUInt16BE(0, 2);
  head.writeUInt16BE(port, 4);
  return Buffer.concat([head, encodeName(target)]);
}

function encodeA(ipv4: string): Buffer {
  return Buffer.from(ipv4.split('.').map((part) => Number(part)));
}

/** The 16 bytes of an IPv6 address written with hex groups and at most one `::`. */
function encodeAaaa(ipv6: string): Buffer {
  if (!isIPv6(ipv6) || ipv6.includes('.') || ipv6.includes('%')) throw new Error(`not a plain IPv6 address: ${ipv6}`);
  const [head = '', tail] = ipv6.split('::');
  const groupsOf = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const headGroups = groupsOf(head);
  const tailGroups = tail === undefined ? [] : groupsOf(tail);
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...tailGroups];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, index) => bytes.writeUInt16BE(Number.parseInt(group, 16), index * 2));
  return bytes;
}

function encodeRecord(record: ResourceRecord, legacy: boolean): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(record.type, 0);
  fixed.writeUInt16BE(CLASS_IN | (record.unique && !legacy ? CACHE_FLUSH : 0), 2);
  fixed.writeUInt32BE(legacy ? Math.min(record.ttl, LEGACY_TTL) : record.ttl, 4);
  fixed.writeUInt16BE(record.rdata.length, 8);
  return Buffer.concat([encodeName(record.labels), fixed, record.rdata]);
}

function encodeResponse(
  id: number,
  questions: Buffer[],
  answers: ResourceRecord[],
  additionals: ResourceRecord[],
  legacy: boolean,
): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x8400, 2); // response, authoritative
  header.writeUInt16BE(questions.length, 4);
  header.writeUInt16BE(answers.length, 6);
  header.writeUInt16BE(0, 8);
  header.writeUInt16BE(additionals.length, 10);
  return Buffer.concat([
    header,
    ...questions,
    ...answers.map((record) => encodeRecord(record, legacy)),
    ...additionals.map((record) => encodeRecord(record, legacy)),
  ]);
}

/** Reads a possibly compressed name; undefined on anything malformed. */
function readName(packet: Buffer, start: number): { labels: Labels; end: number } | undefined {
  const labels: Labels = [];
  let offset = start;
  let end: number | undefined;
  let jumps = 0;
  for (;;) {
    const length = packet[offset];
    if (length === undefined) return undefined;
    if (length === 0) {
      return { labels, end: end ?? offset + 1 };
    }
    if ((length & 0xc0) === 0xc0) {
      const low = packet[offset + 1];
      if (low === undefined || ++jumps > 16) return undefined;
      end ??= offset + 2;
      offset = ((length & 0x3f) << 8) | low;
      continue;
    }
    if ((length & 0xc0) !== 0 || offset + 1 + length > packet.length) return undefined;
    labels.push(packet.toString('utf8', offset + 1, offset + 1 + length));
    if (labels.length > 64) return undefined;
    offset += 1 + length;
  }
}

function parseQuery(packet: Buffer): ParsedQuery | undefined {
  if (packet.length < 12 || packet.length > MAX_QUERY_BYTES) return undefined;
  const flags = packet.readUInt16BE(2);
  const isResponse = (flags & 0x8000) !== 0;
  const opcode = (flags >> 11) & 0xf;
  const questionCount = packet.readUInt16BE(4);
  if (isResponse || opcode !== 0 || questionCount === 0 || questionCount > MAX_QUESTIONS) {
    return undefined;
  }
  const questions: Question[] = [];
  let offset = 12;
  for (let index = 0; index < questionCount; index++) {
    const name = readName(packet, offset);
    if (!name || name.end + 4 > packet.length) return undefined;
    const type = packet.readUInt16BE(name.end);
    const klass = packet.readUInt16BE(name.end + 2);
    questions.push({
      labels: name.labels,
      type,
      unicastResponse: (klass & UNICAST_RESPONSE) !== 0,
      // Echo the name uncompressed, so the question stands on its own in our reply.
      raw: Buffer.concat([encodeName(name.labels), packet.subarray(name.end, name.end + 4)]),
    });
    offset = name.end + 4;
  }
  return { id: packet.readUInt16BE(0), questions };
}

/** Every record the device owns, indexed by owner name. */
class RecordSet {
  readonly hostLabels: Labels;
  /** A, and AAAA when the device has an IPv6 address. */
  readonly addressRecords: ResourceRecord[];
  readonly serviceTypes: ResourceRecord[] = [];
  private readonly byName = new Map<string, ResourceRecord[]>();
  private readonly denials = new Map<string, ResourceRecord>();

  constructor(options: MdnsResponderOptions) {
    this.hostLabels = [options.hostname, 'local'];
    const address = (type: number, rdata: Buffer): ResourceRecord => ({
      labels: this.hostLabels,
      type,
      unique: true,
      ttl: HOST_TTL,
      rdata,
    });
    this.addressRecords = [address(TYPE_A, encodeA(options.ipv4))];
    if (options.ipv6) this.addressRecords.push(address(TYPE_AAAA, encodeAaaa(options.ipv6.address)));
    if (options.globalIpv6) this.addressRecords.push(address(TYPE_AAAA, encodeAaaa(options.globalIpv6)));
    for (const record of this.addressRecords) this.add(record);
    const enumerationName = ['_services', '_dns-sd', '_udp', 'local'];
    const seenTypes = new Set<string>();
    for (const service of options.services) {
      const typeLabels = [...service.type.split('.'), 'local'];
      const instanceLabels = [service.instance, ...typeLabels];
      const typeKey = nameKey(typeLabels);
      if (!seenTypes.has(typeKey)) {
        seenTypes.add(typeKey);
        const typeRecord = this.ptr(enumerationName, typeLabels);
        this.serviceTypes.push(typeRecord);
        this.add(typeRecord);
      }
      this.add(this.ptr(typeLabels, instanceLabels));
      for (const subtype of service.subtypes ?? []) {
        this.add(this.ptr([subtype, '_sub', ...typeLabels], instanceLabels));
      }
      this.add({
        labels: instanceLabels,
        type: TYPE_SRV,
        unique: true,
        ttl: HOST_TTL,
        rdata: encodeSrv(service.port, this.hostLabels),
      });
      this.add({
        labels: instanceLabels,
        type: TYPE_TXT,
        unique: true,
        ttl: SERVICE_TTL,
        rdata: encodeTxt(service.txt),
      });
    }
  }

  private ptr(owner: Labels, target: Labels): ResourceRecord {
    return { labels: owner, type: TYPE_PTR, unique: false, ttl: SERVICE_TTL, rdata: encodeName(target) };
  }

  private add(record: ResourceRecord): void {
    const key = nameKey(record.labels);
    const list = this.byName.get(key) ?? [];
    list.push(record);
    this.byName.set(key, list);
  }

  /**
   * For a type the name does not have: an NSEC listing the types it has (RFC 6762 §6.1, which
   * requires it; RFC 4034 §4.1 for the layout: next name = the owner, then the type bitmap).
   */
  nonexistence(labels: Labels): ResourceRecord | undefined {
    const key = nameKey(labels);
    const known = this.denials.get(key);
    if (known !== undefined) return known;
    const owned = this.byName.get(key);
    if (owned === undefined) return undefined;
    const bitmap = Buffer.alloc(32);
    let length = 0;
    for (const record of owned) {
      if (record.type >= 256) continue;
      bitmap[record.type >> 3] = (bitmap[record.type >> 3] ?? 0) | (0x80 >> (record.type & 7));
      length = Math.max(length, (record.type >> 3) + 1);
    }
    const rdata = Buffer.concat([encodeName(labels), Buffer.from([0, length]), bitmap.subarray(0, length)]);
    // One record per name, so a packet asking twice about a name answers once.
    const denial: ResourceRecord = { labels, type: TYPE_NSEC, unique: true, ttl: HOST_TTL, rdata };
    this.denials.set(key, denial);
    return denial;
  }

  lookup(labels: Labels, type: number): ResourceRecord[] {
    const records = this.byName.get(nameKey(labels)) ?? [];
    return type === TYPE_ANY ? records : records.filter((record) => record.type === type);
  }

  /** The records a resolver needs next (RFC 6763 §12): SRV/TXT/A/AAAA after PTR, A/AAAA after SRV. */
  additionalsFor(record: ResourceRecord): ResourceRecord[] {
    if (record.type === TYPE_PTR && !this.serviceTypes.includes(record)) {
      const instance = readName(record.rdata, 0);
      if (!instance) return [];
      return [
        ...this.lookup(instance.labels, TYPE_SRV),
        ...this.lookup(instance.labels, TYPE_TXT),
        ...this.addressRecords,
      ];
    }
    if (record.type === TYPE_SRV) return this.addressRecords;
    return [];
  }

  /** Everything announced on start: the PTRs with their SRV, TXT, A and AAAA. */
  announcement(): ResourceRecord[] {
    const all = new Set<ResourceRecord>();
    for (const list of this.byName.values()) for (const record of list) all.add(record);
    return [...all];
  }
}

type Responder = ReturnType<typeof makeMdns>;

/** The two sockets of one family: one gets what is sent to the group, one what is sent to the device. */
interface Endpoint {
  group: Responder;
  groupSocket: Socket;
  /** Where multicast answers and announcements go. */
  groupAddress: string;
  direct: Responder;
  directSocket: Socket;
}

function openIpv4(ipv4: string): Endpoint {
  // Receives queries sent to the group (and unicast ones if nothing more specific is bound).
  const groupSocket = createSocket({ type: 'udp4', reuseAddr: true });
  const group = makeMdns({ socket: groupSocket, bind: '0.0.0.0', interface: ipv4, port: MDNS_PORT });
  // Bound to the device's own address, so Linux hands it the queries addressed to the device directly.
  const directSocket = createSocket({ type: 'udp4', reuseAddr: true });
  const direct = makeMdns({ socket: directSocket, bind: ipv4, port: MDNS_PORT, multicast: false });
  return { group, groupSocket, groupAddress: MDNS_GROUP, direct, directSocket };
}

function openIpv6(address: string, zone: string): Endpoint {
  // IPv6 only: a dual-stack socket on :: would also take IPv4 queries sent to the device.
  const groupSocket = createSocket({ type: 'udp6', reuseAddr: true, ipv6Only: true });
  const group = makeMdns({
    socket: groupSocket,
    type: 'udp6',
    ip: MDNS_GROUP_V6,
    interface: `::%${zone}`,
    bind: '::',
    port: MDNS_PORT,
  });
  const directSocket = createSocket({ type: 'udp6', reuseAddr: true, ipv6Only: true });
  // multicast-dns wants the group and interface for udp6 even when it joins nothing.
  const direct = makeMdns({
    socket: directSocket,
    type: 'udp6',
    ip: MDNS_GROUP_V6,
    interface: `::%${zone}`,
    bind: `${address}%${zone}`,
    port: MDNS_PORT,
    multicast: false,
  });
  return { group, groupSocket, groupAddress: `${MDNS_GROUP_V6}%${zone}`, direct, directSocket };
}

export async function startMdnsResponder(options: MdnsResponderOptions): Promise<{ stop(): Promise<void> }> {
  const families = options.families ?? [4];
  const ipv6 = options.ipv6;
  if (families.includes(6) && ipv6 === undefined) throw new Error('an mDNS responder on IPv6 needs the device\'s IPv6 address');
  const records = new RecordSet(options);
  const endpoints: Endpoint[] = [];
  if (families.includes(4)) endpoints.push(openIpv4(options.ipv4));
  if (families.includes(6) && ipv6 !== undefined) endpoints.push(openIpv6(ipv6.address, ipv6.interface));
  const instances = endpoints.flatMap((endpoint) => [endpoint.group, endpoint.direct]);

  const swallow = (): void => {};
  for (const instance of instances) {
    instance.on('error', swallow);
    instance.on('warning', swallow);
  }

  const answer = (endpoint: Endpoint, socket: Socket, packet: Buffer, source: RemoteInfo, directlyAddressed: boolean): void => {
    const query = parseQuery(packet);
    if (!query) return;
    const legacy = source.port !== MDNS_PORT;
    const answers: ResourceRecord[] = [];
    let wantsUnicast = legacy || directlyAddressed;
    for (const question of query.questions) {
      const found = records.lookup(question.labels, question.type);
      const denial = found.length === 0 && question.type !== TYPE_ANY ? records.nonexistence(question.labels) : undefined;
      if (denial !== undefined) found.push(denial);
      if (found.length > 0 && question.unicastResponse) wantsUnicast = true;
      for (const record of found) if (!answers.includes(record)) answers.push(record);
    }
    if (answers.length === 0) return;
    const additionals: ResourceRecord[] = [];
    for (const record of answers) {
      for (const extra of records.additionalsFor(record)) {
        if (!answers.includes(extra) && !additionals.includes(extra)) additionals.push(extra);
      }
    }
    const reply = legacy
      ? encodeResponse(query.id, query.questions.map((question) => question.raw), answers, additionals, true)
      : encodeResponse(0, [], answers, additionals, false);
    // A link-local sender's address comes with its zone (fe80::1%eth0), so it can be answered as is.
    if (wantsUnicast) socket.send(reply, source.port, source.address);
    else endpoint.groupSocket.send(reply, MDNS_PORT, endpoint.groupAddress);
  };

  for (const endpoint of endpoints) {
    endpoint.groupSocket.on('message', (packet: Buffer, source: RemoteInfo) => {
      answer(endpoint, endpoint.groupSocket, packet, source, false);
    });
    endpoint.directSocket.on('message', (packet: Buffer, source: RemoteInfo) => {
      answer(endpoint, endpoint.directSocket, packet, source, true);
    });
  }

  const destroyAll = (): Promise<void[]> =>
    Promise.all(instances.map((instance) => new Promise<void>((resolve) => instance.destroy(() => resolve()))));
  try {
    await Promise.all(
      instances.map(
        (instance) =>
          new Promise<void>((resolve, reject) => {
            instance.once('ready', resolve);
            instance.once('error', reject);
          }),
      ),
    );
  } catch (error) {
    await destroyAll();
    throw error;
  }

  // multicast-dns joins the group once the socket listens; announce after that.
  const announcement = encodeResponse(0, [], records.announcement(), [], false);
  await Promise.all(
    endpoints.map(
      (endpoint) =>
        new Promise<void>((resolve) => {
          endpoint.groupSocket.send(announcement, MDNS_PORT, endpoint.groupAddress, () => resolve());
        }),
    ),
  );

  return {
    stop: async () => {
      await destroyAll();
    },
  };
}
