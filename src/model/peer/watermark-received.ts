/**
 * invariant:watermark-received — a catch-up request for writer W's stream in resource R (to W or a relay)
 * starts from a watermark no greater than the largest key of W's stream in R that the network delivered
 * to the requester: a live change of W, a response to a request for W's stream, a full scan served by W
 * (its cursor: W's own stream is a subset of what it served), or W's newest key announced in a
 * heartbeat, for a watermark the device says it adopted by digest (`peer.watermark {adopted}`: the
 * adoption is believed only up to what W announced on the wire). Judged on what the network delivered
 * (`fact.peer.*`, src/evidence/peer-wire.ts), not on what the implementation says it received.
 */
import type { TraceCheck } from '../check.ts';
import { compareKey, keyOf, showKey, type Key } from './change-keys.ts';
import type { D } from './record-fields.ts';

/** Catch-up requests start from a watermark within what the network delivered of that writer's stream. */
export function watermarkCheck(nodes: readonly string[]): TraceCheck {
  const name = 'invariant:watermark-received';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const member = new Set(nodes);
      // `device|writer|resource` -> the largest key delivered; and the newest key the writer announced.
      const received = new Map<string, Key>();
      const announced = new Map<string, Key>();
      const raise = (m: Map<string, Key>, key: string, k: Key | null): void => {
        if (k === null) return;
        const cur = m.get(key);
        if (cur === undefined || compareKey(k, cur) > 0) m.set(key, k);
      };
      ctx.trace.on('fact.peer.change', (r) => {
        const d = r.data as D;
        if (member.has(d.to as string)) raise(received, `${d.to as string}|${d.from as string}|${d.resource as string}`, keyOf(d.last, d.lastUuid));
      });
      ctx.trace.on('fact.peer.response', (r) => {
        const d = r.data as D;
        if (d.writer === undefined || !member.has(d.to as string)) return;
        // A catch-up answer holds the writer's records; a full scan served by W ends W's stream at its cursor.
        const writer = d.writer === null ? (d.from as string) : (d.writer as string);
        raise(received, `${d.to as string}|${writer}|${d.resource as string}`, keyOf(d.last, d.lastUuid));
      });
      ctx.trace.on('fact.peer.heartbeat', (r) => {
        const d = r.data as D;
        const latest = d.latest as Record<string, [string, string] | null> | null;
        if (latest === null || !member.has(d.to as string)) return;
        for (const [resource, k] of Object.entries(latest)) if (k !== null) raise(announced, `${d.to as string}|${d.from as string}|${resource}`, { ts: k[0], uuid: k[1] });
      });
      ctx.trace.on('peer.watermark', (r) => {
        const d = r.data as D;
        if (d.adopted !== true || !member.has(r.node)) return;
        const key = `${r.node}|${d.peer as string}|${d.resource as string}`;
        const said = announced.get(key);
        // Believed up to what the writer announced: the adopted key itself when it was announced.
        if (said !== undefined && typeof d.ts === 'string') raise(received, key, d.ts < said.ts ? { ts: d.ts, uuid: '\uffff' } : said);
      });
      ctx.trace.on('fact.peer.request', (r) => {
        const d = r.data as D;
        const writer = d.writer as string | null;
        const since = keyOf(d.since, d.sinceUuid);
        if (writer === null || since === null || !member.has(d.from as string)) return;
        ctx.exercised(name);
        const got = received.get(`${d.from as string}|${writer}|${d.resource as string}`);
        // A shared resource's cursor is an HLC (no uuid): compare timestamps only.
        const beyond = got === undefined || (d.sinceUuid === null ? since.ts > got.ts : compareKey(since, got) > 0);
        if (!beyond) return;
        const via = writer === d.to ? '' : ` (relayed by ${d.to as string})`;
        ctx.fail(
          'correctness',
          name,
          `${d.from as string} resumes '${d.resource as string}' of ${writer}${via} at watermark ${showKey(since)}, beyond anything of ${writer}'s the network delivered to it (${showKey(got ?? null)}) (trace #${r.i})`,
        );
      });
    },
  };
}
