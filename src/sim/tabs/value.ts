/**
 * Copying messages between tabs: what a structured clone does for BroadcastChannel, restricted to the
 * `Value` type of the Env seam. Each receiver gets its own copy, so neither the sender nor another
 * receiver can mutate what a tab received.
 */
import type { Value } from '../../impl/env.ts';

/** Nesting depth a message may have (also stops cyclic objects). */
export const VALUE_DEPTH_MAX = 64;

/** A message that is not a `Value` (as the browser's DataCloneError). `path` names the offending part. */
export class ValueCloneError extends TypeError {
  override name = 'ValueCloneError';
}

/**
 * A deep copy of `value`. Primitives are returned as they are, Uint8Arrays are copied, arrays and plain
 * objects are copied recursively. Throws ValueCloneError naming the path of anything else.
 */
export function copyValue(value: Value): Value {
  const keys: (string | number)[] = [];
  return copyAt(value, keys);
}

/** Copies one level; `keys` is the path from the root (built into a string only for an error). */
function copyAt(value: unknown, keys: (string | number)[]): Value {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'object':
      break;
    default:
      throw new ValueCloneError(`${pathOf(keys)} is a ${typeof value}, which is not a Value`);
  }
  if (keys.length >= VALUE_DEPTH_MAX) {
    throw new ValueCloneError(`${pathOf(keys)} is nested deeper than ${VALUE_DEPTH_MAX} levels (a cycle?)`);
  }
  if (value instanceof Uint8Array) return value.slice();
  if (Array.isArray(value)) return copyArray(value, keys);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const what = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    throw new ValueCloneError(`${pathOf(keys)} is a ${what}, which is not a Value (use plain objects)`);
  }
  return copyObject(value as Record<string, unknown>, keys);
}

function copyArray(items: readonly unknown[], keys: (string | number)[]): Value[] {
  const out: Value[] = new Array<Value>(items.length);
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

/** 'message.a[2].b' for the keys ['a', 2, 'b']. */
function pathOf(keys: readonly (string | number)[]): string {
  let s = 'message';
  for (const k of keys) s += typeof k === 'number' ? `[${k}]` : `.${k}`;
  return s;
}

/** The message's string `type` field when it is a plain object with one (for trace records). */
export function messageType(message: Value): string | undefined {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return undefined;
  if (message instanceof Uint8Array) return undefined;
  const t = (message as { readonly [key: string]: Value | undefined }).type;
  return typeof t === 'string' ? t : undefined;
}
