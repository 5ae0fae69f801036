/**
 * The client-server invariants (the seed's promises, issue 12), each on the simulator's ground truth
 * (truth.ts: the server's durable log, the clients' durable databases, what the network delivered), never
 * on what a client says about itself beyond the status it shows. "While green" (1, 2, 4) excludes a
 * frozen client and the first 0.5 s after it resumes (`heldGreen`): a frozen tab can change nothing.
 *
 * - invariant:green-has-server-changes (1) — while a client shows green, every server change durable for
 *   longer than `serverChangesMs` is in its durable local database (its cell is at least as new).
 * - invariant:green-pushes (2) — while a client shows green, each of its local changes reaches the server's
 *   durable log within `pushMs` of being written (or of the client turning green), or the status leaves green.
 * - invariant:pending-count (3) — at every status emission the pending count is at least the number of the
 *   client's local changes missing from the server's durable log, and exceeds it by no more than those
 *   stored but not acknowledged to this process (at least 0.5 s ago: its handler may not have run yet) and
 *   recorded in its durable database; `unsaved` equals the durable unsaved changes.
 * - invariant:incompatible-reported (4) — a client is never green more than `incompatibleMs` after the
 *   server's durable identity (site id, schema) stopped matching the one it remembers and runs.
 * - invariant:no-loss-no-dup (5) — an acknowledgement covers only changes in the server's durable log; the
 *   log holds each change once and loses none within a lineage; a durable cursor never passes a server
 *   change its database does not reflect; at the end every client's database equals the server's log.
 * - invariant:nuke-reports (6) — a Nuke and Resync keeps (durable `unsaved`) every local change the server's
 *   durable log lacks.
 * - invariant:progress — a download's progress counts the records and bytes the network delivered, from 0
 *   to the total the server's durable log holds between the client's cursor and the head, monotonically.
 */
import type { TraceCheck, TraceContext } from '../check.ts';
import type { Check } from '../../scenario/types.ts';
import { progressCheck } from './progress-check.ts';
import { ackedBefore, heldGreen, reflected, RESUME_GRACE_US, truthOf, type ClientTruth, type CsTruth } from './truth.ts';

export { progressCheck } from './progress-check.ts';

/** Bounds of the invariants, virtual ms. */
export interface CsBounds {
  /** (1) server changes older than this are local while green (the seed: "one or a few seconds"). */
  serverChangesMs: number;
  /** (2) a local write reaches the server's durable log within this while green. */
  pushMs: number;
  /** (4) green this long after the server became incompatible is a failure. */
  incompatibleMs: number;
  /** The server's device and address. */
  serverDevice: string;
  server: string;
}

const DEFAULTS = { serverChangesMs: 2_000, pushMs: 2_000, incompatibleMs: 3_000 };

/** Calls `fn` at most every `periodUs` of virtual time, on any record. */
function ticking(ctx: TraceContext, periodUs: number, fn: (nowUs: number) => void): void {
  let next = 0;
  ctx.trace.on('*', (r) => {
    if (r.t < next) return;
    next = r.t + periodUs;
    fn(r.t);
  });
}

const ms = (us: number): string => `${(us / 1000).toFixed(0)} ms`;

