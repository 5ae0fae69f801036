/**
 * The provider job's bounded priority work queue (src/impl/provider/queue.ts) under fast-check's scheduler:
 * pushers, takers, cancellations and the close interleave in every order, and the history of calls and
 * results must be linearizable against a sequential priority queue (High before Normal, FIFO within a
 * priority, a push only into room, null only once closed and drained, nothing after the close). Liveness at
 * quiescence: close wakes every taker and every pusher, no taker sleeps beside an item, no pusher beside
 * room. The judgement reads only what the calls returned and when, never the queue's own length or trace.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cancelled, CancellationToken } from '../../src/impl/async/index.ts';
import type { Env } from '../../src/impl/env.ts';
import { QueueClosed, WorkQueue, type Priority, type WorkItem } from '../../src/impl/provider/queue.ts';
import { Rules, settled, step } from '../async/scheduling.ts';

/** One call and what it returned, stamped on a logical clock at the call and at the observed result. */
type Op =
  | { kind: 'push'; id: string; priority: Priority; inv: number; res?: number; result?: 'ok' | 'closed' | 'cancelled' }
  | { kind: 'take'; inv: number; res?: number; result?: string | null | 'cancelled' }
  | { kind: 'close'; inv: number; res: number };

/** The sequential specification's state: two FIFOs and the closed flag. */
interface Spec {
  high: readonly string[];
  normal: readonly string[];
  closed: boolean;
}

/** The state after `op` (linearized now with its observed result), or undefined if the spec forbids it. */
function apply(spec: Spec, op: Op, capacity: number): Spec | undefined {
  const length = spec.high.length + spec.normal.length;
  if (op.kind === 'close') return { ...spec, closed: true };
  if (op.kind === 'push') {
    // A pending push (no result yet) may have inserted its item already; a cancelled one changed nothing.
    if (op.result === 'cancelled') return spec;
    if (op.result === 'closed') return spec.closed ? spec : undefined;
    if (spec.closed || length >= capacity) return undefined;
    return op.priority === 'high' ? { ...spec, high: [...spec.high, op.id] } : { ...spec, normal: [...spec.normal, op.id] };
  }
  if (op.result === 'cancelled') return spec;
  if (op.result === null) return spec.closed && length === 0 ? spec : undefined;
  if (spec.high.length > 0) return spec.high[0] === op.result ? { ...spec, high: spec.high.slice(1) } : undefined;
  return spec.normal[0] === op.result ? { ...spec, normal: spec.normal.slice(1) } : undefined;
}

/**
 * Wing and Gong's search: is there an order of the ops, each placed between its call and its observed
 * result, in which every completed op is legal for the spec? Pending ops may be placed (a push only) or
 * left out. Returns undefined when linearizable, else a description of the history.
 */
function linearize(ops: Op[], capacity: number): string | undefined {
  const seen = new Set<string>();
  const mustPlace = ops.filter((o) => o.res !== undefined).length;
  let deepest = 0;
  const search = (done: boolean[], placed: number, spec: Spec): boolean => {
    if (placed === mustPlace) return true;
    const key = `${done.map(Number).join('')}|${spec.high.join()}|${spec.normal.join()}|${spec.closed}`;
    if (seen.has(key)) return false;
    seen.add(key);
    deepest = Math.max(deepest, placed);
    // An op may go next only if no op still to place had its result observed before this op was called.
    const horizon = Math.min(...ops.map((o, k) => (done[k] || o.res === undefined ? Infinity : o.res)));
    for (const [k, op] of ops.entries()) {
      if (done[k] || op.inv > horizon || (op.res === undefined && op.kind !== 'push')) continue;
      const next = apply(spec, op, capacity);
      if (next === undefined) continue;
      const nextDone = [...done];
      nextDone[k] = true;
      if (search(nextDone, placed + (op.res === undefined ? 0 : 1), next)) return true;
    }
    return false;
  };
  if (search(ops.map(() => false), 0, { high: [], normal: [], closed: false })) return undefined;
  return `not linearizable: the longest legal order explains ${deepest} of ${mustPlace} completed calls: ${ops.map(show).join('; ')}`;
}

function show(op: Op): string {
  const span = `[${op.inv},${op.res ?? '…'}]`;
  if (op.kind === 'close') return `close${span}`;
  if (op.kind === 'push') return `push ${op.id}/${op.priority}${span}→${op.result ?? 'pending'}`;
  return `take${span}→${op.result === undefined ? 'pending' : String(op.result)}`;
}

interface PushSpec {
  priority: Priority;
  /** Scheduled steps before the push (the producer's own work, e.g. reading the next page). */
  delay: number;
}

