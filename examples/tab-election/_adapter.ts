/**
 * The application around tab-election, as a page would use it: each tab runs the library's `Tab`
 * unmodified (it reaches `navigator.locks`, `BroadcastChannel`, `setTimeout` and `Math.random` as globals,
 * which the simulator gives a tab's code), waits for leadership, and offers the leader API `append`: the
 * leader writes the appended value into the device's kv store (the app's shared log). Every tab appends
 * through `tab.call('append')`, which the library forwards to the leader over the BroadcastChannel.
 *
 * Nothing here adapts the library to the simulator: the only Env use is the app's own (the kv store it
 * writes and a trace record of each leader action). The workload calls `append` and `stepDown` as events
 * delivered to the tab (a user's click), so the library's timers are the tab's own.
 *
 * The variant `tab-election-cached-leader` (never the default) is a common application bug: it remembers
 * "I am the leader" from the leadership callback in its own flag and serves its own appends locally while
 * the flag is set, without ever clearing it when leadership ends (step-down). The check
 * `invariant:leader-holds-lock` catches the stale leader writing without the lock. The variant
 * `tab-election-no-dedupe` trusts a call to run once: `invariant:append-once` catches the repeats.
 */
import { Tab } from 'tab-election';
import type { Env } from '../../src/impl/env.ts';

/** The lock and channel name tab-election uses for namespace 'app' (`tab-${name}`). */
export const LEADER_LOCK = 'tab-app';
/** The variant that caches leadership in the application. */
export const CACHED_LEADER = 'tab-election-cached-leader';
/** The variant that appends every call it runs, repeats included. */
export const NO_DEDUPE = 'tab-election-no-dedupe';

/** What the workload and checks see of one tab. */
export interface TabApp {
  /** The library's tab id (random, from Math.random at construction). */
  readonly id: string;
  /** The library's own word: `tab.isLeader`. */
  isLeader(): boolean;
  /** Appends `value` through the leader; resolves with its position in the log. */
  append(value: string): Promise<number>;
  /** Gives up leadership (or the wait for it), and waits for it again after `againMs`. */
  stepDown(againMs: number): void;
}

/** Starts the app in a tab. */
export function startTabApp(env: Env, variant: string): TabApp {
  const tab = new Tab('app');
  let cachedLeader = false; // the variant's own flag

  /** The leader API: runs in the leader tab (or, in the variant, in a tab that believes it leads). */
  const api = {
    async append(value: string): Promise<number> {
      env.trace.emit('app.exec', { value, tab: tab.id });
      return env.kv.transaction(
        ['log', 'index'],
        'readwrite',
        async (tx) => {
          // tab-election's calls are at-least-once (a caller resends every 500 ms until the leader says it
          // received the call; a frozen leader runs every copy on resume): the app makes append idempotent
          // by its id (the value is unique per append). The variant below does not.
          const seen = (await tx.get('index', value)) as number | undefined;
          if (seen !== undefined && variant !== NO_DEDUPE) {
            env.trace.probe('app.repeated-call');
            return seen;
          }
          const n = (((await tx.get('log', 'n')) as number | undefined) ?? 0) + 1;
          await tx.put('log', 'n', n);
          await tx.put('log', n, value);
          await tx.put('index', value, n);
          return n;
        },
        { durability: 'strict' },
      );
    },
  };

  const lead = (): void => {
    tab
      .waitForLeadership(() => {
        cachedLeader = true;
        env.trace.emit('app.leadership', { tab: tab.id });
        return api;
      })
      .then(
        (wasLeader) => {
          if (variant !== CACHED_LEADER) cachedLeader = false;
          env.trace.emit('app.leadership-end', { tab: tab.id, wasLeader });
        },
        (e: unknown) => env.trace.emit('app.leadership-error', { tab: tab.id, error: String(e) }),
      );
  };
  lead();

  return {
    id: tab.id,
    isLeader: () => tab.isLeader,
    append(value) {
      if (variant === CACHED_LEADER && cachedLeader) return api.append(value);
      return tab.call<number>('append', value);
    },
    stepDown(againMs) {
      tab.relinquishLeadership();
      setTimeout(lead, againMs);
    },
  };
}
