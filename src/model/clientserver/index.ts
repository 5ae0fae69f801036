/**
 * The client-server checkers (the seed's promises, issue 12), one per file named after its invariant
 * (docs/models.md, Layout), and `csChecks`, every one of them for a scenario. Each judges the simulator's
 * ground truth (cs-truth.ts: the server's durable log, the clients' durable databases, what the network
 * delivered), never what a client says about itself beyond the status it shows.
 */
import type { Check } from '../../scenario/types.ts';
import { progressCheck } from './progress.ts';
import { progressEtaCheck } from './progress-eta.ts';
import { reconnectPacedCheck } from './reconnect-paced.ts';
import { greenServerChangesCheck } from './green-has-server-changes.ts';
import { greenPushesCheck } from './green-pushes.ts';
import { pendingCountCheck } from './pending-count.ts';
import { incompatibleCheck } from './incompatible-reported.ts';
import { noLossCheck } from './no-loss-no-dup.ts';
import { nukeReportsCheck } from './nuke-reports.ts';
import { stuckInTimeCheck } from './stuck-in-time.ts';
import { changesInOrderCheck } from './changes-in-order.ts';
import { operatorWritesStoredCheck, operatorWritesWinCheck } from './operator-writes-stored.ts';
import { pushesHaveOriginCheck, pushesWereWrittenCheck } from './pushes-have-origin.ts';

export { greenServerChangesCheck } from './green-has-server-changes.ts';
export { greenPushesCheck } from './green-pushes.ts';
export { pendingCountCheck } from './pending-count.ts';
export { incompatibleCheck } from './incompatible-reported.ts';
export { noLossCheck } from './no-loss-no-dup.ts';
export { nukeReportsCheck } from './nuke-reports.ts';
export { progressCheck } from './progress.ts';
export { progressEtaCheck } from './progress-eta.ts';
export { reconnectPacedCheck } from './reconnect-paced.ts';
export { stuckInTimeCheck } from './stuck-in-time.ts';
export { changesInOrderCheck, CHANGES_MAX } from './changes-in-order.ts';
export { operatorWritesStoredCheck, operatorWritesWinCheck } from './operator-writes-stored.ts';
export { pushesHaveOriginCheck, pushesWereWrittenCheck } from './pushes-have-origin.ts';

/** Bounds of the invariants, virtual ms. */
export interface CsBounds {
  /** (1) server changes older than this (in the server's running time) are local while green (the seed: "one or a few seconds"). */
  serverChangesMs: number;
  /** (2) a local write reaches the server's durable log within this while green. */
  pushMs: number;
  /**
   * (4) green this long after the server became incompatible is a failure, and so is a client not showing
   * incompatible this long after an incompatible Welcome or Meta was delivered to it.
   */
  incompatibleMs: number;
  /** Stuck must show this long after rapid failures or `stuckAfterMs` without progress at the latest. */
  stuckMs: number;
  /** The clients' configured thresholds of stuck (ClientOptions; defaults 3 and 10 s). */
  rapidFailuresMax: number;
  stuckAfterMs: number;
  /** The clients' configured delay between connection attempts (ClientOptions.reconnectMs; default 500). */
  reconnectMs: number;
  /** The server's device and address. */
  serverDevice: string;
  server: string;
}

const DEFAULTS = { serverChangesMs: 2_000, pushMs: 2_000, incompatibleMs: 3_000, stuckMs: 500, rapidFailuresMax: 3, stuckAfterMs: 10_000, reconnectMs: 500 };

/** Every client-server invariant for a scenario over `clients`. */
export function csChecks(clients: readonly string[], bounds: Partial<CsBounds> & Pick<CsBounds, 'serverDevice' | 'server'>): Check[] {
  const b = { ...DEFAULTS, ...bounds };
  return [
    greenServerChangesCheck(clients, b.serverChangesMs, b.server),
    greenPushesCheck(clients, b.pushMs),
    pendingCountCheck(clients),
    incompatibleCheck(clients, b.incompatibleMs),
    noLossCheck(clients),
    nukeReportsCheck(clients),
    progressCheck(clients),
    changesInOrderCheck(clients),
    operatorWritesStoredCheck(),
    operatorWritesWinCheck(),
    pushesHaveOriginCheck(clients),
    pushesWereWrittenCheck(clients),
    stuckInTimeCheck(clients, b.server, { rapidFailuresMax: b.rapidFailuresMax, stuckAfterMs: b.stuckAfterMs, boundMs: b.stuckMs }),
    progressEtaCheck(clients),
    reconnectPacedCheck(clients, b.server, b.reconnectMs),
  ];
}
export { deviceChecks, deviceModel, tabsChecks, tabsAgreeCheck, tabsOneConnectionCheck, tabsFencedCheck, tabWritesCheck, tabWritesTakenCheck, TabsView, TABS_AGREE_MS, type TabsOf } from './tabs-agree.ts';
export { statusSeen } from './status-seen.ts';
export { stuckReasonSeen } from './stuck-reason-seen.ts';
export { nukePushedFirst } from './nuke-pushed-first.ts';
