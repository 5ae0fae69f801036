/**
 * Builders for the trace schema's JSON Schema objects (draft 2020-12), so that each area's module reads
 * as a list of kinds with their fields. Every builder returns a plain JSON value: the schema document
 * (`TRACE_SCHEMA`, docs/trace-schema.json) is these objects as they are.
 */

/** A JSON Schema object. */
export type JsonSchema = { readonly [key: string]: unknown };

/**
 * The schema of one kind's `data`: an object with exactly these fields (additionalProperties false; only a
 * record that carries another record's fields, fault.miss, leaves them open), and a one-line description.
 */
export interface KindSchema extends JsonSchema {
  readonly description: string;
  readonly type: 'object';
  readonly required: readonly string[];
  readonly properties: Readonly<Record<string, JsonSchema>>;
  readonly additionalProperties: boolean;
}

/** Kind name -> schema of its `data`. */
export type KindSchemas = Readonly<Record<string, KindSchema>>;

export const int: JsonSchema = { type: 'integer' };
/** An integer >= 0 (counts, positions, sizes, virtual times). */
export const count: JsonSchema = { type: 'integer', minimum: 0 };
export const num: JsonSchema = { type: 'number' };
export const str: JsonSchema = { type: 'string' };
export const bool: JsonSchema = { type: 'boolean' };
export const nul: JsonSchema = { type: 'null' };
/** Any JSON value (a field whose content is the scenario's or the implementation's own). */
export const any: JsonSchema = {};

/** One of these strings (a closed set the docs or the code name). */
export function oneOf(...values: readonly string[]): JsonSchema {
  return { enum: [...values] };
}

/** The schema or null. A primitive type becomes `type: [t, 'null']`; anything else an `anyOf`. */
export function nullable(s: JsonSchema): JsonSchema {
  const keys = Object.keys(s);
  if (typeof s.type === 'string' && keys.every((k) => k === 'type' || k === 'minimum')) return { ...s, type: [s.type, 'null'] };
  if (Array.isArray(s.enum)) return { enum: [...(s.enum as unknown[]), null] };
  return { anyOf: [s, nul] };
}

/** An array of items of this schema. */
export function arrayOf(items: JsonSchema): JsonSchema {
  return { type: 'array', items };
}

/** A fixed-length array (a tuple) of these item schemas. */
export function tuple(...items: readonly JsonSchema[]): JsonSchema {
  return { type: 'array', prefixItems: [...items], minItems: items.length, maxItems: items.length };
}

/** An object used as a map: any keys, values of this schema. */
export function mapOf(values: JsonSchema): JsonSchema {
  return { type: 'object', additionalProperties: values };
}

/** An object with these required fields, these optional ones, and no others. */
export function obj(required: Record<string, JsonSchema>, optional: Record<string, JsonSchema> = {}): JsonSchema {
  return { type: 'object', required: Object.keys(required), properties: { ...required, ...optional }, additionalProperties: false };
}

/** A kind's `data`: `description` (one line), its required fields, its optional fields, and no others. */
export function kind(description: string, required: Record<string, JsonSchema> = {}, optional: Record<string, JsonSchema> = {}): KindSchema {
  return {
    description,
    type: 'object',
    required: Object.keys(required),
    properties: { ...required, ...optional },
    additionalProperties: false,
  };
}
