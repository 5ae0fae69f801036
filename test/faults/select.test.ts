/**
 * Targets resolved when the fault fires (src/faults/select.ts): selectors in plans are validated with errors
 * naming the field, resolved against the simulator's own lock table, tab bus and network facts at the moment
 * the event fires (timed or triggered), recorded with the node they picked, skipped as 'fault.miss' when
 * nobody matches, and deterministic.
 *
 * The world: three tabs of one device queue for lock 'L' at 0, 100 and 200 ms (granted in that order);
 * the holder announces itself on bus channel 'election' (epoch = its rank), makes five kv commits 25 ms
 * apart (the first raises the fencing epoch of a kv block store's marker to its rank, as a fence does),
 * resigns and releases. T1 holds it from 0 to about 105 ms, T2 then to about 210 ms, T3 to about
 * 315 ms; nobody after.
 */
import { describe, expect, it } from 'vitest';
import { installFaults } from '../../src/faults/inject.ts';
import { FaultPlanError, formatEvent, parsePlan, type FaultEvent } from '../../src/faults/plan.ts';
import { SELECTORS } from '../../src/faults/select.ts';
import type { Env } from '../../src/impl/env.ts';
import { storeEvidence } from '../../src/evidence/store.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';

const TABS = ['T1', 'T2', 'T3'];

function holderProgram(env: Env): void {
  const rank = TABS.indexOf(env.nodeId) + 1;
  if (env.incarnation > 0) return;
  env.clock.setTimeout(() => {
    void env.locks.request('L', {}, async () => {
      env.bus.post('election', { type: 'leader', holder: env.nodeId, epoch: rank });
      const marker = { commit: rank, epoch: rank };
      await env.kv.transaction(['store:meta'], 'readwrite', (t) => t.put('store:meta', 'marker', marker), { durability: 'strict' });
      for (let i = 1; i < 5; i++) {
        await env.kv.transaction(['s'], 'readwrite', (t) => t.put('s', `${env.nodeId}-${i}`, i));
        await env.clock.sleep(25);
      }
      env.bus.post('election', { type: 'resign', holder: env.nodeId, epoch: rank });
    });
  }, (rank - 1) * 100);
}

async function run(events: FaultEvent[], untilMs = 1_000): Promise<{ sim: Simulation; recs: readonly TraceRecord[]; of: (kind: string) => TraceRecord[]; injected: Map<string, number> }> {
  const sim = new Simulation({ seed: 5, trace: { keepAll: true } });
  for (const id of TABS) sim.addNode(id, { device: 'laptop', program: holderProgram });
  storeEvidence().install(sim);
  for (const id of TABS) sim.start(id);
  const injector = installFaults(sim, { events });
  await sim.run({ untilUs: untilMs * 1000 });
  const recs = sim.trace.records()!;
  return { sim, recs, of: (kind) => recs.filter((r) => r.kind === kind), injected: injector.injected() };
}

/** Who held lock 'L' at trace position `i`, from the lock manager's own grant and release records. */
function holderAt(recs: readonly TraceRecord[], i: number): string | null {
  let holder: string | null = null;
  for (const r of recs) {
    if (r.i >= i) break;
    if (r.kind === 'lock.grant' && r.data.name === 'L') holder = r.node;
    if (r.kind === 'lock.release' && r.data.name === 'L' && r.node === holder) holder = null;
  }
  return holder;
}

const lockL = { holder: 'lock', name: 'L' } as const;