/** (1) While green, server changes older than the bound are local. */
export function greenServerChangesCheck(clients: readonly string[], boundMs: number): TraceCheck {
  const name = 'invariant:green-has-server-changes';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const truth = truthOf(ctx, clients);
      // Per client: entries[0..verified) are reflected in its database (cells only grow until a nuke).
      const verified = new Map<string, number>();
      let lineage = truth.serverSite;
      const check = (nowUs: number): void => {
        if (truth.serverSite !== lineage) {
          lineage = truth.serverSite;
          verified.clear();
        }
        for (const c of truth.clients.values()) {
          if (!heldGreen(c, nowUs)) continue;
          let i = verified.get(c.id) ?? 0;
          const es = truth.entries;
          while (i < es.length && reflected(c.cells.get(es[i]!.key), es[i]!.colVersion, es[i]!.site)) i++;
          verified.set(c.id, i);
          const e = es[i];
          if (e === undefined || nowUs - e.durableUs < boundMs * 1000) continue;
          ctx.exercised(name);
          ctx.fail('correctness', name, `${c.id} shows ${c.status} while the server change #${e.seq} (${e.site.slice(0, 8)} v${e.version}), durable for ${ms(nowUs - e.durableUs)}, is not in its database (bound ${boundMs} ms)`);
          return;
        }
      };
      truth.on('fact.cs.client', (_r, c) => c?.wiped && verified.delete(c.id));
      truth.on('cs.status', (r, c) => {
        if (c?.green) ctx.exercised(name);
        check(r.t);
      });
      ticking(ctx, 50_000, check);
    },
  };
}

/** (2) While green, local writes reach the server's durable log within the bound. */
export function greenPushesCheck(clients: readonly string[], boundMs: number): TraceCheck {
  const name = 'invariant:green-pushes';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const truth = truthOf(ctx, clients);
      // Per client: its versions up to this one are in the server's durable log (a client pushes in
      // version order and the server appends in arrival order, so the stored ones form a prefix).
      const floor = new Map<string, number>();
      truth.on('fact.cs.client', (_r, c) => c?.wiped && floor.delete(c.id));
      ticking(ctx, 50_000, (nowUs) => {
        for (const c of truth.clients.values()) {
          if (!heldGreen(c, nowUs) || c.site === null) continue;
          let f = floor.get(c.id) ?? 0;
          while (c.local.has(f + 1) && truth.storedFor(c, f + 1)) f++;
          floor.set(c.id, f);
          const writtenUs = c.local.get(f + 1);
          if (writtenUs === undefined) continue;
          ctx.exercised(name);
          const sinceUs = Math.max(writtenUs, c.greenSinceUs ?? nowUs, c.resumedUs + RESUME_GRACE_US);
          if (nowUs - sinceUs < boundMs * 1000) continue;
          ctx.fail('correctness', name, `${c.id} has shown ${c.status} for ${ms(nowUs - sinceUs)} while its local change v${f + 1} is not in the server's durable log (bound ${boundMs} ms)`);
          return;
        }
      });
    },
  };
}

/**
 * How long a client may take to take in an acknowledgement the network delivered (its handler runs after
 * the message's earlier ones, each a kv commit): until then the change may still count as pending.
 */
const ACK_GRACE_US = 500_000;

/**
 * Local versions of a client missing from the server's durable log, and those stored but not acknowledged
 * to it (or acknowledged less than ACK_GRACE_US ago, or acknowledged but not recorded in its durable
 * database: a failed commit of the ACK leaves it pending, which over-reports on the safe side).
 */
function pendingTruth(truth: CsTruth, c: ClientTruth, nowUs: number): { missing: number; unacked: number } {
  const acked = Math.min(ackedBefore(c, nowUs, ACK_GRACE_US), c.durableAcked);
  const { stored, above } = truth.storedCount(c, acked);
  return { missing: c.local.size - stored, unacked: above };
}

/** (3) The pending count shown is what the server's durable log lacks (up to acknowledgements in flight). */
export function pendingCountCheck(clients: readonly string[]): TraceCheck {
  const name = 'invariant:pending-count';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const truth = truthOf(ctx, clients);
      truth.on('cs.status', (r, c) => {
        if (c === null) return;
        const shown = r.data.pending as number;
        const { missing, unacked } = pendingTruth(truth, c, r.t);
        ctx.exercised(name);
        if (shown < missing) {
          ctx.fail('correctness', name, `${c.id} shows ${c.status} with ${shown} pending, but ${missing} of its local changes are not in the server's durable log (trace #${r.i})`);
        } else if (shown > missing + unacked) {
          ctx.fail('correctness', name, `${c.id} shows ${shown} pending, but only ${missing} of its changes are missing from the server's durable log and ${unacked} more await an acknowledgement (trace #${r.i})`);
        } else if (r.data.unsaved !== c.unsaved.size) {
          ctx.fail('correctness', name, `${c.id} shows ${String(r.data.unsaved)} unsaved changes, its durable database keeps ${c.unsaved.size} (trace #${r.i})`);
        }
      });
    },
  };
}

