/**
 * The flat stepper takes exactly the transitions xstate takes (same state, same context, same refusals)
 * on random event sequences through the election models, and declines machines outside its subset.
 */
import { describe, expect, it } from 'vitest';
import { assign, initialTransition, setup, transition, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import { flatStepper } from '../../src/model/flat-step.ts';
import { tabElectionMachine } from '../../src/model/election/election-machine.ts';
import { requestMachine } from '../../src/model/election/request-machine.ts';
import { recoveryMachine } from '../../src/model/storage/recovery-machine.ts';
import { Rng } from '../../src/sim/rng.ts';

type Ev = { type: string; [k: string]: unknown };

/** Steps `events` through xstate and the flat stepper side by side; returns the number of refusals. */
function compare(machine: AnyStateMachine, events: Ev[]): number {
  const initial = initialTransition(machine)[0];
  const flat = flatStepper(machine, initial)!;
  expect(flat).not.toBeNull();
  let a: AnyMachineSnapshot = initial;
  let b: AnyMachineSnapshot = initial;
  let refused = 0;
  for (const e of events) {
    const next = flat.step(b, e);
    if (!a.can(e)) {
      expect(next, `${JSON.stringify(e)} in ${String(a.value)}`).toBeNull();
      refused++;
      continue;
    }
    a = transition(machine, a, e)[0];
    expect(next, `${JSON.stringify(e)} in ${String(b.value)}`).not.toBeNull();
    b = next!;
    expect(b.value).toEqual(a.value);
    expect(b.context).toEqual(a.context);
    // The stepper copies contexts without the spread (flat-step.ts, ContextCopy): same keys in the same order.
    expect(Object.keys(b.context as object)).toEqual(Object.keys(a.context as object));
  }
  return refused;
}

function randomEvents(rng: Rng, n: number, make: ((r: Rng) => Ev)[]): Ev[] {
  return Array.from({ length: n }, () => rng.pick(make)(rng));
}

describe('flat stepper equals xstate', () => {
  it('on the per-tab election machine', () => {
    const rng = new Rng(7);
    const epoch = (r: Rng) => r.int(4);
    const make: ((r: Rng) => Ev)[] = [
      () => ({ type: 'START' }),
      () => ({ type: 'DOWN' }),
      (r) => ({ type: 'CAMPAIGN', mode: r.pick(['lease', 'lock-steal']) }),
      () => ({ type: 'QUEUE' }),
      () => ({ type: 'LOST' }),
      (r) => ({ type: 'ACQUIRED', epoch: epoch(r) }),
      (r) => ({ type: 'LEADER', epoch: epoch(r), validMs: r.pick([null, 900]), t: r.int(5_000_000) }),
      (r) => ({ type: 'RENEWED', epoch: epoch(r), validMs: 900, t: r.int(5_000_000) }),
      (r) => ({ type: 'WRITE', epoch: epoch(r), t: r.int(5_000_000) }),
      (r) => ({ type: 'STEP_DOWN', epoch: epoch(r) }),
      () => ({ type: 'FOLLOWER' }),
      (r) => ({ type: 'SEEN', holder: 'B', epoch: epoch(r) }),
      (r) => ({ type: 'HEARD', from: 'B', epoch: epoch(r), msg: 1 }),
      (r) => ({ type: 'REJECTED', epoch: epoch(r), fence: epoch(r) }),
      (r) => ({ type: 'STORE', epoch: epoch(r) }),
      (r) => ({ type: 'CLOCK', t: r.int(5_000_000), monotonicMs: r.int(5_000), driftPpm: r.pick([0, -40_000, 40_000]) }),
    ];
    let refused = 0;
    for (let k = 0; k < 40; k++) refused += compare(tabElectionMachine, randomEvents(rng, 60, make));
    expect(refused).toBeGreaterThan(100); // refusals were compared too
  });

  it('on the request machine', () => {
    const rng = new Rng(11);
    const id = (r: Rng) => r.pick(['B.0.1', 'B.0.2']);
    const make: ((r: Rng) => Ev)[] = [
      (r) => ({ type: 'SEND', id: id(r), reqId: r.pick([null, 'B.0.1', 'B.0.2']), msg: 1 }),
      (r) => ({ type: 'APPLY', reqId: id(r), commit: r.int(3), epoch: 1 }),
      (r) => ({ type: 'REPLY', ok: r.pick([true, false]), seq: r.int(3), code: null, msg: 2 }),
      (r) => ({ type: 'ACK', seq: r.int(3) }),
      () => ({ type: 'FAIL', code: 'EBUSY' }),
      () => ({ type: 'FAIL_UNKNOWN', code: 'ETIMEDOUT' }),
      () => ({ type: 'LOST' }),
    ];
    let refused = 0;
    for (let k = 0; k < 200; k++) refused += compare(requestMachine, randomEvents(rng, 8, make));
    expect(refused).toBeGreaterThan(100);
  });
});

describe('fast stepper on a hierarchical machine', () => {
  it('on the recovery machine (compound states, machine-level and parent transitions)', () => {
    const rng = new Rng(13);
    const n = (r: Rng) => r.int(4);
    const point = (r: Rng) => r.pick([undefined, { durable: n(r), epoch: r.int(2), shared: r.pick([true, false]) }]);
    const simple = ['WRITE', 'MARKER_WRITE_ATOMIC', 'FINALIZED_CLEAN', 'FINALIZED_DIRTY', 'FINALIZE_FAILED', 'COMMIT_FAILED', 'COMMIT_FAILED_MARKER', 'COMMIT_REFUSED', 'DISCARDED_CLEAN', 'DISCARDED_DIRTY', 'CLOSE', 'RECOVER_BEGIN', 'RELOAD_BEGIN', 'RECOVER_RESTART', 'RECOVER_FAILED', 'FENCE_BEGIN', 'FENCE_FAILED', 'CRASH', 'POWER_LOSS'];
    const withCommit = ['DATA_SYNCED', 'MARKER_WRITE', 'MARKER_DURABLE', 'RECOVER_FINALIZE', 'RECOVER_ROLLBACK', 'FLUSHED', 'ACKED'];
    const make: ((r: Rng) => Ev)[] = [
      (r) => ({ type: r.pick(simple), point: point(r) }),
      (r) => ({ type: r.pick(simple), commit: n(r), point: point(r) }),
      (r) => ({ type: r.pick(withCommit), commit: n(r), point: point(r) }),
      (r) => ({ type: 'OPEN', store: r.pick(['file:/store', 'kv:store']), relaxed: r.pick([true, false]) }),
      (r) => ({ type: 'COMMIT_BEGIN', commit: n(r), strict: r.pick([true, false]), point: point(r) }),
      (r) => ({ type: 'RECOVER_DONE', commit: n(r), epoch: r.int(2), point: point(r) }),
      (r) => ({ type: 'FENCE', commit: n(r), epoch: r.int(2), point: point(r) }),
      (r) => ({ type: 'FACT', store: 'file:/store', durable: n(r), epoch: r.int(2), shared: false }),
    ];
    let refused = 0;
    for (let k = 0; k < 300; k++) refused += compare(recoveryMachine, randomEvents(rng, 40, make));
    expect(refused).toBeGreaterThan(1000);
  });
});

describe('flat stepper context copies', () => {
  it('equal the spread also for updates with new keys and contexts of another shape', () => {
    const m = setup({ types: { context: {} as Record<string, unknown> } }).createMachine({
      id: 'c',
      context: { a: 1, b: null },
      initial: 'x',
      states: {
        x: {
          on: {
            SET: { actions: assign(({ event }) => ({ b: (event as unknown as { v: unknown }).v })) },
            ADD: { actions: assign(({ context }) => ({ z: 1, a: Number(context.a) + 1 })) },
            OBJ: { actions: assign({ b: 'o', a: () => 7 }) },
          },
        },
      },
    });
    const events: Ev[] = [{ type: 'SET', v: 2 }, { type: 'OBJ' }, { type: 'ADD' }, { type: 'SET', v: 'q' }, { type: 'OBJ' }, { type: 'ADD' }];
    expect(compare(m, events)).toBe(0);
    // A context shaped otherwise than the initial one (keys in another order) is copied as the spread copies it.
    const flat = flatStepper(m, initialTransition(m)[0])!;
    const odd = { ...initialTransition(m)[0], context: { b: 5, a: 1 } } as unknown as AnyMachineSnapshot;
    const next = flat.step(odd, { type: 'OBJ' })!;
    expect(Object.entries(next.context as object)).toEqual([['b', 'o'], ['a', 7]]);
  });

  it('names each taken row by one number: the same source state, event type and target', () => {
    const initial = initialTransition(recoveryMachine)[0];
    const flat = flatStepper(recoveryMachine, initial)!;
    const seen = new Map<number, string>();
    const rng = new Rng(5);
    let snap: AnyMachineSnapshot = initial;
    const types = ['OPEN', 'RECOVER_BEGIN', 'RECOVER_DONE', 'WRITE', 'COMMIT_BEGIN', 'MARKER_WRITE_ATOMIC', 'MARKER_DURABLE', 'FINALIZED_CLEAN', 'CRASH', 'POWER_LOSS'];
    for (let k = 0; k < 2000; k++) {
      const e: Ev = { type: rng.pick(types), commit: rng.int(3), store: 'kv:store', point: { durable: rng.int(3), epoch: 0, shared: false } };
      const next = flat.step(snap, e);
      if (next === null) continue;
      const what = `${JSON.stringify(snap.value)}|${e.type}|${JSON.stringify(next.value)}`;
      expect(seen.get(flat.lastRow) ?? what).toBe(what);
      seen.set(flat.lastRow, what);
      snap = next;
    }
    expect(seen.size).toBeGreaterThan(5);
  });
});

describe('flat stepper subset', () => {
  it('declines parallel states, entry actions and non-assign actions', () => {
    const nested = setup({}).createMachine({ id: 'n', type: 'parallel', states: { a: { initial: 'x', states: { x: {} } }, b: {} } });
    const entry = setup({}).createMachine({ id: 'e', initial: 'a', states: { a: { entry: () => {} } } });
    const logs = setup({}).createMachine({ id: 'l', initial: 'a', states: { a: { on: { E: { target: 'a', actions: () => {} } } } } });
    const fine = setup({ types: { context: {} as { n: number } } }).createMachine({ id: 'f', context: { n: 0 }, initial: 'a', states: { a: { on: { E: { target: 'a', actions: assign({ n: ({ context }) => context.n + 1 }) } } } } });
    for (const m of [nested, entry, logs]) expect(flatStepper(m, initialTransition(m)[0])).toBeNull();
    expect(flatStepper(fine, initialTransition(fine)[0])).not.toBeNull();
  });
});
