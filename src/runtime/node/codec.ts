/**
 * Values on the wire and in the kv log: a `Value` (JSON plus Uint8Array) as JSON text, losslessly.
 *
 * Encoding of the parts JSON cannot carry:
 * - a Uint8Array becomes `{"$bytes": "<base64>"}`;
 * - a non-finite number becomes `{"$num": "NaN" | "Infinity" | "-Infinity"}` (-0 becomes 0);
 * - an object key starting with '$' gets one more '$' ("$x" is sent as "$$x"), so user objects never
 *   look like the two markers above. Decoding strips that '$' again.
 * A value that is not a `Value` (a function, a Map, a class instance, a cycle) is rejected with a
 * TypeError naming its path, as a structured clone would.
 */
import type { Value } from '../../impl/env.ts';

/** Deepest nesting a value may have (deeper is rejected: most likely a cycle). */
export const VALUE_DEPTH_MAX = 64;

/** The value as JSON text (one line: JSON.stringify never emits a raw newline); errors name `path`. */
export function encodeValue(value: Value, path = 'value'): string {
  return JSON.stringify(toJson(value, path, 0));
}

/** The value encoded by `encodeValue`; throws a SyntaxError or TypeError on malformed text. */
export function decodeValue(text: string): Value {
  return fromJson(JSON.parse(text) as unknown, 'value', 0);
}

/** A JSON-ready tree for `value` (for callers that wrap it in an envelope before stringifying). */
export function toJson(value: unknown, path: string, depth: number): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : { $num: String(value) };
  if (typeof value !== 'object') throw new TypeError(`${path} is a ${typeof value}, which is not a Value`);
  if (depth >= VALUE_DEPTH_MAX) throw new TypeError(`${path} is nested deeper than ${VALUE_DEPTH_MAX} levels (a cycle?)`);
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (Array.isArray(value)) return value.map((v: unknown, i) => toJson(v, `${path}[${i}]`, depth + 1));
  checkPlain(value, path);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    setOwn(out, key.startsWith('$') ? `$${key}` : key, toJson(v, `${path}.${key}`, depth + 1));
  }
  return out;
}

/** The `Value` for a tree produced by `toJson` and parsed back from JSON. */
export function fromJson(json: unknown, path: string, depth: number): Value {
  if (json === null || typeof json !== 'object') return json as Value;
  if (depth >= VALUE_DEPTH_MAX) throw new TypeError(`${path} is nested deeper than ${VALUE_DEPTH_MAX} levels`);
  if (Array.isArray(json)) return json.map((v: unknown, i) => fromJson(v, `${path}[${i}]`, depth + 1));
  const obj = json as Record<string, unknown>;
  const bytes = obj.$bytes;
  if (typeof bytes === 'string') return new Uint8Array(Buffer.from(bytes, 'base64'));
  const num = obj.$num;
  if (typeof num === 'string') return decodeNumber(num, path);
  const out: Record<string, Value> = {};
  for (const key of Object.keys(obj)) {
    if (key.startsWith('$') && !key.startsWith('$$')) throw new TypeError(`${path}: unknown marker key '${key}'`);
    setOwn(out, key.startsWith('$') ? key.slice(1) : key, fromJson(obj[key], `${path}.${key}`, depth + 1));
  }
  return out;
}

/** A deep copy of `value` (what a receiver or the kv store gets); throws a TypeError naming a bad part. */
export function copyValue(value: Value, path = 'value', depth = 0): Value {
  if (value === null || typeof value === 'boolean' || typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value !== 'object') throw new TypeError(`${path} is a ${typeof value}, which is not a Value`);
  if (depth >= VALUE_DEPTH_MAX) throw new TypeError(`${path} is nested deeper than ${VALUE_DEPTH_MAX} levels (a cycle?)`);
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map((v: Value, i) => copyValue(v, `${path}[${i}]`, depth + 1));
  checkPlain(value, path);
  const out: Record<string, Value> = {};
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, Value | undefined>)[key];
    if (v !== undefined) setOwn(out, key, copyValue(v, `${path}.${key}`, depth + 1));
  }
  return out;
}

function checkPlain(value: object, path: string): void {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return;
  const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
  throw new TypeError(`${path} is a ${name}, which is not a Value (use plain objects, arrays and Uint8Array)`);
}

function decodeNumber(text: string, path: string): number {
  if (text === 'NaN') return NaN;
  if (text === 'Infinity') return Infinity;
  if (text === '-Infinity') return -Infinity;
  throw new TypeError(`${path}: bad $num '${text}'`);
}

/** Sets a key without invoking the `__proto__` setter. */
function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
