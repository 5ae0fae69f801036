/**
 * invariant:change-sent-durable — a device broadcasts a change of its own only once the commit that wrote
 * it is durable (docs/peer-sync.md, Transaction manager: the records, log entries and stream head commit
 * in one strict transaction, and only then is the change acknowledged and broadcast). When the network
 * delivers a live change (`fact.peer.change`), the sender's kv store durably holds the last record of it,
 * that version or a better one. A change sent before its commit is durable reaches the peers even when the
 * commit then fails or is lost to a power loss: the peers hold a write its writer never made, and the writer
 * may reissue the timestamp for another one.
 *
 * Why it is needed: a node broadcasting as the transaction is issued failed only as liveness, and only in
 * peer-kv-errors (5 of 90 runs of the peer ci scenarios, seeds 0..4), where failed commits leave the peers
 * holding changes their writers lost; every other run passed, the commit becoming durable shortly after.
 *
 * Evidence: the delivered change (`fact.peer.change`: resource, key of its last record) and the sender's
 * durable kv image (`SimKv.durableGet` of `rec`, `<resource>/<uuid>`), read at the delivery. A live check
 * (it reads the simulator's kv stores).
 */
import type { Check, ScenarioContext } from '../../scenario/types.ts';
import { storedRecord, str, type D } from './record-fields.ts';

const NAME = 'invariant:change-sent-durable';

/** Live changes are delivered only once durable at their sender. */
export function changeSentDurableCheck(nodes: readonly string[]): Check {
  return {
    name: NAME,
    covers: [NAME],
    setup(ctx: ScenarioContext) {
      const deviceOf = new Map(nodes.map((id) => [id, ctx.sim.node(id).deviceId] as const));
      // Versions found durable (a broadcast is delivered to every peer: read the durable image once). A durable
      // version stays durable or is beaten by a better one, so a positive answer holds for later deliveries.
      const durable = new Set<string>();
      ctx.trace.on('fact.peer.change', (r) => {
        const d = r.data as D;
        const sender = deviceOf.get(str(d.from) ?? '');
        const resource = str(d.resource);
        const last = str(d.last);
        const uuid = str(d.lastUuid);
        if (sender === undefined || resource === null || last === null || uuid === null || ctx.sim.failure !== null) return;
        ctx.exercised(NAME);
        const seen = `${sender}\u0000${resource}\u0000${uuid}\u0000${last}`;
        if (durable.has(seen)) return;
        const held = storedRecord(ctx.sim.device(sender).kv.durableGet('rec', `${resource}/${uuid}`));
        // That version, or one beating it (a tombstone, or a later version: another writer's, or a later one of its own).
        if (held !== undefined && (held.t >= last || held.dead)) {
          durable.add(seen);
          return;
        }
        ctx.fail(
          'correctness',
          NAME,
          `${str(d.to) ?? '?'} received ${sender}'s change of '${resource}' (record ${uuid}, version ${last}; trace #${r.i}), but ${sender}'s kv store does not durably ` +
            `hold it (${held === undefined ? 'no version of the record' : `version ${held.t}`}): the change was sent before its commit was durable`,
          { sender, resource, uuid, version: last },
        );
      });
    },
  };
}
