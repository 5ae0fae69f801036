/**
 * invariant:stream-end-complete — a device answering a catch-up of its own stream in a device-owned
 * resource (a StateRequest with `writer` = the responder) says the stream ended (`hasMore` false) only when
 * the answer reaches its newest own record: every key it announced as its newest own one (`latest` in a
 * heartbeat it sent before the answer) is at or below the answer's last key (or, when the answer is empty,
 * the request's `since`). Only the owner writes an owned resource and a rewrite gets a larger key, so the
 * newest own key a device announced never goes away; an answer that ends the stream below it leaves the
 * requester short of records until a later catch-up, and a joiner's backfill would complete without them.
 *
 * Evidence: the network's deliveries only (src/evidence/peer-wire.ts): `fact.peer.heartbeat` (`latest`,
 * `sentUs`) and `fact.peer.response` (the answer's `writer`, `since`/`sinceUuid` from the request it answers,
 * `last`/`lastUuid`, `hasMore`, `sentUs`). Heartbeats count by send time, whoever they were sent to; one
 * delivered after the answer was delivered is not seen (never a false failure). Shared resources are not
 * judged: there another writer's newer version replaces the responder's, and its newest own key may go back.
 * Found in the hunt of 2026-12-07's fourth pass: an answer computing `hasMore` as `remaining > 1` passed
 * every check (the requester's next catch-up fetched the last record), variant `peer-has-more-off-by-one`.
 */
import type { TraceCheck } from '../check.ts';
import { compareKey, keyOf, showKey, type Key } from './change-keys.ts';
import type { D } from './record-fields.ts';

const NAME = 'invariant:stream-end-complete';

/** Owned-stream answers that end the stream reach every newest own key the responder announced before. */
export function streamEndCompleteCheck(nodes: readonly string[], ownedResources: readonly string[]): TraceCheck {
  return {
    onTrace: true,
    name: NAME,
    covers: [NAME],
    setup(ctx) {
      const member = new Set(nodes);
      const owned = new Set(ownedResources);
      /** `${device}|${resource}` -> the newest own keys it announced, with their heartbeats' send times. */
      const announced = new Map<string, { sentUs: number; key: Key }[]>();
      ctx.trace.on('fact.peer.heartbeat', (r) => {
        const d = r.data as D;
        const from = d.from as string;
        const latest = d.latest as Record<string, [string, string] | null> | null;
        if (!member.has(from) || latest === null || typeof latest !== 'object') return;
        for (const [resource, k] of Object.entries(latest)) {
          if (!owned.has(resource) || !Array.isArray(k)) continue;
          const key = keyOf(k[0], k[1]);
          if (key === null) continue;
          const id = `${from}|${resource}`;
          let list = announced.get(id);
          if (list === undefined) announced.set(id, (list = []));
          list.push({ sentUs: d.sentUs as number, key });
        }
      });
      ctx.trace.on('fact.peer.response', (r) => {
        const d = r.data as D;
        const from = d.from as string;
        const resource = d.resource as string;
        if (d.writer !== from || d.hasMore !== false || !member.has(from) || !owned.has(resource)) return;
        ctx.exercised(NAME);
        const sentUs = d.sentUs as number;
        let newest: Key | null = null;
        for (const a of announced.get(`${from}|${resource}`) ?? []) {
          if (a.sentUs < sentUs && compareKey(a.key, newest) > 0) newest = a.key;
        }
        if (newest === null) return;
        const reached = (d.n as number) > 0 ? keyOf(d.last, d.lastUuid) : keyOf(d.since, d.sinceUuid);
        if (compareKey(newest, reached) <= 0) return;
        ctx.fail(
          'correctness',
          NAME,
          `${from} answered ${String(d.to)}'s catch-up of its own '${resource}' stream with ${String(d.n)} records up to ${showKey(reached)} and no more, but a heartbeat it sent before announced its newest own record ${showKey(newest)} (trace #${r.i})`,
        );
      });
    },
  };
}