/** (4) Never green once the server became incompatible for longer than the bound. */
export function incompatibleCheck(clients: readonly string[], boundMs: number): TraceCheck {
  const name = 'invariant:incompatible-reported';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const truth = truthOf(ctx, clients);
      // Client -> since when (µs) the server's durable identity does not match it.
      const since = new Map<string, number>();
      const update = (nowUs: number): void => {
        for (const c of truth.clients.values()) {
          const bad = c.remembered !== null && truth.serverSite !== null && (truth.serverSite !== c.remembered || truth.serverSchema !== c.schema);
          if (!bad) since.delete(c.id);
          else if (!since.has(c.id)) since.set(c.id, nowUs);
        }
      };
      const check = (nowUs: number): void => {
        update(nowUs);
        for (const c of truth.clients.values()) {
          const s = since.get(c.id);
          if (s === undefined || !heldGreen(c, nowUs)) continue;
          ctx.exercised(name);
          if (nowUs - s < boundMs * 1000) continue;
          ctx.fail('correctness', name, `${c.id} shows ${c.status} ${ms(nowUs - s)} after the server became incompatible with it (server ${truth.serverSite?.slice(0, 8)} schema ${String(truth.serverSchema)}; it remembers ${c.remembered?.slice(0, 8)}, runs schema ${c.schema}; bound ${boundMs} ms)`);
          return;
        }
      };
      truth.on('fact.cs.server', (r) => update(r.t));
      truth.on('fact.cs.client', (r) => update(r.t));
      truth.on('cs.client.start', (r) => update(r.t));
      ticking(ctx, 50_000, check);
    },
  };
}

