/**
 * invariant:resend-interval — a device resends its shared changes only as often as the protocol says: a
 * peer that leaves the chain head unacknowledged for `ackTimeoutMs` gets the unacknowledged changes again
 * (docs/peer-sync.md, Links). Judged on what the network delivered (`fact.peer.change`, shared, with its
 * send time), the sender's true monotonic clock (`fact.clock`: the simulator's reading, drift included) and
 * the scenario's `ackTimeoutMs` (the configuration, not anything the device reports):
 *
 * - a *resend* is a delivered shared change message from S to P in resource R that carries a change some
 *   message S sent P earlier (by send time) had already delivered (its smallest timestamp is at or below the
 *   newest timestamp of those): a new change has a newer HLC than every change its writer sent before,
 *   across restarts too (the clock restarts above the store's largest timestamp);
 * - a resend leaves at least `ackTimeoutMs` of the sending process's monotonic clock after that process
 *   started (a new process has seen nothing unacknowledged for longer than it has run: resending the log at
 *   once after a restart is extra traffic the protocol does not make), and at least `ackTimeoutMs` after
 *   and before every other resend of the same process to the same peer in the same resource (resending
 *   twice as often as configured is a bug nobody would see in the data).
 *
 * The monotonic clock is the one the sender's timers run on, read by the simulator, so a drifting clock
 * (its timers fire early in true time) does not fail a correct device, and wall-clock jumps do not touch it.
 * A pause only delays a resend. Messages lost with a broken connection are not delivered and not judged; a
 * resend whose first copy was lost looks like a first send, also not judged. A tolerance of 1 µs covers the
 * fractional milliseconds of the clocks.
 */
import type { TraceCheck } from '../check.ts';
import type { D } from './record-fields.ts';
import { countAtMost } from '../sorted.ts';

/** Slack on the monotonic comparison, ms (the implementation compares fractional ms with 1e-6). */
const TOLERANCE_MS = 0.001;

/** One `fact.clock` of a node: its monotonic reading at true time `t` and the rate it runs at from then. */
interface ClockSample {
  t: number;
  monotonicMs: number;
  rate: number;
}

/** Index of the last entry of sorted `ts` at or before `x` (-1: none). */
function lastAtOrBefore(ts: readonly number[], x: number): number {
  return countAtMost(ts, x) - 1;
}

/** Inserts `x` into sorted `list` and returns its index. */
function insertSorted(list: number[], x: number): number {
  const i = lastAtOrBefore(list, x) + 1;
  list.splice(i, 0, x);
  return i;
}

/** Shared changes are resent no sooner than `ackTimeoutMs` after a start or another resend (sender's monotonic clock). */
export function resendIntervalCheck(nodes: readonly string[], ackTimeoutMs: number): TraceCheck {
  const name = 'invariant:resend-interval';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const member = new Set(nodes);
      /** Per node, its clock samples in true-time order. */
      const clocks = new Map<string, { t: number[]; s: ClockSample[] }>();
      /** Per node, the true times its processes started. */
      const starts = new Map<string, number[]>();
      /**
       * `sender|peer|resource` -> delivered messages in send-time order: their send times, newest timestamps
       * and the running maximum of those (deliveries come in send order but for a rare overtaking).
       */
      const sent = new Map<string, { at: number[]; maxTs: string[]; upTo: string[] }>();
      /** `sender|start|peer|resource` -> the send times of that process's resends (sorted). */
      const resends = new Map<string, number[]>();

      ctx.trace.on('fact.clock', (r) => {
        const d = r.data as D;
        const node = d.node as string;
        if (!member.has(node)) return;
        let c = clocks.get(node);
        if (c === undefined) clocks.set(node, (c = { t: [], s: [] }));
        c.t.push(r.t);
        c.s.push({ t: r.t, monotonicMs: d.monotonicMs as number, rate: 1 + (d.driftPpm as number) / 1e6 });
      });
      ctx.trace.on('node.start', (r) => {
        if (!member.has(r.node)) return;
        let s = starts.get(r.node);
        if (s === undefined) starts.set(r.node, (s = []));
        s.push(r.t);
      });
      /** The sender's monotonic reading at true time `us`, or null when no sample covers it. */
      const monotonicAt = (node: string, us: number): number | null => {
        const c = clocks.get(node);
        const i = c === undefined ? -1 : lastAtOrBefore(c.t, us);
        if (i < 0) return null;
        const s = c!.s[i]!;
        return s.monotonicMs + ((us - s.t) / 1000) * s.rate;
      };

      ctx.trace.on('fact.peer.change', (r) => {
        const d = r.data as D;
        const from = d.from as string;
        if (d.shared !== true || !member.has(from)) return;
        const key = `${from}|${d.to as string}|${d.resource as string}`;
        const sentUs = d.sentUs as number;
        let s = sent.get(key);
        if (s === undefined) sent.set(key, (s = { at: [], maxTs: [], upTo: [] }));
        // The newest timestamp delivered by messages sent before this one.
        const before = lastAtOrBefore(s.at, sentUs - 1);
        const newest = before < 0 ? null : s.upTo[before]!;
        const i = insertSorted(s.at, sentUs);
        s.maxTs.splice(i, 0, d.maxTs as string);
        s.upTo.splice(i, 0, '');
        for (let k = i; k < s.at.length; k++) {
          const prev = k === 0 ? '' : s.upTo[k - 1]!;
          s.upTo[k] = s.maxTs[k]! > prev ? s.maxTs[k]! : prev;
        }
        if (newest === null || (d.minTs as string) > newest) return;

        // A resend: by which process, at what reading of its monotonic clock.
        const st = starts.get(from) ?? [];
        const p = lastAtOrBefore(st, sentUs);
        const mono = monotonicAt(from, sentUs);
        if (p < 0 || mono === null) return;
        ctx.exercised(name);
        const where = `${from} resent ${d.to as string} '${d.resource as string}' changes from ${d.minTs as string} (already delivered up to ${newest})`;
        if (mono + TOLERANCE_MS < ackTimeoutMs) {
          ctx.fail('correctness', name, `${where} ${mono.toFixed(3)} ms after its process started (monotonic clock): a resend waits ackTimeoutMs = ${ackTimeoutMs} ms of the head left unacknowledged (trace #${r.i})`, {
            device: from, peer: d.to, resource: d.resource, sentUs, monotonicMs: mono, ackTimeoutMs,
          });
          return;
        }
        const pk = `${from}|${st[p]!}|${d.to as string}|${d.resource as string}`;
        let list = resends.get(pk);
        if (list === undefined) resends.set(pk, (list = []));
        const j = lastAtOrBefore(list, sentUs);
        if (j >= 0 && list[j] === sentUs) return; // the same send (one message delivered once; never seen)
        const k = insertSorted(list, sentUs);
        for (const other of [list[k - 1], list[k + 1]]) {
          if (other === undefined) continue;
          const m = monotonicAt(from, other);
          if (m === null) continue;
          const gap = Math.abs(mono - m);
          if (gap + TOLERANCE_MS < ackTimeoutMs) {
            ctx.fail('correctness', name, `${where} ${gap.toFixed(3)} ms of its monotonic clock from another resend to ${d.to as string} in '${d.resource as string}' by the same process: resends come at most once per ackTimeoutMs = ${ackTimeoutMs} ms (trace #${r.i})`, {
              device: from, peer: d.to, resource: d.resource, sentUs, otherSentUs: other, gapMs: gap, ackTimeoutMs,
            });
            return;
          }
        }
      });
    },
  };
}
