/**
 * The peer-node seam (`Implementations.peer`, src/impl/peer/seam.ts): a whole peer sync node plugged into
 * the stock peer scenarios with withImplementations, judged by their unchanged checks. The built-in node
 * plugged in explicitly gives the stock traces; flawed "third-party" nodes (test/peer/flawed-peer-nodes.ts)
 * are each caught by a stock scenario; a bad plug-in is refused with an error naming the seam.
 */
import { describe, expect, it } from 'vitest';
import { builtInPeerNode, PEER_NODE_METHODS, type PeerNode, type PeerNodeFactory } from '../../src/impl/peer/seam.ts';
import { HlcClock } from '../../src/impl/peer/hlc.ts';
import type { PeerView } from '../../src/model/peer/peer-view.ts';
import { stockScenarios, withImplementations } from '../../src/scenario/implementations.ts';
import { validateScenario } from '../../src/scenario/registry.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { RunResult, Scenario } from '../../src/scenario/types.ts';
import { expectStockHashes, plugged as pluggedInto, stockNamed } from '../scenario/seam-testing.ts';
import { eagerAck, eagerFounder, forgetfulResume, pagedRecovery } from './flawed-peer-nodes.ts';

const peer = await stockScenarios('peer');

const stock = (name: string): Scenario => stockNamed(peer, name);

/** `name` with `factory` plugged in through withImplementations (the stock name kept: the trace header names it). */
function plugged(name: string, factory: PeerNodeFactory): Scenario {
  return { ...pluggedInto(peer, name, 'third-party', { peer: factory }), name };
}

const outcome = (r: RunResult): string => `${r.verdict} ${r.failure?.check ?? ''}`.trim();

