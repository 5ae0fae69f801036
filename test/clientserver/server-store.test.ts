/**
 * The server's change log on the storage layer (server-store.ts) and its evidence (src/evidence/cs-server.ts):
 * appends are pages of a block store that the recorder decodes from the simulator's durable image on
 * both backends; a reopen (recovery) gives back the log; a power loss mid-append leaves all or nothing of
 * it; a rewritten history is reported as a loss; and an ACK sent before the append is durable (the audit's
 * bug 1, here by a commit that does not wait for its forceSync) fails the torn-append scenario.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { csServerEvidence, type ServerEntry } from '../../src/evidence/cs-server.ts';
import { BlockStore } from '../../src/impl/storage/index.ts';
import { ServerStore, type ServerStoreConfig } from '../../src/impl/clientserver/server-store.ts';
import type { Change } from '../../src/impl/clientserver/messages.ts';
import { runScenario } from '../../src/scenario/run.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';
import storage from '../../scenarios/clientserver/storage.ts';

const DEVICE = 'server';
const configOf = (backend: 'file' | 'kv'): ServerStoreConfig => ({ backend, root: backend === 'file' ? '/cs-server' : 'cs-server', blockSize: 256 });

interface World {
  sim: Simulation;
  facts: TraceRecord[];
  store: () => ServerStore;
}

/** A server device with one node opening the server store (its log loaded), and fact.cs.server recorded. */
function world(backend: 'file' | 'kv'): World {
  const sim = new Simulation({ seed: 3 });
  const facts: TraceRecord[] = [];
  sim.addNode('S', {
    device: DEVICE,
    program: async (env) => {
      const s = new ServerStore(env, configOf(backend));
      await s.loadMeta();
      return s;
    },
  });
  csServerEvidence(DEVICE).install(sim);
  sim.trace.on('fact.cs.server', (r) => facts.push(r));
  sim.start('S');
  return { sim, facts, store: () => sim.node('S').handle as ServerStore };
}

/** Runs the simulation until `p` settles. */
async function settle<T>(w: World, p: Promise<T>): Promise<T> {
  let done = false;
  const out = p.finally(() => (done = true));
  for (let t = w.sim.scheduler.now; !done && t < 60_000_000; t += 1_000) await w.sim.runUntil(t + 1_000);
  return out;
}

const change = (v: number, value = `value ${v} ${'x'.repeat(v % 7 * 9)}`): Change => ({ table: 't', pk: `k${v % 5}`, col: 'c', value, colVersion: v, site: 'client-a', dbVersion: v });

/** The log the facts make: every entry added since the last change of site. */
function factLog(facts: readonly TraceRecord[]): { site: unknown; head: unknown; entries: ServerEntry[]; removed: number } {
  let entries: ServerEntry[] = [];
  let site: unknown = null;
  let removed = 0;
  for (const f of facts) {
    if (f.data.site !== site) entries = [];
    site = f.data.site;
    removed += f.data.removed as number;
    entries.push(...(f.data.added as ServerEntry[]));
  }
  return { site, head: facts.at(-1)?.data.head, entries, removed };
}

