// mDNS / DNS-SD (RFC 6762, RFC 6763): queries out, records in, and the assembly of service
// instances (PTR -> SRV/TXT -> A/AAAA). Responses are read with dns-packet; queries are written
// here, because an instance name is ONE label that may hold dots ("Küche.Steckdose v1.2") and
// dns-packet would split it. Everything here is pure.
import { decode } from 'dns-packet';
import type { Answer } from 'dns-packet';
import { escapeBytes, printable } from '../../src/core/sanitize.js';
import { isIpv4, isIpv6LinkLocal, splitZone } from '../../src/core/policy.js';

export const MDNS_GROUP = '224.0.0.251';
export const MDNS_GROUP_V6 = 'ff02::fb';
export const MDNS_PORT = 5353;
/** RFC 6763 §9: enumerates the service types present on the link. */
export const SERVICE_TYPES_NAME = '_services._dns-sd._udp.local';

/** Bounds against a chatty or hostile link. */
const MAX_SERVICE_TYPES = 64;
const MAX_INSTANCES = 512;
const MAX_TXT_KEYS = 64;
const MAX_TXT_KEY_LENGTH = 64;
const MAX_TXT_RECORD_TEXT = 2048;
const MAX_SOURCES = 4;
const MAX_ADDRESSES_PER_HOST = 8;
const MAX_SUBTYPES = 16;
/** Each open question is asked at most this often: once, and once more for a lost packet. */
export const MAX_ASKS_PER_QUESTION = 2;
/** Types kept from one NSEC bitmap: a host or an instance owns a handful. */
const MAX_NSEC_TYPES = 32;
/** Names whose NSEC denials are kept: as many as the hosts and instances worth asking about. */
const MAX_DENIED_NAMES = 512;

export type QueryType = 'PTR' | 'SRV' | 'TXT' | 'A' | 'AAAA';
const TYPE_CODES: Readonly<Record<QueryType, number>> = { A: 1, PTR: 12, TXT: 16, AAAA: 28, SRV: 33 };

export interface Question {
  type: QueryType;
  /** Dot-separated labels: a service type or a host name. */
  domain: string;
  /** A DNS-SD instance name: one label in front of `domain`, dots and all. */
  instance?: string;
}

/** The name a question asks about, as records name it. */
export function questionName(question: Question): string {
  return question.instance === undefined ? question.domain : `${question.instance}.${question.domain}`;
}

function questionKey(question: Question): string {
  return `${question.type} ${questionName(question).toLowerCase()}`;
}

/** A name as wire labels (RFC 1035 §3.1), or undefined when a label is empty or too long. */
function encodeName(question: Question): Uint8Array | undefined {
  const encoder = new TextEncoder();
  const labels = [...(question.instance === undefined ? [] : [question.instance]), ...question.domain.replace(/\.$/, '').split('.')].map((label) => encoder.encode(label));
  if (labels.some((label) => label.length === 0 || label.length > 63)) return undefined;
  const bytes = new Uint8Array(labels.reduce((total, label) => total + label.length + 1, 1));
  let offset = 0;
  for (const label of labels) {
    bytes[offset] = label.length;
    bytes.set(label, offset + 1);
    offset += label.length + 1;
  }
  return bytes.length > 255 ? undefined : bytes;
}

