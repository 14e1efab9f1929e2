// mDNS / DNS-SD (RFC 6762, RFC 6763): queries out, records in, and the assembly of service
// instances (PTR -> SRV/TXT -> A). Packets go through dns-packet; everything here is pure.
import { decode, encode } from 'dns-packet';
import type { Answer } from 'dns-packet';
import { escapeBytes, printable } from '../../src/core/sanitize.js';

export const MDNS_GROUP = '224.0.0.251';
export const MDNS_PORT = 5353;
/** RFC 6763 §9: enumerates the service types present on the link. */
export const SERVICE_TYPES_NAME = '_services._dns-sd._udp.local';

/** Bounds against a chatty or hostile link. */
const MAX_SERVICE_TYPES = 64;
const MAX_INSTANCES = 512;
const MAX_TXT_KEYS = 64;
const MAX_TXT_KEY_LENGTH = 64;

export type QueryType = 'PTR' | 'SRV' | 'TXT' | 'A';

export interface Question {
  name: string;
  type: QueryType;
}

export type MdnsRecord =
  | { type: 'PTR'; name: string; target: string }
  | { type: 'SRV'; name: string; port: number; target: string }
  | { type: 'TXT'; name: string; entries: Uint8Array[] }
  | { type: 'A'; name: string; address: string };

/** A standard multicast query (QU bit clear, id 0: RFC 6762 §18.1). */
export function encodeQuery(questions: readonly Question[]): Uint8Array {
  return new Uint8Array(encode({ type: 'query', id: 0, flags: 0, questions: questions.map((q) => ({ name: q.name, type: q.type, class: 'IN' })) }));
}

/** The PTR/SRV/TXT/A records of a response (answers and additionals); undefined for queries and garbage. */
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
    default:
      return undefined;
  }
}

/** `_http._tcp.local` and the like (subtype names such as `_printer._sub._http._tcp.local` are not types). */
export function isServiceType(name: string): boolean {
  return /^_[^.]{1,63}\._(tcp|udp)\.local$/i.test(name);
}

/**
 * The instance part of a PTR target: the service type is stripped as a suffix. Never split on
 * dots: an instance label may contain them ("Mr. Smith's Speaker").
 */
export function instanceName(target: string, serviceType: string): string {
  const suffix = `.${serviceType}`;
  return target.toLowerCase().endsWith(suffix.toLowerCase()) ? target.slice(0, target.length - suffix.length) : target;
}

/**
 * TXT entries as fields `mdns.txt.<key>` (RFC 6763 §6): keys are case-insensitive (lower-cased
 * here), the first occurrence of a key wins, a key without `=` has the value ''. Values that are
 * not clean text are kept visible with \xNN escapes.
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

export interface ServiceInstance {
  /** `_http._tcp.local` */
  serviceType: string;
  /** The full PTR target. */
  fullName: string;
  instance: string;
  port?: number;
  hostname?: string;
  txt?: Uint8Array[];
  /** The A record of the SRV target, else the address the records came from. */
  address: string;
}

interface Seen<T> {
  value: T;
  source: string;
}

/** Everything heard during one discovery, keyed by lower-cased owner name. */
export class MdnsRecordStore {
  private readonly pointers = new Map<string, Map<string, Seen<string>>>();
  private readonly services = new Map<string, Seen<{ port: number; target: string }>>();
  private readonly texts = new Map<string, Seen<Uint8Array[]>>();
  private readonly addresses = new Map<string, Seen<string>[]>();
  private pointerCount = 0;

  add(source: string, records: readonly MdnsRecord[]): void {
    for (const record of records) {
      const key = record.name.toLowerCase();
      switch (record.type) {
        case 'PTR': {
          if (this.pointerCount >= MAX_INSTANCES) break;
          const targets = this.pointers.get(key) ?? new Map<string, Seen<string>>();
          if (!targets.has(record.target.toLowerCase())) {
            targets.set(record.target.toLowerCase(), { value: record.target, source });
            this.pointerCount += 1;
          }
          this.pointers.set(key, targets);
          break;
        }
        case 'SRV':
          if (!this.services.has(key)) this.services.set(key, { value: { port: record.port, target: record.target }, source });
          break;
        case 'TXT':
          if (!this.texts.has(key)) this.texts.set(key, { value: record.entries, source });
          break;
        case 'A': {
          const list = this.addresses.get(key) ?? [];
          if (!list.some((seen) => seen.value === record.address) && list.length < 8) list.push({ value: record.address, source });
          this.addresses.set(key, list);
          break;
        }
      }
    }
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
        const hostAddresses = service === undefined ? [] : (this.addresses.get(service.value.target.toLowerCase()) ?? []);
        // Prefer the A record that came from the same responder as the SRV record.
        const sameSource = hostAddresses.find((seen) => seen.source === service?.source);
        const instance: ServiceInstance = {
          serviceType,
          fullName: pointer.value,
          instance: instanceName(pointer.value, serviceType),
          address: (sameSource ?? hostAddresses[0])?.value ?? service?.source ?? pointer.source,
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

  /** The questions still open: types without instances, instances without SRV/TXT, hosts without A. */
  followUps(askedTypes: ReadonlySet<string>): Question[] {
    const questions: Question[] = [];
    for (const serviceType of this.serviceTypes()) {
      if (!this.pointers.has(serviceType.toLowerCase()) && !askedTypes.has(serviceType.toLowerCase())) {
        questions.push({ name: serviceType, type: 'PTR' });
      }
    }
    for (const instance of this.instances()) {
      const key = instance.fullName.toLowerCase();
      if (!this.services.has(key)) questions.push({ name: instance.fullName, type: 'SRV' });
      if (!this.texts.has(key)) questions.push({ name: instance.fullName, type: 'TXT' });
      if (instance.hostname !== undefined && !this.addresses.has(instance.hostname.toLowerCase())) {
        questions.push({ name: instance.hostname, type: 'A' });
      }
    }
    const unique = new Map(questions.map((question) => [`${question.type} ${question.name.toLowerCase()}`, question]));
    return [...unique.values()];
  }

  /** Whether a response from `source` answered a PTR question for `serviceType`. */
  static answers(records: readonly MdnsRecord[], serviceType: string): boolean {
    return records.some((record) => record.type === 'PTR' && record.name.toLowerCase() === serviceType.toLowerCase());
  }
}

/** The fields of one instance observation. */
export function instanceFields(instance: ServiceInstance): Record<string, string> {
  const fields: Record<string, string> = {
    'mdns.service': printable(instance.serviceType.replace(/\.local$/i, ''), 128),
    'mdns.instance': printable(instance.instance, 256),
  };
  if (instance.hostname !== undefined) fields['mdns.hostname'] = printable(instance.hostname, 256);
  if (instance.txt !== undefined) Object.assign(fields, txtFields(instance.txt));
  return fields;
}
