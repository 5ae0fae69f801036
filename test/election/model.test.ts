/**
 * The per-tab election model with data, fed synthetic trace records through its monitor spec: each guard
 * refuses what it should, with its reason, and lets the correct sequences through; its graph is complete.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelGraph } from '../../src/model/graph.ts';
import { ModelMonitor } from '../../src/model/monitor.ts';
import { tabElectionMachine, type TabContext } from '../../src/model/election/election-machine.ts';
import { electionModel, STEP_DOWN_REASONS } from '../../src/model/election/election-model.ts';
import type { StepDownReason } from '../../src/impl/election/types.ts';

type Rec = [node: string, kind: string, data?: Record<string, unknown>, tMs?: number];

/** Feeds `recs` (1 ms apart unless a time is given) to a fresh monitor; returns it and its failures. */
function feed(recs: Rec[]): { monitor: ModelMonitor; failures: string[] } {
  const failures: string[] = [];
  const monitor = new ModelMonitor(electionModel(['A', 'B', 'C']), { fail: (f) => void failures.push(f.message) });
  recs.forEach(([node, kind, data, tMs], i) => monitor.onRecord({ i, t: (tMs ?? i) * 1000, node, kind, data: data ?? {} }));
  return { monitor, failures };
}

const start = (node: string): Rec[] => [
  [node, 'node.start', { incarnation: 0, device: 'dev' }, 0],
  ['sim', 'fact.clock', { node, driftPpm: 0, wallMs: 0, monotonicMs: 0 }, 0],
];
const store = (marker: number, epoch: number, tMs?: number): Rec => ['sim', 'fact.store', { device: 'dev', backend: 'kv', root: 'store', marker, epoch }, tMs];

/** A leads epoch 1 in lease mode after fencing it (trust 900 ms from t = 2 ms). */
const aLeads: Rec[] = [
  ...start('A'),
  ...start('B'),
  ['A', 'election.campaign', { mode: 'lease' }, 1],
  ['A', 'election.acquired', { epoch: 1, mode: 'lease' }, 1],
  store(1, 1, 2),
  ['A', 'election.leader', { epoch: 1, validMs: 900 }, 2],
];

describe('election model: a correct term passes', () => {
  it('start, campaign, acquire, fence (fact.store), lead, renew, write, step down, follow', () => {
    const { monitor, failures } = feed([
      ...aLeads,
      ['A', 'election.renewed', { epoch: 1, validMs: 900 }, 100],
      ['A', 'writer.begin', { epoch: 1, count: 1 }, 500],
      ['A', 'election.stepdown', { epoch: 1, reason: 'closing' }, 600],
      ['A', 'election.follower', { reason: 'closing' }, 601],
      ['A', 'node.stop', {}, 602],
    ]);
    expect(failures).toEqual([]);
    expect(monitor.state('A')).toBe('down');
    expect((monitor.context('B') as TabContext).storeEpoch).toBe(1); // the store's fact reaches every tab of the device
  });

  it('lock mode: a queued tab (not hot) acquires when granted', () => {
    const { monitor, failures } = feed([...start('A'), ['A', 'election.campaign', { mode: 'lock' }, 1]]);
    expect(failures).toEqual([]);
    expect(monitor.state('A')).toBe('queued');
    expect(monitor.hot()).toEqual([]);
  });
});