describe('selectors in plans: validation', () => {
  const bad = (event: unknown): FaultPlanError => {
    try {
      parsePlan({ events: [event] }, TABS);
    } catch (e) {
      if (e instanceof FaultPlanError) return e;
      throw e;
    }
    throw new Error('no error');
  };

  it('accepts selectors where a node field is a target, in registry order', () => {
    const plan = parsePlan({ events: [{ kind: 'pause', atMs: 1, durationMs: 5, node: { name: 'L', holder: 'lock', device: 'laptop' } }] }, TABS);
    expect(JSON.stringify(plan.events[0])).toBe('{"kind":"pause","atMs":1,"node":{"holder":"lock","name":"L","device":"laptop"},"durationMs":5}');
    expect(formatEvent(plan.events[0]!)).toBe('at 1ms: pause node={holder:lock name:L device:laptop} durationMs=5');
    const p = parsePlan({ events: [{ kind: 'partition', atMs: 1, durationMs: 5, a: [{ leader: 'election' }], b: ['T3'] }] }, TABS);
    expect(formatEvent(p.events[0]!)).toBe('at 1ms: partition a=[{leader:election}] b=[T3] durationMs=5');
    const t = parsePlan({ events: [{ kind: 'crash', node: { backfilling: '*' }, trigger: { node: { backfilling: '*' }, area: 'kv', op: 'commit', nth: 2 } }] }, TABS);
    expect(formatEvent(t.events[0]!)).toBe('at 2nd kv.commit of {backfilling:*}: crash node={backfilling:*}');
  });

  it('names the event and field of a bad selector', () => {
    expect(bad({ kind: 'crash', atMs: 1, node: { boss: 'x' } }).message).toBe(
      'faults.events[0].node: a selector names one kind (holder, leader, backfilling, servingBackfill), got none of holder, leader, backfilling, servingBackfill',
    );
    expect(bad({ kind: 'crash', atMs: 1, node: { leader: 'election', holder: 'lock', name: 'L' } }).message).toMatch(/^faults\.events\[0\]\.node: a selector names one kind .* got leader and holder$/);
    expect(bad({ kind: 'crash', atMs: 1, node: { holder: 'lock' } }).message).toBe('faults.events[0].node.name: missing (a holder selector needs name)');
    expect(bad({ kind: 'crash', atMs: 1, node: { holder: 'mutex', name: 'L' } }).message).toBe("faults.events[0].node.holder: expected one of lock, got 'mutex'");
    expect(bad({ kind: 'crash', atMs: 1, node: { leader: 'election', epoch: 3 } }).message).toBe('faults.events[0].node.epoch: unknown field of a leader selector (fields: leader, by, device)');
    expect(bad({ kind: 'crash', atMs: 1, node: { leader: 'election', by: 'vote' } }).message).toBe("faults.events[0].node.by: expected one of fence, bus, got 'vote'");
    expect(bad({ kind: 'crash', atMs: 1, node: { servingBackfill: 'R', of: 'X' } }).message).toBe("faults.events[0].node.of: unknown node 'X' (nodes: T1, T2, T3)");
    expect(bad({ kind: 'crash', atMs: 1, node: { backfilling: '' } }).message).toBe("faults.events[0].node.backfilling: expected a resource name or '*', got ''");
    expect(bad({ kind: 'crash', atMs: 1, node: 7 }).message).toMatch(/^faults\.events\[0\]\.node: expected a node id or a selector \(\{holder: \.\.\.\}, .*got 7$/);
    expect(bad({ kind: 'pause', durationMs: 5, node: 'T1', trigger: { node: { holder: 'lock' }, area: 'kv', op: 'commit', nth: 1 } }).message).toBe(
      'faults.events[0].trigger.node.name: missing (a holder selector needs name)',
    );
  });

  it('refuses selectors where a node must be named (restart, resume, network pairs)', () => {
    expect(bad({ kind: 'restart', atMs: 1, node: lockL }).message).toBe('faults.events[0].node: expected a node id, got an object');
    expect(bad({ kind: 'clog', atMs: 1, from: lockL, to: 'T2', durationMs: 5 }).message).toBe('faults.events[0].from: expected a node id, got an object');
  });

  it('refuses one selector twice in a partition', () => {
    expect(bad({ kind: 'partition', atMs: 1, a: [lockL], b: [{ name: 'L', holder: 'lock' }], durationMs: 5 }).message).toBe(
      'faults.events[0].b: selector {holder:lock name:L} is on both sides',
    );
  });

  it('a pause with a selector may say when (it applies where the pause lands on the operation\'s node)', () => {
    expect(() => parsePlan({ events: [{ kind: 'pause', node: lockL, durationMs: 5, when: 'before', trigger: { node: 'T1', area: 'kv', op: 'commit', nth: 1 } }] }, TABS)).not.toThrow();
    expect(bad({ kind: 'pause', node: 'T2', durationMs: 5, when: 'after', trigger: { node: 'T1', area: 'kv', op: 'commit', nth: 1 } }).message).toBe(
      "faults.events[0].when: only a pause of the trigger's own node ('T1') has when",
    );
  });

  it('an unknown device is refused when the plan is installed', () => {
    const sim = new Simulation({ seed: 1 });
    for (const id of TABS) sim.addNode(id, { device: 'laptop', program: () => {} });
    expect(() => installFaults(sim, { events: [{ kind: 'crash', atMs: 1, node: { leader: 'election', device: 'phone' } }] })).toThrow(
      "faults.events[0].node.device: unknown device 'phone' (devices: laptop)",
    );
  });

  it('every selector kind is documented in docs/faults.md', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../docs/faults.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Targets resolved when the fault fires'));
    for (const key of Object.keys(SELECTORS)) expect(section, key).toContain(`\`${key}\``);
  });
});

