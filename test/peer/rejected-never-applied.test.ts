/** invariant:rejected-never-applied (src/model/peer/, used by peer-rogue-messages), fed by hand. */
import { describe, expect, it } from 'vitest';
import { rejectedNeverApplied, type RogueView } from '../../src/model/peer/index.ts';
import type { PeerView } from '../../src/model/peer/peer-view.ts';
import { checkHarness } from '../check-harness.ts';

function run(applied: string | null, delivered: number, rejected: number, errors: number): string[] {
  const peer = { get: (_r: string, uuid: string) => (uuid === applied ? { ts: 't', data: 'evil' } : undefined) } as unknown as PeerView;
  const rogue: RogueView = { errors: () => errors };
  const t = checkHarness(rejectedNeverApplied(['A', 'B'], 'R', { uuids: ['rogue-1', 'rogue-2'], resources: ['entry'] }), { handles: { A: peer, B: peer, R: rogue } });
  for (let k = 0; k < delivered; k++) t.emit('A', 'net.deliver', { from: 'R' });
  t.emit('B', 'net.deliver', { from: 'C' }); // not the rogue's
  for (let k = 0; k < rejected; k++) t.emit('A', 'peer.msg.rejected', { from: 'R' });
  t.final();
  return t.failures;
}

describe('invariant:rejected-never-applied', () => {
  it('passes when every delivered message is rejected and nothing is applied', () => expect(run(null, 3, 3, 1)).toEqual([]));
  it('fails on a forged record applied', () => expect(run('rogue-2', 3, 3, 1).join()).toMatch(/A applied rogue-2/));
  it('fails on a delivered message not rejected', () => expect(run(null, 3, 2, 1).join()).toMatch(/only 2 of the 3/));
  it('fails when the rogue heard no Error', () => expect(run(null, 3, 3, 0).join()).toMatch(/no Error reply/));
});