describe.each(['file', 'kv'] as const)('the server store on the %s backend', (backend) => {
  let w: World;
  afterEach(() => undefined);

  it('appends pages the evidence decodes from the durable image; dedup and gap as before', async () => {
    w = world(backend);
    await w.sim.runUntil(50_000);
    const s = w.store();
    await settle(w, s.rebuild('server-site', 1, 0));
    const first = await settle(w, s.append('client-a', [1, 2, 3, 4, 5, 6, 7, 8].map((v) => change(v))));
    expect(first).toMatchObject({ upTo: 8, skipped: 0, gap: false });
    // A resend overlapping what is stored, then a gap: skipped, and refused from the gap on.
    const again = await settle(w, s.append('client-a', [7, 8, 9, 11].map((v) => change(v))));
    expect(again).toMatchObject({ upTo: 9, skipped: 2, gap: true });
    expect(again.entries.map((e) => e.seq)).toEqual([9]);
    await settle(w, s.exec('server-site', [{ table: 't', pk: 'op', col: 'c', value: 'é ✓ multi-byte' }], () => 1));
    const log = factLog(w.facts);
    expect(log).toMatchObject({ site: 'server-site', head: 10, removed: 0 });
    expect(log.entries.map((e) => [e[0], e[1], e[2]])).toEqual([...Array.from({ length: 9 }, (_, i) => [i + 1, 'client-a', i + 1]), [10, 'server-site', 10]]);
    expect(log.entries[9]![6]).toBe('é ✓ multi-byte');
    expect(s.readAfter(0, 'client-a').entries.map((e) => [e.seq, e.site, e.dbVersion, e.value])).toEqual(log.entries.map((e) => [e[0], e[1], e[2], e[6]]));
  });

  it('a reopen after a power loss gives back the log, the identity and each client\u2019s highest version', async () => {
    w = world(backend);
    await w.sim.runUntil(50_000);
    await settle(w, w.store().rebuild('server-site', 2, 4));
    for (let b = 0; b < 5; b++) await settle(w, w.store().append('client-a', [1, 2, 3].map((k) => change(b * 3 + k))));
    const before = w.store().readAfter(0, 'client-a');
    w.sim.crash('S', { powerLoss: true });
    w.sim.start('S');
    await w.sim.runUntil(w.sim.scheduler.now + 200_000);
    const s = w.store();
    expect(await settle(w, s.loadMeta())).toEqual({ site: 'server-site', schema: 2, generation: 4, head: 15 });
    expect(s.readAfter(0, 'client-a')).toEqual(before);
    expect(s.acked('client-a')).toBe(15);
  });

  it('a power loss in the middle of an append leaves all of it or none, and the facts never show a part', async () => {
    for (const cutAfterUs of [200, 600, 1_500, 3_000]) {
      w = world(backend);
      await w.sim.runUntil(50_000);
      await settle(w, w.store().rebuild('server-site', 1, 0));
      await settle(w, w.store().append('client-a', [1, 2].map((v) => change(v))));
      void w.store().append('client-a', [3, 4, 5, 6, 7, 8, 9, 10].map((v) => change(v))).catch(() => undefined);
      await w.sim.runUntil(w.sim.scheduler.now + cutAfterUs);
      w.sim.crash('S', { powerLoss: true });
      w.sim.start('S');
      await w.sim.runUntil(w.sim.scheduler.now + 200_000);
      const head = (await settle(w, w.store().loadMeta())).head;
      expect([2, 10]).toContain(head);
      const log = factLog(w.facts);
      expect(log.removed).toBe(0);
      expect(log.entries.length).toBe(head);
      expect(w.facts.map((f) => f.data.head).filter((h) => h !== 2 && h !== 10 && h !== 0)).toEqual([]);
    }
  });
});

