/**
 * invariant:backfill-resume — every full-scan request of a backfill starts at or after the durable
 * checkpoint of its resource as it was when the request was sent (a crash, restart, pause or peer switch
 * never makes it start over or go back), and the first one of each resource after a (re)start starts
 * exactly at it (nothing skipped). Evidence: `fact.peer.store` (durable-checkpoints.ts) and what the
 * network delivered (`fact.peer.request`), never the implementation's own figures about its progress.
 */
import type { TraceCheck } from '../check.ts';
import { compareKey, keyOf, showKey, type Key } from './change-keys.ts';
import { durableHistories, type Entry } from './durable-checkpoints.ts';
import type { D } from './record-fields.ts';

const entryKey = (e: Entry | undefined): Key | null => (e === undefined || e.ts === null ? null : { ts: e.ts, uuid: e.uuid ?? '' });

/** Full-scan requests start at the durable checkpoint after a (re)start, and never go back before it. */
export function backfillResumeCheck(nodes: readonly string[]): TraceCheck {
  const name = 'invariant:backfill-resume';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const members = new Set(nodes);
      const durable = durableHistories(ctx, members);
      // Per device: when its current process started, and the resources it has asked for since.
      const started = new Map<string, { us: number; asked: Set<string> }>();
      ctx.trace.on('node.start', (r) => void (members.has(r.node) && started.set(r.node, { us: r.t, asked: new Set() })));
      ctx.trace.on('fact.peer.request', (r) => {
        const d = r.data as D;
        const device = d.from as string;
        if (d.writer !== null || !members.has(device)) return;
        const sentUs = d.sentUs as number;
        const life = started.get(device);
        if (life === undefined || sentUs < life.us) return; // sent by a process that is gone
        const resource = d.resource as string;
        const at = entryKey(durable.get(device)?.at(sentUs)?.[resource]);
        const first = !life.asked.has(resource);
        life.asked.add(resource);
        if (at === null) return; // nothing durable yet: any start is a start
        ctx.exercised(name);
        const since = keyOf(d.since, d.sinceUuid);
        // A shared resource's cursor is an HLC (no uuid): compare timestamps only.
        const cmp = since === null ? -1 : d.sinceUuid === null ? (since.ts < at.ts ? -1 : since.ts > at.ts ? 1 : 0) : compareKey(since, at);
        const fail = (what: string): void =>
          ctx.fail('correctness', name, `${device} asked ${d.to as string} for '${resource}' from ${showKey(since)}${what}, but its durable checkpoint of '${resource}' was at ${showKey(at)} (trace #${r.i})`);
        if (cmp < 0) fail(since === null ? ' (started over from zero)' : ' (went back)');
        else if (first && cmp > 0) fail(' as its first request after starting (records in between skipped)');
      });
    },
  };
}
