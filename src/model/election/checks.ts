/**
 * The election's trace checks beside its models (issue: one place per area for its checkers): the
 * global-view ledger invariants (ledger.ts), stable leadership (stability.ts), prompt writes (prompt.ts)
 * and the single writer's channels. They read the trace and its facts only, so they run in every election
 * scenario and in `check-trace election` alike. (invariant:frozen-leader-replaced stays with the scenarios:
 * its bound comes from the reference implementation's timing options.)
 */
import { ELECTION_BUS_CHANNELS } from '../../evidence/election-bus.ts';
import { FAULT_KINDS } from '../../faults/schema.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import type { TraceCheck, TraceContext } from '../check.ts';
import { ElectionLedger, LEDGER_INVARIANTS, LEDGER_KINDS } from './ledger.ts';
import { PROMPT_KINDS, PROMPT_WRITES, PromptWrites } from './prompt.ts';
import { NO_SPURIOUS_FAILOVER, STABILITY_KINDS, StabilityWatch, TAKEOVER_HONOURED, type WatchViolation } from './stability.ts';

const PAUSES = 'election.last-pause-ms';

/** Tab -> virtual ms of its latest freeze (kept up to date by `electionInvariants`). */
export function lastPauses(ctx: TraceContext): Map<string, number> {
  let m = ctx.runState.get(PAUSES) as Map<string, number> | undefined;
  if (m === undefined) ctx.runState.set(PAUSES, (m = new Map()));
  return m;
}

/** Issues one write at `tab` now (skipped when the tab is down or paused). Returns the value or null. */
/** The global-view invariants (see src/model/election/ledger.ts): they read the trace and its facts only. */
export function electionInvariants(leaseExclusive: boolean): TraceCheck {
  // The ledger is per run (ctx.shared): the check object is shared by every run of the scenario.
  const LEDGER = 'election.ledger';
  return {
    onTrace: true,
    name: 'election-invariants',
    covers: LEDGER_INVARIANTS.filter((n) => leaseExclusive || n !== 'invariant:lease-exclusive'),
    setup(ctx) {
      const l = new ElectionLedger({ leaseExclusive, exercised: (name) => ctx.exercised(name) });
      ctx.runState.set(LEDGER, l);
      ctx.trace.on('node.pause', (rec) => lastPauses(ctx).set(rec.node, rec.t / 1000));
      for (const kind of LEDGER_KINDS) {
        ctx.trace.on(kind, (rec) => {
          const v = l.onRecord(rec);
          if (v !== null) ctx.fail('correctness', v.check, v.message, { ...v.details, traceIndex: rec.i });
        });
      }
    },
    final(ctx) {
      const v = (ctx.runState.get(LEDGER) as ElectionLedger | undefined)?.finalCheck() ?? null;
      if (v !== null) ctx.fail('correctness', v.check, v.message, v.details);
    },
  };
}

/** A watch over the trace that reports violations as it reads records and at the end of the run. */
export interface TraceWatch {
  onRecord(rec: TraceRecord): WatchViolation | null;
  final(ms: number): WatchViolation | null;
  /** True once nothing later in the run can be judged (both watches stop at the first injected fault). */
  done(): boolean;
}

/** A check running one `TraceWatch` per run over the applied faults (the injector's 'fault.<kind>') and `kinds`. */
export function watchCheck(name: string, covers: readonly string[], kinds: readonly string[], make: (exercised: (name: string) => void) => TraceWatch): TraceCheck {
  const key = `election.watch.${name}`;
  return {
    onTrace: true,
    name,
    covers,
    setup(ctx) {
      const watch = make((n) => ctx.exercised(n));
      ctx.runState.set(key, watch);
      const offs: (() => void)[] = [];
      const onRecord = (rec: TraceRecord): void => {
        const v = watch.onRecord(rec);
        if (v !== null) ctx.fail('correctness', v.check, v.message, { ...v.details, traceIndex: rec.i });
        // Unsubscribed once done: the rest of a swarm's trace would only cost time.
        if (watch.done()) offs.splice(0).forEach((off) => off());
      };
      for (const kind of [...FAULT_KINDS.map((k) => `fault.${k}`), ...kinds]) offs.push(ctx.trace.on(kind, onRecord));
    },
    final(ctx) {
      const v = (ctx.runState.get(key) as TraceWatch).final(ctx.nowMs());
      if (v !== null) ctx.fail('correctness', v.check, v.message, v.details);
    },
  };
}

/**
 * invariant:no-spurious-failover (src/model/election/stability.ts): leadership changes only for a cause; and
 * invariant:takeover-honoured, its converse: a takeover the workload asked for happens.
 */
export function stableLeadership(root = 'store'): TraceCheck {
  return watchCheck('stable-leadership', [NO_SPURIOUS_FAILOVER, TAKEOVER_HONOURED], STABILITY_KINDS, (ex) => new StabilityWatch(root, ex));
}

/** invariant:prompt-writes (src/model/election/prompt.ts): undisturbed, a write settles in a few round trips. */
export function promptWrites(root = 'store'): TraceCheck {
  return watchCheck('prompt-writes', [PROMPT_WRITES], PROMPT_KINDS, (ex) => new PromptWrites(root, ex));
}

/** The bus channel each message type of the single writer must travel on (docs/election.md, wire format). */
const WRITER_CHANNELS: Readonly<Record<string, string>> = { fwd: ELECTION_BUS_CHANNELS.request, reply: ELECTION_BUS_CHANNELS.reply };

/**
 * invariant:writer-channels: the single writer's messages travel on their documented channels (a forwarded
 * write `fwd` on 'election.req', a `reply` on 'election.reply'). The request model's evidence
 * (fact.bus.request, fact.bus.reply) is decoded from those channels: a writer that renamed one would still
 * work, since both ends use the same name, but would blind the model. The election's own channel belongs to
 * the (pluggable) election and is not checked. Evidence: the bus's own `bus.post` records.
 */
export const writerChannels: TraceCheck = {
  onTrace: true,
  name: 'invariant:writer-channels',
  covers: ['invariant:writer-channels'],
  setup(ctx) {
    ctx.trace.on('bus.post', (rec) => {
      const want = typeof rec.data.type === 'string' ? WRITER_CHANNELS[rec.data.type] : undefined;
      if (want === undefined) return;
      ctx.exercised(this.name);
      if (rec.data.channel !== want) ctx.fail('correctness', this.name, `${rec.node} posted a '${String(rec.data.type)}' message on channel '${String(rec.data.channel)}', not on '${want}'`, { traceIndex: rec.i });
    });
  },
};

