/**
 * Settings of a device's kv store: what the user may pass (`KvSpec`, all optional) and the validated form
 * (`QualifiedKvSpec`, all set).
 */
import type { KvDurability } from '../../impl/env.ts';

/** Settings of a kv store (all optional). Latencies are microseconds of virtual time. */
export interface KvSpec {
  /** Durability of transactions that do not ask for one. Default 'strict'. */
  durability?: KvDurability;
  /** Relaxed commits become durable this long after the first one not yet durable. Default 50 ms. */
  flushMs?: number;
  /** Latency of get, put, delete and keys inside a transaction. Default 10. */
  opUs?: number;
  /** Latency of a relaxed (or readonly) commit. Default 50. */
  commitUs?: number;
  /** Latency of a strict commit (it flushes). Default 500. */
  strictCommitUs?: number;
  /** Relative jitter of every latency, in [0, 1). Default 0.2. */
  jitter?: number;
  /** Most unfinished transactions at once; beyond it `transaction` rejects with ESTATE. Default 10,000. */
  queueMax?: number;
}

/** A validated KvSpec. */
export type QualifiedKvSpec = Required<KvSpec>;

const DEFAULTS: QualifiedKvSpec = {
  durability: 'strict',
  flushMs: 50,
  opUs: 10,
  commitUs: 50,
  strictCommitUs: 500,
  jitter: 0.2,
  queueMax: 10_000,
};

/** A setting of a kv store is malformed; the message names the field. */
export class KvSpecError extends Error {
  override name = 'KvSpecError';
}

/** Validates `spec` and fills in defaults; throws KvSpecError naming the bad field. */
export function qualifyKvSpec(device: string, spec: KvSpec): QualifiedKvSpec {
  const out = { ...DEFAULTS };
  for (const key of Object.keys(spec) as (keyof KvSpec)[]) {
    if (!(key in DEFAULTS)) throw new KvSpecError(`kv '${device}': unknown field ${key}`);
  }
  const d = spec.durability ?? out.durability;
  if (d !== 'strict' && d !== 'relaxed') {
    throw new KvSpecError(`kv '${device}': durability must be 'strict' or 'relaxed', got '${String(d)}'`);
  }
  out.durability = d;
  for (const key of ['flushMs', 'opUs', 'commitUs', 'strictCommitUs', 'jitter'] as const) {
    const v = spec[key] ?? out[key];
    if (typeof v !== 'number' || !(v >= 0) || v === Infinity) {
      throw new KvSpecError(`kv '${device}': ${key} must be a finite number >= 0, got ${String(v)}`);
    }
    out[key] = v;
  }
  if (out.jitter >= 1) throw new KvSpecError(`kv '${device}': jitter must be < 1, got ${out.jitter}`);
  const q = spec.queueMax ?? out.queueMax;
  if (!Number.isInteger(q) || q <= 0) throw new KvSpecError(`kv '${device}': queueMax must be a positive integer, got ${String(q)}`);
  out.queueMax = q;
  return out;
}
