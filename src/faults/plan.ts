/**
 * Fault plans: faults as data.
 *
 * A plan is a list of typed fault events. Each event is either *timed* (`atMs`: virtual milliseconds from
 * the start of the run) or *triggered* (`trigger`: it fires at the nth matching operation of a node, as
 * the kernel's interceptors see it: e.g. "crash A before its 3rd disk fsync"). A plan is plain JSON:
 * it prints one line per event (`formatPlan`), serialises with JSON.stringify, parses back with
 * `parsePlan` (validate.ts), and a shrinker can drop events or shorten durations one field at a time.
 *
 * Every kind's fields are described once in schema.ts; validation and printing are driven by it.
 * This module is the plan's public face: types, printing, and (re-exported) parsing and validation.
 */
import { FAULT_SCHEMA, type CORRUPT_MODES, type DISK_ERROR_CODES, type TRIGGER_AREAS } from './schema.ts';
import { formatRef, isSelector, type NodeRef, type NodeSelector } from './select.ts';

export type { NodeRef, NodeSelector } from './select.ts';

export { FaultPlanError, PLAN_LIMITS, parseEvent, parsePlan, validatePlan } from './validate.ts';

/** A subsystem whose operations a trigger can count. */
export type TriggerArea = (typeof TRIGGER_AREAS)[number];

/** "At the nth operation `area`.`op` of `node` (on `target`, if given)". */
export interface Trigger {
  /**
   * Node performing the operation, or a selector: then the operations count that are performed by a node
   * the selector describes at the moment of the operation ("the leader's 3rd kv commit while leading").
   */
  node: NodeRef;
  /** Subsystem of the operation. */
  area: TriggerArea;
  /** Operation name as the subsystem reports it ('fsync', 'write', 'commit', 'get', 'send', ...; '*' any). */
  op: string;
  /** 1-based count of matching operations; the event fires at this one. */
  nth: number;
  /**
   * Only operations on this target count: a path (disk; a rename counts by its source), object store
   * (kv get/keys) or comma-joined stores (kv commit), peer (net), channel (bus) or lock name (lock).
   */
  target?: string;
}

/** When an event takes effect: exactly one of the two is set. */
export interface Timing {
  /** Virtual ms from the start of the run. */
  atMs?: number;
  /** Fires at the nth matching operation instead. */
  trigger?: Trigger;
}

/** The process of `node` dies (its device loses power with `powerLoss`); optionally restarts. */
export interface CrashFault extends Timing {
  kind: 'crash';
  /** A node id, or a selector resolved when the event fires (select.ts). */
  node: NodeRef;
  /** Cut the device's power (every node on it dies; unsynced disk state resolved by profile). */
  powerLoss?: boolean;
  /** Restart the node(s) it took down this long after the crash. */
  restartAfterMs?: number;
  /**
   * Triggered crashes only: before the operation takes effect, or after it did (default 'before'). When
   * `node` is not the trigger's node, it crashes at the trigger and the operation proceeds.
   */
  when?: 'before' | 'after';
}

/** Starts a node that is down. */
export interface RestartFault extends Timing {
  kind: 'restart';
  node: string;
}

/** Freezes a node (a background tab) for a while; deliveries queue. */
export interface PauseFault extends Timing {
  kind: 'pause';
  /** A node id, or a selector resolved when the event fires (select.ts). */
  node: NodeRef;
  durationMs: number;
  /**
   * Triggered pauses of the trigger's own node only (with a selector on either side: when the pause
   * resolves to the node performing the operation): the node freezes right 'after' the operation took
   * effect, before it hears back (default), or 'before' it takes effect (it then takes effect on resume).
   * 'before' needs an operation that completes later (disk, kv); net, bus and lock operations take
   * effect as they are called, and the node freezes once the task that called them ends.
   */
  when?: 'before' | 'after';
}

/**
 * Makes a node's tasks of one source late for a while (a browser's event loop running other task sources
 * first): each BroadcastChannel message ('bus') or lock manager callback ('lock': a grant, a denial, a
 * steal's rejection) delivered while it lasts runs `delayMs` after the node could first run it, in order;
 * IndexedDB results, timers and other sources run meanwhile. Both sources when `source` is not given.
 */
