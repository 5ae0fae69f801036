/**
 * The transitions of the models that the `ci` suite's coverage set (its coverage seeds plus
 * corpus/coverage.json) never takes, each with the reason. test/model/ci-coverage.test.ts requires every
 * other transition of every model to be reached, and every transition listed here to stay unreached: a
 * listed transition that a run takes must leave the list (docs/models.md, "Coverage that can be trusted").
 */

/** Why one transition is never taken. */
export interface Unreached {
  /**
   * - 'refusal': the transition is there for its guard to refuse, which it does in every context the
   *   state can have: an event that would take it fails the run with the guard's reason (not a bare
   *   "no transition"). A correct run never takes it; weakened variants do (the reason names one).
   * - 'impossible': the implementation (with the simulator and the evidence recorders) never produces
   *   this event in this state; the reason says what prevents it.
   * - 'uncovered': possible, but only in a window no scenario or corpus run reaches yet; the reason says
   *   what it takes.
   */
  kind: 'refusal' | 'impossible' | 'uncovered';
  reason: string;
}

type Table = Readonly<Record<string, Readonly<Record<string, Unreached>>>>;

const refusal = (reason: string): Unreached => ({ kind: 'refusal', reason });
const impossible = (reason: string): Unreached => ({ kind: 'impossible', reason });
const uncovered = (reason: string): Unreached => ({ kind: 'uncovered', reason });

const STALE_RESTART =
  'a recovery starts over (store.recover.restart) only on the kv backend, when its conditional delete or adopt finds the marker moved by another tab; ' +
  'kv recovery never finalizes nor rolls back (a kv commit is one transaction: there is no pending metadata), and the file backend, which does, never starts over';

const FINALIZE_FACT =
  'only the file backend finalizes (kv has no pending metadata); it renames the pending metadata to meta.json before tracing store.recover.finalize, and the marker ' +
  'already covers that commit, so neither the durable point max(marker, metadata) nor the marker epoch changes later in that recovery: no fact.store is stepped';

const DURABLE_PEER =
  'fact.peer.store is emitted only when the durable meta/init or meta/checkpoint changes, and only the device\'s own strict commits change them';

