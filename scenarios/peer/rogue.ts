/**
 * Validation end to end: a rogue device sends malformed messages, messages for another library and
 * changes it did not write, over a connection and as datagrams. Every one must be answered with an Error
 * and none applied, while the real devices keep syncing.
 */
import type { Env, Value } from '../../src/impl/env.ts';
import { formatHlc } from '../../src/impl/peer/hlc.ts';
import { PEER_PROBES } from '../../src/impl/peer/probes.ts';
import type { Scenario, Topology } from '../../src/scenario/types.ts';
import { rejectedNeverApplied } from '../../src/model/peer/index.ts';
import { converged, LIBRARY, peerChecking, peerProgram, randomWrites, PEER_SEAMS } from './_common.ts';

const real = ['A', 'B'];
const members = ['A', 'B', 'R'];

/** What the rogue sends; each must be rejected. */
function garbage(env: Env): Value[] {
  const ts = formatHlc({ physicalMs: env.clock.now(), counter: 0, device: 'R' });
  const rec = (u: string, w = 'R'): Value => ({ u, w, t: ts, d: 'evil' });
  return [
    { type: 'StateChange', library: 'another-library', from: 'R', resource: 'entry', prev: null, record: rec('rogue-1') },
    { type: 'StateChange', library: LIBRARY, from: 'R', resource: 'entry', prev: null, record: rec('rogue-2', 'A') },
    { type: 'SharedChange', library: LIBRARY, from: 'R', resource: 'tag', prev: null, change: { u: 'rogue-3', w: 'R', t: 'yesterday', d: 'x' } },
    { type: 'StateBatch', library: LIBRARY, from: 'R', resource: 'photos', prev: null, records: [rec('rogue-4')] },
    { type: 'StateChange', library: LIBRARY, from: 'Q', resource: 'entry', prev: null, record: rec('rogue-5') },
    { type: 'Nonsense', library: LIBRARY, from: 'R' },
    'not even an object',
  ];
}

/** The rogue's program: connect to A and send garbage; send garbage datagrams to B; count Error replies. */
function rogue(env: Env): { errors: () => number } {
  let errors = 0;
  const count = (m: Value): void => {
    if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'Error') errors++;
  };
  env.net.onDatagram((_from, m) => count(m));
  env.net.listen((c) => c.onMessage(count));
  void (async () => {
    await env.clock.sleep(300);
    for (const m of garbage(env)) env.net.sendDatagram('B', m);
    // A persistent rogue: it tries again while A is down or unreachable (a fault may take A down).
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        const c = await env.net.connect('A', { timeoutMs: 1_000 });
        c.onMessage(count);
        for (const m of garbage(env)) c.send(m);
        return;
      } catch {
        await env.clock.sleep(200);
      }
    }
  })();
  return { errors: () => errors };
}

/** invariant:rejected-never-applied (src/model/peer/): none of the records `garbage` forges is applied, every delivered message is rejected. */
const noRogueData = rejectedNeverApplied(real, 'R', { uuids: ['rogue-1', 'rogue-2', 'rogue-3', 'rogue-4', 'rogue-5'], resources: ['entry', 'tag'] });

const rogueTopology: Topology = { nodes: [{ id: 'A', role: 'founder' }, { id: 'B', role: 'founder' }, { id: 'R', role: 'rogue' }] };

/** The checks of the real devices (peerChecking leaves out a node of role 'rogue'). */
const checking = peerChecking(rogueTopology, { peers: members });

const rogueScenario: Scenario = {
  name: 'peer-rogue-messages',
  description:
    'A rogue member sends malformed messages, messages for another library, forged writers and unknown resources over a connection and as datagrams: each is answered with an Error and none is applied.',
  suites: ['smoke', 'ci'],
  topology: rogueTopology,
  program: (node, ctx) => (node.role === 'rogue' ? rogue : peerProgram(members)(node, ctx)),
  seams: PEER_SEAMS,
  workload: (ctx) => randomWrites(ctx, real, 40, 200, 50),
  durationMs: 3_000,
  liveness: converged(real),
  checks: [...checking.checks, noRogueData],
  models: checking.models,
  evidence: checking.evidence,
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

export default [rogueScenario];