/** A standard multicast query (id 0, QU bit clear: RFC 6762 §18.1); unencodable questions are left out. */
export function encodeQuery(questions: readonly Question[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const question of questions) {
    const name = encodeName(question);
    if (name === undefined) continue;
    const code = TYPE_CODES[question.type];
    parts.push(name, Uint8Array.from([code >> 8, code & 0xff, 0, 1]));
  }
  const count = parts.length / 2;
  const header = Uint8Array.from([0, 0, 0, 0, count >> 8, count & 0xff, 0, 0, 0, 0, 0, 0]);
  const bytes = new Uint8Array(parts.reduce((total, part) => total + part.length, header.length));
  bytes.set(header, 0);
  let offset = header.length;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

export type MdnsRecord =
  | { type: 'PTR'; name: string; target: string }
  | { type: 'SRV'; name: string; port: number; target: string }
  | { type: 'TXT'; name: string; entries: Uint8Array[] }
  | { type: 'A'; name: string; address: string }
  | { type: 'AAAA'; name: string; address: string }
  /** The types `name` has; every other type does not exist (RFC 6762 §6.1). */
  | { type: 'NSEC'; name: string; types: string[] };

/**
 * The PTR/SRV/TXT/A/AAAA records of a response (answers and additionals); undefined for queries
 * and garbage. Names come back with their labels joined by dots; an instance label's own dots
 * are recovered by `instanceName`, which strips the known service type.
 */
export function decodeResponse(bytes: Uint8Array): MdnsRecord[] | undefined {
  let packet;
  try {
    packet = decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch {
    return undefined;
  }
  if (packet.type !== 'response') return undefined;
  const records: MdnsRecord[] = [];
  for (const answer of [...(packet.answers ?? []), ...(packet.additionals ?? [])]) {
    const record = toRecord(answer);
    if (record !== undefined) records.push(record);
  }
  return records;
}

function toRecord(answer: Answer): MdnsRecord | undefined {
  switch (answer.type) {
    case 'PTR':
      return { type: 'PTR', name: answer.name, target: answer.data };
    case 'SRV':
      return { type: 'SRV', name: answer.name, port: answer.data.port, target: answer.data.target };
    case 'TXT': {
      const data = answer.data;
      const list = Array.isArray(data) ? data : [data];
      return { type: 'TXT', name: answer.name, entries: list.map((entry) => (typeof entry === 'string' ? new TextEncoder().encode(entry) : new Uint8Array(entry))) };
    }
    case 'A':
      return { type: 'A', name: answer.name, address: answer.data };
    case 'AAAA':
      return { type: 'AAAA', name: answer.name, address: answer.data };
    case 'NSEC':
      return { type: 'NSEC', name: answer.name, types: answer.data.rrtypes.slice(0, MAX_NSEC_TYPES) };
    default:
      return undefined;
  }
}

/** `_http._tcp.local` and the like (subtype names such as `_printer._sub._http._tcp.local` are not types). */
export function isServiceType(name: string): boolean {
  return /^_[^.]{1,63}\._(tcp|udp)\.local$/i.test(name);
}

/** `_printer._sub._http._tcp.local` → subtype `_printer` of `_http._tcp.local` (RFC 6763 §7.1). */
export function parseSubtype(name: string): { subtype: string; serviceType: string } | undefined {
  const match = /^(_[^.]{1,62})\._sub\.(_[^.]{1,63}\._(?:tcp|udp)\.local)$/i.exec(name);
  return match === null ? undefined : { subtype: match[1] ?? '', serviceType: match[2] ?? '' };
}

/**
 * The instance part of a PTR target: everything before the service type. Never split on dots:
 * the instance is one label that may contain them ("Küche.Steckdose v1.2 – Kaffeemaschine").
 */
export function instanceName(target: string, serviceType: string): string {
  const suffix = `.${serviceType}`;
  return target.toLowerCase().endsWith(suffix.toLowerCase()) ? target.slice(0, target.length - suffix.length) : target;
}

/**
 * TXT entries as fields `mdns.txt.<key>` (RFC 6763 §6): keys are case-insensitive (lower-cased
 * here), the first occurrence of a key wins, a key without `=` (a boolean attribute) and a key
 * with `=` but no value both give ''. Values that are not clean text are kept visible with \xNN
 * escapes. The exact record, with that difference and every entry, is `txtRecordText`.
 */
export function txtFields(entries: readonly Uint8Array[]): Record<string, string> {
  const fields: Record<string, string> = {};
  let keys = 0;
  for (const entry of entries) {
    if (keys >= MAX_TXT_KEYS) break;
    const equals = entry.indexOf(0x3d);
    const keyBytes = equals < 0 ? entry : entry.subarray(0, equals);
    if (keyBytes.length === 0 || keyBytes.length > MAX_TXT_KEY_LENGTH) continue;
    if (keyBytes.some((byte) => byte < 0x21 || byte > 0x7e)) continue;
    const key = `mdns.txt.${String.fromCharCode(...keyBytes).toLowerCase()}`;
    if (key in fields) continue;
    fields[key] = equals < 0 ? '' : escapeBytes(entry.subarray(equals + 1), 512);
    keys += 1;
  }
  return fields;
}

/**
 * The whole TXT record as one lossless, printable text: every entry in order, `key` and `key=`
 * kept apart, bytes that are not clean UTF-8 text as \xNN, commas inside entries as \x2c, entries
 * joined by ", ". Reversible up to the length cap (an ellipsis marks a cut).
 */
export function txtRecordText(entries: readonly Uint8Array[]): string {
  const text = entries.map((entry) => escapeBytes(entry, MAX_TXT_RECORD_TEXT).replace(/,/g, '\\x2c')).join(', ');
  return text.length <= MAX_TXT_RECORD_TEXT ? text : `${text.slice(0, MAX_TXT_RECORD_TEXT - 1)}…`;
}

export interface ServiceInstance {
  /** `_http._tcp.local` */
  serviceType: string;
  /** The full PTR target. */
  fullName: string;
  instance: string;
  /** Subtypes seen pointing at this instance (`_printer`). */
  subtypes: string[];
  port?: number;
  hostname?: string;
  txt?: Uint8Array[];
  /** IPv4 addresses from the A records of the SRV target. */
  a: string[];
  /** IPv6 addresses from its AAAA records; link-local ones carry the zone they were heard on when known. */
  aaaa: string[];
  /** The senders of the instance's PTR and SRV records (link-local IPv6 with zone). */
  sources: string[];
  /** Learnt from a response to no question of ours (an announcement, or an answer to someone else). */
  passive: boolean;
  /** 4 when any of its records came over IPv4, else 6. */
  family: 4 | 6;
}

interface Seen<T> {
  value: T;
  sources: string[];
}

interface Pointer extends Seen<string> {
  passive: boolean;
}

function noteSource(seen: { sources: string[] }, source: string): void {
  if (!seen.sources.includes(source) && seen.sources.length < MAX_SOURCES) seen.sources.push(source);
}

/** An AAAA address as it can be used: a link-local one gets the zone of the link it was heard on. */
function zonedAddress(address: string, source: string): string {
  const zone = splitZone(source).zone;
  return isIpv6LinkLocal(address) && !address.includes('%') && zone !== undefined ? `${address}%${zone}` : address;
}

/** Everything heard during one discovery, keyed by lower-cased owner name. */
export class MdnsRecordStore {
  private readonly pointers = new Map<string, Map<string, Pointer>>();
  private readonly subtypes = new Map<string, Set<string>>();
  private readonly services = new Map<string, Seen<{ port: number; target: string }>>();
  private readonly texts = new Map<string, Seen<Uint8Array[]>>();
  private readonly addresses = new Map<string, { a: Seen<string>[]; aaaa: Seen<string>[] }>();
  private readonly asks = new Map<string, number>();
  /** Types an NSEC said a name does not have (RFC 6762 §6.1): nothing to wait or ask for. */
  private readonly denied = new Map<string, Set<QueryType>>();
  private pointerCount = 0;

  /** Notes questions sent, so that answers to them are not taken for announcements and nothing is asked too often. */
  asked(questions: readonly Question[]): void {
    for (const question of questions) this.asks.set(questionKey(question), (this.asks.get(questionKey(question)) ?? 0) + 1);
  }

  add(source: string, records: readonly MdnsRecord[]): void {
    for (const record of records) {
      const key = record.name.toLowerCase();
      switch (record.type) {
        case 'PTR': {
          const subtype = parseSubtype(record.name);
          if (subtype !== undefined) {
            const target = record.target.toLowerCase();
            const list = this.subtypes.get(target) ?? new Set<string>();
            if (list.size < MAX_SUBTYPES) list.add(subtype.subtype);
            this.subtypes.set(target, list);
          }
          // A subtype pointer names an instance of its parent type (RFC 6763 §7.1).
          const owner = subtype === undefined ? key : subtype.serviceType.toLowerCase();
          const passive = !this.asks.has(`PTR ${key}`) && !this.asks.has(`PTR ${owner}`);
          this.addPointer(owner, record.target, source, passive);
          break;
        }
        case 'SRV': {
          const seen = this.services.get(key) ?? { value: { port: record.port, target: record.target }, sources: [] };
          noteSource(seen, source);
          this.services.set(key, seen);
          break;
        }
        case 'TXT': {
          const seen = this.texts.get(key) ?? { value: record.entries, sources: [] };
          noteSource(seen, source);
          this.texts.set(key, seen);
          break;
        }
        case 'A':
        case 'AAAA': {
          const host = this.addresses.get(key) ?? { a: [], aaaa: [] };
          const list = record.type === 'A' ? host.a : host.aaaa;
          const address = record.type === 'A' ? record.address : zonedAddress(record.address, source);
          // One entry per address: a link-local one heard over IPv4 (no zone) and over IPv6 (zone) is the same.
          const bare = splitZone(address).address;
          const seen = list.find((entry) => splitZone(entry.value).address === bare);
          if (seen === undefined) {
            if (list.length < MAX_ADDRESSES_PER_HOST) list.push({ value: address, sources: [source] });
          } else {
            if (!seen.value.includes('%')) seen.value = address;
            noteSource(seen, source);
          }
          this.addresses.set(key, host);
          break;
        }
        case 'NSEC': {
          if (!this.denied.has(key) && this.denied.size >= MAX_DENIED_NAMES) break;
          const present = new Set(record.types);
          this.denied.set(key, new Set((['SRV', 'TXT', 'A', 'AAAA'] as const).filter((type) => !present.has(type))));
          break;
        }
      }
    }
  }

  private isDenied(question: Question): boolean {
    return this.denied.get(questionName(question).toLowerCase())?.has(question.type) ?? false;
  }

  private addPointer(owner: string, target: string, source: string, passive: boolean): void {
    const targets = this.pointers.get(owner) ?? new Map<string, Pointer>();
    const existing = targets.get(target.toLowerCase());
    if (existing !== undefined) {
      noteSource(existing, source);
      return;
    }
    if (this.pointerCount >= MAX_INSTANCES) return;
    targets.set(target.toLowerCase(), { value: target, sources: [source], passive });
    this.pointerCount += 1;
    this.pointers.set(owner, targets);
  }

  /** Service types announced in answer to the `_services._dns-sd._udp.local` query, plus any type seen in a PTR. */
  serviceTypes(): string[] {
    const types = new Map<string, string>();
    for (const seen of this.pointers.get(SERVICE_TYPES_NAME)?.values() ?? []) {
      if (isServiceType(seen.value)) types.set(seen.value.toLowerCase(), seen.value);
    }
    for (const name of this.pointers.keys()) {
      if (isServiceType(name) && !types.has(name)) types.set(name, name);
    }
    return [...types.values()].slice(0, MAX_SERVICE_TYPES);
  }

  instances(): ServiceInstance[] {
    const found: ServiceInstance[] = [];
    for (const serviceType of this.serviceTypes()) {
      for (const pointer of this.pointers.get(serviceType.toLowerCase())?.values() ?? []) {
        const key = pointer.value.toLowerCase();
        const service = this.services.get(key);
        const text = this.texts.get(key);
        const host = service === undefined ? undefined : this.addresses.get(service.value.target.toLowerCase());
        const sources = [...pointer.sources, ...(service?.sources ?? [])].filter((source, index, all) => all.indexOf(source) === index);
        // A records that came from one of the instance's own senders first.
        const ranked = (list: readonly Seen<string>[]): string[] =>
          [...list].sort((x, y) => Number(y.sources.some((s) => sources.includes(s))) - Number(x.sources.some((s) => sources.includes(s)))).map((seen) => seen.value);
        const instance: ServiceInstance = {
          serviceType,
          fullName: pointer.value,
          instance: instanceName(pointer.value, serviceType),
          subtypes: [...(this.subtypes.get(key) ?? [])],
          a: ranked(host?.a ?? []),
          aaaa: ranked(host?.aaaa ?? []),
          sources,
          passive: pointer.passive,
          family: sources.some((source) => !source.includes(':')) ? 4 : 6,
        };
        if (service !== undefined) {
          instance.port = service.value.port;
          instance.hostname = service.value.target;
        }
        if (text !== undefined) instance.txt = text.value;
        found.push(instance);
      }
    }
    return found;
  }

  /**
   * The questions still open: types without instances, instances without SRV/TXT, hosts without
   * A/AAAA. Each at most MAX_ASKS_PER_QUESTION times over the whole discovery.
   */
  followUps(): Question[] {
    const questions: Question[] = [];
    for (const serviceType of this.serviceTypes()) {
      if (!this.pointers.has(serviceType.toLowerCase())) questions.push({ type: 'PTR', domain: serviceType });
    }
    for (const instance of this.instances()) {
      const key = instance.fullName.toLowerCase();
      const label = { instance: instance.instance, domain: instance.serviceType };
      if (!this.services.has(key)) questions.push({ type: 'SRV', ...label });
      if (!this.texts.has(key)) questions.push({ type: 'TXT', ...label });
      if (instance.hostname !== undefined) {
        const host = this.addresses.get(instance.hostname.toLowerCase());
        if ((host?.a.length ?? 0) === 0) questions.push({ type: 'A', domain: instance.hostname });
        if ((host?.aaaa.length ?? 0) === 0) questions.push({ type: 'AAAA', domain: instance.hostname });
      }
    }
    const open = new Map<string, Question>();
    for (const question of questions) {
      const key = questionKey(question);
      if ((this.asks.get(key) ?? 0) < MAX_ASKS_PER_QUESTION && !this.isDenied(question)) open.set(key, question);
    }
    return [...open.values()];
  }

  /**
   * Whether every question has its answer, or an NSEC saying there is none. A PTR question never
   * has: any number of responders may answer it, each after its own delay. SRV, TXT, A and AAAA
   * records have one owner, so one answer settles them.
   */
  settled(questions: readonly Question[]): boolean {
    return questions.every((question) => {
      if (this.isDenied(question)) return true;
      const name = questionName(question).toLowerCase();
      switch (question.type) {
        case 'SRV':
          return this.services.has(name);
        case 'TXT':
          return this.texts.has(name);
        case 'A':
          return (this.addresses.get(name)?.a.length ?? 0) > 0;
        case 'AAAA':
          return (this.addresses.get(name)?.aaaa.length ?? 0) > 0;
        case 'PTR':
          return false;
      }
    });
  }

  /** Whether a response from `source` answered a PTR question for `serviceType`. */
  static answers(records: readonly MdnsRecord[], serviceType: string): boolean {
    return records.some((record) => record.type === 'PTR' && record.name.toLowerCase() === serviceType.toLowerCase());
  }
}

/**
 * The addresses an instance's observation may carry, best first: the IPv4 address of the device
 * (A record, then the IPv4 sender), else its link-local IPv6 address with zone (the sender, then
 * the AAAA records). The probe takes the first one in scope.
 */
export function addressCandidates(instance: ServiceInstance): string[] {
  const candidates = [
    ...instance.a,
    ...instance.sources.filter((source) => isIpv4(source)),
    ...instance.sources.filter((source) => !isIpv4(source)),
    ...instance.aaaa.filter((address) => address.includes('%')),
  ];
  return candidates.filter((address, index) => candidates.indexOf(address) === index);
}

/** The fields of one instance observation. */
export function instanceFields(instance: ServiceInstance): Record<string, string> {
  const fields: Record<string, string> = {
    'mdns.service': printable(instance.serviceType.replace(/\.local$/i, ''), 128),
    'mdns.instance': printable(instance.instance, 256),
    'mdns.family': String(instance.family),
  };
  if (instance.subtypes.length > 0) fields['mdns.subtypes'] = printable(instance.subtypes.join(','), 512);
  if (instance.hostname !== undefined) fields['mdns.hostname'] = printable(instance.hostname, 256);
  if (instance.a.length > 0) fields['mdns.a'] = instance.a.join(',');
  if (instance.aaaa.length > 0) fields['mdns.aaaa'] = printable(instance.aaaa.join(','), 512);
  if (instance.passive) fields['mdns.passive'] = 'yes';
  if (instance.txt !== undefined) {
    Object.assign(fields, txtFields(instance.txt));
    fields['mdns.txt'] = txtRecordText(instance.txt);
  }
  return fields;
}