describe('election model: guards refuse with their reason', () => {
  it('mayLead: leading without the store fenced at the epoch (the missing-fence escape)', () => {
    const { failures } = feed([...start('A'), ['A', 'election.campaign', { mode: 'lock' }, 1], ['A', 'election.acquired', { epoch: 1 }, 1], ['A', 'election.leader', { epoch: 1 }, 2]]);
    expect(failures[0]).toContain("state 'fencing' refused LEADER");
    expect(failures[0]).toContain('mayLead: the store was never fenced at epoch 1 during this term: its durable epoch is 0 (fact.store)');
  });

  it('mayLead: a fence at another epoch (higher, someone else) does not count as this tab fencing its own', () => {
    const { failures } = feed([...start('A'), ['A', 'election.campaign', { mode: 'lock' }, 1], ['A', 'election.acquired', { epoch: 1 }, 1], store(1, 2, 2), ['A', 'election.leader', { epoch: 1 }, 3]]);
    expect(failures[0]).toContain('its durable epoch is 2');
  });

  it('mayAcquire: an epoch not above one the store or the tab already knows', () => {
    const { failures } = feed([...start('A'), store(3, 2, 1), ['A', 'election.campaign', { mode: 'lease' }, 2], ['A', 'election.acquired', { epoch: 2 }, 3]]);
    expect(failures[0]).toContain("mayAcquire: epoch 2 is not above the store's durable epoch 2");
  });

  it('mayAcquire judges against what the tab knew when it campaigned: frozen between drawing and reporting, a stale epoch is acquired, then refused by the store (election-rolling-restarts-lock seed 5011)', () => {
    const frozen: Rec[] = [...start('A'), store(4, 4, 1), ['A', 'election.campaign', { mode: 'lock' }, 2], store(6, 6, 3), ['A', 'election.acquired', { epoch: 5, mode: 'lock' }, 4]];
    expect(feed(frozen).failures).toEqual([]);
    expect(feed([...frozen, ['A', 'election.leader', { epoch: 5 }, 5]]).failures.join()).toMatch(/mayLead: the store was never fenced at epoch 5/);
  });

  it('mayWrite: a batch with an epoch that is not the tab own', () => {
    const { failures } = feed([...aLeads, ['A', 'writer.begin', { epoch: 2, count: 1 }, 3]]);
    expect(failures[0]).toContain("mayWrite: epoch 2 is not this tab's current epoch 1");
  });

  it('mayWrite: a write after the bus delivered a higher epoch (it must step down first)', () => {
    const { failures } = feed([...aLeads, ['sim', 'fact.bus.leader', { device: 'dev', msg: 7, node: 'A', from: 'B', epoch: 2 }, 3], ['A', 'writer.begin', { epoch: 1, count: 1 }, 4]]);
    expect(failures[0]).toContain("mayWrite: this tab already knows epoch 2 (the bus delivered B's announcement of epoch 2, msg 7)");
  });

  it('mayWrite: a write after the store rejected the tab as stale', () => {
    const { failures } = feed([...aLeads, ['A', 'fenced.reject', { epoch: 1, fence: 3 }, 3], ['A', 'writer.begin', { epoch: 1, count: 1 }, 4]]);
    expect(failures[0]).toContain('the store rejected its epoch 1: fenced at 3');
  });

  it('mayWrite: a write after the lease belief ran out on the tab true monotonic clock (fact.clock, drift included)', () => {
    // Trust 900 ms from t = 2 ms; A's clock runs 10% slow from t = 100 ms: at true t = 950 ms it reads
    // 100 + 850 * 0.9 = 865 ms < 902: still trusted; at true 1,050 ms it reads 955 ms > 902.
    const slow: Rec = ['sim', 'fact.clock', { node: 'A', driftPpm: -100_000, wallMs: 0, monotonicMs: 100 }, 100];
    expect(feed([...aLeads, slow, ['A', 'writer.begin', { epoch: 1, count: 1 }, 950]]).failures).toEqual([]);
    const { failures } = feed([...aLeads, slow, ['A', 'writer.begin', { epoch: 1, count: 1 }, 1_050]]);
    expect(failures[0]).toMatch(/mayWrite: its lease belief ended at 902\.000 ms of its monotonic clock and the clock reads 955\.000 ms/);
  });

  it('mayLose: a campaign lost to a store error needs a failed kv transaction of the tab since it campaigned', () => {
    const campaign: Rec[] = [...start('A'), ['A', 'election.campaign', { mode: 'lease' }, 1]];
    expect(feed([...campaign, ['A', 'election.lost', { reason: 'store-error' }, 2]]).failures[0]).toContain(
      "mayLose: it reported losing its campaign to a store error ('store-error'), but none of its kv transactions failed since it campaigned",
    );
    expect(feed([...campaign, ['A', 'kv.abort', { tx: 3, reason: 'EIO' }, 2], ['A', 'election.lost', { reason: 'store-error' }, 2]]).failures).toEqual([]);
    // An explicit abort is the code's own choice, not a store failure; and a failure before the campaign does not count.
    expect(feed([...campaign, ['A', 'kv.abort', { tx: 3, reason: 'abort' }, 2], ['A', 'election.lost', { reason: 'store-error' }, 2]]).failures[0]).toContain('mayLose');
    expect(feed([...start('A'), ['A', 'kv.fault', { tx: 1, op: 'commit', action: 'error:EIO' }, 1], ['A', 'election.campaign', { mode: 'lease' }, 1], ['A', 'election.lost', { reason: 'store-error' }, 2]]).failures[0]).toContain('mayLose');
    expect(feed([...campaign, ['A', 'election.lost', { reason: 'taken' }, 2]]).failures).toEqual([]);
  });

  it('mayLead / mayRenew: a lease term must say how long the tab trusts its lease (validMs); a lock term need not', () => {
    const noValid = aLeads.map((r): Rec => (r[1] === 'election.leader' ? ['A', 'election.leader', { epoch: 1 }, 2] : r));
    expect(feed(noValid).failures[0]).toContain("mayLead: it leads on a lease (it campaigned in mode 'lease') but its election.leader record gives no validMs");
    expect(feed([...aLeads, ['A', 'election.renewed', { epoch: 1 }, 3]]).failures[0]).toContain('mayRenew: it leads on a lease');
    expect(feed([...aLeads, ['A', 'election.renewed', { epoch: 1, validMs: 800 }, 3]]).failures).toEqual([]);
    const lockTerm = noValid.map((r): Rec => (r[1] === 'election.campaign' ? ['A', 'election.campaign', { mode: 'lock' }, 1] : r));
    expect(feed(lockTerm).failures).toEqual([]);
  });

  it("mayLose: 'closed' needs the workload's close of the tab, 'stolen' the lock manager taking its lock since it queued", () => {
    const campaign: Rec[] = [...start('A'), ['A', 'election.campaign', { mode: 'lease' }, 1]];
    expect(feed([...campaign, ['A', 'election.lost', { reason: 'closed' }, 2]]).failures[0]).toContain('mayLose: it reported losing its campaign because it closed, but the workload never closed it');
    expect(feed([...campaign, ['workload', 'workload.handover', { node: 'A', how: 'close' }, 2], ['A', 'election.lost', { reason: 'closed' }, 2]]).failures).toEqual([]);
    // Another tab's close, or a close of an earlier incarnation, does not count.
    expect(feed([...campaign, ['workload', 'workload.handover', { node: 'B', how: 'close' }, 2], ['A', 'election.lost', { reason: 'closed' }, 2]]).failures[0]).toContain('mayLose');
    const queued: Rec[] = [...start('A'), ['A', 'election.campaign', { mode: 'lock' }, 1]];
    expect(feed([...queued, ['A', 'election.lost', { reason: 'stolen' }, 2]]).failures[0]).toContain('mayLose: it reported losing its campaign to a stolen lock, but the lock manager took no lock from it since it queued');
    expect(feed([...queued, ['A', 'lock.release', { name: 'syncbench-election', reason: 'stolen' }, 2], ['A', 'election.lost', { reason: 'stolen' }, 2]]).failures).toEqual([]);
    expect(feed([...start('A'), ['A', 'lock.release', { name: 'syncbench-election', reason: 'stolen' }, 1], ...queued.slice(-1), ['A', 'election.lost', { reason: 'stolen' }, 2]]).failures[0]).toContain('mayLose');
  });

  it('mayRenew: a renewal that still believes in the lease after another tab fenced the store is refused; one that no longer does is not', () => {
    const afterTakeover = [...aLeads, store(2, 2, 1_500)];
    expect(feed([...afterTakeover, ['A', 'election.renewed', { epoch: 1, validMs: 300 }, 1_600]]).failures[0]).toContain(
      'mayRenew: it renewed its lease (belief valid 300 ms more) while the store is fenced at epoch 2 above its own 1 (fact.store): another tab already took over',
    );
    expect(feed([...afterTakeover, ['A', 'election.renewed', { epoch: 1, validMs: -50 }, 1_600]]).failures).toEqual([]);
    expect(feed([...aLeads, ['A', 'election.renewed', { epoch: 1, validMs: 900 }, 300]]).failures).toEqual([]);
  });

  it('sameEpoch: stepping down from an epoch that is not the tab own', () => {
    const { failures } = feed([...aLeads, ['A', 'election.stepdown', { epoch: 5, reason: 'fenced' }, 3]]);
    expect(failures[0]).toContain("sameEpoch: epoch 5 is not this tab's current epoch 1");
  });

  it('structure: no write outside leader, no leading without acquiring, no following without stepping down', () => {
    expect(feed([...start('A'), ['A', 'writer.begin', { epoch: 0, count: 1 }, 1]]).failures[0]).toContain("no transition for WRITE in 'follower'");
    expect(feed([...start('A'), ['A', 'election.leader', { epoch: 1 }, 1]]).failures[0]).toContain("no transition for LEADER in 'follower'");
    expect(feed([...aLeads, ['A', 'election.follower', { reason: 'closing' }, 3]]).failures[0]).toContain("no transition for FOLLOWER in 'leader'");
  });

  it('a restarted tab forgets what it knew; the store facts stay', () => {
    const { monitor, failures } = feed([...aLeads, ['A', 'fenced.reject', { epoch: 1, fence: 3 }, 3], ['A', 'node.crash', {}, 4], ['A', 'node.start', { incarnation: 1, device: 'dev' }, 5]]);
    expect(failures).toEqual([]);
    expect(monitor.context('A')).toMatchObject({ epoch: 0, known: 0, storeEpoch: 1 });
  });

  it('only facts that can change a decision become events: an unchanged store epoch, an announcement not above what the tab heard', () => {
    const { monitor } = feed([...aLeads, store(2, 1, 3), store(3, 1, 4), ['sim', 'fact.bus.leader', { device: 'dev', msg: 1, node: 'B', from: 'A', epoch: 1 }, 5], ['sim', 'fact.bus.leader', { device: 'dev', msg: 2, node: 'B', from: 'A', epoch: 1 }, 6]]);
    expect(monitor.coverage.transitions['leader|STORE|leader']).toBeUndefined();
    expect(monitor.coverage.transitions['follower|HEARD|follower']).toBe(1);
  });

  it('a tab starting after the store was fenced learns its epoch at start', () => {
    const { monitor } = feed([...start('A'), store(1, 3, 1), ['C', 'node.start', { incarnation: 0, device: 'dev' }, 2]]);
    expect(monitor.context('C')).toMatchObject({ storeEpoch: 3 });
  });
});

