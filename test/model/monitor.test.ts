/**
 * The monitor contract on a small model with data: guards decide from context and name their reason when
 * they refuse, hot states are listed, faults are credited to the instances on the nodes they hit, guard
 * evaluations are counted; and, in a real run, the closed vocabulary fails a record of the model's area
 * that nothing reads, a hot state fails liveness, and `ctx.exercised` reaches the result.
 */
import { describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { guardsFrom, ModelMonitor, type GuardReason, type ModelSpec } from '../../src/model/monitor.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';

interface Ctx {
  last: number;
}
type Ev = { type: 'TICK'; n: number } | { type: 'OPEN' } | { type: 'CLOSE' };

const reasons: Record<string, GuardReason<Ctx, Ev>> = {
  increasing: (c, e) => (e.type === 'TICK' && e.n <= c.last ? `tick ${e.n} is not above the last tick ${c.last}` : null),
};

const machine = setup({ types: { context: {} as Ctx, events: {} as Ev }, guards: guardsFrom(reasons) }).createMachine({
  id: 'ticks',
  context: { last: 0 },
  initial: 'closed',
  states: {
    closed: { on: { OPEN: 'open' } },
    open: { on: { TICK: { target: 'open', guard: 'increasing', actions: assign({ last: ({ event }) => (event as { n: number }).n }) }, CLOSE: 'closed' } },
  },
});

const spec: ModelSpec = {
  name: 'ticks',
  machine,
  kinds: ['tick.open', 'tick.n', 'tick.close'],
  areas: ['tick.'],
  ignores: { 'tick.noise': 'carries nothing the model decides on' },
  reasons,
  hot: ['open'],
  map(rec: TraceRecord) {
    if (rec.kind === 'tick.open') return { instance: rec.node, event: { type: 'OPEN' } };
    if (rec.kind === 'tick.close') return { instance: rec.node, event: { type: 'CLOSE' } };
    if (rec.kind === 'tick.n') return { instance: rec.node, event: { type: 'TICK', n: rec.data.n as number } };
    return null;
  },
};

function feed(recs: [string, string, Record<string, unknown>?][]): { monitor: ModelMonitor; failures: { message: string; details?: Record<string, unknown> }[] } {
  const failures: { message: string; details?: Record<string, unknown> }[] = [];
  const monitor = new ModelMonitor(spec, { fail: (f) => void failures.push(f) });
  recs.forEach(([node, kind, data], i) => monitor.onRecord({ i, t: i * 1000, node, kind, data: data ?? {} }));
  return { monitor, failures };
}

describe('model monitor with data', () => {

  it('a field with a closed value set (ModelSpec.values) fails on any other value, naming kind, field and value', () => {
    const closed: ModelSpec = { ...spec, values: { 'tick.open:why': ['user', 'timer'] } };
    const failures: { message: string }[] = [];
    const m = new ModelMonitor(closed, { fail: (f) => void failures.push(f) });
    m.onRecord({ i: 0, t: 0, node: 'A', kind: 'tick.open', data: { why: 'user' } });
    m.onRecord({ i: 1, t: 1, node: 'A', kind: 'tick.close', data: {} });
    expect(failures).toEqual([]);
    m.onRecord({ i: 2, t: 2, node: 'A', kind: 'tick.open', data: { why: '' } });
    expect(failures.map((f) => f.message)).toEqual([
      `model:ticks: record 'tick.open' (trace #2, A at 2 µs) has why "", not one of the values its trace format allows ("user", "timer")`,
    ]);
  });
  it('steps context through guarded transitions and counts guard evaluations', () => {
    const { monitor, failures } = feed([['A', 'tick.open'], ['A', 'tick.n', { n: 1 }], ['A', 'tick.n', { n: 5 }]]);
    expect(failures).toEqual([]);
    expect(monitor.context('A')).toEqual({ last: 5 });
    expect(monitor.coverage.guards).toEqual({ increasing: 2 });
    expect(monitor.coverage.transitions['open|TICK|open']).toBe(2);
  });

  it('names the state, the event with its payload, the guard and its reason when a guard refuses', () => {
    const { failures } = feed([['A', 'tick.open'], ['A', 'tick.n', { n: 3 }], ['A', 'tick.n', { n: 3 }]]);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.message).toContain("instance 'A' in state 'open' refused TICK {\"n\":3}: increasing: tick 3 is not above the last tick 3");
    expect(failures[0]!.message).toContain('trace #2');
    expect(failures[0]!.details).toMatchObject({ model: 'ticks', instance: 'A', state: 'open', event: 'TICK', reasons: ['increasing: tick 3 is not above the last tick 3'] });
  });

  it('says when no transition exists at all', () => {
    const { failures } = feed([['A', 'tick.n', { n: 1 }]]);
    expect(failures[0]!.message).toContain("no transition for TICK in 'closed'");
  });

  it('lists instances in hot states, and credits a fault only to instances on the nodes it hit', () => {
    const { monitor } = feed([['A', 'tick.open'], ['B', 'tick.open'], ['B', 'tick.close']]);
    expect(monitor.hot().map((h) => [h.instance, h.state, h.sinceUs])).toEqual([['A', 'open', 0]]);
    monitor.noteFault('crash', new Set(['B']));
    monitor.noteFault('partition', null);
    monitor.noteFault('pause', new Set(['C']));
    expect(monitor.coverage.stateFaults).toEqual({ closed: { crash: 1, partition: 1 }, open: { partition: 1 } });
  });
});

