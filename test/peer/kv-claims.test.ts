/**
 * The live peer checks that read the simulator's kv stores, fed by hand: a fake simulator whose devices'
 * kv stores hold a visible and a durable image, and whose commits are handed to the observers directly.
 *
 * - invariant:change-sent-durable judges a delivered change by the merge rule (atLeast): a sent tombstone
 *   is not excused by a newer live version the sender durably holds (a tombstone beats any live version,
 *   so the newer live one does not cover it).
 * - invariant:log-pruned-after-acks splits a log key `<resource>/<hlc>` at the first '/' followed by an
 *   HLC: not at the first '/' (a plugged-in node's resource name may hold one), nor at the last (a device
 *   id, the tail of an HLC, may hold one).
 * - invariant:ack-held reads the acker's durable image: a version it shows but has not made durable does
 *   not make an acknowledgement true.
 * - the three checks on the watermark evidence share it per run and per node list (one run, two node
 *   lists: each judged on its own devices).
 */
import { describe, expect, it } from 'vitest';
import { formatHlc } from '../../src/impl/peer/hlc.ts';
import { ackHeldCheck, changeSentDurableCheck, logPrunedAfterAcksCheck } from '../../src/model/peer/index.ts';
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

describe('invariant:log-pruned-after-acks', () => {
  it('splits a log key at its last slash: a resource named with a slash, acknowledged by every peer, may be pruned', () => {
    const t = harness([logPrunedAfterAcksCheck(['A', 'B'])], ['A', 'B']);
    t.trace.emit('sim', 'fact.peer.ack', { from: 'B', to: 'A', sentUs: 0, resource: 'lib/tag', upTo: h(10) });
    t.kvs.get('A')!.commit([{ store: 'log', key: `lib/tag/${h(10)}`, value: undefined }]);
    expect(t.failures()).toEqual([]);
    expect(t.exercised()).toEqual(['invariant:log-pruned-after-acks']);
    // Past what B acknowledged: fails.
    t.kvs.get('A')!.commit([{ store: 'log', key: `lib/tag/${h(11)}`, value: undefined }]);
    expect(t.failures()).toHaveLength(1);
  });

  it("nor at its last slash: a device id, the HLC's tail, may hold one", () => {
    const t = harness([logPrunedAfterAcksCheck(['A', 'B'])], ['A', 'B']);
    t.trace.emit('sim', 'fact.peer.ack', { from: 'B', to: 'A', sentUs: 0, resource: 'tag', upTo: h(10, 'site/A') });
    t.kvs.get('A')!.commit([{ store: 'log', key: `tag/${h(10, 'site/A')}`, value: undefined }]);
    expect(t.failures()).toEqual([]);
    expect(t.exercised()).toEqual(['invariant:log-pruned-after-acks']);
  });
});

describe('invariant:ack-held', () => {
  it("judges the acker's durable image: a version shown but not durable does not make the ack true", () => {
    const t = harness([ackHeldCheck(['A', 'B'])], ['A', 'B']);
    const v = rec('x', 'A', h(10), 'v');
    t.kvs.get('A')!.commit([{ store: 'rec', key: 'tag/x', value: v }]);
    t.kvs.get('B')!.commit([{ store: 'rec', key: 'tag/x', value: v }], false);
    t.trace.emit('sim', 'fact.peer.ack', { from: 'B', to: 'A', sentUs: 0, resource: 'tag', upTo: h(10) });
    expect(t.failures()).toHaveLength(1);
    expect(t.failures()[0]).toMatch(/invariant:ack-held/);
  });

  it('passes once the acker holds the version durably', () => {
    const t = harness([ackHeldCheck(['A', 'B'])], ['A', 'B']);
    const v = rec('x', 'A', h(10), 'v');
    t.kvs.get('A')!.commit([{ store: 'rec', key: 'tag/x', value: v }]);
    t.kvs.get('B')!.commit([{ store: 'rec', key: 'tag/x', value: v }]);
    t.trace.emit('sim', 'fact.peer.ack', { from: 'B', to: 'A', sentUs: 0, resource: 'tag', upTo: h(10) });
    expect(t.failures()).toEqual([]);
    expect(t.exercised()).toEqual(['invariant:ack-held']);
  });

  it('one run, two node lists: the evidence is not shared between them (the second list is not ignored)', () => {
    const { kvs, sim } = world(['A', 'B', 'C']);
    const trace = new Trace(() => 0);
    // Both checks on one context (a run): ack-held over A and B, log-pruned over A, B and C.
    const a = checkHarness(ackHeldCheck(['A', 'B']), { trace, extra: { sim: { ...sim, trace } } });
    logPrunedAfterAcksCheck(['A', 'B', 'C']).setup!(a.ctx);
    trace.emit('sim', 'fact.peer.ack', { from: 'B', to: 'A', sentUs: 0, resource: 'tag', upTo: h(10) });
    // C never acknowledged: with the first caller's list (A, B) winning, C was not a member and the prune passed.
    kvs.get('A')!.commit([{ store: 'log', key: `tag/${h(10)}`, value: undefined }]);
    expect(a.failures).toHaveLength(1);
    expect(a.failures[0]).toMatch(/invariant:log-pruned-after-acks.*C/);
  });
});