describe('selectors resolved when the event fires', () => {
  it('a timed pause of the lock holder hits whoever holds it then, and says so', async () => {
    const { recs, of, sim } = await run([{ kind: 'pause', atMs: 150, node: lockL, durationMs: 50 }]);
    const fault = of('fault.pause')[0]!;
    expect(fault.data).toMatchObject({ event: 0, node: 'T2', durationMs: 50, selectors: { node: lockL } });
    expect(fault.data.evidence).toEqual({ node: "T2 holds lock 'L'" });
    expect(holderAt(recs, fault.i)).toBe('T2');
    expect(of('node.pause').map((r) => [r.node, r.t])).toEqual([['T2', 150_000]]);
    expect(sim.node('T1').status).toBe('running');
  });

  it('an isolation and a clock drift aim at the holder too; the applied records name it', async () => {
    const { of, sim } = await run([
      { kind: 'isolate', atMs: 150, node: lockL, durationMs: 20 },
      { kind: 'clockDrift', atMs: 250, node: lockL, driftPpm: 500 },
    ]);
    expect(of('fault.isolate')[0]!.data).toMatchObject({ node: 'T2', durationMs: 20, selectors: { node: lockL } });
    expect(of('fault.clockDrift')[0]!.data).toMatchObject({ node: 'T3', driftPpm: 500 });
    expect(sim.node('T3').clock.driftPpm).toBeCloseTo(500, 6);
    expect(sim.node('T2').clock.driftPpm).toBe(0);
  });

  it('nobody matching: the event is skipped as fault.miss, never thrown, not counted', async () => {
    const { of, injected } = await run([
      { kind: 'crash', atMs: 900, node: lockL },
      { kind: 'pause', atMs: 900, node: { leader: 'election', by: 'bus' }, durationMs: 10 },
      { kind: 'pause', atMs: 0.1, node: { leader: 'election', device: 'laptop' }, durationMs: 10 }, // before T1's fence
      // At T1's lock request (0 ms) nobody has announced anything yet: a triggered miss names its operation.
      { kind: 'clockJump', node: { leader: 'election', by: 'bus' }, deltaMs: 5, trigger: { node: 'T1', area: 'lock', op: 'request', nth: 1 } },
    ]);
    expect(of('fault.miss').map((r) => r.data)).toEqual([
      { event: 3, kind: 'clockJump', node: { leader: 'election', by: 'bus' }, deltaMs: 5, op: 'lock.request', reason: 'node {leader:election by:bus}: no tab leads by the bus: none announced, or the last one resigned or ended' },
      { event: 2, kind: 'pause', node: { leader: 'election', device: 'laptop' }, durationMs: 10, reason: "node {leader:election device:laptop}: no tab leads on device 'laptop' by the store: none fenced it (fact.store), or the one that did has ended" },
      { event: 0, kind: 'crash', node: lockL, reason: "node {holder:lock name:L}: nobody holds lock 'L'" },
      { event: 1, kind: 'pause', node: { leader: 'election', by: 'bus' }, durationMs: 10, reason: 'node {leader:election by:bus}: no tab leads by the bus: none announced, or the last one resigned or ended' },
    ]);
    expect(of('node.crash')).toEqual([]);
    expect(injected.size).toBe(0);
  });

  it('the election leader by the bus: the latest announcer of the highest epoch, until it resigns or ends', async () => {
    const bus = { leader: 'election', by: 'bus' } as const;
    const { of } = await run([
      { kind: 'clockJump', atMs: 50, node: bus, deltaMs: 1_000 },
      { kind: 'crash', atMs: 250, node: bus },
      { kind: 'pause', atMs: 260, node: bus, durationMs: 10 },
    ]);
    expect(of('fault.clockJump')[0]!.data).toMatchObject({ node: 'T1', selectors: { node: bus } });
    expect(String((of('fault.clockJump')[0]!.data.evidence as Record<string, string>).node)).toMatch(/^T1 announced leadership of epoch 1 \(bus post #\d+ at 0 ms\)$/);
    expect(of('fault.crash')[0]!.data).toMatchObject({ node: 'T3' });
    // T3's process ended: nobody leads by the bus until someone announces again.
    expect(of('fault.miss').map((r) => r.data.event)).toEqual([2]);
  });

  it('the election leader by the fence (default): whoever raised the durable fencing epoch, until its process ends', async () => {
    const leader = { leader: 'election' } as const;
    const { of, recs } = await run([
      { kind: 'clockJump', atMs: 150, node: leader, deltaMs: 1_000 },
      // After T3 released the lock it still leads by the store: nobody fenced above it.
      { kind: 'crash', atMs: 500, node: leader },
      { kind: 'pause', atMs: 510, node: leader, durationMs: 10 },
    ]);
    const jump = of('fault.clockJump')[0]!;
    expect(jump.data).toMatchObject({ node: 'T2', selectors: { node: leader } });
    expect(String((jump.data.evidence as Record<string, string>).node)).toMatch(/^T2 raised the durable fencing epoch of store 'store' to 2 \(fact\.store at [\d.]+ ms\)$/);
    const fact = recs.filter((r) => r.kind === 'fact.store' && r.data.epoch === 2)[0]!;
    expect(recs.filter((r) => r.kind === 'kv.commit' && r.i < fact.i).at(-1)!.node).toBe('T2');
    expect(of('fault.crash')[0]!.data).toMatchObject({ node: 'T3' });
    expect(of('fault.miss').map((r) => r.data.event)).toEqual([2]);
  });

  it('a trigger on a selector counts the operations of whoever it describes at each one; the same selector as target answers the operation', async () => {
    // The 7th kv commit made while holding 'L': T1 makes five (its marker and four others), so T2's 2nd.
    const { recs, of } = await run([{ kind: 'pause', node: lockL, durationMs: 30, when: 'before', trigger: { node: lockL, area: 'kv', op: 'commit', nth: 7 } }]);
    const fault = of('fault.pause')[0]!;
    expect(fault.data).toMatchObject({ node: 'T2', op: 'kv.commit', when: 'before', selectors: { node: lockL } });
    expect(fault.data.evidence).toEqual({ node: 'T2 performed the operation as {holder:lock name:L}' });
    // The operation was held: T2's 2nd commit takes effect only on resume.
    const commits = recs.filter((r) => r.kind === 'kv.commit' && r.node === 'T2');
    expect(commits[1]!.t).toBeGreaterThanOrEqual(fault.t + 30_000);
    expect(holderAt(recs, fault.i)).toBe('T2');
  });

  it('a selector target at another node\'s trigger resolves then (and answers the operation when it is that node)', async () => {
    const { of } = await run([
      // T3 requests the lock at 200 ms, while T2 holds it: T2 crashes, T3's request proceeds.
      { kind: 'crash', node: lockL, trigger: { node: 'T3', area: 'lock', op: 'request', nth: 1 } },
      // T1's 5th commit is made while T1 holds the lock: the crash is that commit's answer.
      { kind: 'crash', node: lockL, when: 'after', trigger: { node: 'T1', area: 'kv', op: 'commit', nth: 5 } },
    ]);
    const crashes = of('fault.crash').map((r) => r.data);
    expect(crashes).toEqual([
      expect.objectContaining({ event: 1, node: 'T1', when: 'after', op: 'kv.commit', selectors: { node: lockL } }),
      expect.objectContaining({ event: 0, node: 'T2', op: 'lock.request', selectors: { node: lockL } }),
    ]);
    expect(of('node.crash').map((r) => r.node)).toEqual(['T1', 'T2']);
  });

  it('partition sides resolve one by one; a node on both sides is a miss', async () => {
    const sim = (): Promise<Awaited<ReturnType<typeof run>>> =>
      run([
        { kind: 'partition', atMs: 50, a: [lockL], b: ['T3'], durationMs: 10 },
        { kind: 'partition', atMs: 250, a: [lockL], b: ['T3'], durationMs: 10 },
      ]);
    const { of } = await sim();
    expect(of('fault.partition').map((r) => [r.data.a, r.data.b, r.data.selectors])).toEqual([[['T1'], ['T3'], { 'a[0]': lockL }]]);
    expect(of('fault.miss').map((r) => [r.data.event, r.data.reason])).toEqual([[1, "node 'T3' resolves to both sides"]]);
  });

  it('is deterministic: the same plan and seed give the same trace', async () => {
    const plan: FaultEvent[] = [
      { kind: 'pause', atMs: 120, node: { leader: 'election', by: 'bus' }, durationMs: 40 },
      { kind: 'clockJump', atMs: 130, node: { leader: 'election' }, deltaMs: 5 },
      { kind: 'crash', node: lockL, restartAfterMs: 10, trigger: { node: lockL, area: 'kv', op: 'commit', nth: 9 } },
    ];
    const a = await run(plan);
    const b = await run(plan);
    expect(a.sim.trace.hashHex()).toBe(b.sim.trace.hashHex());
    expect(a.of('fault.pause').length + a.of('fault.crash').length + a.of('fault.clockJump').length).toBe(3);
  });
});

describe('backfill selectors read the network facts', () => {
  /** Four peers; the test writes the peer wire facts itself, as the peer-wire recorder would. */
  async function peers(events: FaultEvent[], facts: [atMs: number, kind: string, data: Record<string, unknown>][]) {
    const sim = new Simulation({ seed: 1, trace: { keepAll: true } });
    for (const id of ['A', 'B', 'C', 'D']) sim.addNode(id, { program: () => {} });
    for (const id of ['A', 'B', 'C', 'D']) sim.start(id);
    installFaults(sim, { events });
    for (const [atMs, kind, data] of facts) sim.scheduler.at(atMs * 1000, () => void sim.trace.emit('sim', kind, data));
    await sim.run({ untilUs: 1_000_000 });
    return sim.trace.records()!;
  }
  const req = (from: string, to: string, resource: string, writer: string | null = null) => ({ from, to, resource, writer, reqId: 1 });
  const res = (from: string, to: string, resource: string, hasMore: boolean, writer: string | null = null) => ({ from, to, resource, writer, hasMore, reqId: 1 });

  it('backfilling and servingBackfill: open from a full-scan request until its last answer or a process end', async () => {
    const recs = await peers(
      [
        { kind: 'pause', atMs: 20, node: { servingBackfill: 'docs' }, durationMs: 1 },
        { kind: 'pause', atMs: 20, node: { backfilling: '*' }, durationMs: 1 },
        { kind: 'pause', atMs: 40, node: { servingBackfill: 'docs' }, durationMs: 1 },
        { kind: 'pause', atMs: 40, node: { servingBackfill: 'tags', of: 'D' }, durationMs: 1 },
        { kind: 'crash', atMs: 60, node: { servingBackfill: 'docs' } },
        { kind: 'pause', atMs: 70, node: { backfilling: 'docs' }, durationMs: 1 },
      ],
      [
        [10, 'fact.peer.request', req('D', 'B', 'docs')],
        [11, 'fact.peer.request', req('C', 'A', 'docs', 'A')], // a catch-up, not a backfill
        [30, 'fact.peer.response', res('B', 'D', 'docs', true)],
        [35, 'fact.peer.request', req('D', 'C', 'tags')],
        [50, 'fact.peer.request', req('D', 'B', 'docs')],
        [55, 'fact.peer.response', res('B', 'D', 'docs', false)],
        [56, 'fact.peer.request', req('C', 'A', 'docs')],
      ],
    );
    const hits = recs.filter((r) => r.kind === 'fault.pause' || r.kind === 'fault.crash' || r.kind === 'fault.miss').map((r) => [r.data.event, r.kind, r.data.node]);
    expect(hits).toEqual([
      [0, 'fault.pause', 'B'],
      [1, 'fault.pause', 'D'],
      [2, 'fault.pause', 'B'],
      [3, 'fault.pause', 'C'],
      [4, 'fault.crash', 'A'],
      [5, 'fault.miss', { backfilling: 'docs' }], // A's crash ended C's backfill from it; D's finished at 55
    ]);
  });
});
