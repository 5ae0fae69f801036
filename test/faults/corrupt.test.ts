/**
 * Damage at rest (`corrupt`): the medium under a durable file or kv value is damaged, so every later read
 * and every restart sees it (unlike bitFlip, which spoils one read of an intact medium). Shown on the raw
 * disk and kv store, then on the block store: the real store never returns the damaged bytes
 * (ECHECKSUM), the weakened `storage-no-read-verify` does.
 */
import { describe, expect, it } from 'vitest';
import { damageBytes, damageValue } from '../../src/faults/damage.ts';
import { installFaults } from '../../src/faults/inject.ts';
import type { FaultEvent } from '../../src/faults/plan.ts';
import type { Env } from '../../src/impl/env.ts';
import { BlockStore } from '../../src/impl/storage/index.ts';
import { Rng } from '../../src/sim/rng.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';

const SECTOR = 512;

/** Bits that differ between two arrays of one length. */
function bitsDiffering(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) for (let x = a[i]! ^ b[i]!; x !== 0; x &= x - 1) n++;
  return n;
}

/** A durable file `/a/f` of 2 sectors; reads at 200 and 300 ms, and after a power loss at 400 ms. */
async function diskWorld(events: FaultEvent[], fsync = true): Promise<{ reads: Uint8Array[]; original: Uint8Array; records: readonly TraceRecord[]; sim: Simulation }> {
  const original = new Uint8Array(2 * SECTOR).map((_, i) => (i * 7 + 1) & 0xff);
  const reads: Uint8Array[] = [];
  const sim = new Simulation({ seed: 5, trace: { keepAll: true } });
  sim.addDevice('A', { disk: { profile: 'strict' } });
  sim.addNode('A', {
    program: async (env: Env) => {
      if (env.incarnation === 0) {
        await env.disk.mkdir('/a');
        await env.disk.writeFile('/a/f', original);
        if (fsync) {
          await env.disk.fsync('/a/f');
          await env.disk.fsyncDir('/a');
          await env.disk.fsyncDir('/');
        }
        for (const at of [200, 300]) {
          await env.clock.sleep(at - env.clock.monotonic());
          reads.push(await env.disk.readFile('/a/f'));
        }
        return;
      }
      reads.push(await env.disk.readFile('/a/f').catch(() => new Uint8Array(0)));
    },
  });
  sim.start('A');
  installFaults(sim, { events: [...events, { kind: 'crash', atMs: 400, node: 'A', powerLoss: true, restartAfterMs: 10 }] });
  await sim.run({ untilUs: 1_000_000 });
  return { reads, original, records: sim.trace.records()!, sim };
}

