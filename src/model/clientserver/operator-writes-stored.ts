/**
 * invariant:operator-writes-stored: a write the server's operator made (`ServerHandle.exec`, the seed's
 * "records the server adds itself") and was told succeeded is in the server's durable log. Every other
 * check compares the clients with the server: a server that answers `exec` without storing the rows (or
 * stores other values) leaves both sides agreeing on nothing, and passed every scenario (found by the
 * client-server mutation score of 2026-12-07 evening: `exec` emptied).
 *
 * Evidence: the workload's own record of each successful `exec` (`workload.server-exec {node, rows}`,
 * rows `[table, pk, col, value]`, emitted when the call resolved) against the server's durable log as the
 * simulator's image holds it (`fact.cs.server` added: `[seq, site, dbVersion, table, pk, col, value,
 * colVersion]`, any lineage). Judged when the success is recorded: the call resolves after its commit, and
 * the log's fact comes with the commit.
 */
import type { TraceCheck } from '../check.ts';

const NAME = 'invariant:operator-writes-stored';

/** The check (one per scenario). */
export function operatorWritesStoredCheck(): TraceCheck {
  return {
    name: NAME,
    onTrace: true,
    covers: [NAME],
    setup(ctx) {
      /** `table \0 pk \0 col \0 value` of every entry the server's log ever made durable (up to `unread`). */
      const durable = new Set<string>();
      /**
       * The `added` lists of the facts not yet taken into `durable`: the set is only read when an operator
       * write is judged (a few times a run, while every server commit brings a fact), so the entries are
       * keyed when one is, all of them in fact order: the same set at every judgement (facts' data is
       * immutable), without keying the entries that come after the last write (most of a run's).
       */
      let unread: unknown[][][] = [];
      const cell = (table: unknown, pk: unknown, col: unknown, value: unknown): string => `${String(table)}\u0000${String(pk)}\u0000${String(col)}\u0000${value === null ? '\u0001' : String(value)}`;
      ctx.trace.on('fact.cs.server', (r) => void unread.push(r.data.added as unknown[][]));
      ctx.trace.on('workload.server-exec', (r) => {
        for (const added of unread) for (const a of added) durable.add(cell(a[3], a[4], a[5], a[6]));
        unread = [];
        const rows = r.data.rows as unknown[][];
        if (rows.length > 0) ctx.exercised(NAME);
        for (const row of rows) {
          if (durable.has(cell(row[0], row[1], row[2], row[3]))) continue;
          ctx.fail(
            'correctness',
            NAME,
            `the server's operator was told its write of ${rows.length} rows succeeded, but ${String(row[0])}/${String(row[1])}/${String(row[2])} = ${JSON.stringify(row[3])} is not in the server's durable log (trace #${r.i})`,
          );
          return;
        }
      });
    },
  };
}
