/**
 * invariant:resend-unacked — a device never (re)sends a peer a shared change that the peer has already
 * acknowledged: every live shared change sent to P is newer than every acknowledgement from P that the
 * sending process knew: those the network delivered to it before the send, and those its store held when
 * it started (`fact.peer.acks`, each believed only up to what the network delivered from P). An
 * acknowledgement delivered to an earlier process that died before storing it is lost with it: the
 * resend that follows is due (peer-swarm-long seed 1021009: D crashed 71 µs after E's ack arrived, before
 * its commit; restarted, it resent E the change). Judged on what the network delivered (`fact.peer.*`,
 * src/evidence/peer-wire.ts).
 */
import type { TraceCheck } from '../check.ts';
import type { D } from './record-fields.ts';
import { countBelow } from '../sorted.ts';

/** A shared change is never sent to a peer whose acknowledgement of it the sending process knew. */
export function resendCheck(nodes: readonly string[]): TraceCheck {
  const name = 'invariant:resend-unacked';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const member = new Set(nodes);
      // `writer|peer|resource` -> what the writer's processes knew of the peer's acknowledgements, in time
      // order: an entry per acknowledgement delivered (the running max of its process) and, at each start of
      // the writer, a reset to what its store held then (`start`). `delivered`: the largest upTo the network
      // ever delivered (a stored acknowledgement is believed only up to it).
      interface Known {
        t: number[];
        upTo: (string | null)[];
        start: boolean[];
        delivered: string | null;
      }
      const known = new Map<string, Known>();
      const of = (key: string): Known => {
        let k = known.get(key);
        if (k === undefined) known.set(key, (k = { t: [], upTo: [], start: [], delivered: null }));
        return k;
      };
      const max = (a: string | null, b: string | null): string | null => (a === null ? b : b === null ? a : a > b ? a : b);
      const min = (a: string | null, b: string | null): string | null => (a === null || b === null ? null : a < b ? a : b);
      ctx.trace.on('fact.peer.ack', (r) => {
        const d = r.data as D;
        if (!member.has(d.to as string) || !member.has(d.from as string)) return;
        const k = of(`${d.to as string}|${d.from as string}|${d.resource as string}`);
        const upTo = d.upTo as string;
        k.t.push(r.t);
        k.upTo.push(max(k.upTo[k.upTo.length - 1] ?? null, upTo));
        k.start.push(false);
        k.delivered = max(k.delivered, upTo);
      });
      // A new process of the writer knows none of its predecessors' acknowledgements but those stored...
      ctx.trace.on('node.start', (r) => {
        if (!member.has(r.node)) return;
        for (const [key, k] of known) {
          if (!key.startsWith(`${r.node}|`)) continue;
          k.t.push(r.t);
          k.upTo.push(null);
          k.start.push(true);
        }
      });
      // ... which the evidence reads from its store as it starts (right after node.start).
      ctx.trace.on('fact.peer.acks', (r) => {
        const d = r.data as D;
        const device = d.device as string;
        if (!member.has(device)) return;
        for (const [peer, resources] of Object.entries(d.acks as Record<string, Record<string, string>>)) {
          for (const [resource, upTo] of Object.entries(resources)) {
            const k = known.get(`${device}|${peer}|${resource}`);
            const i = k === undefined ? -1 : k.t.length - 1;
            if (k === undefined || i < 0 || !k.start[i]) continue;
            k.upTo[i] = min(upTo, k.delivered);
          }
        }
      });
      // `writer|peer|resource` -> the newest shared change delivered so far: a change at or below it is a resend.
      const newest = new Map<string, string>();
      ctx.trace.on('fact.peer.change', (r) => {
        const d = r.data as D;
        if (d.shared !== true || !member.has(d.from as string)) return;
        const key = `${d.from as string}|${d.to as string}|${d.resource as string}`;
        const seen = newest.get(key);
        const resend = seen !== undefined && (d.minTs as string) <= seen;
        if (seen === undefined || (d.maxTs as string) > seen) newest.set(key, d.maxTs as string);
        const k = known.get(key);
        if (k === undefined) return;
        // What the sending process knew when it sent: entries delivered strictly before the send, and a start
        // at the send's very time (the process that sent it).
        const sentUs = d.sentUs as number;
        let lo = countBelow(k.t, sentUs);
        for (let i = lo; i < k.t.length && k.t[i] === sentUs; i++) if (k.start[i]) lo = i + 1;
        if (lo === 0) return;
        const acked = k.upTo[lo - 1]!;
        if (acked === null) return;
        // Counted for resends only: a first send of a new change cannot be below an acknowledgement.
        if (resend) ctx.exercised(name);
        if ((d.minTs as string) <= acked) {
          ctx.fail(
            'correctness',
            name,
            `${d.from as string} sent ${d.to as string} ${d.n as number} '${d.resource as string}' changes from ${d.minTs as string}, but ${d.to as string} had acknowledged everything up to ${acked} (delivered to the sending process before the send, or stored when it started) (trace #${r.i})`,
          );
        }
      });
    },
  };
}
