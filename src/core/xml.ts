// XML from the network read as data only: fast-xml-parser with entity processing off (no
// expansion, no billion laughs), no type guessing, namespaces dropped. Entities in values are
// decoded afterwards by decodeXmlEntities (sanitize.ts), once.

/** Parser options for every SOAP/UPnP/WS-Discovery document the probes and the lab read. */
export const DATA_ONLY_XML = {
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  processEntities: false,
  htmlEntities: false,
  ignoreDeclaration: true,
  trimValues: true,
} as const;

/** The named child element of a parsed node; the first one where the element repeats. */
export function firstChild(node: unknown, name: string): unknown {
  if (typeof node !== 'object' || node === null) return undefined;
  const value = (node as Record<string, unknown>)[name];
  return Array.isArray(value) ? value[0] : value;
}
