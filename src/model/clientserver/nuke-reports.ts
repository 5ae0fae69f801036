/**
 * invariant:nuke-reports (the seed's promise 6) — Nuke and Resync loses no local change without reporting
 * it, and reports nothing the server took. Evidence: cs-truth.ts (fact.cs.client: the durable site id that
 * a wipe replaces, the local change log, the durable `acked`, the `unsaved` keys each commit stores and
 * deletes; fact.cs.server: the server's durable log of each lineage).
 *
 * When a client's durable site id changes (a wipe), for each local change of the old site:
 * - not in the server's durable log (of the lineage the client remembered) -> it must be kept (durable
 *   `unsaved`): otherwise it was lost silently;
 * - in that log and acknowledged (at or below the durable `acked` the client had recorded) -> it must not be
 *   newly kept: the user would be told a saved change was not saved (a Nuke that did not push first,
 *   or exported what the server already had). A change stored but not acknowledged to the client (its ACK
 *   lost) may be kept: the client cannot know the server has it.
 * And whenever a commit deletes a kept (`unsaved`) change, the current server's durable log must hold it:
 * a later wipe, or any other code, must not drop what the user was told is unsaved.
 */
import type { TraceCheck } from '../check.ts';
import { truthOf } from './cs-truth.ts';

const list = (vs: readonly (number | string)[]): string => vs.slice(0, 5).join(', ') + (vs.length > 5 ? ', ...' : '');

/** (6) A Nuke and Resync keeps exactly the local changes the server did not take; kept ones stay kept. */
export function nukeReportsCheck(clients: readonly string[]): TraceCheck {
  const name = 'invariant:nuke-reports';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const truth = truthOf(ctx, clients);
      truth.on('fact.cs.client', (r, c) => {
        if (c === null) return;
        const dropped = c.unsavedRemoved.filter((k) => {
          const slash = k.lastIndexOf('/');
          return !truth.stored(k.slice(0, slash), Number(k.slice(slash + 1)));
        });
        if (c.unsavedRemoved.length > 0) ctx.exercised(name);
        if (dropped.length > 0) {
          ctx.fail('correctness', name, `${c.id} deleted ${dropped.length} kept (unsaved) change(s) the server's durable log does not hold (${list(dropped)}): the user was told they were not saved, and now they are gone (trace #${r.i})`);
          return;
        }
        if (c.wiped === null) return;
        const { site, lineage, local, acked } = c.wiped;
        ctx.exercised(name);
        const added = new Set(c.unsavedAdded);
        const lost = local.filter((v) => !truth.stored(site, v, lineage) && !c.unsaved.has(`${site}/${v}`));
        if (lost.length > 0) {
          ctx.fail('correctness', name, `${c.id}'s Nuke and Resync wiped ${lost.length} local change(s) the server never stored (v${list(lost)}) without keeping them (durable unsaved) (trace #${r.i})`);
          return;
        }
        const saved = local.filter((v) => v <= acked && truth.stored(site, v, lineage) && added.has(`${site}/${v}`));
        if (saved.length > 0) {
          ctx.fail('correctness', name, `${c.id}'s Nuke and Resync reported ${saved.length} change(s) as unsaved (v${list(saved)}) that the server's durable log holds and had acknowledged (durable acked ${acked}) (trace #${r.i})`);
        }
      });
    },
  };
}
