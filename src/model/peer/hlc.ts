/**
 * invariant:hlc — per device, HLCs of commits strictly increase (across restarts too), and a commit is
 * ordered after every change the device applied before it (a receive is ordered after its send).
 * Evidence: the devices' own peer.* records (docs/peer-sync.md, Model and invariants).
 */
import type { TraceCheck } from '../check.ts';
import { str, type D } from './record-fields.ts';

/** HLCs strictly increase per device and follow every change applied before. */
export function hlcCheck(nodes: readonly string[]): TraceCheck {
  const name = 'invariant:hlc';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const last = new Map<string, string>();
      const floor = new Map<string, string>();
      const member = new Set(nodes);
      const raise = (node: string, ts: string | null): void => {
        if (ts !== null && ts > (floor.get(node) ?? '')) floor.set(node, ts);
      };
      // Only changes that took effect (durable): a receive lost in a crash never happened.
      ctx.trace.on('peer.applied', (r) => member.has(r.node) && raise(r.node, str((r.data as D).maxTs)));
      ctx.trace.on('peer.catchup.batch', (r) => member.has(r.node) && raise(r.node, str((r.data as D).maxTs)));
      ctx.trace.on('peer.commit', (r) => {
        const d = r.data as D;
        const first = str(d.first) ?? str(d.hlc)!;
        const prev = last.get(r.node);
        ctx.exercised(name);
        if (prev !== undefined && !(first > prev)) {
          ctx.fail('correctness', name, `${r.node} committed HLC ${first} after ${prev}: not strictly increasing (trace #${r.i})`);
        }
        const f = floor.get(r.node);
        if (f !== undefined && !(first > f)) {
          ctx.fail('correctness', name, `${r.node} committed HLC ${first} after applying a change at ${f}: a receive must order before later sends (trace #${r.i})`);
        }
        last.set(r.node, str(d.hlc)!);
      });
    },
  };
}
