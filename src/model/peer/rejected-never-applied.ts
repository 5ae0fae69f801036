/**
 * invariant:rejected-never-applied — nothing a rogue member sent is applied; every rogue message the network
 * delivered to a real device (its `net.deliver` records: faults may crash a device before a message
 * arrives) is rejected (`peer.msg.rejected`); and the rogue hears an Error back at least once when any was
 * delivered.
 *
 * A live check: at the end it reads each real device's public handle (`PeerView.get`) for the records the
 * rogue forged, and the rogue's own handle (`RogueView`: how many Error replies it heard). The scenario
 * (scenarios/peer/rogue.ts) names the forged records.
 */
import type { Check } from '../../scenario/types.ts';
import type { PeerView } from './peer-view.ts';

/** The rogue's handle: how many Error replies it received, over connections and as datagrams. */
export interface RogueView {
  errors(): number;
}

/** The records a rogue forged: each uuid in each resource must stay absent on every real device. */
export interface Forged {
  uuids: readonly string[];
  resources: readonly string[];
}

/** The check for real devices `real`, rogue node `rogue` and what it forged. */
export function rejectedNeverApplied(real: readonly string[], rogue: string, forged: Forged): Check {
  return {
    name: 'invariant:rejected-never-applied',
    covers: ['invariant:rejected-never-applied'],
    setup(ctx) {
      let rejected = 0;
      let delivered = 0;
      ctx.trace.on('peer.msg.rejected', (r) => void (r.data.from === rogue && rejected++));
      ctx.trace.on('net.deliver', (r) => void (r.data.from === rogue && real.includes(r.node) && delivered++));
      ctx.shared.set('peer.rejected', () => ({ rejected, delivered }));
    },
    final(ctx) {
      for (const id of real) {
        // A device down or paused at the end serves nothing to look at (its records are judged by converged).
        const h = ctx.handle<PeerView>(id);
        if (h === null) continue;
        for (const uuid of forged.uuids) {
          for (const r of forged.resources) {
            if (h.get(r, uuid) !== undefined) ctx.fail('correctness', this.name, `${id} applied ${uuid} from an invalid message`);
          }
        }
      }
      const { rejected, delivered } = (ctx.shared.get('peer.rejected') as () => { rejected: number; delivered: number })();
      const errors = ctx.handle<RogueView>(rogue)?.errors() ?? 0;
      // 7 over the connection (A) and 7 as datagrams (B) when no fault interferes; every delivered one rejected.
      if (delivered === 0) return;
      ctx.exercised(this.name);
      if (rejected < delivered) ctx.fail('correctness', this.name, `only ${rejected} of the ${delivered} invalid messages delivered were rejected`);
      else if (errors === 0) ctx.fail('correctness', this.name, `the rogue got no Error reply for ${delivered} invalid messages delivered`);
    },
  };
}
