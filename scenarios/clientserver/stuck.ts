/**
 * Stuck for the other reason, and Nuke and Resync that pushes first: a server that answers pings but
 * stores nothing (its storage stalls) makes a client stuck without progress; a server that hung (three
 * failed handshakes: stuck) and answers again when the user clicks Nuke and Resync takes the pending
 * changes before the wipe, so nothing is reported unsaved.
 */
import { stuckReasonSeen } from '../../src/model/clientserver/index.ts';
import { startServer, type ClientOptions } from '../../src/impl/clientserver/index.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { CS_SEAMS, DB, allSynced, clientIds, clientWrites, csChecking, csProgram, csTopology, nukeAfterHang, userNukes } from './_common.ts';

const two = clientIds(2);

/**
 * The program with the server's appends held from `fromMs` to `untilMs` (scenario time): slow storage
 * behind a server that keeps answering pings (ServerOptions.appendGate).
 */
function stalledAppends(fromMs: number, untilMs: number, options: Partial<ClientOptions>): Scenario['program'] {
  const base = csProgram({}, options);
  return (node, ctx) => {
    if (node.role !== 'server') return base(node, ctx);
    return (env) =>
      startServer(env, {
        db: DB,
        schema: 1,
        variant: ctx.variant,
        appendGate: () => {
          const now = ctx.nowMs();
          return now >= fromMs && now < untilMs ? env.clock.sleep(untilMs - now) : Promise.resolve();
        },
      });
  };
}


/** Stuck after 1 s without progress here (configurable): the promise "green ⇒ pushed within 2 s" holds. */
const quick = { stuckAfterMs: 1_000 };

const noProgress: Scenario = {
  name: 'cs-no-progress',
  description:
    "The server's storage stalls from 2 s to 5 s: it answers pings but stores and acknowledges nothing, so both clients' pushes make no progress and they show stuck (no progress, after 1 s here) instead of green; the user clicks Nuke and Resync on C2, which pushes first and waits for the ACKs that come once the storage recovers; C1 leaves stuck on its own when the ACKs arrive; all end synced.",
  suites: ['ci', 'default', 'nightly'],
  topology: csTopology(two),
  program: stalledAppends(2_000, 5_000, quick),
  seams: CS_SEAMS,
  workload: (ctx) => {
    clientWrites(ctx, two, 40, 300, 100);
    userNukes(ctx, ['C2'], 2_000, 4_500, 500);
  },
  durationMs: 9_000,
  liveness: allSynced(two),
  ...csChecking(two, quick, quick),
  checks: [...csChecking(two, quick, quick).checks, stuckReasonSeen('C1', 'no-progress', 2_000, 2_500)],
};

const pushFirst = nukeAfterHang(
  'cs-nuke-push-first',
  'The server hangs from 1 s to 10 s (paused: connections open, no handshake completes) while C1 writes 5 changes: three failed handshakes make it stuck; the user clicks Nuke and Resync at 9.8 s, just before the server answers again: the Nuke opens a handshake of its own, the server (compatible) takes the 5 changes, and nothing is reported unsaved.',
  { fromMs: 1_500, everyMs: 200, tag: 'pending' },
);

export default [noProgress, pushFirst];
