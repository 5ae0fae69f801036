/**
 * Issue 14 item 3: loopback runs of the block store and of peer sync on the real runtime write traces in
 * the bench's format (RunTrace) that `syncbench check-trace` accepts: `storage` for the block store, with
 * the recovery model exercised for real (a clean restart, a crash in the middle of a commit and its
 * recovery; invariant:last-copy-kept on every durable change); `peer-swarm` for four peer devices (a
 * joiner's backfill, the backfill model and the peer checks). Hand-edited copies (evidence removed, claims
 * changed) are refused. The run trace's format itself (header, dense `i`, `t` never going back, `sim.end`)
 * and its guards (nodes named in the header, no forged evidence, unreadable evidence recorded) too.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { startPeerNode, type PeerHandle } from '../../src/impl/peer/index.ts';
import { BlockStore } from '../../src/impl/storage/index.ts';
import { RunTrace, type NodeEnvHandle } from '../../src/runtime/node/index.ts';
import { EXIT_CODES } from '../../src/scenario/types.ts';
import type { TraceRecord as Rec } from '../../src/sim/trace.ts';
import { captureOutput } from '../capture.ts';
import { LIBRARY, RESOURCES, SWARM_MAX_DRIFT_MS } from '../../scenarios/peer/_common.ts';
import { perTestDir, waitFor, within } from './helpers.ts';

const io = captureOutput();

const block = (fill: number): Uint8Array => new Uint8Array(64).fill(fill);
const readRecords = (file: string): Rec[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Rec);
const writeRecords = (file: string, records: readonly Rec[]): void => writeFileSync(file, records.map((r) => `${JSON.stringify(r)}\n`).join(''));

interface CheckOutput {
  verdict: string;
  failure: { check: string; message: string; traceIndex: number } | null;
  records: number;
  complete: boolean;
  converged: boolean;
  notRun: { check: string }[];
  coverage: { model: string; states: Record<string, number>; transitions: Record<string, number> }[];
  exercised: Record<string, number>;
}

/** `syncbench check-trace TARGET FILE --json`, in process: the exit code and the JSON verdict. */
async function checkTrace(file: string, target = 'storage'): Promise<{ code: number; out: CheckOutput }> {
  io.clear();
  const code = await main(['check-trace', target, file, '--json']);
  return { code, out: JSON.parse(io.out()) as CheckOutput };
}

