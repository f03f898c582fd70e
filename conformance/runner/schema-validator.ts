// A minimal JSON Schema (draft 2020-12) validator for exactly the keywords the vector schema uses.
// A schema that uses any other keyword is refused, so the validator can never silently ignore a
// constraint. No dependency: ports are expected to validate with whatever their platform offers.

type Schema = boolean | { [keyword: string]: unknown };

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', '$defs']);
const SUPPORTED = new Set([
  '$ref',
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'minLength',
  'pattern',
  'minimum',
  'maximum',
  'oneOf',
  'anyOf',
]);

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'object':
      return typeOf(value) === 'object';
    default:
      return typeOf(value) === type;
  }
}

/** Deep equality of JSON values (object key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeOf(a) !== typeOf(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  if (typeOf(a) === 'object') {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const ak = Object.keys(ao);
    return ak.length === Object.keys(bo).length && ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && jsonEqual(ao[k], bo[k]));
  }
  return false;
}

/** Validates JSON values against one root schema; returns human-readable problems (empty = valid). */
export class SchemaValidator {
  constructor(private readonly root: Schema) {
    this.checkKeywords(root, '#');
  }

  validate(value: unknown): string[] {
    const errors: string[] = [];
    this.visit(this.root, value, '$', errors);
    return errors;
  }

  private checkKeywords(schema: unknown, where: string): void {
    if (typeof schema === 'boolean') return;
    if (typeOf(schema) !== 'object') throw new Error(`schema at ${where} is not an object or boolean`);
    for (const [key, sub] of Object.entries(schema as Record<string, unknown>)) {
      if (ANNOTATIONS.has(key)) {
        if (key === '$defs') for (const [name, def] of Object.entries(sub as Record<string, unknown>)) this.checkKeywords(def, `${where}/$defs/${name}`);
        continue;
      }
      if (!SUPPORTED.has(key)) throw new Error(`schema keyword "${key}" at ${where} is not supported by this validator`);
      if (key === 'properties') for (const [name, def] of Object.entries(sub as Record<string, unknown>)) this.checkKeywords(def, `${where}/properties/${name}`);
      if (key === 'items' || (key === 'additionalProperties' && typeof sub !== 'boolean')) this.checkKeywords(sub, `${where}/${key}`);
      if (key === 'oneOf' || key === 'anyOf') (sub as unknown[]).forEach((s, i) => this.checkKeywords(s, `${where}/${key}/${i}`));
    }
  }

  private resolve(ref: string): Schema {
    if (!ref.startsWith('#/')) throw new Error(`only local $ref is supported, got ${ref}`);
    let node: unknown = this.root;
    for (const part of ref.slice(2).split('/')) {
      node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
      if (node === undefined) throw new Error(`unresolvable $ref ${ref}`);
    }
    return node as Schema;
  }

  private visit(schema: Schema, value: unknown, path: string, errors: string[]): void {
    if (schema === true) return;
    if (schema === false) {
      errors.push(`${path}: not allowed`);
      return;
    }
    const s = schema;
    if (typeof s['$ref'] === 'string') this.visit(this.resolve(s['$ref']), value, path, errors);
    if (s['type'] !== undefined) {
      const types = Array.isArray(s['type']) ? (s['type'] as string[]) : [s['type'] as string];
      if (!types.some((t) => hasType(value, t))) {
        errors.push(`${path}: expected ${types.join(' or ')}, got ${typeOf(value)}`);
        return;
      }
    }
    if (s['const'] !== undefined && !jsonEqual(value, s['const'])) errors.push(`${path}: expected ${JSON.stringify(s['const'])}`);
    if (Array.isArray(s['enum']) && !s['enum'].some((e) => jsonEqual(e, value))) errors.push(`${path}: expected one of ${JSON.stringify(s['enum'])}`);
    if (typeof value === 'string') {
      if (typeof s['minLength'] === 'number' && [...value].length < s['minLength']) errors.push(`${path}: shorter than ${s['minLength']}`);
      if (typeof s['pattern'] === 'string' && !new RegExp(s['pattern'], 'u').test(value)) errors.push(`${path}: ${JSON.stringify(value)} does not match ${s['pattern']}`);
    }
    if (typeof value === 'number') {
      if (typeof s['minimum'] === 'number' && value < s['minimum']) errors.push(`${path}: below ${s['minimum']}`);
      if (typeof s['maximum'] === 'number' && value > s['maximum']) errors.push(`${path}: above ${s['maximum']}`);
    }
    if (Array.isArray(value)) {
      if (typeof s['minItems'] === 'number' && value.length < s['minItems']) errors.push(`${path}: fewer than ${s['minItems']} items`);
      if (s['items'] !== undefined) value.forEach((v, i) => this.visit(s['items'] as Schema, v, `${path}[${i}]`, errors));
    }
    if (typeOf(value) === 'object') this.visitObject(s, value as Record<string, unknown>, path, errors);
    if (Array.isArray(s['anyOf'])) {
      const branches = s['anyOf'] as Schema[];
      if (!branches.some((b) => this.validate0(b, value, path).length === 0)) errors.push(`${path}: matches none of the allowed shapes`);
    }
    if (Array.isArray(s['oneOf'])) this.visitOneOf(s['oneOf'] as Schema[], value, path, errors);
  }

  private visitObject(s: Record<string, unknown>, value: Record<string, unknown>, path: string, errors: string[]): void {
    const props = (s['properties'] ?? {}) as Record<string, Schema>;
    for (const key of (s['required'] as string[] | undefined) ?? []) {
      if (!Object.prototype.hasOwnProperty.call(value, key)) errors.push(`${path}: missing required "${key}"`);
    }
    for (const [key, v] of Object.entries(value)) {
      const sub = Object.prototype.hasOwnProperty.call(props, key) ? props[key] : undefined;
      if (sub !== undefined) this.visit(sub, v, `${path}.${key}`, errors);
      else if (s['additionalProperties'] === false) errors.push(`${path}: unexpected property "${key}"`);
      else if (s['additionalProperties'] !== undefined) this.visit(s['additionalProperties'] as Schema, v, `${path}.${key}`, errors);
    }
  }

  // A failed oneOf over tagged shapes (steps) reports the errors of the branch whose `type` const
  // matches the value's `type`, which is far more useful than "matches none".
  private visitOneOf(branches: Schema[], value: unknown, path: string, errors: string[]): void {
    const results = branches.map((b) => this.validate0(b, value, path));
    const passing = results.filter((r) => r.length === 0).length;
    if (passing === 1) return;
    if (passing > 1) {
      errors.push(`${path}: matches more than one shape`);
      return;
    }
    const tag = typeOf(value) === 'object' ? (value as Record<string, unknown>)['type'] : undefined;
    const index = branches.findIndex((b) => typeof b === 'object' && jsonEqual(((b['properties'] as Record<string, Record<string, unknown>> | undefined)?.['type'])?.['const'], tag));
    if (index >= 0) errors.push(...results[index]!);
    else errors.push(`${path}: unknown kind ${JSON.stringify(tag)}`);
  }

  private validate0(schema: Schema, value: unknown, path: string): string[] {
    const errors: string[] = [];
    this.visit(schema, value, path, errors);
    return errors;
  }
}
