/**
 * Types shared by the simulator's subsystems, the fault injectors and the runner.
 */
import type { EnvErrorCode } from '../impl/env.ts';
import type { SimNode } from './node.ts';

/** How a run failed. Exit codes: correctness 1, liveness 2, crash 3. */
export type FailureKind = 'correctness' | 'liveness' | 'crash';

/** A failed run: the first failure stops the simulation. */
export interface Failure {
  kind: FailureKind;
  /** Name of the check, invariant or model that failed (e.g. 'model:recovery', 'invariant:converged'). */
  check: string;
  /** Human-readable explanation. */
  message: string;
  /** Node involved, if any. */
  node?: string;
  /** Virtual time of the failure, µs. */
  timeUs: number;
  /** Trace position at which the failure was detected. */
  traceIndex: number;
  /** Extra JSON details (model state, event, expected/actual...). */
  details?: Record<string, unknown>;
}

/** An operation about to take effect, offered to fault interceptors first. */
export interface OpInfo {
  /** Subsystem: 'disk', 'kv', 'net', 'bus', 'lock'. */
  area: string;
  /** Operation: 'write', 'fsync', 'fsyncDir', 'rename', 'read', 'commit', 'get', 'keys', 'send', ... */
  op: string;
  /** Node performing it. */
  node: string;
  /** Device of that node. */
  device: string;
  /** Path (disk), store (kv) or peer (net), when meaningful. */
  target?: string;
}

/**
 * What a fault interceptor makes of an operation.
 * - crash: the node crashes; 'before' the operation takes effect or 'after' it took effect but before
 *   the caller hears back. `powerLoss` says whether its device loses power too; when unset each subsystem
 *   decides (a disk operation: yes; a network, bus or lock operation: no; a kv commit: when the node is
 *   alone on its device).
 * - error: the operation fails with this code (EIO, ENOSPC, ...) and takes no effect.
 * - torn: a disk write lands only partly (a sector-granular prefix) and the device loses power.
 * - bitflip: a disk read returns the data with one bit flipped (the disk itself is unchanged).
 * - pause: the node froze at this operation (the injector has paused it already). An operation that
 *   completes later (disk, kv) is held: 'before': it takes effect and answers when the node resumes;
 *   'after': it takes effect now and the caller hears back on resume. An operation that takes effect as
 *   it is called (net, bus, lock) proceeds: the node freezes once the task that called it ends.
 */
export type FaultAction =
  | { type: 'crash'; when: 'before' | 'after'; powerLoss?: boolean }
  | { type: 'pause'; when: 'before' | 'after' }
  | { type: 'error'; code: EnvErrorCode }
  | { type: 'torn' }
  | { type: 'bitflip' };

/** Decides faults for operations; returns null to let the operation proceed normally. */
export type OpInterceptor = (op: OpInfo) => FaultAction | null;

/** Lifecycle notifications for subsystems (all optional). */
export interface LifecycleListener {
  /** A node started a new incarnation. */
  nodeUp?(node: SimNode): void;
  /** A node's process ended. `powerLoss` is true when its device lost power (volatile disk state lost). */
  nodeDown?(node: SimNode, powerLoss: boolean): void;
  /** A device lost power (after all its nodes went down). */
  devicePowerLoss?(deviceId: string): void;
  /** A node froze. */
  nodePaused?(node: SimNode): void;
  /** A node unfroze. */
  nodeResumed?(node: SimNode): void;
}