interface RunSpec {
  capacity: number;
  pushers: { items: PushSpec[]; cancels: boolean }[];
  /** A taker may quit after a number of items (a worker whose item failed), leaving the rest to others. */
  takers: { slowness: number; quitsAfter: number | null; cancels: boolean }[];
  /** When the queue is closed: once every pusher ended, at any scheduled point, or never. */
  close: 'after-pushes' | 'anytime' | 'never';
}

const runSpec: fc.Arbitrary<RunSpec> = fc.record({
  capacity: fc.integer({ min: 1, max: 3 }),
  pushers: fc.array(
    fc.record({
      items: fc.array(fc.record({ priority: fc.constantFrom<Priority>('high', 'normal'), delay: fc.integer({ min: 0, max: 1 }) }), { maxLength: 5 }),
      cancels: fc.boolean(),
    }),
    { minLength: 1, maxLength: 2 },
  ),
  takers: fc.array(
    fc.record({
      slowness: fc.integer({ min: 0, max: 2 }),
      quitsAfter: fc.option(fc.integer({ min: 0, max: 3 }), { freq: 2 }),
      cancels: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
    }),
    { maxLength: 3 },
  ),
  close: fc.constantFrom<RunSpec['close']>('after-pushes', 'anytime', 'never'),
});

/** A work item named `id` (the queue looks at nothing but its identity). */
const item = (id: string): WorkItem => ({ meta: { id, path: `/${id}`, hash: 'h', size: 1, rev: 1 }, move: false });

/** An Env with nothing but a trace that keeps the queue's records. */
function traceEnv(): { env: Env; records: { kind: string; data: Record<string, unknown> }[] } {
  const records: { kind: string; data: Record<string, unknown> }[] = [];
  const env = { trace: { emit: (kind: string, data: Record<string, unknown> = {}) => void records.push({ kind, data }), probe: () => undefined } };
  return { env: env as unknown as Env, records };
}

type MakeQueue = (env: Env, capacity: number) => WorkQueue;
const correct: MakeQueue = (env, capacity) => new WorkQueue(env, 1, capacity);

/** Runs pushers, takers, cancellations and the close in the scheduler's order, then judges the history. */
async function queueRun(s: fc.Scheduler, spec: RunSpec, make: MakeQueue = correct): Promise<void> {
  const rules = new Rules();
  const { env, records } = traceEnv();
  const queue = make(env, spec.capacity);
  const ops: Op[] = [];
  let clock = 0;
  const tick = (): number => ++clock;
  const outcome = (e: unknown): 'closed' | 'cancelled' => {
    if (e instanceof QueueClosed) return 'closed';
    if (e instanceof Cancelled) return 'cancelled';
    throw e;
  };
  const cancelAt = (token: CancellationToken, who: string): void => void step(s, `cancel ${who}`).then(() => token.cancel(`test: ${who}`));

  const pusher = async (p: number, items: PushSpec[], token: CancellationToken): Promise<void> => {
    for (const [k, it] of items.entries()) {
      for (let d = 0; d < it.delay; d++) await step(s, `pusher ${p} busy`);
      const op: Op & { kind: 'push' } = { kind: 'push', id: `p${p}.${k}`, priority: it.priority, inv: tick() };
      ops.push(op);
      try {
        await queue.push(item(op.id), it.priority, token);
        op.result = 'ok';
      } catch (e) {
        op.result = outcome(e);
      }
      op.res = tick();
      if (op.result !== 'ok') return;
    }
  };
  const taker = async (t: number, slowness: number, quitsAfter: number | null, token: CancellationToken): Promise<void> => {
    for (let took = 0; took !== quitsAfter; took++) {
      for (let k = 0; k < slowness; k++) await step(s, `taker ${t} busy`);
      const op: Op & { kind: 'take' } = { kind: 'take', inv: tick() };
      ops.push(op);
      try {
        op.result = (await queue.take(token))?.meta.id ?? null;
      } catch (e) {
        op.result = outcome(e);
      }
      op.res = tick();
      if (op.result === null || op.result === 'cancelled') return;
    }
  };
  const close = (): void => {
    const at = tick();
    queue.close();
    ops.push({ kind: 'close', inv: at, res: tick() });
  };

  const pushing = spec.pushers.map((p, i) => {
    const token = new CancellationToken();
    if (p.cancels) cancelAt(token, `pusher ${i}`);
    return step(s, `start pusher ${i}`).then(() => pusher(i, p.items, token));
  });
  spec.takers.forEach((t, i) => {
    const token = new CancellationToken();
    if (t.cancels) cancelAt(token, `taker ${i}`);
    void step(s, `start taker ${i}`)
      .then(() => taker(i, t.slowness, t.quitsAfter, token))
      .catch(rules.unexpected);
  });
  if (spec.close === 'after-pushes') void Promise.all(pushing).then(() => step(s, 'close')).then(close).catch(rules.unexpected);
  else {
    pushing.forEach((p) => void p.catch(rules.unexpected));
    if (spec.close === 'anytime') void step(s, 'close').then(close);
  }
  await s.waitIdle();

  const verdict = linearize(ops, spec.capacity);
  rules.check(verdict === undefined, verdict ?? '');
  const pending = ops.filter((o) => o.res === undefined);
  const closed = ops.some((o) => o.kind === 'close');
  const taken = ops.flatMap((o) => (o.kind === 'take' && typeof o.result === 'string' && o.result !== 'cancelled' ? [o.result] : []));
  const accepted = ops.flatMap((o) => (o.kind === 'push' && o.result === 'ok' ? [o] : []));
  const left = accepted.length - taken.length;
  if (closed) rules.check(pending.length === 0, `close left ${pending.length} call(s) waiting: ${pending.map(show).join('; ')}`);
  rules.check(!pending.some((o) => o.kind === 'take') || left === 0, `lost wake-up: a taker waits while ${left} item(s) are queued`);
  rules.check(!pending.some((o) => o.kind === 'push') || left >= spec.capacity, `lost wake-up: a pusher waits with ${left} of ${spec.capacity} places used`);
  // The records invariant:queue-records counts from: one per accepted push (with its priority) and per take.
  const pushRecords = records.filter((r) => r.kind === 'provider.queue.push').map((r) => `${String(r.data.id)}/${String(r.data.priority)}`);
  const takeRecords = records.filter((r) => r.kind === 'provider.queue.take').map((r) => String(r.data.id));
  rules.check(pushRecords.sort().join() === accepted.map((o) => `${o.id}/${o.priority}`).sort().join(), `push records [${pushRecords.join()}] are not the accepted pushes`);
  rules.check(takeRecords.sort().join() === [...taken].sort().join(), `take records [${takeRecords.join()}] are not the items taken [${taken.join()}]`);
  rules.verify();
}

