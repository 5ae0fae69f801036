/**
 * invariant:relay-within-watermark — a peer answering a relay request (a catch-up of writer W's stream in
 * resource R, asked of a peer P other than W) sends only records of W up to P's own watermark for (W, R):
 * the prefix of W's stream P holds completely (docs/peer-sync.md, Messages and Relayed catch-up), and
 * nothing when P has no watermark for W. Records of W that P received after a gap (live changes that
 * arrived while it missed earlier ones) must not be relayed: the requester's watermark would move over the
 * records in between, which it would then never fetch (a divergence seen only much later, as liveness,
 * when the run lets the devices quiesce at all).
 *
 * Evidence: the response as the network delivered it (`fact.peer.response`: its writer, from the request
 * it answers, and the key of its last record, decoded from the wire, src/evidence/peer-wire.ts) and P's
 * watermark as P's kv store durably holds it at the delivery (`relayMark`, read from the simulator's
 * durable image). Watermarks only grow and a device moves one in memory only after storing it, so a
 * last record past the durable watermark at delivery was past the one P served under. Not judged
 * (counted as unjudged, not failed) when the fact carries no `relayMark` (a recorder without a store
 * reader).
 */
import type { TraceCheck } from '../check.ts';
import { compareKey, keyOf, showKey } from './change-keys.ts';
import type { D } from './record-fields.ts';

/** Relay answers stay within the responder's durable watermark for the writer. */
export function relayWithinWatermarkCheck(nodes: readonly string[]): TraceCheck {
  const name = 'invariant:relay-within-watermark';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const member = new Set(nodes);
      ctx.trace.on('fact.peer.response', (r) => {
        const d = r.data as D;
        const from = d.from as string;
        const writer = d.writer;
        if (typeof writer !== 'string' || writer === from || !member.has(from) || !('relayMark' in d)) return;
        ctx.exercised(name);
        if ((d.n as number) === 0) return;
        const mark = d.relayMark as [string, string] | null;
        const last = keyOf(d.last, d.lastUuid);
        const markKey = mark === null ? null : { ts: mark[0], uuid: mark[1] };
        if (markKey !== null && compareKey(last, markKey) <= 0) return;
        const held = markKey === null ? `holds no watermark for ${writer} in '${d.resource as string}'` : `its watermark for ${writer} in '${d.resource as string}' is ${showKey(markKey)}`;
        ctx.fail(
          'correctness',
          name,
          `${from} relayed ${writer}'s records to ${d.to as string} up to ${showKey(last)}, but ${held} (durably, at delivery): it relayed records past the prefix of ${writer}'s stream it holds completely, so ${d.to as string}'s watermark can skip records it never received (trace #${r.i})`,
        );
      });
    },
  };
}