/** (5) Nothing acknowledged is lost or applied twice; cursors follow what was applied; replicas end equal. */
export function noLossCheck(clients: readonly string[]): TraceCheck {
  const name = 'invariant:no-loss-no-dup';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const truth = truthOf(ctx, clients);
      let head = 0;
      let site: string | null = null;
      const seen = new Set<string>();
      ctx.trace.on('fact.cs.server', (r) => {
        const d = r.data;
        if (d.site !== site) {
          site = d.site as string | null;
          head = 0;
          seen.clear();
        } else if ((d.removed as number) > 0) {
          ctx.fail('correctness', name, `the server's durable log lost ${String(d.removed)} entries without a rebuild (same site id) (trace #${r.i})`);
        }
        for (const [seq, s, v] of d.added as [number, string, number][]) {
          ctx.exercised(name);
          if (seq !== head + 1) ctx.fail('correctness', name, `the server's durable log appended #${seq} after #${head} (trace #${r.i})`);
          head = seq;
          if (seen.has(`${s}/${v}`)) ctx.fail('correctness', name, `the server's durable log holds ${s.slice(0, 8)} v${v} twice (trace #${r.i})`);
          seen.add(`${s}/${v}`);
        }
      });
      // Per client: its local versions up to this one were found stored at an earlier acknowledgement
      // (stored entries of a lineage stay), so each acknowledgement checks only the versions above it.
      const verified = new Map<string, { key: string; upTo: number }>();
      const acked = (r: { i: number }, c: ClientTruth | null, upTo: number): void => {
        if (c === null || c.site === null) return;
        const key = `${c.site}|${c.remembered ?? truth.serverSite}`;
        let from = verified.get(c.id)?.key === key ? verified.get(c.id)!.upTo : 0;
        for (let v = from + 1; v <= upTo; v++) {
          if (c.local.has(v) && !truth.storedFor(c, v)) {
            ctx.fail('correctness', name, `${c.id} was told the server holds its changes up to v${upTo}, but v${v} is not in the server's durable log (trace #${r.i})`);
            return;
          }
          from = v;
        }
        verified.set(c.id, { key, upTo: Math.max(from, verified.get(c.id)?.key === key ? verified.get(c.id)!.upTo : 0) });
      };
      truth.on('fact.cs.welcome', (r, c) => acked(r, c, r.data.acked as number));
      truth.on('fact.cs.ack', (r, c) => acked(r, c, r.data.upTo as number));
      // A durable cursor at seq n: every server entry up to n is reflected in the database (same commit).
      const upTo = new Map<string, number>();
      truth.on('fact.cs.client', (r, c) => {
        if (c === null) return;
        if (c.wiped !== null) upTo.delete(c.id);
        if (c.remembered !== truth.serverSite) return;
        let i = upTo.get(c.id) ?? 0;
        for (; i < truth.entries.length && truth.entries[i]!.seq <= c.cursor; i++) {
          const e = truth.entries[i]!;
          ctx.exercised(name);
          if (!reflected(c.cells.get(e.key), e.colVersion, e.site)) {
            ctx.fail('correctness', name, `${c.id}'s durable cursor is at #${c.cursor}, but the server change #${e.seq} is not in its durable database (trace #${r.i})`);
            return;
          }
        }
        upTo.set(c.id, i);
      });
    },
    final(ctx) {
      const truth = truthOf(ctx, clients);
      const want = new Map<string, { value: string | null; colVersion: number; site: string }>();
      for (const e of truth.entries) if (!reflected(want.get(e.key), e.colVersion, e.site)) want.set(e.key, { value: e.value, colVersion: e.colVersion, site: e.site });
      for (const c of truth.clients.values()) {
        if (!c.up || c.remembered !== truth.serverSite) continue;
        ctx.exercised(name);
        for (const [k, w] of want) {
          const got = c.cells.get(k);
          if (got?.value !== w.value || got.colVersion !== w.colVersion || got.site !== w.site) {
            ctx.fail('correctness', name, `at the end ${c.id}'s durable cell ${k.replaceAll('\u0000', '/')} is ${JSON.stringify(got ?? null)}, the server's log folds to ${JSON.stringify(w)}`);
            return;
          }
        }
        if (c.cells.size !== want.size) ctx.fail('correctness', name, `at the end ${c.id} holds ${c.cells.size} cells, the server's log folds to ${want.size}`);
      }
    },
  };
}

/** (6) A Nuke and Resync keeps every local change the server's durable log lacks. */
export function nukeReportsCheck(clients: readonly string[]): TraceCheck {
  const name = 'invariant:nuke-reports';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const truth = truthOf(ctx, clients);
      truth.on('fact.cs.client', (r, c) => {
        if (c?.wiped == null) return;
        const { site, lineage, local } = c.wiped;
        ctx.exercised(name);
        const lost = local.filter((v) => !truth.stored(site, v, lineage) && !c.unsaved.has(`${site}/${v}`));
        if (lost.length > 0) {
          ctx.fail('correctness', name, `${c.id}'s Nuke and Resync wiped ${lost.length} local change(s) the server never stored (v${lost.slice(0, 5).join(', v')}) without keeping them (durable unsaved) (trace #${r.i})`);
        }
      });
    },
  };
}

/** Every client-server invariant for a scenario over `clients`. */
export function csChecks(clients: readonly string[], bounds: Partial<CsBounds> & Pick<CsBounds, 'serverDevice' | 'server'>): Check[] {
  const b = { ...DEFAULTS, ...bounds };
  return [
    greenServerChangesCheck(clients, b.serverChangesMs),
    greenPushesCheck(clients, b.pushMs),
    pendingCountCheck(clients),
    incompatibleCheck(clients, b.incompatibleMs),
    noLossCheck(clients),
    nukeReportsCheck(clients),
    progressCheck(clients),
  ];
}
