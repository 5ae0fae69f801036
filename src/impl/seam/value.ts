/**
 * Copying messages (network, tab bus): the sender and the receivers must never share objects, as if the
 * message had been serialised on the wire or structured-cloned by BroadcastChannel. This is a structured
 * clone restricted to the Env seam's `Value` type (null, booleans, numbers, strings, Uint8Array, arrays and
 * plain objects), about 10x faster than `structuredClone` for small messages, and it rejects what a wire
 * format could not carry (as the browser's DataCloneError).
 */
import type { Value } from '../env.ts';

/** Nesting depth a message may have (also stops cyclic objects). */
export const VALUE_DEPTH_MAX = 64;

/** A message is not a `Value`; the message names the offending part (e.g. `message.items[2].at`). */
export class ValueCloneError extends TypeError {
  override name = 'ValueCloneError';
}

/** A deep copy of `message`; throws ValueCloneError naming the path of any part that is not a Value. */
export function copyValue(message: Value, root = 'message'): Value {
  // Two passes only on failure: the fast copy keeps no path (copying is the seam's most frequent
  // operation: every kv read and write, every message); when it meets something that is not a Value, the
  // copy is made again with the path tracked, which throws the error naming where.
  const copy = fastCopy(message, 0);
  return copy === NOT_A_VALUE ? copyAt(message, [root]) : copy;
}

/** What `fastCopy` returns when some part is not a Value (or too deep): `copyAt` then says which. */
const NOT_A_VALUE: unique symbol = Symbol('not a Value');

/** `copyAt` without the path: the copy, or NOT_A_VALUE wherever `copyAt` would throw. */
function fastCopy(value: unknown, depth: number): Value | typeof NOT_A_VALUE {
  if (value === null) return null;
  const kind = typeof value;
  if (kind === 'string' || kind === 'boolean' || kind === 'number') return value as Value;
  if (kind !== 'object' || depth >= VALUE_DEPTH_MAX) return NOT_A_VALUE;
  if (value instanceof Uint8Array) return value.slice();
  if (Array.isArray(value)) {
    const out = new Array<Value>(value.length);
    for (let i = 0; i < value.length; i++) {
      const c = fastCopy(value[i], depth + 1);
      if (c === NOT_A_VALUE) return NOT_A_VALUE;
      out[i] = c;
    }
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return NOT_A_VALUE;
  const obj = value as Record<string, unknown>;
  const out: Record<string, Value | undefined> = {};
  for (const key in obj) {
    if (!Object.hasOwn(obj, key)) continue;
    const v = obj[key];
    const c = v === undefined ? undefined : fastCopy(v, depth + 1);
    if (c === NOT_A_VALUE) return NOT_A_VALUE;
    if (key === '__proto__') Object.defineProperty(out, key, { value: c, enumerable: true, writable: true, configurable: true });
    else out[key] = c;
  }
  return out;
}

function copyAt(value: unknown, keys: (string | number)[]): Value {
  if (value === null) return null;
  const kind = typeof value;
  if (kind === 'string' || kind === 'boolean' || kind === 'number') return value as Value;
  if (kind !== 'object') throw new ValueCloneError(`${pathOf(keys)} is a ${kind}, which is not a Value`);
  if (keys.length > VALUE_DEPTH_MAX) {
    throw new ValueCloneError(`${pathOf(keys)} is nested deeper than ${VALUE_DEPTH_MAX} levels (a cycle?)`);
  }
  if (value instanceof Uint8Array) return value.slice();
  if (Array.isArray(value)) return copyArray(value, keys);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    throw new ValueCloneError(`${pathOf(keys)} is a ${name}, which is not a Value (use plain objects)`);
  }
  return copyObject(value as Record<string, unknown>, keys);
}

function copyArray(items: readonly unknown[], keys: (string | number)[]): Value[] {
  const out = new Array<Value>(items.length);
  for (let i = 0; i < items.length; i++) {
    keys.push(i);
    out[i] = copyAt(items[i], keys);
    keys.pop();
  }
  return out;
}

function copyObject(obj: Record<string, unknown>, keys: (string | number)[]): Value {
  const out: Record<string, Value | undefined> = {};
  for (const key in obj) {
    if (!Object.hasOwn(obj, key)) continue;
    const v = obj[key];
    keys.push(key);
    const copy = v === undefined ? undefined : copyAt(v, keys);
    keys.pop();
    if (key === '__proto__') {
      Object.defineProperty(out, key, { value: copy, enumerable: true, writable: true, configurable: true });
    } else out[key] = copy;
  }
  return out;
}

/** 'message.a[2].b' for the keys ['message', 'a', 2, 'b'] (the first is the root's name). */
function pathOf(keys: readonly (string | number)[]): string {
  let s = String(keys[0]);
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    s += typeof k === 'number' ? `[${k}]` : `.${k}`;
  }
  return s;
}

/** Longest `type` copied into a trace record; longer ones are cut (the trace stays small). */
export const TYPE_CHARS_MAX = 40;

/** The message's string `type` field when it is a plain object with one (for trace records), cut short. */
export function messageType(message: Value): string | undefined {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return undefined;
  if (message instanceof Uint8Array) return undefined;
  const t = (message as { readonly [key: string]: Value | undefined }).type;
  if (typeof t !== 'string') return undefined;
  return t.length > TYPE_CHARS_MAX ? t.slice(0, TYPE_CHARS_MAX) : t;
}

/** Size in bytes when it is cheap to know (binary and string messages), otherwise undefined. */
export function messageBytes(message: Value): number | undefined {
  if (message instanceof Uint8Array) return message.byteLength;
  if (typeof message === 'string') return message.length;
  return undefined;
}
