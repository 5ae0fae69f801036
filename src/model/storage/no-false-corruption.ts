/**
 * invariant:no-false-corruption — a recovery reports a block version damaged (`store.recover.corrupt`) only
 * when the durable image, as the latest `fact.store-blocks` of the device shows it, still commits that
 * version and lacks it or holds it damaged. A version that another tab's later commit replaced (and its
 * finalize deleted) is no damage: a recovery that reads it from metadata the marker has left behind must
 * start over, not report it. A version the simulator damaged at rest (`disk.corrupt` / `kv.corrupt`) since the
 * latest fact is damaged too: the fact is taken at durable changes, not at damage (storage-swarm-kv-long seed
 * 13003: a value zeroed between two commits, found by an in-place recovery before any fact). The damage is
 * forgotten once a later fact shows that version current and intact (written again: a reused commit number).
 * A `suspect` report (`confirmed: false`: failing bytes repeated but never confirmed, which refuses repair
 * and destroys nothing, docs/storage.md "Stable reads") is allowed when the simulator flipped at least
 * SUSPECT_FLIPS reads of that block's files on that node since its recovery began: the documented rule
 * reads an item 2k + 2 times, k >= 3 identical failing reads to confirm, and says suspect only when every
 * one of those reads failed, so at least 8 (storage-flaky-recovery-reads seed 112: 16 flipped reads of a
 * 16-byte block, k = 7; found on fresh seeds by the review). With fewer it is a false report like any
 * other: a recovery that gives up after two flipped reads fails it.
 * A trace check: it reads the store's records and the simulator's evidence only.
 */
import { readCauses } from './read-fails-for-cause.ts';
import { devicesOf, type TraceCheck } from '../check.ts';
import { DamagedAtRest, storeKey } from './damaged-at-rest.ts';

/** Flipped reads a `suspect` verdict needs at the least: 2k + 2 reads, all failing, with k >= 3 (see above). */
const SUSPECT_FLIPS = 8;

/** What the latest `fact.store-blocks` of a device says: the versions its durable commit holds, and which are bad. */
interface DeviceBlocks {
  current: string[] | null;
  bad: Set<string>;
}

export const noFalseCorruption: TraceCheck = {
  onTrace: true,
  name: 'invariant:no-false-corruption',
  covers: ['invariant:no-false-corruption'],
  setup(ctx) {
    // Per store: a device's stores (backend and root) are different media, and so are other devices'.
    const byStore = new Map<string, DeviceBlocks>();
    /** The store each node opened (`store.open {backend, root}`). */
    const storeOf = new Map<string, string>();
    const devices = devicesOf(ctx);
    ctx.trace.on('store.open', (rec) => void storeOf.set(rec.node, `${String(rec.data.backend)}\u0000${String(rec.data.root)}`));
    /** Per store: the versions the simulator damaged at rest, until a later fact shows them intact. */
    const atRest = new DamagedAtRest(ctx.trace);
    ctx.trace.on('fact.store-blocks', (rec) => {
      const d = rec.data as { device: string; backend: string; root: string; current: string[] | null; missing: string[]; damaged: string[] };
      const key = storeKey(d.device, d.backend, d.root);
      const bad = new Set([...d.missing, ...d.damaged]);
      byStore.set(key, { current: d.current, bad });
      atRest.heal(key, d.current, (n) => bad.has(n));
    });
    // Every recovery that ends has been judged: its corrupt claims (none, mostly) were checked as they came.
    ctx.trace.on('store.recover.done', () => ctx.exercised(this.name));
    const causes = readCauses(ctx);
    /** Node -> block id -> flipped reads of its files when the node's recovery began. */
    const flipsAtRecovery = new Map<string, Map<number, number>>();
    ctx.trace.on('store.recover.begin', (rec) => {
      const at = new Map<number, number>();
      const prefix = `${rec.node}|`;
      for (const [k, n] of causes.flips) if (k.startsWith(prefix)) at.set(Number(k.slice(prefix.length)), n);
      flipsAtRecovery.set(rec.node, at);
    });
    ctx.trace.on('store.recover.corrupt', (rec) => {
      const key = `${devices.get(rec.node) ?? rec.node}\u0000${storeOf.get(rec.node) ?? ''}`;
      const blocks = byStore.get(key);
      const version = `${String(rec.data.id)}.${String(rec.data.v)}`;
      if (blocks?.current?.includes(version) === true && (blocks.bad.has(version) || atRest.has(key, version))) return;
      const id = Number(rec.data.id);
      if (rec.data.confirmed === false && causes.count(rec.node, id) - (flipsAtRecovery.get(rec.node)?.get(id) ?? 0) >= SUSPECT_FLIPS) return;
      const why = blocks?.current?.includes(version) === true ? 'the durable image holds it intact' : 'the durable commit point no longer has that version (another commit replaced it)';
      ctx.fail('correctness', this.name, `${rec.node}'s recovery reports block ${version} damaged, but ${why} (trace #${rec.i})`);
    });
  },
};
