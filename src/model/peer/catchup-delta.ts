/**
 * invariant:catchup-delta — an incremental catch-up of writer W's stream (from W itself or relayed by
 * another peer) transfers at most W's writes newer than the watermark (counted from W's
 * `peer.commit.begin` records) plus one batch.
 */
import type { TraceCheck } from '../check.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import { type D, str } from './record-fields.ts';
import { countBelow } from '../sorted.ts';

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/**
 * Incremental catch-up transfers at most the delta (the writer's newer commits) plus one batch. The writer
 * is `writer` of the catch-up records (a relay serves another writer's stream), else the serving peer.
 */
export function catchupDeltaCheck(nodes: readonly string[], batchSize: number): TraceCheck {
  const name = 'invariant:catchup-delta';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const member = new Set(nodes);
      // writer|resource -> commit HLCs (ascending) and running totals of records
      const commits = new Map<string, { hlc: string[]; total: number[] }>();
      const sessions = new Map<string, { since: string | null; n: number }>();
      // Counted when a commit begins: a crash right after the kv commit made it durable leaves no
      // 'peer.commit' record, yet the device serves those records after restarting (an upper bound).
      ctx.trace.on('peer.commit.begin', (r) => {
        if (!member.has(r.node)) return;
        const d = r.data as D;
        const key = `${r.node}|${str(d.resource)}`;
        let c = commits.get(key);
        if (c === undefined) commits.set(key, (c = { hlc: [], total: [] }));
        c.hlc.push(str(d.hlc)!);
        c.total.push((c.total[c.total.length - 1] ?? 0) + num(d.n));
      });
      const newer = (writer: string, resource: string, since: string | null): number => {
        const c = commits.get(`${writer}|${resource}`);
        if (c === undefined) return 0;
        const all = c.total[c.total.length - 1] ?? 0;
        if (since === null) return all;
        const i = countBelow(c.hlc, since); // commits with hlc >= since
        return all - (i === 0 ? 0 : c.total[i - 1]!);
      };
      const writerOf = (d: D): string => str(d.writer) ?? str(d.peer)!;
      const key = (r: TraceRecord): string => `${r.node}|${str((r.data as D).peer)}|${writerOf(r.data as D)}|${str((r.data as D).resource)}`;
      ctx.trace.on('peer.catchup.begin', (r) => void sessions.set(key(r), { since: str((r.data as D).since), n: 0 }));
      ctx.trace.on('peer.catchup.batch', (r) => {
        const s = sessions.get(key(r));
        if (s !== undefined) s.n += num((r.data as D).n);
      });
      ctx.trace.on('peer.catchup.done', (r) => {
        const s = sessions.get(key(r));
        if (s === undefined) return;
        const d = r.data as D;
        const writer = writerOf(d);
        const delta = newer(writer, str(d.resource)!, s.since);
        ctx.exercised(name);
        if (s.n > delta + batchSize) {
          const via = writer === str(d.peer) ? '' : ` (relayed by ${str(d.peer)})`;
          ctx.fail('correctness', name, `${r.node} caught up ${s.n} '${str(d.resource)}' records of ${writer}${via} since ${s.since ?? 'the start'}, but ${writer} committed only ${delta} newer (plus one batch of ${batchSize} allowed) (trace #${r.i})`);
        }
      });
    },
  };
}