describe('corrupt: a durable file damaged at rest', () => {
  it('flip: one bit differs in every later read, and after a power loss (bitFlip: in one read only)', async () => {
    const w = await diskWorld([{ kind: 'corrupt', atMs: 100, node: 'A', path: '/a/f' }]);
    expect(w.reads).toHaveLength(3);
    for (const r of w.reads) expect(bitsDiffering(r, w.original)).toBe(1);
    expect(w.reads[1]).toEqual(w.reads[0]);
    const fault = w.records.find((r) => r.kind === 'fault.corrupt')!;
    expect(fault.data).toMatchObject({ node: 'A', path: '/a/f', file: '/a/f', length: 1 });
    const medium = w.records.find((r) => r.kind === 'disk.corrupt')!;
    expect(medium.data).toEqual({ device: 'A', path: '/a/f', len: 2 * SECTOR });
    expect(fault.i).toBeLessThan(medium.i); // the cause before its effect
    expect(w.sim.device('A').disk.durableFile('/a/f')).toEqual(w.reads[2]);

    const flipped = await diskWorld([{ kind: 'bitFlip', atMs: 100, node: 'A', nth: 1 }]);
    expect(flipped.reads.map((r) => bitsDiffering(r, flipped.original))).toEqual([1, 0, 0]);
  });

  it('zero: one sector that held data reads as zeros; truncate: the tail is cut at a sector boundary', async () => {
    const zero = await diskWorld([{ kind: 'corrupt', atMs: 100, node: 'A', mode: 'zero' }]);
    const z = zero.reads[2]!;
    const zeroed = [0, 1].filter((s) => z.subarray(s * SECTOR, (s + 1) * SECTOR).every((b) => b === 0));
    expect(zeroed).toHaveLength(1);
    expect(z.length).toBe(2 * SECTOR);
    const cut = await diskWorld([{ kind: 'corrupt', atMs: 100, node: 'A', mode: 'truncate' }]);
    for (const r of cut.reads) {
      expect(r.length % SECTOR).toBe(0);
      expect(r.length).toBeLessThan(2 * SECTOR);
      expect(r).toEqual(cut.original.subarray(0, r.length));
    }
  });

  it('a file that is not durable yet is not damaged: fault.miss, nothing counted', async () => {
    const w = await diskWorld([{ kind: 'corrupt', atMs: 100, node: 'A' }], false);
    expect(w.reads.slice(0, 2)).toEqual([w.original, w.original]);
    expect(w.records.filter((r) => r.kind === 'fault.corrupt')).toEqual([]);
    expect(w.records.find((r) => r.kind === 'fault.miss')!.data).toMatchObject({ kind: 'corrupt', reason: 'no durable file matches' });
  });

  it('a pending write over the damage hides it until a power loss drops that write', async () => {
    const sim = new Simulation({ seed: 1 });
    sim.addDevice('A', { disk: { profile: 'strict' } });
    const seen: Uint8Array[] = [];
    sim.addNode('A', {
      program: async (env: Env) => {
        if (env.incarnation > 0) return void seen.push(await env.disk.readFile('/x'));
        await env.disk.writeFile('/x', new Uint8Array(SECTOR).fill(1));
        await env.disk.fsync('/x');
        await env.disk.fsyncDir('/');
        await env.disk.write('/x', 0, new Uint8Array(SECTOR).fill(2)); // not synced
        await env.clock.sleep(100);
        seen.push(await env.disk.readFile('/x'));
      },
    });
    sim.start('A');
    installFaults(sim, {
      events: [
        { kind: 'corrupt', atMs: 50, node: 'A', mode: 'zero' },
        { kind: 'crash', atMs: 200, node: 'A', powerLoss: true, restartAfterMs: 10 },
      ],
    });
    await sim.run({ untilUs: 1_000_000 });
    expect(seen).toEqual([new Uint8Array(SECTOR).fill(2), new Uint8Array(SECTOR)]);
  });

  it('picks only among the files its path (a prefix with *) matches', async () => {
    const files: string[] = [];
    for (let seed = 0; seed < 20; seed++) {
      const sim = new Simulation({ seed, trace: { keepAll: true } });
      sim.addNode('A', {
        program: async (env: Env) => {
          await env.disk.mkdir('/a');
          await env.disk.mkdir('/b');
          for (const p of ['/a/1', '/a/2', '/b/1', '/top']) await env.disk.writeFile(p, new Uint8Array(8).fill(9));
          for (const p of ['/a/1', '/a/2', '/b/1', '/top']) await env.disk.fsync(p);
          for (const d of ['/a', '/b', '/']) await env.disk.fsyncDir(d);
        },
      });
      sim.start('A');
      installFaults(sim, { events: [{ kind: 'corrupt', atMs: 100, node: 'A', path: '/a/*' }] });
      await sim.run({ untilUs: 200_000 });
      files.push(sim.trace.records()!.find((r) => r.kind === 'fault.corrupt')!.data.file as string);
    }
    expect(new Set(files)).toEqual(new Set(['/a/1', '/a/2']));
  });
});

describe('corrupt: a durable kv value damaged at rest', () => {
  it('every later get sees it; a newer commit not durable yet hides it until a power loss undoes that commit', async () => {
    const data = new Uint8Array(64).fill(0x33);
    const seen: unknown[] = [];
    const sim = new Simulation({ seed: 4, trace: { keepAll: true } });
    sim.addDevice('A', { kv: { durability: 'relaxed', flushMs: 10_000 } });
    sim.addNode('A', {
      program: async (env: Env) => {
        const get = (): Promise<unknown> => env.kv.transaction(['blocks'], 'readonly', (t) => t.get('blocks', 'k'));
        if (env.incarnation > 0) return void seen.push(await get());
        await env.kv.transaction(['blocks', 'meta'], 'readwrite', async (t) => {
          await t.put('blocks', 'k', { v: 1, data });
          await t.put('meta', 'n', 5);
        }, { durability: 'strict' });
        await env.clock.sleep(100);
        seen.push(await get());
        await env.kv.transaction(['blocks'], 'readwrite', async (t) => t.put('blocks', 'k', { v: 2, data })); // relaxed
        seen.push(await get());
      },
    });
    sim.start('A');
    installFaults(sim, {
      events: [
        { kind: 'corrupt', atMs: 50, node: 'A', area: 'kv', path: 'blocks' },
        { kind: 'crash', atMs: 300, node: 'A', powerLoss: true, restartAfterMs: 10 },
      ],
    });
    await sim.run({ untilUs: 1_000_000 });
    const damaged = seen[0] as { v: number; data: Uint8Array };
    expect(damaged.v).toBe(1);
    expect(bitsDiffering(damaged.data, data)).toBe(1);
    expect(seen[1]).toEqual({ v: 2, data });
    const loss = sim.trace.records()!.find((r) => r.kind === 'kv.powerloss')!.data;
    expect(seen[2]).toEqual(loss.lost === 1 ? damaged : { v: 2, data });
    expect(sim.trace.records()!.find((r) => r.kind === 'fault.corrupt')!.data).toMatchObject({ store: 'blocks', key: 'k', at: 'data' });
  });
});

