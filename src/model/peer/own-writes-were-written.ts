/**
 * invariant:own-writes-were-written — every record a device commits under its own writer id holds a value
 * the workload asked that device to write. A device that writes a change it received once more as its own
 * (an echo: the same value under a new timestamp of its own) passed every check before: every replica still
 * converges, and every stream, watermark and acknowledgement is consistent; but the echo's newer timestamp
 * buries any concurrent newer write of another device (A writes x=1, C writes x=2 later, B's echo of x=1
 * wins everywhere). Deletes (no value) are not judged.
 *
 * Evidence: the workload's own record (`workload.peer-write {node, values}`, made before each write call;
 * scenarios/peer/_common.ts `issued`), the devices of the nodes, and every commit the devices' kv stores
 * applied (`SimKv.observeCommits`: store `rec`, key `<resource>/<uuid>`, value `{u, w, t, d}`: `w` the
 * writer device, `d` the value). Judged only in runs whose workload records its writes (a scenario that
 * records none leaves it vacuous, as the report says).
 */
import type { Check, ScenarioContext } from '../../scenario/types.ts';
import { nodeDevices } from './node-devices.ts';

export const OWN_WRITES_WERE_WRITTEN = 'invariant:own-writes-were-written';

/** The check over the peer devices of `nodes`. */
export function ownWritesWereWrittenCheck(nodes: readonly string[]): Check {
  return {
    name: OWN_WRITES_WERE_WRITTEN,
    covers: [OWN_WRITES_WERE_WRITTEN],
    setup(ctx: ScenarioContext) {
      const deviceOf = nodeDevices(ctx, nodes);
      /** Device -> the values its workload asked it to write. */
      const written = new Map<string, Set<string>>();
      let recorded = false;
      ctx.trace.on('workload.peer-write', (r) => {
        recorded = true;
        const device = deviceOf.get(r.data.node as string) ?? (r.data.node as string);
        let set = written.get(device);
        if (set === undefined) written.set(device, (set = new Set()));
        for (const v of r.data.values as string[]) set.add(v);
      });
      for (const device of new Set(deviceOf.values())) {
        ctx.sim.device(device).kv.observeCommits((c) => {
          if (!recorded || ctx.sim.failure !== null) return;
          for (const w of c.writes) {
            if (w.store !== 'rec' || w.value === undefined) continue;
            const rec = w.value as { w?: unknown; d?: unknown } | null;
            if (rec === null || typeof rec !== 'object' || rec.w !== device || typeof rec.d !== 'string') continue;
            ctx.exercised(OWN_WRITES_WERE_WRITTEN);
            if (written.get(device)?.has(rec.d) === true) continue;
            ctx.fail(
              'correctness',
              OWN_WRITES_WERE_WRITTEN,
              `${device} committed record ${String(w.key)} = ${JSON.stringify(rec.d)} under its own writer id, a value its workload never asked it to write (an echo of another device's change, or a value from nowhere)`,
            );
            return;
          }
        });
      }
    },
  };
}
