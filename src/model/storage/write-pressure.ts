/**
 * invariant:dirty-limits-honest and invariant:autosync-keeps-up: what the store says about its dirty data
 * (backpressure, ELIMIT refusals) and whether its AutoSync manager commits it, judged from the workload's
 * own record of its writes (`Outstanding`: the storage oracle's writes not yet in a commit the durable
 * image made current; relaxed kv: the commit the simulator's visible kv image of the marker holds when the
 * store reports one), never from the dirty counts or metrics the store reports about itself.
 *
 * - dirty-limits-honest: an honest store holds each outstanding block at most twice (buffered, and in a
 *   commit in flight), so its dirty bytes are at most 2 x outstanding blocks x blockSize, plus the blocks of
 *   the last commit that took effect until the next commit begins (`settlingBlocks`: the store releases
 *   them when its commit call returns, which may be after the marker, e.g. the file backend's data fsyncs
 *   with syncFirst false). A write refused with ELIMIT, or answered `backpressure: true`, when even that
 *   bound is within the limit, is a false signal: a dirty-byte counter that leaks (not released after a
 *   commit) refuses writes for good.
 * - autosync-keeps-up: with AutoSync (interval I), a write made while the store is up is in a durable commit
 *   within 2 I + slack, in a scenario whose faults fail at most one commit at a time: a manager that stops
 *   committing (its timer not re-armed, or a flag left set after a failed commit) leaves data at risk without
 *   any error. Only scenarios that pass a bound judge it (the swarms fail commits for long spells).
 */
import type { ScenarioContext } from '../../scenario/types.ts';

export const DIRTY_LIMITS_HONEST = 'invariant:dirty-limits-honest';
export const AUTOSYNC_KEEPS_UP = 'invariant:autosync-keeps-up';

/** The workload's writes of one node not yet in a commit that took effect. */
export interface Outstanding {
  /** Distinct block ids among them. */
  blocks: number;
  /** When the oldest of them was made (ms), null when there is none. */
  oldestMs: number | null;
  /** Distinct blocks of the last commit that took effect, until the next commit begins (0 when none). */
  settlingBlocks: number;
}

/** The limits a scenario opened its store with. */
export interface DirtyLimits {
  blockSize: number;
  backpressureBytes: number;
  maxDirtyBytes: number;
}

type Ctx = Pick<ScenarioContext, 'fail' | 'exercised' | 'nowMs'>;

/**
 * Judges the store's answer to a write of one block on `node`: `before` is what was outstanding before the
 * write (a refused write adds nothing), `after` with it.
 */
export function judgeWriteAnswer(ctx: Ctx, node: string, limits: DirtyLimits, answer: 'refused' | 'backpressure' | 'accepted', before: Outstanding, after: Outstanding): void {
  ctx.exercised(DIRTY_LIMITS_HONEST);
  const bs = limits.blockSize;
  /** At most what an honest store holds dirty: every outstanding block twice, and the last commit's blocks until the next begins. */
  const most = (o: Outstanding): number => (2 * o.blocks + o.settlingBlocks) * bs;
  const settling = (o: Outstanding): string => (o.settlingBlocks === 0 ? '' : `, and ${o.settlingBlocks} blocks of the last commit possibly not released yet`);
  if (answer === 'refused' && most(before) + bs <= limits.maxDirtyBytes) {
    ctx.fail('correctness', DIRTY_LIMITS_HONEST, `${node}: a write was refused with ELIMIT (maxDirtyBytes ${limits.maxDirtyBytes}), but the workload has only ${before.blocks} blocks outstanding (at most ${most(before)} dirty bytes with a commit in flight${settling(before)})`, {
      outstanding: before.blocks,
    });
  } else if (answer === 'backpressure' && most(after) <= limits.backpressureBytes) {
    ctx.fail('correctness', DIRTY_LIMITS_HONEST, `${node}: a write answered backpressure (backpressureBytes ${limits.backpressureBytes}), but the workload has only ${after.blocks} blocks outstanding (at most ${most(after)} dirty bytes with a commit in flight${settling(after)})`, {
      outstanding: after.blocks,
    });
  }
}

/** Judges, now, that `node`'s AutoSync committed its outstanding writes within `boundMs`. */
export function judgeAutosync(ctx: Ctx, node: string, o: Outstanding, boundMs: number): void {
  ctx.exercised(AUTOSYNC_KEEPS_UP);
  if (o.oldestMs === null) return;
  const age = ctx.nowMs() - o.oldestMs;
  if (age <= boundMs) return;
  ctx.fail('correctness', AUTOSYNC_KEEPS_UP, `${node}: a write made at ${o.oldestMs.toFixed(1)} ms is still in no commit ${age.toFixed(1)} ms later (AutoSync bound ${boundMs} ms): background commits stopped`, {
    oldestMs: o.oldestMs,
    boundMs,
  });
}

export const READ_YOUR_WRITES = 'invariant:read-your-writes';

/**
 * invariant:read-your-writes — a read without `committedOnly` returns this instance's latest write of the
 * block, committed or not (docs/storage.md, Semantics): `want` is the workload's own latest write (the
 * oracle's record; null: deallocated or never written), `got` what the read returned (an Error: no verdict).
 */
export function judgeOwnRead(ctx: Ctx, node: string, id: number, want: Uint8Array | null, got: Uint8Array | null | Error): void {
  if (got instanceof Error) return;
  ctx.exercised(READ_YOUR_WRITES);
  const same = want === null || got === null ? want === got : want.length === got.length && want.every((b, i) => b === got[i]);
  if (!same) {
    ctx.fail('correctness', READ_YOUR_WRITES, `${node}: a read of block ${id} returned ${got === null ? 'nothing' : 'other bytes'} instead of this instance's latest write to it${want === null ? ' (none: deallocated)' : ''}`, { id });
  }
}
