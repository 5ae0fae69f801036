/**
 * Validation end to end: a rogue device sends malformed messages, messages for another library and
 * changes it did not write, over a connection and as datagrams. Every one must be answered with an Error
 * and none applied, while the real devices keep syncing.
 */
import type { Env, Value } from '../../src/impl/env.ts';
import { formatHlc } from '../../src/impl/peer/hlc.ts';
import type { PeerHandle } from '../../src/impl/peer/index.ts';
import { PEER_PROBES } from '../../src/impl/peer/probes.ts';
import type { Check, Scenario } from '../../src/scenario/types.ts';
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

/**
 * Nothing of the rogue's is applied; every rogue message the network delivered to a real device (its
 * `net.deliver` records: faults may crash a device before a message arrives) is rejected; and the rogue
 * hears an Error back at least once when any was delivered.
 */
const noRogueData: Check = {
  name: 'invariant:rejected-never-applied',
  covers: ['invariant:rejected-never-applied'],
  setup(ctx) {
    let rejected = 0;
    let delivered = 0;
    ctx.trace.on('peer.msg.rejected', (r) => void (r.data.from === 'R' && rejected++));
    ctx.trace.on('net.deliver', (r) => void (r.data.from === 'R' && real.includes(r.node) && delivered++));
    ctx.shared.set('peer.rejected', () => ({ rejected, delivered }));
  },
  final(ctx) {
    for (const id of real) {
      const h = ctx.handle<PeerHandle>(id)!;
      for (let k = 1; k <= 5; k++) {
        for (const r of ['entry', 'tag']) {
          if (h.get(r, `rogue-${k}`) !== undefined) ctx.fail('correctness', this.name, `${id} applied rogue-${k} from an invalid message`);
        }
      }
    }
    const { rejected, delivered } = (ctx.shared.get('peer.rejected') as () => { rejected: number; delivered: number })();
    const errors = ctx.handle<{ errors: () => number }>('R')?.errors() ?? 0;
    // 7 over the connection (A) and 7 as datagrams (B) when no fault interferes; every delivered one rejected.
    if (delivered === 0) return;
    ctx.exercised(this.name);
    if (rejected < delivered) ctx.fail('correctness', this.name, `only ${rejected} of the ${delivered} invalid messages delivered were rejected`);
    else if (errors === 0) ctx.fail('correctness', this.name, `the rogue got no Error reply for ${delivered} invalid messages delivered`);
  },
};

const checking = peerChecking(real);

const rogueScenario: Scenario = {
  name: 'peer-rogue-messages',
  description:
    'A rogue member sends malformed messages, messages for another library, forged writers and unknown resources over a connection and as datagrams: each is answered with an Error and none is applied.',
  suites: ['smoke', 'ci'],
  topology: { nodes: [{ id: 'A', role: 'founder' }, { id: 'B', role: 'founder' }, { id: 'R', role: 'rogue' }] },
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