/** Model -> transition ('from|EVENT|to', as modelGraph lists it) -> why it is never taken. */
export const UNREACHED: Table = {
  recovery: {
    'recovering.finalized|RECOVER_RESTART|recovering.scanning': impossible(STALE_RESTART),
    'recovering.rolledBack|RECOVER_RESTART|recovering.scanning': impossible(STALE_RESTART),
    'reloading.finalized|RECOVER_RESTART|reloading.scanning': impossible(STALE_RESTART),
    'reloading.rolledBack|RECOVER_RESTART|reloading.scanning': impossible(STALE_RESTART),
    'recovering.finalized|FACT|recovering.finalized': impossible(FINALIZE_FACT),
    'reloading.finalized|FACT|reloading.finalized': impossible(FINALIZE_FACT),
    'synced|COMMIT_REFUSED|fenced': impossible(
      "synced is the file backend's (a kv commit checks inside its one transaction), whose second header check, before the marker write, refuses a commit only when " +
        'another writer committed or fenced while this one wrote its blocks: two concurrent writers, which the file backend does not take (docs/storage.md: one writer at a time). ' +
        'A stale writer that starts after the other is refused at the first check (writing|COMMIT_REFUSED)',
    ),
    'reloading.rolledBack|FACT|reloading.rolledBack': impossible(
      'after a rollback only a marker rewrite can move the durable point or epoch, and recovery rewrites the marker only when it is missing or behind the committed ' +
        'metadata; the simulator loses or removes a marker rename only at a power loss, which ends the process: the recovery that follows runs at startup (recovering.*), never in place',
    ),
  },
  election: {
    'candidate|QUEUE|queued': impossible(
      "a tab queues for the lock (campaign 'lock') only when it starts, right after stepping down (FOLLOWER first) or from a retry scheduled after a lost attempt (LOST first), " +
        'which a newer request cancels: always from follower. A lease-mode tab never queues',
    ),
    'queued|QUEUE|queued': impossible(
      "a tab queues for the lock (campaign 'lock') only when it starts, right after stepping down (FOLLOWER first) or from a retry scheduled after a lost attempt (LOST first), " +
        'which a newer request cancels: always from follower',
    ),
    'candidate|CAMPAIGN|candidate': impossible(
      'lease mode campaigns only as a follower (observe); in lock mode the watchdog steals only while the tab holds no grant (holdingGen 0), and a steal is granted at once: ' +
        'the grant is delivered to the tab before any later timer of it, also across a freeze (deliveries queue in order), so a tab never steals twice in one campaign',
    ),
    'follower|REJECTED|follower': impossible(
      'fenced.reject comes from the tab\'s own fence or write. Stepping down waits for in-flight writes (drained) before FOLLOWER; a fence refused comes while fencing, ' +
        'or, when the lock was stolen during the fence, after the step-down that queues again in the same task (FOLLOWER then QUEUE): in queued',
    ),
    'candidate|REJECTED|candidate': {
      kind: 'uncovered',
      reason:
        "lock mode: a tab whose lock was stolen while its fence was in flight queues again (queued|REJECTED is reached); to be candidate when the refusal lands, it must steal meanwhile, " +
        "which takes the takeover time of silence, so its fence must wait that long behind another tab's open transaction and complete between its steal and its epoch draw " +
        '(election-lock-paused-before-fence seed 11014 with C frozen inside a kv read, in corpus/regressions.json, has it complete just after the draw: in fencing)',
    },
    'steppingDown|CLOCK|steppingDown': {
      kind: 'uncovered',
      reason:
        'a clock fault must land while a tab waits for its in-flight writes to drain, and a step-down drains in the same instant unless a commit is in flight: ' +
        "a coverage-corpus plan (election-leader-paused-clock-jump seed 5008, B frozen at its 48th kv get, B's clock jumping at its 3rd kv commit) reached it until the " +
        'workload began reading writes back (B then reads, and its operation counts moved); 992 variations of that plan (seeds 5008, 0..2; the get 30..90, the commit 1..8), ' +
        "400 kv-triggered clock jumps of the leader and 150 guided runs of that scenario did not reach it again",
    },
    ...Object.fromEntries(
      ['follower', 'queued', 'candidate', 'fencing', 'leader', 'steppingDown'].map((state) => [
        `${state}|COMMITTED|${state}`,
        refusal(
          'drainedFirst: the map steps COMMITTED only for a commit at or below an epoch whose term the tab reported ending (election.follower), ' +
            'which is what drainedFirst refuses (variant election-no-drain)',
        ),
      ]),
    ),
  },
  request: {
    'idle|ACK|acknowledged': refusal(
      'ackAfterApply: in idle the store holds no durable record of the request (APPLY leaves idle): an ok told to the caller before it is refused',
    ),
    'forwarded|ACK|acknowledged': refusal('ackAfterApply: in forwarded the store holds no durable record of the request (APPLY leaves forwarded)'),
    'forwarded|REPLY|forwarded': refusal(
      'replyAfterApply: only ok replies are mapped, and in forwarded the request was not durably applied (APPLY leaves forwarded); variant election-relaxed-commits',
    ),
    'failed|REPLY|failed': refusal(
      'replyAfterApply: failed is entered without a durable apply, and APPLY in failed is refused (mayApply): an ok reply there has nothing to follow',
    ),
    'applied|APPLY|applied': refusal('mayApply: applied is entered by the durable request record, so a further one is the write applied twice'),
    'acknowledged|APPLY|acknowledged': refusal('mayApply: acknowledged is entered only after the apply (ackAfterApply), so a further apply is a second one'),
    'failed|APPLY|failed': refusal('mayApply: the caller was told the write definitely failed; an apply afterwards contradicts it'),
    'applied|FAIL|failed': refusal('definiteNotApplied: a definite failure told to the caller of a write the store applied (variant election-timeout-definite)'),
    'forwarded|SEND|forwarded': refusal(
      'sameRequest: the map steps a SEND only when its attempt id or request id differs from the last one seen for the write (a re-send of the same attempt decides nothing), ' +
        'and a differing one is what sameRequest refuses (variant election-retry-new-id)',
    ),
    'applied|SEND|applied': refusal(
      'sameRequest: the map steps a SEND only when its attempt id or request id differs from the last one seen for the write, and a differing one is what sameRequest refuses',
    ),
    'forwarded|FAIL|failed': impossible(
      'the single writer never tells a caller that a forwarded write definitely failed: forwarding marks it maybe-applied for good (SingleWriter.forward), and expire and close report it as not definite',
    ),
  },
  'sync-status': {
    'synced|SYNCED|synced': impossible(
      'a client traces its status only when the view changes (status, pending, unsaved, reason, failures): while synced, pending is 0, failures were reset by the handshake, ' +
        'and unsaved changes only with a Nuke and Resync, which leaves the client disconnected',
    ),
    'stuck|INCOMPATIBLE|incompatible': {
      kind: 'uncovered',
      reason:
        'a client stuck after rapid failures whose next handshake meets a rebuilt or upgraded server: it takes a server that hangs long enough for three failed handshakes and is ' +
        'rebuilt before it answers again; no scenario combines the two (cs-stuck-handshake hangs the server, cs-rebuilt-server rebuilds it)',
    },
  },
  backfill: {
    'down|DURABLE|down': impossible(
      `${DURABLE_PEER}: nothing commits while the node is down (a crash aborts its unfinished transactions; a commit landing at a crash is traced before node.crash)`,
    ),
    'paused|DURABLE|paused': impossible(
      `${DURABLE_PEER}: the backfill pauses only between rounds, after every worker of the round awaited its batch commits (Promise.all), and live updates are buffered, not committed, until completion`,
    ),
    'bufferApplied|DURABLE|bufferApplied': impossible(
      `${DURABLE_PEER}: the first completion round writes init and deletes the checkpoint (a DURABLE in catchingUp) before its peer.buffer.applied; later rounds write the same values`,
    ),
    'ready|DURABLE|ready': impossible(
      `${DURABLE_PEER}: init and the deleted checkpoint are durable before Ready (the completion round, or a founder's init commit); later rounds and restarts write the same values`,
    ),
  },
  'sync-job': {
    'expired|REQUEST|expired': refusal(
      'noReadAfterExpiry: after a 410 the job persists its escalation to full before it reads again, so a listing or change request in expired is a read past an expired cursor (variant provider-no-escalation)',
    ),
    'expired|CRASH|down': uncovered(
      'a crash in the window between a delivered 410 and the durable escalation of the job to full (one jobs commit, about 0.5 ms); it takes a crash triggered before that commit in a run where a cursor expires',
    ),
    '*|REQUEST|*': uncovered(
      'a request the library sent while a job ran, delivered only after the job ended (sentBefore): it takes a connection clogged or stalled past the end of a job; the nightly provider-swarm-long seed 50 reaches it (test/provider/model.test.ts runs it; seed 8 did before the workload uploaded duplicates), the ci suite on its seeds does not',
    ),
  },
};
