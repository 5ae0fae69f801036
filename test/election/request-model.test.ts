/**
 * The request model (write forwarding), fed synthetic records through its monitor spec: a forwarded write
 * is applied at most once under its one request id, replied and acknowledged only after the durable
 * apply, never both definitely failed and applied; an unanswered write is hot unless its tab died.
 */
import { describe, expect, it } from 'vitest';
import { modelGraph } from '../../src/model/graph.ts';
import { ModelMonitor } from '../../src/model/monitor.ts';
import { requestMachine } from '../../src/model/election/request-machine.ts';
import { issuerOf, requestModel } from '../../src/model/election/request-model.ts';

type Rec = [node: string, kind: string, data: Record<string, unknown>];

function feed(recs: Rec[]): { monitor: ModelMonitor; failures: string[] } {
  const failures: string[] = [];
  const monitor = new ModelMonitor(requestModel(), { fail: (f) => void failures.push(f.message) });
  recs.forEach(([node, kind, data], i) => monitor.onRecord({ i, t: i * 1000, node, kind, data }));
  return { monitor, failures };
}

const send = (id = 'B.0.1', reqId: string | null = id): Rec => ['sim', 'fact.bus.request', { device: 'd', msg: 1, from: 'B', id, reqId, value: 'w1' }];
const apply = (commit: number, reqId = 'B.0.1', node = 'A'): Rec => ['sim', 'fact.request', { device: 'd', root: 'store', reqId, commit, epoch: 1, node, result: { key: 'k1', value: 'w1', epoch: 1, writer: node } }];
const reply = (ok: boolean, seq: number | null, dedup: boolean | null = null, from = 'A'): Rec => [
  'sim',
  'fact.bus.reply',
  { device: 'd', msg: 2, from, to: 'B', id: 'B.0.1', ok, seq, code: ok ? null : 'EFENCED', dedup, value: 'w1' },
];
const result = (data: Record<string, unknown>): Rec => ['workload', 'workload.result', { node: 'B', value: 'w1', ...data }];

describe('request model: correct histories pass', () => {
  it('forwarded, re-sent under the same id, applied once, replied twice, acknowledged', () => {
    const { monitor, failures } = feed([send(), send(), apply(5), reply(true, 5), reply(true, 5), result({ ok: true, seq: 5 })]);
    expect(failures).toEqual([]);
    expect(monitor.state('B#w1')).toBe('acknowledged');
  });

  it('a timed-out write may still be applied once later; a tab that died leaves its writes orphaned, not hot', () => {
    expect(feed([send(), result({ ok: false, code: 'ETIMEDOUT', definite: false }), apply(9)]).failures).toEqual([]);
    const { monitor } = feed([send(), ['workload', 'workload.lost', { node: 'B', value: 'w1' }], apply(9)]);
    expect(monitor.state('B#w1')).toBe('orphaned');
    expect(monitor.hot()).toEqual([]);
  });

  it('repeated attempts under the same id, and repeated replies with the same seq, are not events (they decide nothing new)', () => {
    const { monitor } = feed([send(), send(), send(), apply(5), reply(true, 5), reply(true, 5), result({ ok: true, seq: 5 })]);
    expect(monitor.coverage.transitions['forwarded|SEND|forwarded']).toBeUndefined();
    expect(monitor.coverage.transitions['applied|REPLY|applied']).toBe(1);
  });

  it('an unanswered write is hot', () => {
    const { monitor } = feed([send(), apply(3)]);
    expect(monitor.hot().map((h) => [h.instance, h.state])).toEqual([['B#w1', 'applied']]);
  });
});

