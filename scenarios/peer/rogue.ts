/**
 * Validation end to end: a rogue device sends malformed messages, messages for another library and
 * changes it did not write, over a connection and as datagrams. Every one must be answered with an Error
 * and none applied, while the real devices keep syncing.
 */
import type { Connection, Env, Value } from '../../src/impl/env.ts';
import { formatHlc } from '../../src/impl/peer/hlc.ts';
import { PEER_PROBES } from '../../src/impl/peer/probes.ts';
import type { Scenario, Topology } from '../../src/scenario/types.ts';
import { rejectedNeverApplied } from '../../src/model/peer/index.ts';
import { converged, LIBRARY, peerChecking, peerProgram, randomWrites, seedLibrary, PEER_SEAMS } from './_common.ts';

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

/**
 * Responses from a member nobody asked: R, a member, answers J's first request ids (1..60) with forged
 * StateResponses every 30 ms for 3 s while J backfills 1,500 records from A (J's requests go to A only: R
 * sends no heartbeats, so it never says it is ready). A response settles only a request sent to its
 * sender; one from anybody else is ignored (silently: it is well formed, so it is not rejected). A device
 * that matches responses by request id alone takes R's forged records (writer A, uuids rogue-resp-*) as
 * A's answer and stores them: model:backfill (recvAsDelivered: the batch applied is not the one A's
 * delivered response held). Hunt 7: no scenario sent a response nobody asked for.
 */
const respMembers = ['A', 'J', 'R'];
const respReal = ['A', 'J'];
const FORGED_RESPONSES = Array.from({ length: 6 }, (_, i) => `rogue-resp-${i}`);

/** The forger: sends forged responses to J's first request ids on every connection with J, every 30 ms. */
function forger(env: Env): { errors: () => number } {
  let errors = 0;
  const count = (m: Value): void => {
    if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'Error') errors++;
  };
  const flood = (c: Connection): void => {
    c.onMessage(count);
    void (async () => {
      for (let round = 0; round < 100 && c.open; round++) {
        const ts = formatHlc({ physicalMs: env.clock.now(), counter: 0, device: 'A' });
        const records = FORGED_RESPONSES.map((u): Value => ({ u, w: 'A', t: ts, d: 'evil' }));
        for (let reqId = 1; reqId <= 60; reqId++) {
          c.send({ type: 'StateResponse', library: LIBRARY, from: 'R', reqId, resource: 'entry', records, hasMore: true, remaining: 1, totals: null });
        }
        await env.clock.sleep(30);
      }
    })();
  };
  env.net.listen(flood);
  void (async () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      try {
        flood(await env.net.connect('J', { timeoutMs: 1_000 }));
        return;
      } catch {
        await env.clock.sleep(100);
      }
    }
  })();
  return { errors: () => errors };
}

const forgedResponsesTopology: Topology = {
  nodes: [{ id: 'A', role: 'founder' }, { id: 'J', role: 'joiner', startAtMs: 600 }, { id: 'R', role: 'rogue' }],
};
const forgedResponsesChecking = peerChecking(forgedResponsesTopology, { peers: respMembers, options: { batchSize: 50 } });
const forgedResponses: Scenario = {
  name: 'peer-rogue-responses',
  description:
    "A member R answers J's request ids with forged StateResponses, over and over, while J backfills 1,500 records from A: a response settles only a request sent to its sender, so none of R's records is stored.",
  suites: ['smoke', 'ci'],
  topology: forgedResponsesTopology,
  program: (node, ctx) => (node.role === 'rogue' ? forger : peerProgram(respMembers, { batchSize: 50 })(node, ctx)),
  seams: PEER_SEAMS,
  workload: (ctx) => {
    seedLibrary(ctx, ['A'], 1_500, 100);
    randomWrites(ctx, ['A'], 20, 700, 100);
  },
  durationMs: 6_000,
  liveness: converged(respReal),
  checks: forgedResponsesChecking.checks,
  models: forgedResponsesChecking.models,
  evidence: forgedResponsesChecking.evidence,
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

export default [rogueScenario, forgedResponses];