describe.each(['file', 'kv'] as const)('a loopback run of the block store on the real runtime (%s backend)', (backend) => {
  const { pool, dir } = perTestDir();
  const file = (): string => join(dir(), 'trace.jsonl');

  /**
   * The run: open (recovery of an empty store), three acknowledged commits, a clean close; reopen (a
   * recovery), an acknowledged commit, then a crash (the env's close) in the middle of the next commit:
   * after its data and pending metadata are durable (file), as it begins (kv); reopen (a recovery that
   * rolls the unfinished commit back on the file backend), two more commits, read back, close.
   */
  async function loopbackRun(): Promise<RunTrace> {
    const run = new RunTrace({ file: file(), scenario: 'runtime-loopback-storage', nodes: [{ id: 'S', device: 'S', role: 'store' }] });
    let crashAt: { kind: string; commit: number } | null = null;
    let handle: NodeEnvHandle | null = null;
    let crashed: Promise<void> | null = null;
    const open = async (): Promise<BlockStore> => {
      handle = await pool.create({
        nodeId: 'S',
        dataDir: join(dir(), 'data'),
        run,
        // The harness crashes the process at a chosen step of the store, as a fault plan would.
        trace: (r) => {
          if (crashAt !== null && r.kind === crashAt.kind && r.data.commit === crashAt.commit) crashed = handle!.close();
        },
      });
      return within(5000, 'BlockStore.open', BlockStore.open(handle.env, { backend, blockSize: 64, maxBlocks: 128 }));
    };
    const commit = async (store: BlockStore, writes: [number, number][], deallocate: number[] = []): Promise<number> => {
      for (const [id, fill] of writes) store.write(id, block(fill));
      for (const id of deallocate) store.deallocate(id);
      const { commit: c } = await within(5000, 'forceSync', store.forceSync());
      run.emit('workload', 'workload.force-synced', { node: 'S', commit: c });
      return c;
    };

    let store = await open();
    for (let c = 0; c < 3; c++) await commit(store, [0, 1, 2, 3].map((k) => [k + c, 10 * c + k + 1]));
    await commit(store, [], [5]);
    await within(5000, 'store.close', store.close());
    await pool.closeAll();

    store = await open();
    const before = await commit(store, [[7, 70]]);
    crashAt = { kind: backend === 'file' ? 'store.commit.synced' : 'store.commit.begin', commit: before + 1 };
    store.write(8, block(80));
    void store.forceSync(); // never settles: the env closes in the middle of it
    await within(5000, 'the crash mid-commit', (async () => {
      while (crashed === null) await new Promise((r) => setTimeout(r, 5));
      await crashed;
    })());
    crashAt = null;
    await pool.closeAll();

    store = await open();
    expect(store.summary().commit).toBe(before);
    expect(await store.read(8)).toBeNull();
    await commit(store, [[8, 81], [9, 90]]);
    await commit(store, [[0, 99]], [1]);
    expect(await store.read(0)).toEqual(block(99));
    expect(await store.read(1)).toBeNull();
    expect(await store.read(7)).toEqual(block(70));
    await within(5000, 'store.close', store.close());
    await pool.closeAll();
    await run.end();
    return run;
  }

  it('writes a bench trace that check-trace storage accepts, the recovery model exercised', async () => {
    const run = await loopbackRun();
    const records = readRecords(file());
    expect(run.count).toBe(records.length);

    // The format: the header, i dense from 0, t in µs never going back, sim.converged and sim.end at the end.
    expect(records[0]).toMatchObject({ i: 0, t: 0, node: 'sim', kind: 'sim.begin' });
    expect(records[0]!.data).toEqual({ schemaVersion: 1, scenario: 'runtime-loopback-storage', seed: 0, variant: '', faults: 'none', nodes: [{ id: 'S', device: 'S', role: 'store' }] });
    records.forEach((r, k) => expect(r.i).toBe(k));
    for (let k = 1; k < records.length; k++) expect(records[k]!.t).toBeGreaterThanOrEqual(records[k - 1]!.t);
    expect(records.slice(-2).map((r) => r.kind)).toEqual(['sim.converged', 'sim.end']);
    expect(records.at(-1)!.data).toEqual({ verdict: 'pass' });
    // Three processes, each starting with node.start and ending as a crash; the evidence on node sim.
    expect(records.filter((r) => r.kind === 'node.start').map((r) => r.data)).toEqual([0, 1, 2].map((incarnation) => ({ incarnation, device: 'S' })));
    expect(records.filter((r) => r.kind === 'node.crash')).toHaveLength(3);
    const facts = records.filter((r) => r.kind === 'fact.store');
    expect(facts.every((f) => f.node === 'sim' && f.data.device === 'S' && f.data.backend === backend)).toBe(true);
    expect(facts.filter((f) => f.data.starting === 'S')).toHaveLength(2); // at both restarts
    const blocks = records.filter((r) => r.kind === 'fact.store-blocks');
    expect(blocks.at(-1)!.data).toMatchObject({ device: 'S', backend, commit: facts.at(-1)!.data.marker, missing: [], damaged: [] });
    // Every acknowledged commit is preceded by a fact showing it durable.
    for (const ack of records.filter((r) => r.kind === 'workload.force-synced')) {
      const last = facts.filter((f) => f.i < ack.i).at(-1)!;
      expect(Math.max(Number(last.data.marker), Number(last.data.meta))).toBeGreaterThanOrEqual(Number(ack.data.commit));
    }

    const { code, out } = await checkTrace(file());
    expect(out.failure).toBeNull();
    expect(code).toBe(EXIT_CODES.pass);
    expect(out).toMatchObject({ verdict: 'pass', records: records.length, complete: true, converged: true });
    const recovery = out.coverage.find((c) => c.model === 'recovery')!;
    const states = Object.keys(recovery.states);
    expect(states.length).toBeGreaterThan(1);
    for (const s of ['recovering.scanning', 'idle', 'dirty', 'writing', 'markerWriting', 'committed', 'closed', 'crashed']) expect(states).toContain(s);
    expect(recovery.transitions['crashed|RECOVER_BEGIN|recovering.scanning']).toBe(2);
    expect(recovery.transitions['idle|ACKED|idle']).toBeGreaterThanOrEqual(6);
    expect(out.exercised['invariant:last-copy-kept']).toBeGreaterThanOrEqual(3);
    if (backend === 'file') {
      // The crash after the pending metadata was durable: the restart rolls that commit back.
      expect(states).toContain('recovering.rolledBack');
      expect(records.some((r) => r.kind === 'store.recover.rollback')).toBe(true);
    }
  });

  it('fails with model:recovery once the evidence or the claims are edited', async () => {
    await loopbackRun();
    const records = readRecords(file());
    const edited = join(dir(), 'edited.jsonl');

    // The fact showing a commit durable removed: the store's claim that its marker is durable is refused.
    const claim = records.find((r) => r.kind === 'store.commit.marker')!;
    const proof = records.filter((r) => r.kind === 'fact.store' && r.i < claim.i).at(-1)!;
    writeRecords(edited, records.filter((r) => r !== proof));
    let { code, out } = await checkTrace(edited);
    expect(code).toBe(EXIT_CODES.correctness);
    expect(out.failure?.check).toBe('model:recovery');
    expect(out.failure?.message).toContain(`commit ${String(claim.data.commit)}'s marker durable`);

    // A commit acknowledged past the durable point.
    const ack = records.filter((r) => r.kind === 'workload.force-synced').at(-1)!;
    writeRecords(edited, records.map((r) => (r === ack ? { ...r, data: { ...r.data, commit: Number(r.data.commit) + 1 } } : r)));
    ({ code, out } = await checkTrace(edited));
    expect(code).toBe(EXIT_CODES.correctness);
    expect(out.failure?.check).toBe('model:recovery');
    expect(out.failure?.message).toContain('forceSync acknowledged');

    // A recovery claiming a commit the durable point does not reach.
    const done = records.filter((r) => r.kind === 'store.recover.done').at(-1)!;
    writeRecords(edited, records.map((r) => (r === done ? { ...r, data: { ...r.data, commit: Number(r.data.commit) + 1 } } : r)));
    ({ code, out } = await checkTrace(edited));
    expect(code).toBe(EXIT_CODES.correctness);
    expect(out.failure?.check).toBe('model:recovery');

    // The durable image losing a committed block version: invariant:last-copy-kept.
    const [prior, image] = records.filter((r) => r.kind === 'fact.store-blocks').slice(-2) as [Rec, Rec];
    const lost = (image.data.current as string[]).find((v) => (prior.data.current as string[]).includes(v))!; // kept by the last commit
    writeRecords(edited, records.map((r) => (r === image ? { ...r, data: { ...r.data, missing: [lost] } } : r)));
    ({ code, out } = await checkTrace(edited));
    expect(code).toBe(EXIT_CODES.correctness);
    expect(out.failure?.check).toBe('invariant:last-copy-kept');
    expect(out.failure?.message).toContain(`${lost} removed`);
  });
});