describe('damage helpers', () => {
  it('damageBytes never changes its input and damages exactly what it reports', () => {
    const rng = new Rng(3);
    for (let k = 0; k < 50; k++) {
      const input = rng.bytes(1 + rng.int(3 * SECTOR));
      const before = input.slice();
      const flip = damageBytes(input, 'flip', SECTOR, rng);
      expect(input).toEqual(before);
      expect(bitsDiffering(flip.result, input)).toBe(1);
      const zero = damageBytes(input, 'zero', SECTOR, rng);
      expect(zero.result.subarray(zero.offset, zero.offset + zero.length).every((b) => b === 0)).toBe(true);
      expect(zero.offset % SECTOR).toBe(0);
      const cut = damageBytes(input, 'truncate', SECTOR, rng);
      expect(cut.result.length).toBe(cut.offset);
      expect(cut.result.length + cut.length).toBe(input.length);
    }
  });

  it('damageValue keeps the shape and shares what it did not touch; null when nothing can be damaged', () => {
    const rng = new Rng(1);
    const inner = { keep: [1, 2, 3] };
    const value = { name: 'abc', inner, bytes: new Uint8Array([1, 2, 3]) };
    for (let k = 0; k < 20; k++) {
      const d = damageValue(value, 'flip', SECTOR, rng)!;
      const out = d.result as typeof value;
      expect(['name', 'bytes']).toContain(d.at);
      expect(out.inner).toBe(inner);
      expect(value.name).toBe('abc');
      expect(value.bytes).toEqual(new Uint8Array([1, 2, 3]));
      expect(d.at === 'name' ? out.name !== 'abc' : bitsDiffering(out.bytes, value.bytes) === 1).toBe(true);
    }
    expect(damageValue({ n: 1, ok: true, list: [] }, 'flip', SECTOR, rng)).toBeNull();
  });
});

describe('corrupt catches a store that does not verify what it reads', () => {
  /** Commits blocks 0..3, damages their durable copies at 300 ms, reads all back at 500 ms. */
  async function readsAfterDamage(backend: 'file' | 'kv', variant: string): Promise<string[]> {
    const block = (id: number): Uint8Array => new Uint8Array(256).fill(id + 1);
    const outcomes: string[] = [];
    const sim = new Simulation({ seed: 8 });
    sim.addNode('S', {
      program: async (env: Env) => {
        const store = await BlockStore.open(env, { backend, blockSize: 256, maxBlocks: 8, variant });
        for (let id = 0; id < 4; id++) store.write(id, block(id));
        await store.forceSync();
        await env.clock.sleep(500 - env.clock.monotonic());
        for (let id = 0; id < 4; id++) {
          const got = await store.read(id).catch((e: Error) => e);
          outcomes.push(got instanceof Error ? (got.message.includes('ECHECKSUM') ? 'ECHECKSUM' : got.message) : bitsDiffering(got!, block(id)) === 0 ? 'ok' : 'WRONG');
        }
      },
    });
    sim.start('S');
    const damage: FaultEvent[] = [0, 1].map(() =>
      backend === 'file' ? { kind: 'corrupt', atMs: 300, node: 'S', path: '/store/blocks/*' } : { kind: 'corrupt', atMs: 300, node: 'S', area: 'kv', path: 'store:blocks' },
    );
    installFaults(sim, { events: damage });
    await sim.run({ untilUs: 2_000_000 });
    return outcomes;
  }

  for (const backend of ['file', 'kv'] as const) {
    it(`${backend} backend: the real store answers ECHECKSUM for damaged blocks; storage-no-read-verify returns wrong bytes`, async () => {
      const sound = await readsAfterDamage(backend, '');
      expect(sound.filter((o) => o === 'ECHECKSUM').length).toBeGreaterThanOrEqual(1);
      expect(sound.every((o) => o === 'ok' || o === 'ECHECKSUM')).toBe(true);
      const weak = await readsAfterDamage(backend, 'storage-no-read-verify');
      expect(weak).toContain('WRONG');
    });
  }
});
