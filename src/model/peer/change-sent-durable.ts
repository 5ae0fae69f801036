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
 * Only a change's (a batch's) last record is judged: the fact carries its key and whether it is a
 * tombstone, not the whole batch, so an earlier record of a batch sent before its commit was durable
 * passes unseen unless the last one is not durable either.
 * "That version or a better one" is the merge rule (`atLeast`, record-fields.ts): a tombstone beats any
 * live version, so a sent tombstone is not covered by a newer live version the sender durably holds.
 *
 * Evidence: the delivered change (`fact.peer.change`: resource, key of its last record and `lastDead`) and
 * the sender's durable kv image (`SimKv.durableGet` of `rec`, `<resource>/<uuid>`), read at the delivery.
 * A live check (it reads the simulator's kv stores).
 */
import type { Check, ScenarioContext } from '../../scenario/types.ts';
import { nodeDevices } from './node-devices.ts';
import { atLeast, storedRecord, str, type D } from './record-fields.ts';

const NAME = 'invariant:change-sent-durable';

/** Live changes are delivered only once durable at their sender. */
export function changeSentDurableCheck(nodes: readonly string[]): Check {
  return {
    name: NAME,
    covers: [NAME],
    setup(ctx: ScenarioContext) {
      const deviceOf = nodeDevices(ctx, nodes);
      // Versions found durable (a broadcast is delivered to every peer: read the durable image once). A durable
      // version stays durable or is beaten by a better one, so a positive answer holds for later deliveries.
      const durable = new Set<string>();
      ctx.trace.on('fact.peer.change', (r) => {
        const d = r.data as D;
        const sender = deviceOf.get(str(d.from) ?? '');
        const resource = str(d.resource);
        const last = str(d.last);
        const uuid = str(d.lastUuid);
        const dead = d.lastDead === true;
        if (sender === undefined || resource === null || last === null || uuid === null || ctx.sim.failure !== null) return;
        ctx.exercised(NAME);
        const seen = `${sender}\u0000${resource}\u0000${uuid}\u0000${last}${dead ? '\u0000dead' : ''}`;
        if (durable.has(seen)) return;
        const held = storedRecord(ctx.sim.device(sender).kv.durableGet('rec', `${resource}/${uuid}`));
        // That version, or one beating it by the merge rule (a tombstone beats a live version, else the later one wins).
        if (atLeast(held, last, dead)) {
          durable.add(seen);
          return;
        }
        ctx.fail(
          'correctness',
          NAME,
          `${str(d.to) ?? '?'} received ${sender}'s change of '${resource}' (record ${uuid}, version ${last}${dead ? ', a tombstone' : ''}; trace #${r.i}), but ${sender}'s kv store does not durably ` +
            `hold it or a version beating it (${held === undefined ? 'no version of the record' : `version ${held.t}${held.dead ? ', a tombstone' : ''}`}): the change was sent before its commit was durable`,
          { sender, resource, uuid, version: last, dead },
        );
      });
    },
  };
}