describe('the peer-node seam', () => {
  it('every stock peer scenario builds its nodes through it', () => {
    expect(peer.length).toBeGreaterThan(0);
    for (const s of peer) expect(s.seams, s.name).toContain('peer');
    // The handle offers at least what the end-of-run checks read (a type-level check).
    const view: (n: PeerNode) => PeerView = (n) => n;
    expect(typeof view).toBe('function');
    expect(PEER_NODE_METHODS).toEqual(['writeOwned', 'writeShared', 'get', 'records', 'resources', 'digest', 'state', 'progress']);
  });

  it('the built-in node plugged in explicitly gives the stock trace hashes', async () => {
    await expectStockHashes(peer, ['peer-partition-heal', 'peer-catchup-cut'], { peer: builtInPeerNode });
  });

  it('a node whose recovery forgets the backfill checkpoint is caught restarting its backfill from zero', async () => {
    // E crashes (power loss) at its 8th kv commit, mid-backfill; restarted, it begins a new backfill.
    const r = await runScenario(plugged('peer-join-10k-crash', forgetfulResume), 0);
    expect(outcome(r)).toBe('correctness invariant:backfill-progress');
    expect(r.failure?.message).toMatch(/^E: backfill progress went back from 0\.\d+ .* to 0\.0000/);
  });

  /** `s` without the check named `name`. */
  const without = (s: Scenario, name: string): Scenario => ({ ...s, checks: s.checks!.filter((c) => c.name !== name) });

  it('a node that acknowledges before its commits are durable is caught by the durable kv image', async () => {
    // Relaxed commits: its writes reach the peers before they are durable at the writer (a founder's first
    // broadcast, invariant:change-sent-durable); without that check, its acknowledgements of changes not yet
    // durable (invariant:ack-held, on the acker's durable image); without both, the joiner reports a batch
    // applied while its durable checkpoint has not moved.
    const s = plugged('peer-join-10k-crash', eagerAck);
    const r = await runScenario(s, 0);
    expect(outcome(r)).toBe('correctness invariant:change-sent-durable');
    expect(r.failure?.message).toMatch(/the change was sent before its commit was durable$/);
    const noSent = without(s, 'invariant:change-sent-durable');
    const acked = await runScenario(noSent, 0);
    expect(outcome(acked)).toBe('correctness invariant:ack-held');
    expect(acked.failure?.message).toMatch(/^\w acknowledged \w's changes in '\w+' up to \S+ \(delivered, trace #\d+\), but it does not durably hold /);
    const off = await runScenario(without(noSent, 'invariant:ack-held'), 0);
    expect(outcome(off)).toBe('correctness model:backfill');
    expect(off.failure?.message).toMatch(/instance 'E' in state 'backfilling' refused BATCH .*batchCheckpointed/);
  });

  it('a node whose recovery scan reads one page of records is caught the moment it is ready again', async () => {
    // A (a founder holding 4,000 records) restarts after a crash and loads only the first 1,000 keys of its
    // record store: ready, it serves a quarter of what it durably holds. Without that check, liveness:
    // nobody sends a writer its own records back, so it never converges.
    const s = plugged('peer-backfill-peer-drop', pagedRecovery);
    const r = await runScenario(s, 0);
    expect(outcome(r)).toBe('correctness invariant:ready-serves-durable');
    expect(r.failure?.message).toMatch(/^A ready \(incarnation 1\): serves 1000 of the \d+ records its kv store durably holds; /);
    const off = await runScenario(without(s, 'invariant:ready-serves-durable'), 0);
    expect(outcome(off)).toBe('liveness liveness');
    expect(off.failure?.message).toMatch(/not done 20000 ms after healing: .* holds .*location=\d+/);
  });

  it('a node whose recovery scan reads one page of records is caught even where catch-up hides it by the end', async () => {
    // E loses power mid-backfill and restarts having loaded only the first 1,000 of its records; catch-up
    // fetches the rest again before the end, so memory-is-durable, acked-not-lost and converged pass (the
    // escape): the ready record is where a user reading sees durable records missing.
    const s = plugged('peer-join-10k-crash', pagedRecovery);
    const r = await runScenario(s, 0);
    expect(outcome(r)).toBe('correctness invariant:ready-serves-durable');
    expect(r.failure?.message).toMatch(/^E ready \(incarnation 1\): serves \d+ of the \d+ records its kv store durably holds; '\w+' \S+: its kv store durably holds \S+ .*, it serves nothing$/);
    expect(outcome(await runScenario(without(s, 'invariant:ready-serves-durable'), 0))).toBe('pass');
  });

  it('a founder that acknowledges writes before they are durable is caught when it is ready again without them', async () => {
    // B loses power with acknowledged writes not yet durable: its store no longer holds them, so only the
    // workload's record of acknowledged writes shows them missing at B's ready (acked-not-lost at every
    // ready, not only at the end; without it, liveness fails 20 s after healing).
    // (Its broadcasts of writes not yet durable fail invariant:change-sent-durable first, and its
    // acknowledgements of changes not yet durable invariant:ack-held: both off here.)
    const noSent = without(plugged('peer-backfill-peer-drop', eagerFounder), 'invariant:change-sent-durable');
    const s = without(noSent, 'invariant:ack-held');
    expect(outcome(await runScenario(plugged('peer-backfill-peer-drop', eagerFounder), 0))).toBe('correctness invariant:change-sent-durable');
    expect(outcome(await runScenario(noSent, 0))).toBe('correctness invariant:ack-held');
    const r = await runScenario(s, 0);
    expect(outcome(r)).toBe('correctness invariant:ready-serves-durable');
    expect(r.failure?.message).toMatch(/^B ready \(incarnation 1\): its own acknowledged write of '\w+' \S+ by B at \S+ is lost \(holds nothing\)$/);
    expect(outcome(await runScenario(without(s, 'invariant:ready-serves-durable'), 0))).toBe('liveness liveness');
  });

  it('a bad plug-in is refused with an error naming the seam, never a hang or a pass', async () => {
    expect(() => withImplementations(peer, { label: 'x', peer: 42 } as never)).toThrow(/peer must be a PeerNodeFactory \(env, options\) => Promise<PeerNode>, got number/);
    const cases: [PeerNodeFactory, RegExp][] = [
      [(() => ({ state: () => 'ready' })) as never, /^[A-C]: PeerSeamError: peer seam: the node of [A-C]: the factory must return a Promise<PeerNode> .*got object/],
      [() => Promise.resolve(null as never), /^[A-C]: PeerSeamError: peer seam: the node of [A-C] resolved with null, not a PeerNode/],
      [async (env, options) => ({ ...(await builtInPeerNode(env, options)), records: undefined }) as never, /^[A-C]: PeerSeamError: peer seam: the node of [A-C] lacks records \(a PeerNode has writeOwned, writeShared, /],
      [() => { throw new Error('no such library'); }, /^[A-C]: PeerSeamError: peer seam: the node of [A-C]: the factory threw instead of returning a Promise<PeerNode>: no such library/],
    ];
    for (const [factory, message] of cases) {
      const r = await runScenario(plugged('peer-partition-heal', factory), 0);
      expect(outcome(r)).toBe('crash exception');
      expect(r.failure?.message).toMatch(message);
    }
  });

  it('refuses a plugged-in node together with a plugged-in HLC (the hlc seam is the built-in node\'s)', async () => {
    const hlc = (d: string, w: () => number, m: number): HlcClock => new HlcClock(d, w, m);
    expect(() => withImplementations([stock('peer-partition-heal')], { label: 'both', peer: builtInPeerNode, hlc })).toThrow(/'hlc' is the built-in peer node's clock/);
    // Set by hand (past withImplementations), the node's start refuses it too.
    const both = { ...stock('peer-partition-heal'), implementations: { peer: builtInPeerNode, hlc } };
    validateScenario(both, 'both.ts');
    const r = await runScenario(both, 0);
    expect(r.verdict).toBe('crash');
    expect(r.failure?.message).toMatch(/peer seam: the 'hlc' seam plugs a clock into the built-in peer node only/);
  });
});