describe('the server store at the edges of a block', () => {
  const enc = new TextEncoder();
  /** The header rebuild(site, 1, 0) writes (the documented format). */
  const headerOf = (site: string): string => JSON.stringify({ format: 'cs-log', v: 1, site, schema: 1, generation: 0, head: 0, bytes: 0 });

  it('writes a header that fills its block exactly, and refuses one a byte longer (EINVAL) rather than cut it', async () => {
    const w = world('file');
    await w.sim.runUntil(50_000);
    const fits = 'f'.repeat(256 - enc.encode(headerOf('')).length);
    expect(enc.encode(headerOf(fits)).length).toBe(256);
    await settle(w, w.store().rebuild(fits, 1, 0));
    expect(factLog(w.facts).site).toBe(fits);
    const err = await settle(w, w.store().rebuild(`${fits}g`, 1, 0).then(() => null, (e: unknown) => e));
    expect(err).toMatchObject({ code: 'EINVAL', message: 'EINVAL: server log header of 257 bytes exceeds blockSize 256' });
    // Nothing of the refused header was written: a reopen finds the identity it had.
    w.sim.crash('S', { powerLoss: true });
    w.sim.start('S');
    await w.sim.runUntil(w.sim.scheduler.now + 200_000);
    expect(await settle(w, w.store().loadMeta())).toEqual({ site: fits, schema: 1, generation: 0, head: 0 });
  });

  it('a rebuild deallocates every page of the old log: the block store keeps the header block only, before and after a reopen', async () => {
    const w = world('file');
    await w.sim.runUntil(50_000);
    await settle(w, w.store().rebuild('server-site', 1, 0));
    await settle(w, w.store().append('client-a', Array.from({ length: 12 }, (_, i) => change(i + 1))));
    const blocks = (): number[] => (w.store() as unknown as { store: BlockStore }).store.blockIds();
    const pages = blocks();
    expect(pages.length).toBeGreaterThan(3);
    expect(pages).toEqual(Array.from({ length: pages.length }, (_, i) => i));
    await settle(w, w.store().rebuild('server-site-2', 1, 1));
    expect(blocks()).toEqual([0]);
    expect(w.store().readAfter(0, 'client-a').entries).toEqual([]);
    w.sim.crash('S', { powerLoss: true });
    w.sim.start('S');
    await w.sim.runUntil(w.sim.scheduler.now + 200_000);
    expect((await settle(w, w.store().loadMeta())).head).toBe(0);
    expect(blocks()).toEqual([0]);
  });

  it('an append that ends exactly at a page boundary, then another, reopen to the same log', async () => {
    const w = world('file');
    await w.sim.runUntil(50_000);
    await settle(w, w.store().rebuild('server-site', 1, 0));
    const line = (value: string): number => enc.encode(`${JSON.stringify(['t', 'k1', 'c', value, 1, 'client-a', 1])}\n`).length;
    const exact = change(1, 'p'.repeat(256 - line('')));
    expect(line(exact.value!)).toBe(256);
    await settle(w, w.store().append('client-a', [exact]));
    await settle(w, w.store().append('client-a', [change(2), change(3)]));
    const before = w.store().readAfter(0, 'client-a');
    expect(before.entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    w.sim.crash('S', { powerLoss: true });
    w.sim.start('S');
    await w.sim.runUntil(w.sim.scheduler.now + 200_000);
    expect((await settle(w, w.store().loadMeta())).head).toBe(3);
    expect(w.store().readAfter(0, 'client-a')).toEqual(before);
    expect(factLog(w.facts).entries.map((e) => [e[0], e[6]])).toEqual(before.entries.map((e) => [e.seq, e.value]));
  });
});

describe('the evidence reports a rewritten history as a loss', () => {
  it('an entry rewritten in place (same seq, other content) counts as removed and added again', async () => {
    const w = world('file');
    await w.sim.runUntil(50_000);
    await settle(w, w.store().rebuild('server-site', 1, 0));
    await settle(w, w.store().append('client-a', [1, 2, 3].map((v) => change(v, `v${v}`))));
    w.sim.crash('S', { powerLoss: false });
    // Another program rewrites page 1 with entry 2 changed (the header is untouched).
    w.sim.addNode('X', {
      device: DEVICE,
      program: async (env) => {
        const store = await BlockStore.open(env, { backend: 'file', root: '/cs-server', blockSize: 256, corruption: 'report' });
        const page = (await store.read(1))!;
        const text = new TextDecoder().decode(page).replace('"v2"', '"w2"');
        store.write(1, new TextEncoder().encode(text).slice(0, 256));
        await store.forceSync();
        return store;
      },
    });
    w.sim.start('X');
    await w.sim.runUntil(w.sim.scheduler.now + 500_000);
    const last = w.facts.at(-1)!.data;
    expect(last).toMatchObject({ site: 'server-site', head: 3, removed: 1 });
    expect((last.added as ServerEntry[]).map((e) => [e[0], e[6]])).toEqual([[2, 'w2']]);
  });
});

describe('audit bug 1: an ACK before the append is durable', () => {
  const torn = storage.find((s) => s.name === 'cs-server-torn-append')!;
  const proto = ServerStore.prototype as unknown as { commit(store: BlockStore): Promise<void> };
  const commit = proto.commit;
  afterEach(() => {
    proto.commit = commit;
  });

  it('passes cs-server-torn-append unmodified (seed 1)', async () => {
    const r = await runScenario(torn, 1);
    expect(r.failure).toBeNull();
    expect(r.verdict).toBe('pass');
  });

  it('fails cs-server-torn-append when a commit does not wait for its forceSync (seed 1): an operator write told done before it is durable, or a client change lost', async () => {
    proto.commit = (store) => {
      void store.forceSync().catch(() => undefined);
      return Promise.resolve();
    };
    const bad = await runScenario(torn, 1);
    expect(bad.verdict).toBe('correctness');
    expect(['invariant:operator-writes-stored', 'invariant:no-loss-no-dup']).toContain(bad.failure?.check);
  });
});
