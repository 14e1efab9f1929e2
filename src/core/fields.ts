// Observation fields gathered per host or per service. A field may carry several values (a host
// can advertise several mDNS service types), so matching asks whether any value satisfies.

export type FieldBag = ReadonlyMap<string, readonly string[]>;

export function emptyFields(): FieldBag {
  return new Map();
}

/** A new bag with `fields` added; values already present are not repeated. */
export function withFields(bag: FieldBag, fields: Readonly<Record<string, string>>): FieldBag {
  const next = new Map(bag);
  for (const [name, value] of Object.entries(fields)) {
    const values = next.get(name) ?? [];
    if (!values.includes(value)) next.set(name, [...values, value]);
  }
  return next;
}

export function firstValue(bag: FieldBag, name: string): string | undefined {
  return bag.get(name)?.[0];
}

export function fieldsFromRecord(fields: Readonly<Record<string, string>>): FieldBag {
  return withFields(emptyFields(), fields);
}
