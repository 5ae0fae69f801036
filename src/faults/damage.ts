/**
 * Damage at rest: what a `corrupt` fault does to the bytes of a durable file or to a durable kv value.
 * Pure functions of their input and a seeded stream; the injector picks the target (inject.ts) and hands
 * the damaged copy to the disk or kv store, which own the medium.
 */
import type { KvKey, Value } from '../impl/env.ts';
import type { Rng } from '../sim/rng.ts';
import type { CorruptMode } from './plan.ts';

/** A damaged copy and the byte (or character) range that changed. */
export interface Damaged<T> {
  result: T;
  /** First damaged byte (truncate: the new length). */
  offset: number;
  /** Damaged bytes (truncate: the bytes cut off). */
  length: number;
}

/** True when `name` matches `pattern`: equal, or starting with it when it ends in '*'; undefined matches all. */
export function matchesPath(pattern: string | undefined, name: string): boolean {
  if (pattern === undefined) return true;
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/** Indexes of the sectors of `bytes` that hold a non-zero byte (all sectors when none does). */
function liveSectors(bytes: Uint8Array, sectorSize: number): number[] {
  const n = Math.ceil(bytes.length / sectorSize);
  const out: number[] = [];
  for (let s = 0; s < n; s++) {
    const end = Math.min(bytes.length, (s + 1) * sectorSize);
    for (let i = s * sectorSize; i < end; i++) {
      if (bytes[i] !== 0) {
        out.push(s);
        break;
      }
    }
  }
  return out.length > 0 ? out : Array.from({ length: n }, (_, s) => s);
}

/**
 * A damaged copy of non-empty `bytes`: one bit flipped ('flip'), one sector that held data zeroed
 * ('zero'), or the tail cut off at a sector boundary ('truncate': the result is shorter, maybe empty).
 */
export function damageBytes(bytes: Uint8Array, mode: CorruptMode, sectorSize: number, rng: Rng): Damaged<Uint8Array> {
  if (bytes.length === 0) throw new RangeError('damageBytes: nothing to damage in an empty file');
  if (mode === 'truncate') {
    const length = Math.floor(rng.int(bytes.length) / sectorSize) * sectorSize;
    return { result: bytes.slice(0, length), offset: length, length: bytes.length - length };
  }
  const out = bytes.slice();
  if (mode === 'zero') {
    const s = rng.pick(liveSectors(bytes, sectorSize));
    const end = Math.min(bytes.length, (s + 1) * sectorSize);
    out.fill(0, s * sectorSize, end);
    return { result: out, offset: s * sectorSize, length: end - s * sectorSize };
  }
  const bit = rng.int(bytes.length * 8);
  out[bit >> 3]! ^= 1 << (bit & 7);
  return { result: out, offset: bit >> 3, length: 1 };
}

/** A place in a value: keys and indexes from the root. */
type ValuePath = (string | number)[];

/** The non-empty byte arrays and strings inside `value`, depth first, with their paths. */
function leaves(value: Value, path: ValuePath = [], out: { path: ValuePath; leaf: Uint8Array | string }[] = []): typeof out {
  if (value instanceof Uint8Array || typeof value === 'string') {
    if (value.length > 0) out.push({ path, leaf: value });
  } else if (Array.isArray(value)) {
    (value as readonly Value[]).forEach((v, i) => leaves(v, [...path, i], out));
  } else if (typeof value === 'object' && value !== null) {
    const obj = value as { readonly [key: string]: Value | undefined };
    for (const k of Object.keys(obj)) {
      const v = obj[k];
      if (v !== undefined) leaves(v, [...path, k], out);
    }
  }
  return out;
}

/** `value` with the leaf at `path` replaced (the rest is shared: stored values are never mutated). */
function replaceAt(value: Value, path: ValuePath, leaf: Value): Value {
  if (path.length === 0) return leaf;
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = (value as readonly Value[]).slice();
    copy[head as number] = replaceAt(copy[head as number]!, rest, leaf);
    return copy;
  }
  const obj = value as { readonly [key: string]: Value | undefined };
  return { ...obj, [head!]: replaceAt(obj[head as string]!, rest, leaf) };
}

/** A damaged copy of a non-empty string: one character's bit flipped, or a run of characters zeroed. */
function damageString(text: string, mode: 'flip' | 'zero', runMax: number, rng: Rng): Damaged<string> {
  const at = rng.int(text.length);
  if (mode === 'flip') {
    const code = text.charCodeAt(at) ^ (1 << rng.int(7));
    return { result: text.slice(0, at) + String.fromCharCode(code) + text.slice(at + 1), offset: at, length: 1 };
  }
  const length = Math.min(runMax, text.length - at);
  return { result: text.slice(0, at) + '\u0000'.repeat(length) + text.slice(at + length), offset: at, length };
}

/** True when `value` holds something a corrupt fault can damage (a non-empty byte array or string). */
export function damageable(value: Value): boolean {
  return leaves(value).length > 0;
}

/**
 * A damaged copy of a kv value: one of its non-empty byte arrays or strings (picked with `rng`) gets a
 * flipped bit or a zeroed run of up to `sectorSize` bytes or characters; the value keeps its shape and
 * size. `at` names the damaged leaf ('' for the value itself, else keys and indexes joined by '.').
 * Null when the value holds nothing to damage.
 */
export function damageValue(value: Value, mode: 'flip' | 'zero', sectorSize: number, rng: Rng): (Damaged<Value> & { at: string }) | null {
  const all = leaves(value);
  if (all.length === 0) return null;
  const { path, leaf } = rng.pick(all);
  const d = typeof leaf === 'string' ? damageString(leaf, mode, sectorSize, rng) : damageBytes(leaf, mode, sectorSize, rng);
  return { result: replaceAt(value, path, d.result), offset: d.offset, length: d.length, at: path.join('.') };
}

/** What a corrupt fault does to a disk: the file it picked, its damaged contents, and where. */
export interface DiskDamage extends Damaged<Uint8Array> {
  file: string;
}

/** What a corrupt fault does to a kv store: the value it picked, its damaged copy, and where. */
export interface KvDamage extends Damaged<Value> {
  store: string;
  key: KvKey;
  at: string;
}

/**
 * Picks a non-empty durable file that `pattern` matches (from `durable`, path -> bytes, in path order) and
 * damages a copy of it; null when there is none.
 */
export function chooseDiskDamage(durable: ReadonlyMap<string, Uint8Array>, pattern: string | undefined, mode: CorruptMode, sectorSize: number, rng: Rng): DiskDamage | null {
  const files = [...durable].filter(([p, b]) => b.length > 0 && matchesPath(pattern, p));
  if (files.length === 0) return null;
  const [file, bytes] = rng.pick(files);
  return { file, ...damageBytes(bytes, mode, sectorSize, rng) };
}

/**
 * Picks a durable value holding bytes or text in a store that `pattern` matches (from `durable`, store ->
 * key -> value, in order) and damages a copy of it; null when there is none.
 */
export function chooseKvDamage(
  durable: ReadonlyMap<string, ReadonlyMap<KvKey, Value>>,
  pattern: string | undefined,
  mode: 'flip' | 'zero',
  sectorSize: number,
  rng: Rng,
): KvDamage | null {
  const values: { store: string; key: KvKey; value: Value }[] = [];
  for (const [store, entries] of durable) {
    if (!matchesPath(pattern, store)) continue;
    for (const [key, value] of entries) if (damageable(value)) values.push({ store, key, value });
  }
  if (values.length === 0) return null;
  const { store, key, value } = rng.pick(values);
  return { store, key, ...damageValue(value, mode, sectorSize, rng)! };
}