describe('a loopback run of peer sync on the real runtime', () => {
  const { pool, dir } = perTestDir();
  const ids = ['A', 'B', 'C', 'D'];

  /**
   * peer-swarm's topology and configuration without its faults: founders A, B, C write owned and shared
   * records; D joins later and backfills from them while A keeps writing; all converge; every env closes.
   */
  async function peerRun(file: string): Promise<void> {
    const run = new RunTrace({ file, scenario: 'runtime-loopback-peer', peer: true, nodes: ids.map((id) => ({ id, device: id, role: id === 'D' ? 'joiner' : 'founder' })) });
    const envs = new Map<string, NodeEnvHandle>();
    const nodes = new Map<string, PeerHandle>();
    const start = async (id: string): Promise<void> => {
      const h = await pool.create({ nodeId: id, dataDir: join(dir(), id), run });
      for (const [other, oh] of envs) {
        oh.setPeer(id, h.port);
        h.setPeer(other, oh.port);
      }
      envs.set(id, h);
      const options = { library: LIBRARY, peers: ids.filter((p) => p !== id), resources: RESOURCES, founder: id !== 'D', batchSize: 100, maxDriftMs: SWARM_MAX_DRIFT_MS };
      nodes.set(id, await within(5000, `startPeerNode ${id}`, startPeerNode(h.env, options)));
    };
    const node = (id: string): PeerHandle => nodes.get(id)!;
    for (const id of ['A', 'B', 'C']) await start(id);
    await waitFor(5000, 'founders ready', () => ['A', 'B', 'C'].every((id) => node(id).state() === 'ready'));
    for (const id of ['A', 'B', 'C']) {
      await within(5000, 'writeOwned', node(id).writeOwned('location', Array.from({ length: 150 }, (_, k) => ({ uuid: `${id}-loc-${k}`, data: `${id}#${k}` }))));
      await within(5000, 'writeShared', node(id).writeShared('tag', [{ uuid: `tag-${id}`, data: id }]));
    }
    await start('D');
    await within(5000, 'writeOwned', node('A').writeOwned('entry', [{ uuid: 'A-entry-0', data: 'late' }]));
    await waitFor(10_000, 'convergence', () => ids.every((id) => node(id).state() === 'ready') && new Set(ids.map((id) => node(id).digest())).size === 1);
    await pool.closeAll();
    await run.end();
  }

  it('writes a bench trace that check-trace peer-swarm accepts, the backfill model and the peer checks exercised', async () => {
    const file = join(dir(), 'peer.jsonl');
    await peerRun(file);
    const records = readRecords(file);
    // The evidence the peer checks read, on node sim; each delivery sent before it arrived.
    for (const kind of ['fact.peer.request', 'fact.peer.response', 'fact.peer.change', 'fact.peer.heartbeat', 'fact.peer.ack', 'fact.peer.store', 'fact.clock']) {
      expect(records.filter((r) => r.kind === kind && r.node === 'sim').length, kind).toBeGreaterThan(0);
    }
    for (const r of records.filter((x) => x.kind.startsWith('fact.peer.') && 'sentUs' in x.data)) expect(Number(r.data.sentUs)).toBeLessThanOrEqual(r.t);
    expect(records.filter((r) => r.kind === 'fact.clock').map((r) => r.data.node)).toEqual(ids);

    const { code, out } = await checkTrace(file, 'peer-swarm');
    expect(out.failure).toBeNull();
    expect(code).toBe(EXIT_CODES.pass);
    expect(out).toMatchObject({ verdict: 'pass', complete: true, converged: true });
    // Live checks (a node's memory at the end) cannot run on a trace, and say so.
    expect(out.notRun.map((n) => n.check)).toEqual(expect.arrayContaining(['invariant:converged']));
    const backfill = out.coverage.find((c) => c.model === 'backfill')!;
    for (const s of ['uninitialized', 'ready', 'backfilling', 'catchingUp']) expect(Object.keys(backfill.states)).toContain(s);
    expect(backfill.transitions['backfilling|COMPLETE|catchingUp']).toBe(1);
    for (const inv of ['invariant:hlc', 'invariant:backfill-progress', 'invariant:backfill-resume', 'invariant:hlc-drift']) expect(out.exercised[inv], inv).toBeGreaterThan(0);

    // Edited: no heartbeat ever says a peer is ready, yet the joiner backfills from one.
    const edited = join(dir(), 'edited.jsonl');
    writeRecords(edited, records.map((r) => (r.kind === 'fact.peer.heartbeat' ? { ...r, data: { ...r.data, ready: false } } : r)));
    const bad = await checkTrace(edited, 'peer-swarm');
    expect(bad.code).toBe(EXIT_CODES.correctness);
    expect(bad.out.failure?.check).toBe('model:backfill');
    expect(bad.out.failure?.message).toContain('never said it was ready');
  });
});

