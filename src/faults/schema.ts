/**
 * The schema of fault kinds: every kind's fields with their types, in print order. Validation
 * (validate.ts), printing (plan.ts), the atlas and the swarm are driven by it, so adding a kind means
 * adding its interface (plan.ts), its entry here and its atlas entry (atlas.ts).
 */
import type { FaultKind } from './plan.ts';

/** Subsystems whose operations a trigger can count (the `area` of the kernel's OpInfo). */
export const TRIGGER_AREAS = ['disk', 'kv', 'net', 'bus', 'lock'] as const;

/** Disk error codes a diskError can inject. */
export const DISK_ERROR_CODES = ['EIO', 'ENOSPC'] as const;

/** Sources of a tab's tasks a taskDelay fault can make late (SimNode's TaskSource). */
export const TASK_SOURCES = ['bus', 'lock'] as const;

/** How a corrupt fault damages durable data ('truncate' only for disk files). */
export const CORRUPT_MODES = ['flip', 'zero', 'truncate'] as const;

/**
 * Areas whose operations take effect as they are called (a message send, a bus post, a lock request):
 * a node cannot be frozen 'before' one of them, only after the task that called it.
 */
export const IMMEDIATE_AREAS: ReadonlySet<string> = new Set(['net', 'bus', 'lock']);

/** Every fault kind, in a fixed order (reports and swarm iterate in this order). */
export const FAULT_KINDS: readonly FaultKind[] = [
  'crash',
  'restart',
  'pause',
  'resume',
  'partition',
  'isolate',
  'clog',
  'stall',
  'resetConnections',
  'linkFaults',
  'clockJump',
  'clockDrift',
  'diskError',
  'fsyncFail',
  'tornWrite',
  'bitFlip',
  'corrupt',
  'taskDelay',
];

/**
 * Field types of the schema. Units are in the names: '*Ms' are virtual milliseconds.
 * - node / nodes: a node id / a non-empty list of distinct node ids
 * - target / targets: the same, where a selector may stand for a node (resolved when the event fires)
 * - durationMs: > 0; delayMs: >= 0; signedMs: any non-zero finite; ppm: drift in parts per million
 * - netDurationMs / netDelayMs: the same within the network's bound on latencies (one hour)
 * - probability: 0..1 per operation or message; nth: integer >= 1
 * - path: a non-empty path or store name, a trailing '*' making it a prefix
 * - taskSource: a source of a tab's tasks a taskDelay makes late ('bus' or 'lock')
 */
export type FieldType =
  | 'node'
  | 'nodes'
  | 'target'
  | 'targets'
  | 'bool'
  | 'durationMs'
  | 'delayMs'
  | 'netDurationMs'
  | 'netDelayMs'
  | 'signedMs'
  | 'ppm'
  | 'probability'
  | 'nth'
  | 'when'
  | 'diskErrorCode'
  | 'storageArea'
  | 'storageOp'
  | 'path'
  | 'corruptMode'
  | 'taskSource';

/** One field of a fault kind. */
export interface FieldSpec {
  name: string;
  type: FieldType;
  required: boolean;
}

const req = (name: string, type: FieldType): FieldSpec => ({ name, type, required: true });
const opt = (name: string, type: FieldType): FieldSpec => ({ name, type, required: false });

/** Fields of every kind (besides kind, atMs and trigger), in the order they print. */
export const FAULT_SCHEMA: Readonly<Record<FaultKind, readonly FieldSpec[]>> = {
  crash: [req('node', 'target'), opt('powerLoss', 'bool'), opt('restartAfterMs', 'delayMs'), opt('when', 'when')],
  restart: [req('node', 'node')],
  pause: [req('node', 'target'), req('durationMs', 'durationMs'), opt('when', 'when')],
  resume: [req('node', 'node')],
  partition: [req('a', 'targets'), req('b', 'targets'), opt('oneWay', 'bool'), req('durationMs', 'durationMs')],
  isolate: [req('node', 'target'), req('durationMs', 'durationMs')],
  clog: [req('from', 'node'), req('to', 'node'), req('durationMs', 'durationMs')],
  stall: [req('a', 'node'), req('b', 'node'), req('durationMs', 'netDurationMs')],
  resetConnections: [req('a', 'node'), opt('b', 'node')],
  linkFaults: [
    opt('from', 'node'),
    opt('to', 'node'),
    opt('lossRate', 'probability'),
    opt('dupRate', 'probability'),
    opt('reorderRate', 'probability'),
    opt('latencyMs', 'netDelayMs'),
    opt('jitterMs', 'netDelayMs'),
    opt('tailProbability', 'probability'),
    opt('tailMs', 'netDelayMs'),
    req('durationMs', 'durationMs'),
  ],
  clockJump: [req('node', 'target'), req('deltaMs', 'signedMs')],
  clockDrift: [req('node', 'target'), req('driftPpm', 'ppm'), opt('durationMs', 'durationMs')],
  diskError: [
    req('node', 'target'),
    opt('area', 'storageArea'),
    req('op', 'storageOp'),
    req('code', 'diskErrorCode'),
    opt('nth', 'nth'),
    opt('probability', 'probability'),
    opt('durationMs', 'durationMs'),
  ],
  fsyncFail: [req('node', 'target'), opt('nth', 'nth'), opt('probability', 'probability'), opt('durationMs', 'durationMs')],
  tornWrite: [req('node', 'target'), req('nth', 'nth')],
  bitFlip: [req('node', 'target'), opt('nth', 'nth'), opt('probability', 'probability'), opt('durationMs', 'durationMs')],
  corrupt: [req('node', 'target'), opt('area', 'storageArea'), opt('path', 'path'), opt('mode', 'corruptMode')],
  taskDelay: [req('node', 'target'), opt('source', 'taskSource'), req('delayMs', 'durationMs'), req('durationMs', 'durationMs')],
};

/** Kinds that act through the network (they need the network's fault API). */
export const NETWORK_KINDS: ReadonlySet<FaultKind> = new Set<FaultKind>([
  'partition',
  'isolate',
  'clog',
  'stall',
  'resetConnections',
  'linkFaults',
]);

/** Kinds that arm a rule on storage operations (nth or probability) instead of acting once. */
export const STORAGE_KINDS: ReadonlySet<FaultKind> = new Set<FaultKind>(['diskError', 'fsyncFail', 'tornWrite', 'bitFlip']);

const KIND_SET: ReadonlySet<string> = new Set<string>(FAULT_KINDS);

/** True when `name` is a fault kind. */
export function isFaultKind(name: string): name is FaultKind {
  return KIND_SET.has(name);
}

/**
 * The fault kind a trace record kind reports as applied ('fault.crash' -> 'crash'), or null for other
 * records, including the injector's bookkeeping ('fault.arm', 'fault.end', 'fault.heal').
 */
export function appliedFaultKind(traceKind: string): FaultKind | null {
  if (!traceKind.startsWith('fault.')) return null;
  const name = traceKind.slice(6);
  return isFaultKind(name) ? name : null;
}