describe('election model graph', () => {
  it('has the seven states, the hot ones, and the guarded transitions', () => {
    const g = modelGraph(tabElectionMachine);
    expect(g.states).toEqual(['candidate', 'down', 'fencing', 'follower', 'leader', 'queued', 'steppingDown']);
    expect(g.transitions).toContain('leader|WRITE|leader');
    expect(g.transitions).toContain('fencing|LEADER|leader');
    expect(g.transitions).toContain('queued|ACQUIRED|fencing');
    expect(electionModel().hot).toEqual(['candidate', 'fencing', 'steppingDown']);
  });
});

describe('step-down reasons are a closed vocabulary', () => {
  it("the implementation's StepDownReason is exactly the model's STEP_DOWN_REASONS", () => {
    // At compile time both ways (tsc), and at run time against the type's source, which vitest does not check.
    const fromImpl: readonly StepDownReason[] = STEP_DOWN_REASONS;
    const toImpl: readonly (typeof STEP_DOWN_REASONS)[number][] = [] as StepDownReason[];
    const source = readFileSync(path.join(import.meta.dirname, '../../src/impl/election/types.ts'), 'utf8');
    const declared = /export type StepDownReason = ([^;]+);/.exec(source)![1]!.match(/'[a-z-]+'/g)!.map((q) => q.slice(1, -1));
    expect([...declared].sort()).toEqual([...fromImpl, ...toImpl].sort());
  });

  it('a blank step-down reason fails the run with the field and the allowed values', () => {
    const { failures } = feed([...start('A'), ['A', 'election.stepdown', { epoch: 1, reason: '' }]]);
    expect(failures[0]).toMatch(/record 'election\.stepdown' .* has reason "", not one of the values its trace format allows \("lease-expired", /);
  });
});
