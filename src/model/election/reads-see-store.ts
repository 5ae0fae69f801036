/**
 * invariant:reads-see-store: a tab's `read(key)` returns what the store held under that key at some
 * moment while the read ran. The tabs read the shared store without a leader (read-only transactions on
 * the committed directory and key record: src/impl/election/block-fenced-store.ts), and nothing else judges
 * that path: a read of another version, of the directory's stale copy, of a key's neighbour, or a read
 * that answers from a cache the tab never refreshes would pass every other check.
 *
 * Evidence, all from the simulator and the workload: the workload's own record of each read
 * (`workload.read {node, device, key, id}` when it is issued, `workload.read-result {node, key, id, ok,
 * value}` when it returns: value null for "no such key"); the device's durable kv image, decoded here by
 * the store's documented layout (`store:meta` key `meta`: each block's version; `store:blocks`
 * `<id>.<version>`: block 0 the key directory, JSON `{key: id}`, block `<id>` the key's record, JSON
 * `{key, value, ...}`), read when the read is issued and again at every `fact.store` (a durable commit)
 * while it runs. The read must return one of those values. A read may fail only when the simulator hurt
 * it: a kv operation of its tab failed by an injected fault (`kv.fault`) while it ran, or the device's
 * store was damaged at rest (`kv.corrupt`) before it returned; a read that fails otherwise (a store whose
 * reads always fail would pass every other check) fails the check. A read whose tab went down is dropped.
 *
 * The built-in store's commits are strict (visible when durable), so a read never sees a value that is
 * not durable; a store that lets reads see a commit before it is durable fails here too.
 */
import type { Check, ScenarioContext } from '../../scenario/types.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import { BLOCKS_STORE, decodeDirectory, decodeKeyRecord, DIRECTORY, META_STORE, ROOT } from './records-follow-requests.ts';

/** The invariant's name. */
export const READS_SEE_STORE = 'invariant:reads-see-store';


/** A read that has not returned: the values its key held durably since it was issued. */
interface OpenRead {
  node: string;
  device: string;
  key: string;
  /** Values seen (null: the key was absent), in order. */
  seen: (string | null)[];
  /** An injected fault failed a kv operation of the reader while the read ran. */
  hurt: boolean;
}

/**
 * The version of block `id` in the metadata's rows `[id, version]`: that of the last well-formed row naming
 * it (what a map filled from the rows in order would hold), or undefined. A scan of the few rows instead of
 * a map built per lookup.
 */
function versionOf(rows: readonly unknown[], id: number): number | undefined {
  let v: number | undefined;
  for (const row of rows) if (Array.isArray(row) && row[0] === id && typeof row[1] === 'number') v = row[1];
  return v;
}

/**
 * The value of `key` in the device's durable image by the store's layout: null when the key is absent,
 * a string for its record's value, or a description (starting with '<') when the image is not readable.
 */
function durableValue(ctx: ScenarioContext, device: string, key: string): string | null {
  const kv = ctx.sim.device(device).kv;
  const meta = kv.durableGet(META_STORE, 'meta') as { blocks?: unknown } | undefined;
  if (meta === undefined) return null;
  const rows = Array.isArray(meta.blocks) ? (meta.blocks as unknown[]) : [];
  const dv = versionOf(rows, DIRECTORY);
  if (dv === undefined) return null;
  const directory = decodeDirectory(kv.durableGet(BLOCKS_STORE, `${DIRECTORY}.${dv}`));
  const id = directory?.[key];
  if (typeof id !== 'number') return null;
  const v = versionOf(rows, id);
  const rec = v === undefined ? null : decodeKeyRecord(kv.durableGet(BLOCKS_STORE, `${id}.${v}`));
  return rec !== null && rec.key === key && typeof rec.value === 'string' ? rec.value : `<no record of '${key}' in block ${id}>`;
}

/** The check (state per run). */
export function readsSeeStore(): Check {
  const STATE = 'reads-see-store';
  return {
    name: READS_SEE_STORE,
    covers: [READS_SEE_STORE],
    setup(ctx: ScenarioContext) {
      const open = new Map<number, OpenRead>();
      ctx.runState.set(STATE, open);
      const note = (r: OpenRead): void => {
        const v = durableValue(ctx, r.device, r.key);
        if (r.seen[r.seen.length - 1] !== v) r.seen.push(v);
      };
      ctx.trace.on('workload.read', (rec: TraceRecord) => {
        const d = rec.data;
        const r: OpenRead = { node: String(d.node), device: String(d.device), key: String(d.key), seen: [], hurt: false };
        note(r);
        open.set(d.id as number, r);
      });
      ctx.trace.on('fact.store', (rec: TraceRecord) => {
        if (open.size === 0 || rec.data.root !== ROOT || rec.data.backend !== 'kv') return;
        for (const r of open.values()) if (r.device === rec.data.device) note(r);
      });
      const drop = (rec: TraceRecord): void => {
        for (const [id, r] of open) if (r.node === rec.node) open.delete(id);
      };
      ctx.trace.on('node.crash', drop);
      ctx.trace.on('node.stop', drop);
      ctx.trace.on('kv.fault', (rec: TraceRecord) => {
        for (const r of open.values()) if (r.node === rec.node) r.hurt = true;
      });
      /** Devices whose durable kv image was damaged at rest (reads may fail their checksum from then on). */
      const damaged = new Set<string>();
      ctx.trace.on('kv.corrupt', (rec: TraceRecord) => void damaged.add(String(rec.data.device)));
      ctx.trace.on('workload.read-result', (rec: TraceRecord) => {
        const d = rec.data;
        const r = open.get(d.id as number);
        if (r === undefined) return;
        open.delete(d.id as number);
        ctx.exercised(READS_SEE_STORE);
        if (d.ok !== true) {
          if (r.hurt || damaged.has(r.device)) return;
          ctx.fail(
            'correctness',
            READS_SEE_STORE,
            `${r.node} read key '${r.key}' and the read failed (${String(d.code)}) although no injected fault hurt its kv operations and the store was never damaged at rest`,
            { node: r.node, key: r.key, id: d.id },
          );
          return;
        }
        const value = (d.value ?? null) as string | null;
        if (r.seen.includes(value)) return;
        ctx.fail(
          'correctness',
          READS_SEE_STORE,
          `${r.node} read key '${r.key}' as ${JSON.stringify(value)}, but while the read ran the store held ${r.seen.map((v) => JSON.stringify(v)).join(', then ')} under it (the durable image, by the store's layout)`,
          { node: r.node, key: r.key, id: d.id },
        );
      });
    },
  };
}
