/**
 * Model monitors read their records in batches (src/scenario/deferred.ts). The batching must change no
 * verdict: the same failure (check, trace position, time, message) and, for a passing run, the same trace.
 * `observe` makes a run read every record at once (batch 1), which is the reference here.
 */
import { describe, expect, it } from 'vitest';
import crashPoints from '../../scenarios/storage/crash-points.ts';
import election from '../../scenarios/election/swarm.ts';
import { DeferredTrace } from '../../src/scenario/deferred.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Check, Scenario } from '../../src/scenario/types.ts';
import { Trace, type TraceRecord } from '../../src/sim/trace.ts';

const byName = (list: Scenario[], name: string): Scenario => list.find((s) => s.name === name)!;
const beforeMarker = byName(crashPoints as Scenario[], 'storage-crash-before-marker');
const swarm = byName(election as Scenario[], 'election-swarm');
/** Reads every record as it is written (an observer turns batching off). */
const atOnce = { observe: () => undefined };

/** A live check failing on trace record `at` (its own check name). */
const failAt = (at: number): Check => ({
  name: 'test:fail-at',
  setup(ctx) {
    ctx.trace.on('*', (r) => {
      if (r.i === at) ctx.fail('correctness', 'test:fail-at', `failed at #${at}`);
    });
  },
});

describe('DeferredTrace', () => {
  const setup = (batch: number, onError?: (e: unknown, rec: TraceRecord) => void) => {
    let t = 0;
    const trace = new Trace(() => t++);
    return { trace, reader: new DeferredTrace(trace, batch, onError) };
  };

  it('delivers every record to its readers in trace order, then subscription order, once a batch is full', () => {
    const { trace, reader } = setup(4);
    const seen: string[] = [];
    reader.on('a', (r) => seen.push(`1:${r.kind}#${r.i}`));
    reader.on('*', (r) => seen.push(`2:${r.kind}#${r.i}`));
    reader.on('b', (r) => seen.push(`3:${r.kind}#${r.i}`));
    trace.emit('x', 'a');
    expect(seen).toEqual([]); // two pairs waiting, the batch is 4
    trace.emit('x', 'b');
    // The live trace calls kind listeners before '*' ones: the same order as a reader called at once.
    expect(seen).toEqual(['1:a#0', '2:a#0', '3:b#1', '2:b#1']);
    trace.emit('x', 'c');
    expect(seen).toHaveLength(4);
    reader.catchUp();
    expect(seen.slice(4)).toEqual(['2:c#2']);
  });

  it('skips waiting records of a reader that unsubscribed, as the live trace would not have called it', () => {
    const { trace, reader } = setup(100);
    const seen: number[] = [];
    let off: () => void = () => undefined;
    off = reader.on('a', (r) => {
      seen.push(r.i);
      if (r.i === 1) off();
    });
    for (let i = 0; i < 5; i++) trace.emit('x', 'a');
    reader.catchUp();
    expect(seen).toEqual([0, 1]);
  });

  it('refuses a subscription while later records wait (it would miss them), allows one at the last', () => {
    const { trace, reader } = setup(100);
    let subscribed = 0;
    reader.on('a', (r) => {
      if (r.i === 0) expect(() => reader.on('b', () => undefined)).toThrow(/subscribed to 'b' while reading trace #0 with later records waiting/);
      if (r.i === 2) {
        reader.on('b', () => subscribed++);
      }
    });
    trace.emit('x', 'a');
    trace.emit('x', 'a');
    trace.emit('x', 'a');
    reader.catchUp();
    trace.emit('x', 'b');
    reader.catchUp();
    expect(subscribed).toBe(1);
  });

  it('reports a reader that throws and goes on with the next record', () => {
    const errors: string[] = [];
    const { trace, reader } = setup(100, (e, rec) => errors.push(`${(e as Error).message}@${rec.i}`));
    const seen: number[] = [];
    reader.on('a', (r) => {
      if (r.i === 1) throw new Error('bug');
      seen.push(r.i);
    });
    for (let i = 0; i < 3; i++) trace.emit('x', 'a');
    reader.catchUp();
    expect(errors).toEqual(['bug@1']);
    expect(seen).toEqual([0, 2]);
  });

  it('reads records queued while it reads in the same catch-up; a catch-up called from a reader returns', () => {
    const { trace, reader } = setup(100);
    const seen: number[] = [];
    reader.on('a', (r) => {
      seen.push(r.i);
      reader.catchUp(); // (a failure's catch-up, from inside a reader)
      if (r.i === 0) trace.emit('x', 'a');
    });
    trace.emit('x', 'a');
    reader.catchUp();
    expect(seen).toEqual([0, 1]);
  });
});

describe('model monitors reading in batches change no verdict', () => {
  it('a model failure keeps its check, trace position, time and message', async () => {
    const batched = await runScenario(beforeMarker, 0, { variant: 'storage-keep-pending' });
    const single = await runScenario(beforeMarker, 0, { variant: 'storage-keep-pending', ...atOnce });
    expect(batched.failure?.check).toBe('model:recovery');
    const keep = (f: typeof batched.failure) => ({ check: f?.check, traceIndex: f?.traceIndex, timeUs: f?.timeUs, message: f?.message, node: f?.node });
    expect(keep(batched.failure)).toEqual(keep(single.failure));
  });

  it('a passing run writes the same trace', async () => {
    for (const seed of [0, 1]) {
      const batched = await runScenario(swarm, seed);
      const single = await runScenario(swarm, seed, atOnce);
      expect(batched.verdict).toBe('pass');
      expect(batched.traceHash).toBe(single.traceHash);
      expect(batched.coverage).toEqual(single.coverage);
    }
  });

  it('a check failing after the refused record loses to the model; one failing before it wins', async () => {
    const model = await runScenario(beforeMarker, 0, { variant: 'storage-keep-pending', ...atOnce });
    const at = model.failure!.traceIndex;
    for (const [offset, winner] of [
      [3, 'model:recovery'],
      [-3, 'test:fail-at'],
    ] as const) {
      const s: Scenario = { ...beforeMarker, checks: [...(beforeMarker.checks ?? []), failAt(at + offset)] };
      const batched = await runScenario(s, 0, { variant: 'storage-keep-pending' });
      const single = await runScenario(s, 0, { variant: 'storage-keep-pending', ...atOnce });
      expect(batched.failure?.check).toBe(winner);
      expect({ ...batched.failure, details: undefined }).toEqual({ ...single.failure, details: undefined });
    }
  });
});