const property = (make?: MakeQueue) => fc.asyncProperty(fc.scheduler(), runSpec, (s, spec) => queueRun(s, spec, make));

describe('WorkQueue', { timeout: 20_000 }, () => {
  it('is a bounded priority queue under every interleaving, and close wakes every waiter (property)', async () => {
    await fc.assert(property(), { numRuns: 300 });
  });

  it('the unbounded variant (provider-unbounded-queue) fails the property: a push beyond the capacity', async () => {
    const out = await fc.check(property((env, capacity) => new WorkQueue(env, 1, capacity, true)), { numRuns: 300, seed: 13 });
    expect(out.failed).toBe(true);
    expect(String(out.errorInstance)).toMatch(/not linearizable/);
  });

  it('serves High before Normal and FIFO within a priority; a push waits at capacity until a take', async () => {
    const { env } = traceEnv();
    const queue = new WorkQueue(env, 1, 3);
    const token = new CancellationToken();
    for (const [id, priority] of [['n1', 'normal'], ['h1', 'high'], ['n2', 'normal']] as const) await queue.push(item(id), priority, token);
    const fourth = queue.push(item('h2'), 'high', token);
    expect(await settled([fourth])).toEqual(['pending']); // three of three places used
    expect((await queue.take(token))?.meta.id).toBe('h1');
    expect(await settled([fourth])).toEqual([undefined]); // the take made room
    const order = await settled([queue.take(token), queue.take(token), queue.take(token)]);
    expect(order.map((w) => (w as WorkItem | null)?.meta.id)).toEqual(['h2', 'n1', 'n2']);
  });

  it('close wakes every waiting taker with null and every waiting pusher with QueueClosed', async () => {
    const { env } = traceEnv();
    const token = new CancellationToken();
    const empty = new WorkQueue(env, 1, 1);
    const takers = [empty.take(token), empty.take(token), empty.take(token)];
    empty.close();
    expect(await settled(takers)).toEqual([null, null, null]);
    const full = new WorkQueue(env, 2, 1);
    await full.push(item('a'), 'normal', token);
    const pushers = [full.push(item('b'), 'normal', token), full.push(item('c'), 'high', token)];
    full.close();
    expect(await settled([...pushers, full.push(item('d'), 'normal', token)])).toEqual(['QueueClosed', 'QueueClosed', 'QueueClosed']);
    const drained = await settled([full.take(token), full.take(token)]); // what was queued before the close is still served
    expect(drained.map((w) => (w as WorkItem | null)?.meta.id ?? w)).toEqual(['a', null]);
  });
});
