/**
 * invariant:catchup-answered — a catch-up batch and the end of a catch-up stream are answers the network
 * delivered: a device traces `peer.catchup.batch {peer, writer, resource, n}` only for a response of `peer`
 * to its last request for `writer`'s stream in `resource` that carried `n` records, and
 * `peer.catchup.done` only once such a response said `hasMore: false`. An Error reply (a refusal), a
 * timeout or a lost connection leaves the last request unanswered: the session must end as aborted, never as
 * a batch or as "nothing more". Judged on what the network delivered (`fact.peer.request` and
 * `fact.peer.response` of catch-up requests, `writer` not null, src/evidence/peer-wire.ts), per process of
 * the device (a new process's requests are numbered afresh). Backfill batches are judged the same way by the
 * backfill model (`recvAsDelivered`).
 */
import type { TraceCheck } from '../check.ts';
import type { D } from './record-fields.ts';

/** The answer to a device's last catch-up request of one stream from one peer: null while unanswered. */
type Answer = { n: number; hasMore: boolean } | null;

/** Catch-up batches and stream ends answer delivered responses, never a refusal. */
export function catchupAnsweredCheck(nodes: readonly string[]): TraceCheck {
  const name = 'invariant:catchup-answered';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const member = new Set(nodes);
      /** device -> `peer|writer|resource` -> the answer to its last request. */
      const answers = new Map<string, Map<string, Answer>>();
      const of = (device: string): Map<string, Answer> => {
        let m = answers.get(device);
        if (m === undefined) answers.set(device, (m = new Map()));
        return m;
      };
      ctx.trace.on('node.start', (r) => {
        answers.delete(r.node);
      });
      ctx.trace.on('fact.peer.request', (r) => {
        const d = r.data as D;
        if (d.writer === null || !member.has(d.from as string)) return;
        of(d.from as string).set(`${d.to as string}|${d.writer as string}|${d.resource as string}`, null);
      });
      ctx.trace.on('fact.peer.response', (r) => {
        const d = r.data as D;
        // writer undefined: it answers no request this process sent.
        if (d.writer === null || d.writer === undefined || !member.has(d.to as string)) return;
        of(d.to as string).set(`${d.from as string}|${d.writer as string}|${d.resource as string}`, { n: d.n as number, hasMore: d.hasMore as boolean });
      });
      const judge = (r: { node: string; kind: string; i: number; data: unknown }, done: boolean): void => {
        if (!member.has(r.node)) return;
        const d = r.data as D;
        const key = `${d.peer as string}|${d.writer as string}|${d.resource as string}`;
        const a = answers.get(r.node)?.get(key);
        ctx.exercised(name);
        const what = `${r.node}'s catch-up of ${d.writer as string}'s '${d.resource as string}' from ${d.peer as string}`;
        if (a === undefined || a === null) {
          ctx.fail('correctness', name, `${what} ${done ? 'ended' : `applied a batch of ${d.n as number}`}, but ${d.peer as string} delivered no answer to its last request (refused with an Error, or not answered) (trace #${r.i})`, {
            device: r.node, peer: d.peer, writer: d.writer, resource: d.resource,
          });
        } else if (!done && a.n !== d.n) {
          ctx.fail('correctness', name, `${what} applied a batch of ${d.n as number}, but ${d.peer as string}'s answer carried ${a.n} (trace #${r.i})`, { device: r.node, peer: d.peer, writer: d.writer, resource: d.resource });
        } else if (done && a.hasMore) {
          ctx.fail('correctness', name, `${what} ended while ${d.peer as string}'s last answer said it had more (trace #${r.i})`, { device: r.node, peer: d.peer, writer: d.writer, resource: d.resource });
        }
      };
      ctx.trace.on('peer.catchup.batch', (r) => judge(r, false));
      ctx.trace.on('peer.catchup.done', (r) => judge(r, true));
    },
  };
}
