// A validator for the subset of JSON Schema 2020-12 that docs/output.schema.json uses: type,
// properties, required, additionalProperties, items, enum, const, minimum, maximum and local $ref.
// It throws on any keyword it does not know, so the schema cannot silently outgrow it.

type Schema = Record<string, unknown>;

const KNOWN_KEYWORDS = new Set([
  '$schema', '$id', '$defs', 'title', 'description', 'format',
  'type', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'const', 'minimum', 'maximum', '$ref',
]);

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

export function validate(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  const resolve = (ref: string): Schema => {
    if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
    let node: unknown = root;
    for (const part of ref.slice(2).split('/')) node = (node as Schema)[part];
    if (!node || typeof node !== 'object') throw new Error(`dangling $ref ${ref}`);
    return node as Schema;
  };
  const check = (schema: Schema, data: unknown, path: string): void => {
    for (const keyword of Object.keys(schema)) {
      if (!KNOWN_KEYWORDS.has(keyword)) throw new Error(`mini-schema does not know keyword ${keyword} at ${path}`);
    }
    if (typeof schema.$ref === 'string') check(resolve(schema.$ref), data, path);
    if (schema.type !== undefined) {
      const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
      if (!types.some((type) => matchesType(data, type))) {
        errors.push(`${path}: expected ${types.join('|')}, got ${typeOf(data)}`);
        return;
      }
    }
    if ('const' in schema && data !== schema.const) errors.push(`${path}: expected ${JSON.stringify(schema.const)}`);
    if (Array.isArray(schema.enum) && !schema.enum.includes(data)) errors.push(`${path}: ${JSON.stringify(data)} not in enum`);
    if (typeof data === 'number') {
      if (typeof schema.minimum === 'number' && data < schema.minimum) errors.push(`${path}: below minimum`);
      if (typeof schema.maximum === 'number' && data > schema.maximum) errors.push(`${path}: above maximum`);
    }
    if (Array.isArray(data) && schema.items) {
      data.forEach((item, index) => check(schema.items as Schema, item, `${path}[${index}]`));
    }
    if (typeOf(data) === 'object') {
      const object = data as Record<string, unknown>;
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      for (const key of (schema.required ?? []) as string[]) {
        if (!(key in object)) errors.push(`${path}: missing ${key}`);
      }
      for (const [key, inner] of Object.entries(object)) {
        const propertySchema = properties[key];
        if (propertySchema) check(propertySchema, inner, `${path}.${key}`);
        else if (schema.additionalProperties === false) errors.push(`${path}: unexpected key ${key}`);
        else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
          check(schema.additionalProperties as Schema, inner, `${path}.${key}`);
        }
      }
    }
  };
  check(root, value, '$');
  return errors;
}
