/**
 * invariant:read-fails-for-cause — a committed read answers ECHECKSUM only when the bytes really failed:
 * the store promises "never unverified data: a checksum mismatch that persists throws ECHECKSUM"
 * (src/impl/storage/store.ts), so one flipped read (bit rot on the way, the medium intact) is read again,
 * not reported as damage. Judged from the simulator's records only: its read faults (`disk.fault` with
 * action `bitflip`, per node and block file `blocks/<id>.<v>`) and its damage at rest (`disk.corrupt`, and
 * `kv.corrupt` of a block key `<id>.<v>`).
 *
 * A committed read of block `id` that failed with ECHECKSUM fails the check when no version of `id` was
 * ever damaged at rest and
 *   - exactly one read of `id`'s files was flipped while the read ran (a store that reads twice saw two
 *     bad reads or none of its failure; one means it gave up after the first), or
 *   - no read of `id`'s files was flipped since its node last started (nothing the recovery or the read
 *     could have seen: the block was intact on the medium and on the way).
 * Other errors (EIO and the like, injected) and reads that returned bytes are judged elsewhere
 * (invariant:read-returns-committed-data). The simulated kv store never flips a read: there an ECHECKSUM
 * needs damage at rest.
 */
import type { ScenarioContext } from '../../scenario/types.ts';

export const READ_FAILS_FOR_CAUSE = 'invariant:read-fails-for-cause';

const KEY = 'storage.read-causes';

/** Flipped reads and damage at rest, per block id, from the simulator's records. */
class ReadCauses {
  /** `<node>|<id>` -> flipped reads of that block's files since the run began. */
  readonly flips = new Map<string, number>();
  /** `<node>|<id>` -> the flip count when the node last started. */
  readonly atStart = new Map<string, number>();
  /** Node -> its last start (µs). */
  readonly started = new Map<string, number>();
  /** Block ids a version of which was damaged at rest (any device: lenient). */
  readonly damaged = new Set<number>();

  count(node: string, id: number): number {
    return this.flips.get(`${node}|${id}`) ?? 0;
  }
}

const BLOCK_FILE = /\/blocks\/(\d+)\.\d+$/;

/**
 * The run's read causes, subscribing to the simulator's records on first use (call it from a check's
 * setup). Shared through `runState` when the context has one (a live check); a trace check gets its own.
 */
export function readCauses(ctx: { trace: Pick<ScenarioContext['trace'], 'on'>; runState?: ScenarioContext['runState'] }): ReadCauses {
  let c = ctx.runState?.get(KEY) as ReadCauses | undefined;
  if (c !== undefined) return c;
  const causes = (c = new ReadCauses());
  ctx.runState?.set(KEY, causes);
  ctx.trace.on('disk.fault', (r) => {
    if (r.data.action !== 'bitflip') return;
    const m = BLOCK_FILE.exec(String(r.data.path));
    if (m === null) return;
    const k = `${r.node}|${Number(m[1])}`;
    causes.flips.set(k, (causes.flips.get(k) ?? 0) + 1);
  });
  ctx.trace.on('disk.corrupt', (r) => {
    const m = BLOCK_FILE.exec(String(r.data.path));
    if (m !== null) causes.damaged.add(Number(m[1]));
  });
  ctx.trace.on('kv.corrupt', (r) => {
    const m = /^(\d+)\.\d+$/.exec(String(r.data.key));
    if (m !== null) causes.damaged.add(Number(m[1]));
  });
  ctx.trace.on('node.start', (r) => {
    const node = String(r.node);
    for (const k of causes.flips.keys()) if (k.startsWith(`${node}|`)) causes.atStart.set(k, causes.flips.get(k)!);
    causes.started.set(node, r.t);
  });
  return causes;
}

/**
 * Judges a committed read of block `id` on `node` that failed with `error`; `flipsBefore` is
 * `readCauses(ctx).count(node, id)` taken when the read started.
 */
export function judgeFailedRead(ctx: ScenarioContext, node: string, id: number, flipsBefore: number, error: Error): void {
  if ((error as { code?: unknown }).code !== 'ECHECKSUM') return;
  const causes = readCauses(ctx);
  ctx.exercised(READ_FAILS_FOR_CAUSE);
  if (causes.damaged.has(id)) return;
  const now = causes.count(node, id);
  const during = now - flipsBefore;
  const sinceStart = now - (causes.atStart.get(`${node}|${id}`) ?? 0);
  if (during === 1) {
    return ctx.fail('correctness', READ_FAILS_FOR_CAUSE, `${node}: a committed read of block ${id} failed with ECHECKSUM after one flipped read of its file (the medium intact, no damage at rest): a mismatch that did not persist was reported as damage`, { id });
  }
  if (sinceStart === 0) {
    return ctx.fail('correctness', READ_FAILS_FOR_CAUSE, `${node}: a committed read of block ${id} failed with ECHECKSUM although no read of its files was flipped since ${node} started and no version of it was damaged at rest`, { id });
  }
}
