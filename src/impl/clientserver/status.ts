/**
 * The footer's status (the seed's Recommendation 5), derived from the client's sync state by one pure
 * function, so every tab and every subscriber sees the same answer:
 *
 *   incompatible(reason)  the server is not the one this database synced with (rebuilt: new site id) or
 *                         runs another schema; sync stops until Nuke and Resync
 *   stuck(diagnostics)    `rapidFailuresMax` connections in a row closed before the handshake completed,
 *                         or an open connection made no progress for `stuckAfterMs` with work outstanding
 *   disconnected          no connection (between attempts; an outage is not "stuck")
 *   connecting            an attempt or a handshake in progress (meta check, connect, Hello/Welcome,
 *                         download up to the server's head)
 *   syncing(pending N)    handshake done; N local changes the server has not acknowledged (ACK, never "sent")
 *   synced                handshake done, nothing pending
 *
 * Green = synced or syncing. `unsaved`: changes a Nuke and Resync kept because the server never took them.
 */

/** The status values (closed set: the trace format allows these only). */
export const STATUSES = ['disconnected', 'connecting', 'synced', 'syncing', 'stuck', 'incompatible'] as const;
export type SyncStatus = (typeof STATUSES)[number];

/** Why a client is stuck. */
export type StuckReason = 'rapid-failures' | 'no-progress';

/** What the footer shows. */
export interface StatusView {
  status: SyncStatus;
  /** Local changes the server has not acknowledged. */
  pending: number;
  /** Changes kept aside by a Nuke and Resync (not on the server). */
  unsaved: number;
  /** incompatible: why; stuck: the diagnostics' reason. */
  reason: string | null;
  /** stuck: connections in a row that failed before the handshake completed. */
  failures: number;
}

/** The inputs of the status. */
export interface StatusInputs {
  phase: 'idle' | 'connecting' | 'ready';
  incompatible: string | null;
  stuck: StuckReason | null;
  failures: number;
  pending: number;
  unsaved: number;
}

/** The status the footer shows for `s`. */
export function statusOf(s: StatusInputs): StatusView {
  const base = { pending: s.pending, unsaved: s.unsaved, failures: s.failures };
  if (s.incompatible !== null) return { status: 'incompatible', reason: s.incompatible, ...base };
  if (s.stuck !== null) return { status: 'stuck', reason: s.stuck, ...base };
  if (s.phase === 'idle') return { status: 'disconnected', reason: null, ...base };
  if (s.phase === 'connecting') return { status: 'connecting', reason: null, ...base };
  return { status: s.pending > 0 ? 'syncing' : 'synced', reason: null, ...base };
}

/** True for the green statuses. */
export const isGreen = (s: SyncStatus): boolean => s === 'synced' || s === 'syncing';

/** Equal views (a status is traced and published only when it changes). */
export function sameView(a: StatusView | null, b: StatusView): boolean {
  return a !== null && a.status === b.status && a.pending === b.pending && a.unsaved === b.unsaved && a.reason === b.reason && a.failures === b.failures;
}
