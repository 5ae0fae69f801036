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

const WIN = 'invariant:operator-writes-win';

/**
 * invariant:operator-writes-win: an operator's write supersedes every value the server's log held for its
 * cell. The server writes with full knowledge of its database (its own log, folded), so each row it logs
 * for the operator must carry a column version above every earlier entry of that cell in the durable log:
 * otherwise the merge rule (higher column version, then higher site id) can keep the old value, and the
 * operator's write is lost on every side at once (clients and server still agree). A stale version
 * (`colVersion` not bumped) passed every scenario before this check.
 *
 * Evidence: the server's durable log as the simulator's image holds it (`fact.cs.server`): the entries of
 * the lineage in the header (`site`), in log order; the operator's entries are those of the server's own
 * site (clients log theirs under their own site ids). A new lineage (a rebuilt server) starts over; a loss
 * (entries removed without a new lineage) keeps the surviving prefix (seq <= head).
 */
export function operatorWritesWinCheck(): TraceCheck {
  return {
    name: WIN,
    onTrace: true,
    covers: [WIN],
    setup(ctx) {
      interface Log {
        site: string | null;
        /** The durable entries by seq: [seq, site, dbVersion, table, pk, col, value, colVersion]. */
        entries: Map<number, unknown[]>;
        /** Highest seq folded into `top` (entries after it are folded on the next fact). */
        folded: number;
        /** Cell -> the highest column version among the folded entries. */
        top: Map<string, number>;
      }
      const logs = new Map<string, Log>(); // device -> its log
      const key = (e: unknown[]): string => `${String(e[3])}\u0000${String(e[4])}\u0000${String(e[5])}`;
      ctx.trace.on('fact.cs.server', (r) => {
        const device = r.data.device as string;
        const site = r.data.site as string | null;
        const head = r.data.head as number | null;
        const added = r.data.added as unknown[][];
        const removed = r.data.removed as number;
        let log = logs.get(device);
        if (log === undefined || log.site !== site) {
          log = { site, entries: new Map(), folded: 0, top: new Map() };
          logs.set(device, log);
        }
        let refold = false;
        if (removed > 0) {
          for (const seq of log.entries.keys()) if (head === null || seq > head) log.entries.delete(seq);
          refold = true;
        }
        for (const e of added) {
          const seq = e[0] as number;
          if (seq <= log.folded) refold = true; // a rewrite of an entry already folded
          log.entries.set(seq, e);
        }
        // Appends add entries past the folded prefix in log order: fold just those. A loss, a rewrite or
        // entries out of order (rare) fold the whole surviving log again.
        if (!added.every((e, i) => i === 0 || (e[0] as number) > (added[i - 1]![0] as number))) refold = true;
        if (refold) {
          log.folded = 0;
          log.top.clear();
        }
        const next = refold ? [...log.entries.values()].sort((a, b) => (a[0] as number) - (b[0] as number)) : added;
        for (const e of next) {
          const seq = e[0] as number;
          if (seq <= log.folded) continue;
          const k = key(e);
          const v = e[7] as number;
          const before = log.top.get(k);
          if (e[1] === site && site !== null && before !== undefined) {
            // Judged only when it overwrites: the first write of a cell supersedes nothing.
            ctx.exercised(WIN);
            if (v <= before) {
              ctx.fail(
                'correctness',
                WIN,
                `the server logged its operator's write of ${String(e[3])}/${String(e[4])}/${String(e[5])} = ${JSON.stringify(e[6])} at seq ${seq} with column version ${v}, not above the ${before} an earlier entry of that cell holds in its durable log: the merge can keep the old value (trace #${r.i})`,
              );
              return;
            }
          }
          if (before === undefined || v > before) log.top.set(k, v);
          log.folded = seq;
        }
      });
    },
  };
}
