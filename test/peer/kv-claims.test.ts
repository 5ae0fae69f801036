/**
 * The live peer checks that read the simulator's kv stores, fed by hand: a fake simulator whose devices'
 * kv stores hold a visible and a durable image, and whose commits are handed to the observers directly.
 *
 * - invariant:change-sent-durable judges a delivered change by the merge rule (atLeast): a sent tombstone
 *   is not excused by a newer live version the sender durably holds (a tombstone beats any live version,
 *   so the newer live one does not cover it).
 */
import { describe, expect, it } from 'vitest';
import { formatHlc } from '../../src/impl/peer/hlc.ts';
import { changeSentDurableCheck } from '../../src/model/peer/index.ts';
import type { Check } from '../../src/scenario/types.ts';
import type { KvCommitView } from '../../src/sim/disk/kv.ts';
import { Trace } from '../../src/sim/trace.ts';
import { checkHarness } from '../check-harness.ts';

const h = (ms: number, d = 'A'): string => formatHlc({ physicalMs: ms, counter: 0, device: d });

/** A device's kv store: the visible and durable images (`store\0key`), and its commit observers. */
class FakeKv {
  visible = new Map<string, unknown>();
  durable = new Map<string, unknown>();
  observers: ((c: KvCommitView) => void)[] = [];
  private tx = 0;
  visibleGet(store: string, key: string): unknown {
    return this.visible.get(`${store}\u0000${key}`);
  }
  durableGet(store: string, key: string): unknown {
    return this.durable.get(`${store}\u0000${key}`);
  }
  observeCommits(o: (c: KvCommitView) => void): void {
    this.observers.push(o);
  }
  /** Applies a commit (visible; durable too unless `durable` is false) and tells the observers. */
  commit(writes: { store: string; key: string; value: unknown }[], durable = true): void {
    for (const w of writes) {
      this.visible.set(`${w.store}\u0000${w.key}`, w.value);
      if (durable) this.durable.set(`${w.store}\u0000${w.key}`, w.value);
    }
    const view = { tx: ++this.tx, writes } as unknown as KvCommitView;
    for (const o of this.observers) o(view);
  }
}

function world(ids: string[]) {
  const kvs = new Map(ids.map((id) => [id, new FakeKv()] as const));
  const sim = {
    failure: null,
    node: (id: string) => ({ deviceId: id }),
    device: (id: string) => ({ kv: kvs.get(id)! }),
  };
  return { kvs, sim };
}

function harness(checks: Check[], ids: string[]) {
  const { kvs, sim } = world(ids);
  const trace = new Trace(() => 0);
  const hs = checks.map((c) => checkHarness(c, { trace, extra: { sim: { ...sim, trace } } }));
  const failures = () => hs.flatMap((x) => x.failures);
  return { kvs, trace, failures, exercised: () => hs.flatMap((x) => x.exercised) };
}

const rec = (u: string, w: string, t: string, d: string | null) => ({ u, w, t, d });

describe('invariant:change-sent-durable', () => {
  it('a sent tombstone is not excused by a newer live version the sender durably holds', () => {
    const t = harness([changeSentDurableCheck(['A', 'B'])], ['A', 'B']);
    // A durably holds a live version of tag/x newer than the tombstone it sent (by the merge rule the tombstone beats it).
    t.kvs.get('A')!.commit([{ store: 'rec', key: 'tag/x', value: rec('x', 'A', h(20), 'v') }]);
    t.trace.emit('sim', 'fact.peer.change', { from: 'A', to: 'B', sentUs: 0, resource: 'tag', shared: true, n: 1, minTs: h(10), maxTs: h(10), last: h(10), lastUuid: 'x', lastDead: true });
    expect(t.failures()).toHaveLength(1);
    expect(t.failures()[0]).toMatch(/invariant:change-sent-durable/);
  });

  it('a sent tombstone durably held, or a live version beaten by a durable tombstone, passes', () => {
    const t = harness([changeSentDurableCheck(['A', 'B'])], ['A', 'B']);
    t.kvs.get('A')!.commit([{ store: 'rec', key: 'tag/x', value: rec('x', 'A', h(10), null) }]);
    t.trace.emit('sim', 'fact.peer.change', { from: 'A', to: 'B', sentUs: 0, resource: 'tag', shared: true, n: 1, minTs: h(10), maxTs: h(10), last: h(10), lastUuid: 'x', lastDead: true });
    t.trace.emit('sim', 'fact.peer.change', { from: 'A', to: 'B', sentUs: 0, resource: 'tag', shared: true, n: 1, minTs: h(5), maxTs: h(5), last: h(5), lastUuid: 'x', lastDead: false });
    expect(t.failures()).toEqual([]);
    expect(t.exercised()).toHaveLength(2);
  });
});