/** A scenario whose single node traces `kinds` in order, 1 ms apart, and never ends by itself. */
function tickScenario(kinds: string[], extra: Partial<Scenario> = {}): Scenario {
  return {
    name: 'ticks',
    description: 'monitor contract test',
    suites: [],
    topology: { nodes: [{ id: 'A' }] },
    program: () => async (env) => {
      for (const [i, k] of kinds.entries()) {
        await env.clock.sleep(1);
        env.trace.emit(k, k === 'tick.n' ? { n: i } : {});
      }
      return {};
    },
    durationMs: 100,
    liveness: { withinMs: 50, done: () => true },
    models: [spec],
    ...extra,
  };
}

describe('monitors in a run', () => {
  it('passes when every record of the area is read or ignored', async () => {
    const r = await runScenario(tickScenario(['tick.open', 'tick.noise', 'tick.n', 'tick.close']), 1);
    expect(r.failure).toBeNull();
  });

  it('fails a record of the model area that no model or check reads (closed vocabulary)', async () => {
    const r = await runScenario(tickScenario(['tick.open', 'tick.surprise', 'tick.close']), 1);
    expect(r.verdict).toBe('correctness');
    expect(r.failure!.check).toBe('model:ticks');
    expect(r.failure!.message).toContain("unmapped kind 'tick.surprise'");
  });

  it('fails a record lacking a field the model reads, naming model, kind and field', () => {
    const { failures } = feed([
      ['A', 'tick.open'],
      ['A', 'tick.n', { n: 1 }],
      ['A', 'tick.n', {}],
    ]);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.message).toContain("record 'tick.n'");
    expect(failures[0]!.message).toContain("lacks the field 'n'");
  });

  it('fails a record lacking a learned field long after learning ended (the compiled field check)', () => {
    const recs: [string, string, Record<string, unknown>?][] = [['A', 'tick.open']];
    for (let n = 1; n <= 100; n++) recs.push(['A', 'tick.n', { n }]);
    recs.push(['A', 'tick.n', { m: 1 }]);
    const { failures } = feed(recs);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.message).toContain("lacks the field 'n'");
    expect(failures[0]!.message).toContain('trace #101');
  });

  it('accepts a missing field the spec lists as optional for that kind', () => {
    const failures: { message: string }[] = [];
    const monitor = new ModelMonitor({ ...spec, optional: ['tick.n:n'] }, { fail: (f) => void failures.push(f) });
    monitor.onRecord({ i: 0, t: 0, node: 'A', kind: 'tick.open', data: {} });
    monitor.onRecord({ i: 1, t: 1, node: 'A', kind: 'tick.n', data: { n: 1 } });
    monitor.onRecord({ i: 2, t: 2, node: 'A', kind: 'tick.n', data: {} });
    // The missing n reaches the guard as undefined: the guard, not the field check, decides.
    expect(failures.every((f) => !f.message.includes('lacks the field'))).toBe(true);
  });

  it.each([
    ['an empty kind', ''],
    ['free text', 'Stryker was here!'],
    ['a simulator namespace (forged evidence)', 'fact.store'],
    ['a fault record', 'fault.crash'],
  ])('fails a node that emits %s as a trace kind (trace-names)', async (_what, kind) => {
    const r = await runScenario(tickScenario(['tick.open', kind, 'tick.close']), 1);
    expect(r.verdict).toBe('correctness');
    expect(r.failure!.check).toBe('trace-names');
    expect(r.failure!.message).toContain(`'${kind}'`);
  });

  it.each([
    ['an empty name', ''],
    ['a name in no list of its area', 'storage.recover.finalised'],
  ])('fails a probe with %s (trace-names)', async (_what, name) => {
    const s = tickScenario(['tick.open', 'tick.close']);
    const r = await runScenario(
      {
        ...s,
        program: () => async (env) => {
          await env.clock.sleep(1);
          env.trace.probe(name);
          return {};
        },
        models: [],
      },
      1,
    );
    expect(r.verdict).toBe('correctness');
    expect(r.failure!.check).toBe('trace-names');
  });

  it('counts a check subscribed to a kind as reading it, and reports exercised invariants', async () => {
    const r = await runScenario(
      tickScenario(['tick.open', 'tick.surprise', 'tick.close'], {
        checks: [
          {
            name: 'surprise-check',
            covers: ['invariant:surprise', 'invariant:never-used'],
            setup: (ctx) => void ctx.sim.trace.on('tick.surprise', () => ctx.exercised('invariant:surprise')),
          },
        ],
      }),
      1,
    );
    expect(r.failure).toBeNull();
    expect(r.exercised).toEqual({ 'invariant:surprise': 1, 'invariant:never-used': 0 });
  });

  it('fails liveness naming the model while an instance stays in a hot state', async () => {
    const r = await runScenario(tickScenario(['tick.open', 'tick.n']), 1);
    expect(r.verdict).toBe('liveness');
    expect(r.failure!.check).toBe('model:ticks');
    expect(r.failure!.message).toContain("model 'ticks' instance 'A' still in hot state 'open'");
  });
});
