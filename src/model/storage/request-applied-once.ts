/**
 * invariant:request-applied-once — a commit carrying request ids applies a request at most once (kv
 * backend, docs/storage.md "Request ids"): a commit carrying any id an earlier commit applied must be
 * refused with EAPPLIED naming such an id and the commit that applied it (whatever else it carries, in
 * whatever order), a commit whose ids are all new must apply, and the durable request records must name,
 * for each id, the commit the workload was told applied it (an id never applied: no record).
 *
 * Judged from the workload's own record of its commits and their answers (`RequestLedger`) and the kv
 * store's durable image of `<root>:requests`, read by the scenario with the simulator's durable snapshot,
 * never through the store. A live check (the ledger is in the workload's memory); the scenario passes its
 * accessor (scenarios/storage/request-retries.ts).
 *
 * An attempt with no known outcome (an injected fault failed it, or no answer came) may have applied its
 * ids by a commit the workload was never told: a later EAPPLIED naming one of them is taken as that
 * commit, a later commit applying one of them as meaning it did not (its durable record must then name
 * that later commit), and until then a durable record of such an id may name any commit or none.
 */
import type { Check, ScenarioContext } from '../../scenario/types.ts';

export const REQUEST_APPLIED_ONCE = 'invariant:request-applied-once';

/** One commit the workload made with request ids, and what it was answered. */
export interface RequestAttempt {
  ids: readonly string[];
  /** ok: applied by `commit`; applied: EAPPLIED naming `id` applied by `commit`; error: anything else; null: no answer yet. */
  outcome: { kind: 'ok'; commit: number } | { kind: 'applied'; id: string; commit: number } | { kind: 'error'; code: string } | null;
}

/** The workload's record, in call order, and the durable request records read at the end (null: not read). */
export interface RequestLedger {
  readonly attempts: readonly RequestAttempt[];
  /** Request id -> the commit its durable record names. */
  readonly durable: ReadonlyMap<string, number> | null;
}

/** The check over the ledger `ledgerOf(ctx)` returns. */
export function requestAppliedOnce(ledgerOf: (ctx: ScenarioContext) => RequestLedger): Check {
  return {
    name: REQUEST_APPLIED_ONCE,
    covers: [REQUEST_APPLIED_ONCE],
    final(ctx) {
      const l = ledgerOf(ctx);
      /** Request id -> the commit the workload was told applied it. */
      const applied = new Map<string, number>();
      /** Ids of attempts with no known outcome (an injected fault, no answer): applied by some commit, or not. */
      const maybe = new Set<string>();
      for (const a of l.attempts) {
        const o = a.outcome;
        if (o === null || o.kind === 'error') {
          for (const id of a.ids) if (!applied.has(id)) maybe.add(id);
          continue;
        }
        ctx.exercised(REQUEST_APPLIED_ONCE);
        const earlier = a.ids.filter((id) => applied.has(id));
        if (o.kind === 'ok') {
          if (earlier.length > 0) {
            return ctx.fail('correctness', REQUEST_APPLIED_ONCE, `a commit carrying [${a.ids.join(', ')}] applied as commit ${o.commit}, but ${earlier.map((id) => `'${id}' was applied by commit ${applied.get(id)}`).join(', ')}: a retried request applied twice`);
          }
          // An id only possibly applied before: that attempt did not apply after all (or the durable record, below, says otherwise).
          for (const id of a.ids) {
            applied.set(id, o.commit);
            maybe.delete(id);
          }
        } else if (a.ids.includes(o.id) && !applied.has(o.id) && maybe.has(o.id)) {
          // The attempt whose answer was lost applied it: now the workload knows by which commit.
          applied.set(o.id, o.commit);
          maybe.delete(o.id);
        } else if (applied.get(o.id) !== o.commit || !a.ids.includes(o.id)) {
          return ctx.fail('correctness', REQUEST_APPLIED_ONCE, `a commit carrying [${a.ids.join(', ')}] was refused as '${o.id}' applied by commit ${o.commit}, but the workload's record has ${applied.has(o.id) ? `commit ${applied.get(o.id)}` : 'it never applied'}`);
        }
      }
      if (l.durable === null) return;
      for (const [id, commit] of applied) {
        if (l.durable.get(id) !== commit) {
          return ctx.fail('correctness', REQUEST_APPLIED_ONCE, `the durable record of request '${id}' names ${l.durable.has(id) ? `commit ${l.durable.get(id)}` : 'nothing'}, but commit ${commit} applied it`);
        }
      }
      for (const [id, commit] of l.durable) {
        if (!applied.has(id) && !maybe.has(id)) return ctx.fail('correctness', REQUEST_APPLIED_ONCE, `a durable record names request '${id}' applied by commit ${commit}, but no commit the workload was answered applied it`);
      }
    },
  };
}
