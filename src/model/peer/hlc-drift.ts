/**
 * invariant:hlc-drift — the HLC drift bound (`maxDriftMs`), judged on the devices' true clocks
 * (`fact.clock`, src/evidence/clock.ts) and the HLCs the network carried (`fact.peer.*`), never on the
 * implementation's own reading of its clock or its `aheadMs`:
 *
 * - a device rejects a remote HLC (`peer.hlc.rejected {remote}`) only when it is more than `maxDriftMs`
 *   ahead of the device's true wall clock at that moment;
 * - a device never takes a remote HLC beyond the bound: every HLC it puts on the wire (heartbeat clock,
 *   timestamps of the changes and records it sends) has a physical part at most `maxDriftMs` above the
 *   highest true wall-clock reading the device ever had (its own ticks follow its wall clock; what it
 *   accepted was within the bound of its wall clock then; a clock stepping back lowers neither).
 *
 * Tolerance: 1 ms (the implementation reads whole milliseconds).
 */
import type { TraceCheck } from '../check.ts';
import { clockAt, type ClockFact } from '../../evidence/clock.ts';

import type { D } from './record-fields.ts';

/** The physical milliseconds of an HLC string (`PPPPPPPPPPPPPPP-CCCCCC-device`, docs/peer-sync.md), or null. */
export function hlcPhysicalMs(s: unknown): number | null {
  if (typeof s !== 'string' || s.length < 15) return null;
  const ms = Number(s.slice(0, 15));
  return Number.isFinite(ms) ? ms : null;
}

const TOLERANCE_MS = 1;

/** A device's true clock as the facts say, and the highest wall reading it ever had. */
interface TrueClock {
  fact: ClockFact;
  tUs: number;
  maxWallMs: number;
}

/** Rejections only beyond the drift bound of the true wall clock; no HLC ever taken beyond it. */
export function hlcDriftCheck(nodes: readonly string[], maxDriftMs: number): TraceCheck {
  const name = 'invariant:hlc-drift';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const member = new Set(nodes);
      const clocks = new Map<string, TrueClock>();
      ctx.trace.on('fact.clock', (r) => {
        const fact = r.data as unknown as ClockFact;
        const prev = clocks.get(fact.node);
        // The reading just before this change (a jump back lowers the wall clock, not the maximum).
        const before = prev === undefined ? -Infinity : Math.max(prev.maxWallMs, clockAt(prev.fact, prev.tUs, r.t).wallMs);
        clocks.set(fact.node, { fact, tUs: r.t, maxWallMs: Math.max(before, fact.wallMs) });
      });
      const wallAt = (node: string, us: number): { now: number; max: number } | null => {
        const c = clocks.get(node);
        if (c === undefined) return null;
        const now = clockAt(c.fact, c.tUs, us).wallMs;
        return { now, max: Math.max(c.maxWallMs, now) };
      };
      const judgeSent = (r: { i: number; data: D }, hlc: unknown, what: string): void => {
        const d = r.data;
        const from = d.from as string;
        const ms = hlcPhysicalMs(hlc);
        const wall = ms === null || !member.has(from) ? null : wallAt(from, d.sentUs as number);
        if (wall === null || ms === null) return;
        ctx.exercised(name);
        const ahead = ms - wall.max;
        if (ahead > maxDriftMs + TOLERANCE_MS) {
          ctx.fail(
            'correctness',
            name,
            `${from} sent ${what} ${String(hlc)}, ${Math.round(ahead)} ms ahead of the highest true reading of its wall clock (max drift ${maxDriftMs} ms): it took a remote clock beyond the bound (trace #${r.i})`,
          );
        }
      };
      ctx.trace.on('fact.peer.heartbeat', (r) => judgeSent(r, (r.data as D).hlc, 'a heartbeat with HLC'));
      ctx.trace.on('fact.peer.change', (r) => judgeSent(r, (r.data as D).maxTs, 'a change at'));
      ctx.trace.on('fact.peer.response', (r) => judgeSent(r, (r.data as D).maxTs, 'a record at'));
      ctx.trace.on('peer.hlc.rejected', (r) => {
        const ms = hlcPhysicalMs((r.data as D).remote);
        const wall = ms === null || !member.has(r.node) ? null : wallAt(r.node, r.t);
        if (wall === null || ms === null) return;
        ctx.exercised(name);
        const ahead = ms - wall.now;
        if (ahead <= maxDriftMs - TOLERANCE_MS) {
          ctx.fail(
            'correctness',
            name,
            `${r.node} rejected ${String((r.data as D).remote)} from ${String((r.data as D).from)} as too far ahead, but it is ${Math.round(ahead)} ms ahead of ${r.node}'s true wall clock (max drift ${maxDriftMs} ms) (trace #${r.i})`,
          );
        }
      });
    },
  };
}
