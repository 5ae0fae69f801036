/**
 * Faults at exact operations, for guided exploration: the operations a trigger may name, and a builder of
 * "<kind> at the nth <area>.<op> of <node>" events ("crash B at its 3rd kv commit", "pause the leader at
 * its 5th bus post") that always validate, with defaults for the fields exploration does not choose.
 */
import type { FaultEvent, FaultKind, TriggerArea } from './plan.ts';
import { FAULT_SCHEMA, IMMEDIATE_AREAS, TRIGGER_AREAS } from './schema.ts';
import { AREA_OPS, parseEvent } from './validate.ts';

/** An operation a trigger may name. */
export interface TriggerPoint {
  area: TriggerArea;
  op: string;
  /**
   * True when the operation completes later than it is called (disk, kv): a pause or crash can land
   * before it takes effect or after it did but before the caller hears back. Net, bus and lock
   * operations take effect as they are called: a pause lands after them.
   */
  completesLater: boolean;
}

/** Every (area, op) a trigger may name ('*' aside), in area order. */
export const TRIGGER_POINTS: readonly TriggerPoint[] = TRIGGER_AREAS.flatMap((area) =>
  AREA_OPS[area].filter((op) => op !== '*').map((op) => ({ area, op, completesLater: !IMMEDIATE_AREAS.has(area) })),
);

/** Where a placed fault lands: the nth operation `area`.`op` of `node` (on `target`, if given). */
export interface OpSite {
  node: string;
  area: TriggerArea;
  op: string;
  target?: string;
}

/** Fields a placed event gets unless `params` sets them (required fields exploration rarely chooses). */
const PLACE_DEFAULTS: Partial<Record<FaultKind, Readonly<Record<string, unknown>>>> = {
  crash: { restartAfterMs: 100 },
  pause: { durationMs: 1_000 },
  partition: { durationMs: 1_000 },
  isolate: { durationMs: 1_000 },
  clog: { durationMs: 1_000 },
  stall: { durationMs: 1_000 },
  linkFaults: { lossRate: 0.5, durationMs: 1_000 },
  clockJump: { deltaMs: 60_000 },
  clockDrift: { driftPpm: 1_000, durationMs: 5_000 },
  taskDelay: { delayMs: 500, durationMs: 3_000 },
  diskError: { code: 'EIO', nth: 1 },
  fsyncFail: { nth: 1 },
  tornWrite: { nth: 1 },
  bitFlip: { nth: 1 },
};

/** Fields that name the node a fault acts on, filled with the site's node when `params` leaves them out. */
const NODE_FIELDS = ['node', 'a', 'from'] as const;

/**
 * A `kind` event triggered at the `nth` operation `site.op` of `site.node`. The event acts on the site's
 * node unless `params` says otherwise (its `node`, or `a` / `from` for network kinds, whose other side
 * `params` must give); `params` sets or overrides any field (`when`, `powerLoss`, `durationMs`, ...).
 * Storage faults (diskError, fsyncFail, tornWrite, bitFlip) are armed at the trigger and strike at their
 * own nth matching operation after it (a diskError aims at the site's operation unless `params.op` says).
 * Throws FaultPlanError naming a missing or bad field; with `nodes`, node ids are checked against them.
 */
export function faultAt(kind: FaultKind, site: OpSite, nth: number, params: Readonly<Record<string, unknown>> = {}, nodes?: readonly string[]): FaultEvent {
  const trigger: Record<string, unknown> = { node: site.node, area: site.area, op: site.op, nth };
  if (site.target !== undefined) trigger.target = site.target;
  const event: Record<string, unknown> = { kind, ...PLACE_DEFAULTS[kind] };
  if (kind === 'diskError' && (site.area === 'disk' || site.area === 'kv')) Object.assign(event, { area: site.area, op: site.op });
  const fields = new Set(FAULT_SCHEMA[kind].map((f) => f.name));
  for (const name of NODE_FIELDS) {
    if (fields.has(name) && params[name] === undefined) event[name] = kind === 'partition' && name === 'a' ? [site.node] : site.node;
  }
  Object.assign(event, params, { trigger });
  return parseEvent(event, `faultAt(${kind}, ${site.node} ${site.area}.${site.op} #${nth})`, nodes);
}
