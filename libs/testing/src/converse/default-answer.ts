/**
 * Derives the smallest instance a JSON Schema accepts (empty arrays, false, minimums, first
 * enum value), so the stand-in can answer any tool without a scripted input. Throws
 * CannotDeriveError when it cannot be sure (a string pattern, an unknown keyword shape).
 */

type Schema = Record<string, unknown>;

export class CannotDeriveError extends Error {
  override name = 'CannotDeriveError';
}

const MAX_DEPTH = 32;

export function minimalInstance(schema: unknown, root: unknown = schema, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new CannotDeriveError('schema nests too deeply (recursive $ref?)');
  if (schema === true || schema === undefined) return null;
  if (!isSchema(schema)) throw new CannotDeriveError('schema is not an object');
  const next = (s: unknown): unknown => minimalInstance(s, root, depth + 1);

  if (typeof schema.$ref === 'string') return next(resolveRef(schema.$ref, root));
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) {
      // A null branch is the smallest answer; otherwise the first option.
      const nullable = options.find((o) => isSchema(o) && o.type === 'null');
      return next(nullable ?? options[0]);
    }
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length === 1) return next(schema.allOf[0]);

  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string | undefined];
  if (types.includes('null')) return null;
  switch (types[0]) {
    case 'object':
      return minimalObject(schema, next);
    case 'array': {
      const count = typeof schema.minItems === 'number' ? schema.minItems : 0;
      return Array.from({ length: count }, () => next(schema.items));
    }
    case 'string':
      return minimalString(schema);
    case 'number':
    case 'integer':
      return minimalNumber(schema, types[0] === 'integer');
    case 'boolean':
      return false;
    case undefined:
      if (isSchema(schema.properties)) return minimalObject(schema, next);
      return null;
    default:
      throw new CannotDeriveError(`unsupported type ${String(types[0])}`);
  }
}

function isSchema(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function resolveRef(ref: string, root: unknown): unknown {
  if (!ref.startsWith('#')) throw new CannotDeriveError(`external $ref ${ref}`);
  let node: unknown = root;
  for (const part of ref.slice(1).split('/').filter(Boolean)) {
    if (!isSchema(node)) throw new CannotDeriveError(`unresolvable $ref ${ref}`);
    node = node[decodeURIComponent(part.replace(/~1/g, '/').replace(/~0/g, '~'))];
  }
  return node;
}

function minimalObject(schema: Schema, next: (s: unknown) => unknown): Record<string, unknown> {
  const props = isSchema(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  return Object.fromEntries(required.map((key) => [key, next(props[key])]));
}

function minimalString(schema: Schema): string {
  if (typeof schema.pattern === 'string') {
    throw new CannotDeriveError(`a string must match /${schema.pattern}/`);
  }
  if (typeof schema.format === 'string') throw new CannotDeriveError(`a string has format ${schema.format}`);
  return 'x'.repeat(typeof schema.minLength === 'number' ? schema.minLength : 0);
}

function minimalNumber(schema: Schema, integer: boolean): number {
  let value = 0;
  if (typeof schema.minimum === 'number') value = Math.max(value, schema.minimum);
  else if (typeof schema.maximum === 'number' && schema.maximum < 0) value = schema.maximum;
  if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) {
    value = integer ? Math.floor(schema.exclusiveMinimum) + 1 : schema.exclusiveMinimum + 1e-6;
  }
  return integer ? Math.ceil(value) : value;
}