export interface TaskDelayFault extends Timing {
  kind: 'taskDelay';
  /** A node id, or a selector resolved when the event fires (select.ts). */
  node: NodeRef;
  source?: 'bus' | 'lock';
  delayMs: number;
  durationMs: number;
}

/** Unfreezes a paused node. */
export interface ResumeFault extends Timing {
  kind: 'resume';
  node: string;
}

/** Nothing crosses between sides `a` and `b` (only a -> b is cut with `oneWay`) for a while. */
export interface PartitionFault extends Timing {
  kind: 'partition';
  /** Node ids or selectors (resolved when the event fires). */
  a: NodeRef[];
  b: NodeRef[];
  oneWay?: boolean;
  durationMs: number;
}

/** A peer drops off the network (from everyone), then rejoins. */
export interface IsolateFault extends Timing {
  kind: 'isolate';
  /** A node id, or a selector resolved when the event fires (select.ts). */
  node: NodeRef;
  durationMs: number;
}

/** Messages from -> to are held (not lost) for a while, then flow again. */
export interface ClogFault extends Timing {
  kind: 'clog';
  from: string;
  to: string;
  durationMs: number;
}

/** Both directions between a and b stall for a while (the network ends the stall itself). */
export interface StallFault extends Timing {
  kind: 'stall';
  a: string;
  b: string;
  durationMs: number;
}

/** Resets the open connections of `a` (only those with `b`, if given). */
export interface ResetConnectionsFault extends Timing {
  kind: 'resetConnections';
  a: string;
  b?: string;
}

/**
 * Degrades links for a while: from -> to, all links out of `from`, all links into `to`, or (neither)
 * every link. Rates are probabilities per message.
 */
export interface LinkFaultsFault extends Timing {
  kind: 'linkFaults';
  from?: string;
  to?: string;
  lossRate?: number;
  dupRate?: number;
  reorderRate?: number;
  latencyMs?: number;
  jitterMs?: number;
  tailProbability?: number;
  tailMs?: number;
  durationMs: number;
}

/** Steps a node's wall clock forward (positive) or back (negative). Monotonic time is unaffected. */
export interface ClockJumpFault extends Timing {
  kind: 'clockJump';
  /** A node id, or a selector resolved when the event fires (select.ts). */
  node: NodeRef;
  deltaMs: number;
}

/** Changes the rate of a node's clocks (parts per million; positive runs fast), for a while if given. */
export interface ClockDriftFault extends Timing {
  kind: 'clockDrift';
  /** A node id, or a selector resolved when the event fires (select.ts). */
  node: NodeRef;
  driftPpm: number;
  durationMs?: number;
}

/** A disk error code a diskError can inject. */
export type DiskErrorCode = (typeof DISK_ERROR_CODES)[number];

/**
 * Makes disk (or kv) operations `op` of `node` fail with `code`: the nth one after the fault takes effect,
 * or each one with `probability` while it lasts (`durationMs`, default until healed).
 */
export interface DiskErrorFault extends Timing {
  kind: 'diskError';
  /** A node id, or a selector resolved when the event fires (select.ts). */
  node: NodeRef;
  /** 'disk' (default) or 'kv'. */
  area?: 'disk' | 'kv';
  /** Operation name ('write', 'fsync', 'commit', ...) or '*' for any. */
  op: string;
  code: DiskErrorCode;
  nth?: number;
  probability?: number;
  durationMs?: number;
}

/** fsync / fsyncDir of `node` fails with EIO (nth, or with probability while it lasts). */
export interface FsyncFailFault extends Timing {
  kind: 'fsyncFail';
  /** A node id, or a selector resolved when the event fires (select.ts). */
  node: NodeRef;
  nth?: number;
  probability?: number;
  durationMs?: number;
}

/** The nth write of `node` lands only partly (sector-granular prefix) and its device loses power. */
export interface TornWriteFault extends Timing {
  kind: 'tornWrite';
  /** A node id, or a selector resolved when the event fires (select.ts). */
  node: NodeRef;
  nth: number;
}

