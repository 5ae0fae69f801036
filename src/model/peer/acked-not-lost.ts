/**
 * invariant:acked-not-lost and invariant:no-resurrection (one live check: both read the same ledger) — at
 * the end, every acknowledged write (the workload's record, `ackedWrites` in peer-view.ts) is held by every
 * device (same or newer version), and every acknowledged delete is a tombstone everywhere. Reads each
 * node's public handle (`PeerView`): a live check, not run on a recorded trace.
 */
import type { TraceContext } from '../check.ts';
import type { Check, ScenarioContext } from '../../scenario/types.ts';
import { ackedWrites, heldAcked, type PeerView } from './peer-view.ts';

/** At the end, every acknowledged write and delete is held by every node. */
export function ackedWritesCheck(nodes: readonly string[]): Check {
  const name = 'invariant:acked-not-lost';
  /** This run's deliveries: writer|resource|receiver -> HLC ranges [lo, hi] of that writer's records (per run: in ctx.runState). */
  const reachedOf = (ctx: TraceContext): Map<string, [string, string][]> => {
    let m = ctx.runState.get(name) as Map<string, [string, string][]> | undefined;
    if (m === undefined) ctx.runState.set(name, (m = new Map()));
    return m;
  };
  return {
    name,
    covers: [name, 'invariant:no-resurrection'],
    setup(ctx) {
      const reached = reachedOf(ctx);
      const note = (writer: unknown, resource: unknown, to: unknown, lo: unknown, hi: unknown): void => {
        if (typeof writer !== 'string' || typeof hi !== 'string') return;
        const key = `${writer}|${String(resource)}|${String(to)}`;
        let list = reached.get(key);
        if (list === undefined) reached.set(key, (list = []));
        list.push([typeof lo === 'string' ? lo : '', hi]);
      };
      // Live changes carry their sender's own records; catch-up and relay responses name their writer.
      ctx.trace.on('fact.peer.change', (r) => note(r.data.from, r.data.resource, r.data.to, r.data.minTs, r.data.maxTs));
      ctx.trace.on('fact.peer.response', (r) => {
        if (r.data.writer !== null) note(r.data.writer, r.data.resource, r.data.to, r.data.since, r.data.maxTs);
      });
    },
    final(ctx: ScenarioContext) {
      const reached = reachedOf(ctx);
      /** True when the network delivered `w` (its writer's record at its HLC) to device `to`. */
      const delivered = (w: { node: string; resource: string; hlc: string }, to: string): boolean =>
        (reached.get(`${w.node}|${w.resource}|${to}`) ?? []).some(([lo, hi]) => lo <= w.hlc && w.hlc <= hi);
      const up = nodes.filter((id) => ctx.handle<PeerView>(id) !== null);
      // A write whose writer is down at the end (a scenario may leave it down) and that the network never
      // delivered to a device that is up is not lost: it is durable on its writer. Every other one must be
      // on every device that is up.
      const due = ackedWrites(ctx).filter((w) => ctx.handle(w.node) !== null || up.some((d) => delivered(w, d)));
      for (const id of up) {
        const h = ctx.handle<PeerView>(id)!;
        ctx.exercised(name, due.length);
        // (An index, not for-of: this runs once per run, mostly unoptimized, for every write and device.)
        for (let i = 0; i < due.length; i++) {
          const w = due[i]!;
          if (w.deleted) ctx.exercised('invariant:no-resurrection');
          const issue = heldAcked(w, h.get(w.resource, w.uuid));
          if (issue !== null) {
            ctx.fail('correctness', w.deleted ? 'invariant:no-resurrection' : name, `${id}: acknowledged ${issue}`);
            return;
          }
        }
      }
    },
  };
}