describe('the run trace', () => {
  const { pool, dir } = perTestDir();

  it('takes only nodes its header names, on their device, and refuses evidence kinds from the implementation', async () => {
    const run = new RunTrace({ file: join(dir(), 't.jsonl'), scenario: 'runtime-loopback-x', nodes: [{ id: 'A', device: 'dev', role: 'tab' }] });
    await expect(pool.create({ nodeId: 'B', dataDir: join(dir(), 'b'), run })).rejects.toThrow(/'B' is not in the run trace's header/);
    await expect(pool.create({ nodeId: 'A', dataDir: join(dir(), 'a'), run })).rejects.toThrow(/device 'A', the run trace's header says 'dev'/);
    const seen: string[] = [];
    const h = await pool.create({ nodeId: 'A', device: 'dev', dataDir: join(dir(), 'a'), run, trace: (r) => seen.push(r.kind) });
    expect(() => h.env.trace.emit('fact.store', { device: 'dev' })).toThrow(TypeError);
    expect(() => h.env.trace.emit('node.start', {})).toThrow(TypeError);
    h.env.trace.emit('demo.hello', { n: 1 });
    h.env.trace.probe('demo.rare');
    await pool.closeAll();
    await run.end({ converged: false });
    run.emit('sim', 'late', {}); // after the end: dropped
    const records = readRecords(run.file);
    expect(records.map((r) => `${r.node} ${r.kind}`)).toEqual(['sim sim.begin', 'A node.start', 'A runtime.start', 'A demo.hello', 'A probe', 'A node.crash', 'sim sim.end']);
    expect(records[4]!.data).toEqual({ name: 'demo.rare' });
    // The runtime's own format still goes to the callback, unchanged.
    expect(seen).toEqual(['runtime.start', 'demo.hello', 'probe']);
  });

  it('records evidence it cannot read instead of failing the implementation\'s fsync', async () => {
    const run = new RunTrace({ file: join(dir(), 't.jsonl'), scenario: 'runtime-loopback-x', nodes: [{ id: 'S', device: 'S', role: 'store' }] });
    const h = await pool.create({ nodeId: 'S', dataDir: join(dir(), 's'), run });
    await h.env.disk.mkdir('/store/marker'); // a directory where the marker document belongs: unreadable as one
    await within(5000, 'fsyncDir', h.env.disk.fsyncDir('/store'));
    await pool.closeAll();
    await run.end();
    const errors = readRecords(run.file).filter((r) => r.kind === 'runtime.evidence-error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ node: 'sim', data: { what: 'the stores of S after the fsync of /store' } });
    expect(String(errors[0]!.data.error)).toMatch(/EISDIR/);
  });

  it('refuses a header without nodes or with a node named twice', () => {
    const file = join(dir(), 'x.jsonl');
    expect(() => new RunTrace({ file, scenario: 's', nodes: [] })).toThrow(/nodes must be a non-empty list/);
    expect(() => new RunTrace({ file, scenario: 's', nodes: [{ id: 'A', device: 'A', role: '' }, { id: 'A', device: 'B', role: '' }] })).toThrow(/named twice/);
    expect(() => new RunTrace({ file, scenario: '', nodes: [{ id: 'A', device: 'A', role: '' }] })).toThrow(/scenario/);
  });
});