/** Reads of `node` return one flipped bit (nth, or with probability while it lasts); the disk is intact. */
export interface BitFlipFault extends Timing {
  kind: 'bitFlip';
  /** A node id, or a selector resolved when the event fires (select.ts). */
  node: NodeRef;
  nth?: number;
  probability?: number;
  durationMs?: number;
}

/** How a corrupt fault damages what it hits. */
export type CorruptMode = (typeof CORRUPT_MODES)[number];

/**
 * The medium under durable data of `node`'s device is damaged at rest: one durable file (disk) or one
 * durable value (kv), picked with the run's seed among those `path` matches, has a bit flipped ('flip',
 * default), a sector zeroed ('zero') or its tail cut off at a sector boundary ('truncate', disk only).
 * Unlike bitFlip (a read goes wrong, the medium is intact) every later read and every restart sees it.
 */
export interface CorruptFault extends Timing {
  kind: 'corrupt';
  /** A node id, or a selector resolved when the event fires (select.ts). */
  node: NodeRef;
  /** 'disk' (default) or 'kv'. */
  area?: 'disk' | 'kv';
  /**
   * Disk: a file path, or a prefix ending in '*' ('/store/blocks/*'); kv: an object store name, or a
   * prefix ending in '*'. Default: any durable file (disk) or value (kv).
   */
  path?: string;
  mode?: CorruptMode;
}

/** One fault event. */
export type FaultEvent =
  | CrashFault
  | RestartFault
  | PauseFault
  | ResumeFault
  | PartitionFault
  | IsolateFault
  | ClogFault
  | StallFault
  | ResetConnectionsFault
  | LinkFaultsFault
  | ClockJumpFault
  | ClockDriftFault
  | DiskErrorFault
  | FsyncFailFault
  | TornWriteFault
  | BitFlipFault
  | CorruptFault
  | TaskDelayFault;

/** A node field after resolution: selectors replaced by the node ids they resolved to. */
type ResolveRef<T> = T extends NodeSelector ? string : T extends readonly (infer U)[] ? ResolveRef<U>[] : T;

/** An event as applied: every node field a node id (the injector resolves selectors when it fires). */
export type ResolvedEvent<E extends FaultEvent = FaultEvent> = E extends FaultEvent ? { [K in keyof E]: K extends 'trigger' ? E[K] : ResolveRef<E[K]> } : never;

/** The name of a fault kind. */
export type FaultKind = FaultEvent['kind'];

/** A fault plan: JSON-serialisable; events apply in time order (ties in list order). */
export interface FaultPlan {
  events: FaultEvent[];
}

/** "1st", "2nd", "3rd", "4th", "11th", "21st"... */
export function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  const suffix = ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
  return `${n}${suffix}`;
}

/** "3rd disk.fsync of A on /db/wal" */
export function formatTrigger(t: Trigger): string {
  const target = t.target === undefined ? '' : ` on ${t.target}`;
  return `${ordinal(t.nth)} ${t.area}.${t.op} of ${formatRef(t.node)}${target}`;
}

function formatValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(formatValue).join(',')}]`;
  if (isSelector(v)) return formatRef(v);
  return String(v);
}

/** One event as one line: `at 1500ms: crash node=A restartAfterMs=200`. */
export function formatEvent(e: FaultEvent): string {
  const when = e.trigger !== undefined ? `at ${formatTrigger(e.trigger)}` : `at ${e.atMs ?? '?'}ms`;
  const fields: string[] = [];
  const record = e as unknown as Record<string, unknown>;
  for (const f of FAULT_SCHEMA[e.kind]) {
    const v = record[f.name];
    if (v !== undefined) fields.push(`${f.name}=${formatValue(v)}`);
  }
  return `${when}: ${e.kind}${fields.length > 0 ? ' ' : ''}${fields.join(' ')}`;
}

/** The plan, one numbered line per event (`#0 at 1500ms: crash node=A`), or '(no faults)'. */
export function formatPlan(plan: FaultPlan): string {
  if (plan.events.length === 0) return '(no faults)';
  return plan.events.map((e, i) => `#${i} ${formatEvent(e)}`).join('\n');
}
