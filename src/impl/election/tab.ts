/**
 * An election tab: the program a browser tab runs — an election (lease or lock mode, or any pluggable
 * implementation), the protected store (the block store, fenced by epoch: BlockFencedStore), and the
 * single writer — and the handle the workload and the checks use.
 */
import type { Env } from '../env.ts';
import { notAFactory, SeamError, withMethods } from '../seam/seam-error.ts';
import { BlockFencedStore } from './block-fenced-store.ts';
import { LeaseElection } from './lease-election.ts';
import { LockElection } from './lock-election.ts';
import { resolveTabOptions, type TabOptions, type TabSettings } from './options.ts';
import { makeReporter } from './report.ts';
import type { Election, ElectionDeps, ElectionFactory, Role } from './types.ts';
import { SingleWriter, type WriteResult } from './writer.ts';

/** What a tab offers to the workload (a client API, as Jepsen's). */
export interface ElectionTabHandle {
  /** Writes `value` under `key` through the leader; a result or a WriteError, never a hang. */
  write(key: string, value: string): Promise<WriteResult>;
  /** Reads `key` from the shared store (no leader needed). */
  read(key: string): Promise<string | undefined>;
  /** This tab's election role. */
  role(): Role;
  /** Epoch this tab leads with (0 when not leader). */
  epoch(): number;
  /** Writes of this tab still waiting for a result. */
  pendingWrites(): number;
  /** Takes leadership now where the election supports it (lock mode: steals the lock). */
  takeOver(): void;
  /** Closes the tab cleanly: a leader steps down and releases; pending writes fail with ECLOSED. */
  close(): Promise<void>;
}

/** The default factory: lease or lock mode per the settings. */
export function defaultElectionFactory(settings: TabSettings): ElectionFactory {
  return (deps) => (settings.mode === 'lock' ? new LockElection(deps, settings) : new LeaseElection(deps, settings));
}

/** Starts a tab; `factory` plugs in another election implementation. */
export function startElectionTab(env: Env, options: TabOptions = {}, factory?: ElectionFactory): ElectionTabHandle {
  const settings = resolveTabOptions(options);
  const store = new BlockFencedStore(env, {
    writer: env.nodeId,
    store: settings.store,
    noFencing: settings.variant === 'election-no-fencing',
    relaxed: settings.variant === 'election-relaxed-commits',
    keepFailedInstance: settings.variant === 'election-keep-failed-instance',
    keyIdOffByOne: settings.variant === 'election-key-in-directory-block',
    readCache: settings.variant === 'election-read-cache',
  });
  // Weakened variant 'election-no-fence': the election's call to fence the store does nothing.
  const noFence = settings.variant === 'election-no-fence';
  let writer: SingleWriter | null = null;
  const deps: ElectionDeps = {
    nodeId: env.nodeId,
    incarnation: env.incarnation,
    clock: env.clock,
    random: env.random,
    bus: env.bus,
    locks: env.locks,
    kv: env.kv,
    fence: (epoch) => (noFence ? Promise.resolve() : store.fence(epoch)),
    inflight: () => writer?.inflight() ?? 0,
    drained: () => writer?.drained() ?? Promise.resolve(),
    report: makeReporter(env.trace),
  };
  const election: Election = factory === undefined ? defaultElectionFactory(settings)(deps) : pluggedElection(factory, deps);
  writer = new SingleWriter({ nodeId: env.nodeId, incarnation: env.incarnation, clock: env.clock, bus: env.bus, trace: env.trace, store, election, settings });
  // When a term ends, its store instance is released once its writes are drained (unless a new term began):
  // an instance left open by a follower would keep a failed finalize pending for good.
  election.subscribe((e) => {
    if (e.type !== 'follower') return;
    void deps.drained().then(() => (election.canWrite() ? undefined : store.release().catch(() => undefined)));
  });
  writer.start();
  election.start();
  const w = writer;
  return {
    write: (key, value) => w.write(key, value),
    read: (key) => store.read(key),
    role: () => election.role(),
    epoch: () => election.epoch(),
    pendingWrites: () => w.pendingCount(),
    takeOver: () => election.takeOver?.(),
    close: async () => {
      w.close();
      await election.close();
    },
  };
}

/** The methods a plugged-in `Election` must have (`takeOver` is optional). */
const ELECTION_METHODS = ['start', 'role', 'epoch', 'canWrite', 'fenced', 'subscribe', 'close'] as const satisfies readonly (keyof Election)[];

/** A plugged-in election made by `factory`, checked: a class or a result without the methods is a SeamError naming the seam. */
function pluggedElection(factory: ElectionFactory, deps: ElectionDeps): Election {
  const why = notAFactory(factory, 'an ElectionFactory (deps) => Election', (name) => `(deps) => new ${name}(deps)`);
  if (why !== null) throw new SeamError('election', why);
  return withMethods<Election>('election', 'an Election', factory(deps), ELECTION_METHODS);
}