describe('request model: guards refuse with their reason', () => {
  it('sameRequest: a forward without a request id, and a retry under a new one', () => {
    expect(feed([send('B.0.1', null)]).failures[0]).toContain('sameRequest: attempt B.0.1 carries no request id');
    expect(feed([send(), send('B.0.7')]).failures[0]).toContain('forwarded as request B.0.1 and is now re-sent as B.0.7');
  });

  it('mayApply: applied twice (another id or the same record written again), under another id, or after a definite failure', () => {
    expect(feed([send(), apply(3), apply(4)]).failures[0]).toContain('mayApply: already applied at commit 3 (request B.0.1): applied twice');
    expect(feed([send(), apply(3, 'B.0.9')]).failures[0]).toContain('applied under request id B.0.9 but forwarded as B.0.1');
    expect(feed([send(), result({ ok: false, code: 'EFENCED', definite: true }), apply(3)]).failures[0]).toContain('told it definitely failed (EFENCED)');
  });

  it('replyAfterApply: an ok reply before the durable record, or naming another commit', () => {
    expect(feed([send(), reply(true, 5)]).failures[0]).toContain('replyAfterApply: an ok reply (bus msg 2, seq 5) before the store durably recorded the request');
    expect(feed([send(), apply(4), reply(true, 5)]).failures[0]).toContain('names seq 5 but the request was recorded at commit 4');
    expect(feed([send(), reply(false, null), apply(4)]).failures).toEqual([]); // a failed attempt decides nothing
  });

  it('replyAfterApply: a reply saying its request applied the write (dedup false) comes from the applying tab, once', () => {
    // A applied it and says so; a retry that reached C found it applied and says so.
    expect(feed([send(), apply(4, 'B.0.1', 'A'), reply(true, 4, false, 'A'), reply(true, 4, true, 'C')]).failures).toEqual([]);
    expect(feed([send(), apply(4, 'B.0.1', 'A'), reply(true, 4, false, 'C')]).failures[0]).toContain(
      "C's ok reply (bus msg 2) says its request applied the write (dedup false), but A's transaction recorded it at commit 4",
    );
    expect(feed([send(), apply(4, 'B.0.1', 'A'), reply(true, 4, false, 'A'), reply(true, 4, false, 'A')]).failures[0]).toContain('a second ok reply (bus msg 2) says its request applied the write');
    // A reply that does not say (dedup null: a recorder or writer that does not report it) is not judged on it.
    expect(feed([send(), apply(4, 'B.0.1', 'A'), reply(true, 4, null, 'C')]).failures).toEqual([]);
  });

  it('ackAfterApply and definiteNotApplied: what the caller is told agrees with the store', () => {
    expect(feed([result({ ok: true, seq: 2 })]).failures[0]).toContain('ackAfterApply: the caller was told ok (seq 2) but the store has no durable record');
    expect(feed([apply(2, 'B.0.1', 'B'), result({ ok: true, seq: 3 })]).failures[0]).toContain('told seq 3 but the request was recorded at commit 2');
    expect(feed([send(), apply(2), result({ ok: false, code: 'EBUSY', definite: true })]).failures[0]).toContain('definiteNotApplied');
  });

  it('the leader own write: applied, then acknowledged; an acknowledgement without a record is refused', () => {
    expect(feed([apply(2, 'B.0.1', 'B'), result({ ok: true, seq: 2 })]).failures).toEqual([]);
    // Another tab cannot apply a write the bus never carried to it.
    expect(feed([apply(2), result({ ok: true, seq: 2 })]).failures[0]).toContain("mayApply: applied at commit 2 by A's transaction, but the bus never carried a request for it (fact.bus.request)");
    expect(feed([result({ ok: true, seq: 2 })]).failures[0]).toContain("state 'idle' refused ACK");
  });
});

describe('request model spec', () => {
  it('finds the issuing tab in a request id and credits faults to it', () => {
    expect(issuerOf('B.0.12')).toBe('B');
    expect(issuerOf('tab.x.3.7')).toBe('tab.x');
    expect(issuerOf('nodots')).toBeNull();
    expect(requestModel().nodeOf?.('tab.x#w9')).toBe('tab.x');
  });

  it('graph: seven states, every answer a transition', () => {
    const g = modelGraph(requestMachine);
    expect(g.states).toEqual(['acknowledged', 'applied', 'failed', 'forwarded', 'idle', 'orphaned', 'unknown']);
    expect(g.transitions).toEqual(expect.arrayContaining(['forwarded|APPLY|applied', 'applied|ACK|acknowledged', 'idle|LOST|orphaned', 'forwarded|FAIL|failed']));
  });
});
