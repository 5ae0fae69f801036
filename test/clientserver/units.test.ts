/**
 * Unit tests of the client-server pieces no scenario can aim at precisely: message validation, option
 * validation, the footer's status function, the progress tracker's late subscribers, and the server's
 * refusal of a push past a gap.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage, wins } from '../../src/impl/clientserver/messages.ts';
import { resolveClientOptions, resolveServerOptions } from '../../src/impl/clientserver/options.ts';
import { ProgressTracker, type Progress } from '../../src/impl/clientserver/progress.ts';
import { isGreen, statusOf } from '../../src/impl/clientserver/status.ts';
import { cellKey, ClientStore } from '../../src/impl/clientserver/client-store.ts';
import type { Value } from '../../src/impl/env.ts';
import type { Change } from '../../src/impl/clientserver/messages.ts';
import { Simulation } from '../../src/sim/simulation.ts';

describe('messages', () => {
  it('accepts a valid Hello and refuses one with a bad field', () => {
    expect(decodeMessage({ type: 'Hello', db: 'd', schema: 1, client: 'c', server: null, cursor: 0 })).not.toBeNull();
    expect(decodeMessage({ type: 'Hello', db: 'd', schema: 1, client: 'c', server: null, cursor: -1 })).toBeNull();
    expect(decodeMessage({ type: 'Nope' })).toBeNull();
    expect(decodeMessage({ type: 'Changes', changes: [{ table: 't', pk: 'p', col: 'c', value: 'v', colVersion: 1, dbVersion: 1, site: 's' }] })).toBeNull(); // no seq
  });

  it('orders concurrent writes by column version, then by site id', () => {
    expect(wins({ colVersion: 2, site: 'a' }, { colVersion: 1, site: 'z' })).toBe(true);
    expect(wins({ colVersion: 1, site: 'b' }, { colVersion: 1, site: 'a' })).toBe(true);
    expect(wins({ colVersion: 1, site: 'a' }, { colVersion: 1, site: 'a' })).toBe(false);
  });
});

describe('options', () => {
  it('fills defaults and names the bad field', () => {
    const c = resolveClientOptions({ server: 'S', db: 'd', schema: 1 });
    expect([c.stuckAfterMs, c.rapidFailuresMax, c.meta]).toEqual([10_000, 3, null]);
    expect(() => resolveClientOptions({ server: 'S', db: 'd', schema: 1, stuckAfterMs: 0 })).toThrow(/stuckAfterMs/);
    expect(() => resolveClientOptions({ server: 'S', db: 'd', schema: 1, pingEveryMs: 500, staleAfterMs: 400 })).toThrow(/staleAfterMs/);
    expect(() => resolveServerOptions({ db: 'd', schema: 1, generation: -1 })).toThrow(/generation/);
  });

  it('validates the client options: a given value is used, each refusal names its field and the value', () => {
    const base = { server: 'S', db: 'd', schema: 1 };
    const c = resolveClientOptions({ ...base, pingEveryMs: 300, staleAfterMs: 900, stuckAfterMs: 1, rapidFailuresMax: 1, pushBatch: 1, nukePushTimeoutMs: 7 });
    expect([c.pingEveryMs, c.staleAfterMs, c.stuckAfterMs, c.rapidFailuresMax, c.pushBatch, c.nukePushTimeoutMs]).toEqual([300, 900, 1, 1, 1, 7]);
    // positive: a finite number above 0
    expect(() => resolveClientOptions({ ...base, pingEveryMs: Infinity })).toThrow('pingEveryMs: expected a positive number, got Infinity');
    expect(() => resolveClientOptions({ ...base, reconnectMs: Number.NaN })).toThrow('reconnectMs: expected a positive number, got NaN');
    expect(() => resolveClientOptions({ ...base, stuckAfterMs: -5 })).toThrow('stuckAfterMs: expected a positive number, got -5');
    expect(() => resolveClientOptions({ ...base, connectTimeoutMs: 0 })).toThrow('connectTimeoutMs: expected a positive number, got 0');
    // count: a positive integer
    expect(() => resolveClientOptions({ ...base, pushBatch: 0 })).toThrow('pushBatch: expected a positive number, got 0');
    expect(() => resolveClientOptions({ ...base, pushBatch: 1.5 })).toThrow('pushBatch: expected a positive integer, got 1.5');
    // named: a non-empty string
    expect(() => resolveClientOptions({ ...base, server: '' })).toThrow('server: expected a non-empty string');
    expect(() => resolveClientOptions({ ...base, db: 5 as unknown as string })).toThrow('db: expected a non-empty string');
    expect(resolveClientOptions({ ...base, meta: 'M' }).meta).toBe('M');
    expect(() => resolveClientOptions({ ...base, meta: '' })).toThrow('meta: expected a non-empty string');
  });

  it('validates the server options: each refusal names its field and the value, each bound is inclusive', () => {
    const base = { db: 'd', schema: 1 };
    // schema: an integer >= 0 (0 is a schema like any other)
    expect(resolveServerOptions({ ...base, schema: 0 }).schema).toBe(0);
    expect(() => resolveServerOptions({ ...base, schema: -1 })).toThrow('schema: expected an integer >= 0, got -1');
    expect(() => resolveServerOptions({ ...base, schema: 1.5 })).toThrow('schema: expected an integer >= 0, got 1.5');
    // db: a non-empty string
    expect(() => resolveServerOptions({ ...base, db: '' })).toThrow('db: expected a non-empty string');
    // generation: an integer >= 0
    expect(resolveServerOptions({ ...base, generation: 0 }).generation).toBe(0);
    expect(() => resolveServerOptions({ ...base, generation: 0.5 })).toThrow('generation: expected an integer >= 0, got 0.5');
    // storage: 'file' (default) or 'kv'
    expect(resolveServerOptions(base).store).toMatchObject({ backend: 'file', root: '/cs-server', blockSize: 4096 });
    expect(resolveServerOptions({ ...base, storage: 'kv' }).store).toMatchObject({ backend: 'kv', root: 'cs-server' });
    expect(() => resolveServerOptions({ ...base, storage: 'disk' as 'kv' })).toThrow("storage: expected 'file' or 'kv', got disk");
    // blockSize: an integer in 256..1048576, both ends allowed
    expect(resolveServerOptions({ ...base, blockSize: 256 }).store.blockSize).toBe(256);
    expect(resolveServerOptions({ ...base, blockSize: 1 << 20 }).store.blockSize).toBe(1 << 20);
    expect(() => resolveServerOptions({ ...base, blockSize: 255 })).toThrow('blockSize: expected an integer in 256..1048576, got 255');
    expect(() => resolveServerOptions({ ...base, blockSize: (1 << 20) + 1 })).toThrow('blockSize: expected an integer in 256..1048576, got 1048577');
    expect(() => resolveServerOptions({ ...base, blockSize: 300.5 })).toThrow('blockSize: expected a positive integer, got 300.5');
  });
});

describe('status', () => {
  const base = { phase: 'ready' as const, incompatible: null, stuck: null, failures: 0, pending: 0, unsaved: 0 };
  it('is green only after the handshake, with the pending count shown', () => {
    expect(statusOf(base).status).toBe('synced');
    expect(statusOf({ ...base, pending: 3 })).toMatchObject({ status: 'syncing', pending: 3 });
    expect(isGreen(statusOf({ ...base, phase: 'connecting' }).status)).toBe(false);
    expect(statusOf({ ...base, phase: 'idle' }).status).toBe('disconnected');
  });
  it('puts incompatible before stuck before the connection state', () => {
    expect(statusOf({ ...base, stuck: 'no-progress', incompatible: 'rebuilt' })).toMatchObject({ status: 'incompatible', reason: 'rebuilt' });
    expect(statusOf({ ...base, stuck: 'rapid-failures', failures: 3 })).toMatchObject({ status: 'stuck', reason: 'rapid-failures', failures: 3 });
  });
});

describe('progress', () => {
  it('counts records up to the total exactly, and a late subscriber gets the latest at once', () => {
    const published: Progress[] = [];
    const p = new ProgressTracker((x) => published.push(x), false, 200);
    p.start(450, 900, 0);
    p.add(200, 400, 100);
    p.add(200, 400, 200);
    p.add(50, 100, 250);
    expect(published.map((x) => x.done)).toEqual([0, 200, 400, 450]);
    expect(published.at(-1)).toMatchObject({ done: 450, total: 450, bytes: 900, etaMs: 0 });
    expect(published[1]!.etaMs).toBe(125); // 100 ms for 200 records, 250 left
    const late: Progress[] = [];
    p.subscribe((x) => late.push(x));
    expect(late).toEqual([published.at(-1)]);
  });

  it('numbers the downloads of a process 1, 2, ... (the app tells a new download from the last one)', () => {
    const published: Progress[] = [];
    const p = new ProgressTracker((x) => published.push(x), false, 200);
    p.start(10, 20, 0);
    p.add(10, 20, 5);
    p.start(3, 6, 10);
    expect(published.map((x) => [x.download, x.done, x.total])).toEqual([
      [1, 0, 10],
      [1, 10, 10],
      [2, 0, 3],
    ]);
  });

  it('the seed bug (chunks) is what the variant does', () => {
    const published: Progress[] = [];
    const p = new ProgressTracker((x) => published.push(x), true, 200);
    p.start(450, 900, 0);
    p.add(200, 400, 100);
    expect(published.at(-1)).toMatchObject({ done: 1, total: 3 });
  });
});

describe('client store', () => {
  it('gives the local changes after a version, at most `max` of them (a Push holds at most pushBatch), in version order', async () => {
    const sim = new Simulation({ seed: 1 });
    sim.addNode('C', {
      device: 'C',
      program: async (env) => {
        const store = new ClientStore(env.kv);
        for (let v = 1; v <= 5; v++) await store.write('site-a', v, { table: 't', pk: `p${v}`, col: 'c', value: `x${v}`, colVersion: 1 });
        return Promise.all([store.localAfter('site-a', 1, 2), store.localAfter('site-a', 3, 10), store.localAfter('site-a', 0, 0)]);
      },
    });
    sim.start('C');
    await sim.runUntil(1_000_000);
    const [two, rest, none] = (await sim.node('C').handle) as Change[][];
    expect(two!.map((c) => c.dbVersion)).toEqual([2, 3]);
    expect(rest!.map((c) => [c.dbVersion, c.value, c.site])).toEqual([
      [4, 'x4', 'site-a'],
      [5, 'x5', 'site-a'],
    ]);
    expect(none).toEqual([]);
  });
  it('loads back what it stored: the sync state (with the server it synced with), every cell, and only the cells whose check fails as damaged', async () => {
    const sim = new Simulation({ seed: 1 });
    sim.addNode('C', {
      device: 'C',
      program: async (env) => {
        const store = new ClientStore(env.kv);
        const first = await store.load('site-a');
        for (let v = 1; v <= 3; v++) await store.write('site-a', v, { table: 't', pk: `p${v}`, col: 'c', value: v === 2 ? null : `x${v}`, colVersion: 1 });
        await store.applyPulled([{ table: 't', pk: 'q', col: 'c', value: 'from-b', colVersion: 4, site: 'site-b', dbVersion: 9, seq: 7 }], first.cells);
        await store.acknowledge(2, 'server-site');
        const clean = await new ClientStore(env.kv).load('site-z');
        // Damage at rest: one cell's stored value changed under its check.
        await env.kv.transaction(['cells'], 'readwrite', async (tx) => {
          const v = (await tx.get('cells', cellKey({ table: 't', pk: 'p3', col: 'c' }))) as unknown[];
          await tx.put('cells', cellKey({ table: 't', pk: 'p3', col: 'c' }), ['x3!', ...v.slice(1)] as Value);
        });
        const damaged = await new ClientStore(env.kv).load('site-z');
        return { first, clean, damaged };
      },
    });
    sim.start('C');
    await sim.runUntil(1_000_000);
    const { first, clean, damaged } = (await sim.node('C').handle) as Record<'first' | 'clean' | 'damaged', Awaited<ReturnType<ClientStore['load']>>>;
    expect(first).toEqual({ meta: { site: 'site-a', version: 0, cursor: 0, acked: 0, server: null, unsaved: 0 }, cells: new Map(), damaged: [] });
    expect(clean.meta).toEqual({ site: 'site-a', version: 3, cursor: 7, acked: 2, server: 'server-site', unsaved: 0 });
    expect(clean.damaged).toEqual([]);
    expect([...clean.cells.entries()].sort()).toEqual([
      [cellKey({ table: 't', pk: 'p1', col: 'c' }), { value: 'x1', colVersion: 1, site: 'site-a' }],
      [cellKey({ table: 't', pk: 'p2', col: 'c' }), { value: null, colVersion: 1, site: 'site-a' }],
      [cellKey({ table: 't', pk: 'p3', col: 'c' }), { value: 'x3', colVersion: 1, site: 'site-a' }],
      [cellKey({ table: 't', pk: 'q', col: 'c' }), { value: 'from-b', colVersion: 4, site: 'site-b' }],
    ]);
    expect(damaged.damaged).toEqual([cellKey({ table: 't', pk: 'p3', col: 'c' })]);
    expect([...damaged.cells.keys()].sort()).toEqual([cellKey({ table: 't', pk: 'p1', col: 'c' }), cellKey({ table: 't', pk: 'p2', col: 'c' }), cellKey({ table: 't', pk: 'q', col: 'c' })]);
  });
});
