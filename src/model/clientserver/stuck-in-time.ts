/**
 * invariant:stuck-in-time (the seed's status table: "stuck: 3 rapid connection failures or no progress for
 * 10 s") — the model's guard `stuckEvidence` forbids stuck too early; this check requires it in time. A
 * running client must show `stuck` (or `incompatible`, which takes precedence) within `boundMs` once the
 * evidence says so:
 * - rapid failures: `rapidFailuresMax` of its sync connections in a row closed before it showed green on
 *   them (net.established to the server, net.close at the client; a green `cs.status` while one is open
 *   resets the count, as does a new durable site id or a restart);
 * - no progress: its open sync connection has work outstanding — no green shown on it yet, or a Push
 *   delivered to the server (fact.cs.push) above every acknowledgement delivered back on it (fact.cs.welcome
 *   `acked`, fact.cs.ack `upTo`) — and nothing arrived on it (opened; Welcome, Changes, Ack delivered)
 *   since the later of that and the push that made work outstanding, for `stuckAfterMs`.
 * Delivery times are the evidence: the client takes a delivery in after it (its handler), and sends a push
 * before it is delivered, so its own idle time is at least the check's less its handler's delay, which the
 * bound covers with its ping period (it looks every `pingEveryMs`).
 *
 * Not judged: a frozen client (node.pause until node.resume, then the bound again from the resume, or
 * until it crashes or stops: frozen-spells.ts), a
 * client during a Nuke and Resync (from the user's workload.nuke until its durable site id changes: its
 * own push connection is no sync attempt), a client that is down.
 */
import type { TraceCheck } from '../check.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import { ms, ticking } from './cs-time.ts';
import { frozenOf, type NodeFrozen } from './frozen-spells.ts';

/** The client's configured thresholds and the check's bound. */
export interface StuckBounds {
  rapidFailuresMax: number;
  stuckAfterMs: number;
  /** Stuck must show this long after the evidence requires it at the latest. */
  boundMs: number;
}

interface Conn {
  id: string;
  green: boolean;
  /** Last arrival on it (open, Welcome, Changes, Ack), µs. */
  progressUs: number;
  /** Highest pushed version delivered to the server, and highest acknowledgement delivered back. */
  pushed: number;
  acked: number;
}

interface Client {
  up: boolean;
  /** Its process's frozen spells (frozen-spells.ts). */
  proc: NodeFrozen;
  nuking: boolean;
  site: string | null;
  conn: Conn | null;
  failures: number;
  /** Its last status. */
  status: string;
  /** Since when (µs) rapid failures require stuck, or null. */
  failedSinceUs: number | null;
}

const excused = (status: string): boolean => status === 'stuck' || status === 'incompatible';

/** Stuck shows in time after rapid failures or an open connection without progress. */
export function stuckInTimeCheck(clients: readonly string[], server: string, bounds: StuckBounds): TraceCheck {
  const name = 'invariant:stuck-in-time';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const frozen = frozenOf(ctx);
      const state = new Map<string, Client>(clients.map((id) => [id, { up: false, proc: frozen.of(id), nuking: false, site: null, conn: null, failures: 0, status: 'down', failedSinceUs: null }]));
      const t = ctx.trace;
      const of = (id: unknown): Client | undefined => (typeof id === 'string' ? state.get(id) : undefined);
      const onConn = (r: TraceRecord): Conn | null => {
        const conn = of(r.data.client)?.conn ?? null;
        return conn?.id === r.data.conn ? conn : null;
      };
      const reset = (c: Client): void => {
        c.failures = 0;
        c.failedSinceUs = null;
      };
      t.on('cs.client.start', (r) => {
        const c = of(r.node);
        if (c === undefined) return;
        Object.assign(c, { up: true, nuking: false, conn: null, status: 'down' });
        reset(c);
      });
      for (const k of ['node.crash', 'node.stop'] as const) {
        t.on(k, (r) => {
          const c = of(r.node);
          if (c === undefined) return;
          Object.assign(c, { up: false, nuking: false, conn: null });
          reset(c);
        });
      }
      t.on('workload.nuke', (r) => {
        const c = of(r.data.node);
        if (c !== undefined) c.nuking = true;
      });
      t.on('workload.nuke-failed', (r) => {
        const c = of(r.data.node);
        if (c !== undefined) c.nuking = false;
      });
      t.on('fact.cs.client', (r) => {
        const c = of(r.data.device);
        if (c === undefined) return;
        if (c.site !== null && r.data.site !== c.site) {
          c.nuking = false;
          reset(c);
        }
        c.site = r.data.site as string | null;
      });
      t.on('net.established', (r) => {
        const c = of(r.node);
        if (c !== undefined && r.data.to === server) c.conn = { id: r.data.conn as string, green: false, progressUs: r.t, pushed: 0, acked: 0 };
      });
      t.on('net.close', (r) => {
        const c = of(r.node);
        if (c === undefined || c.conn === null || c.conn.id !== r.data.conn) return;
        if (!c.conn.green && !c.nuking) c.failures++;
        c.conn = null;
        if (c.failures < bounds.rapidFailuresMax) return;
        // Real input: the evidence requires stuck (whether the client already shows it or not).
        ctx.exercised(name);
        if (c.failedSinceUs === null && !excused(c.status)) c.failedSinceUs = r.t;
      });
      t.on('cs.status', (r) => {
        const c = of(r.node);
        if (c === undefined) return;
        c.status = r.data.status as string;
        if (excused(c.status)) c.failedSinceUs = null;
        if ((c.status === 'synced' || c.status === 'syncing') && c.conn !== null) {
          c.conn.green = true;
          reset(c);
        }
      });
      for (const k of ['fact.cs.welcome', 'fact.cs.ack', 'fact.cs.changes'] as const) {
        t.on(k, (r) => {
          const conn = onConn(r);
          if (conn === null) return;
          conn.progressUs = r.t;
          const upTo = (r.data.acked ?? r.data.upTo) as number | undefined;
          if (upTo !== undefined) conn.acked = Math.max(conn.acked, upTo);
        });
      }
      t.on('fact.cs.push', (r) => {
        const conn = onConn(r);
        if (conn === null) return;
        // Work becomes outstanding with this push: idle time counts from here at the earliest.
        if (conn.pushed <= conn.acked) conn.progressUs = Math.max(conn.progressUs, r.t);
        conn.pushed = Math.max(conn.pushed, r.data.last as number);
      });
      ticking(ctx, 50_000, (nowUs) => {
        for (const [id, c] of state) {
          if (!c.up || c.proc.frozen || c.nuking) continue;
          // Times count from the resume at the earliest (inline: no closure per client and tick).
          const resumedUs = c.proc.resumedUs;
          if (c.failedSinceUs !== null) {
            if (nowUs - Math.max(c.failedSinceUs, resumedUs) > bounds.boundMs * 1000) {
              ctx.fail('correctness', name, `${id} shows ${c.status} ${ms(nowUs - c.failedSinceUs)} after ${c.failures} of its sync connections in a row closed before it showed green on them (stuck after ${bounds.rapidFailuresMax}; bound ${bounds.boundMs} ms)`);
              c.failedSinceUs = null;
              return;
            }
          }
          const conn = c.conn;
          if (conn === null || (conn.green && conn.pushed <= conn.acked)) continue;
          const idleUs = nowUs - Math.max(conn.progressUs, resumedUs);
          if (idleUs < bounds.stuckAfterMs * 1000) continue;
          ctx.exercised(name);
          if (!excused(c.status) && idleUs > (bounds.stuckAfterMs + bounds.boundMs) * 1000) {
            const what = conn.green ? `its push up to v${conn.pushed} was delivered and only v${conn.acked} acknowledged` : 'it has not shown green on it';
            ctx.fail('correctness', name, `${id} shows ${c.status} while its sync connection ${conn.id} made no progress for ${ms(idleUs)} and ${what} (stuck after ${bounds.stuckAfterMs} ms without progress; bound ${bounds.boundMs} ms)`);
            conn.progressUs = nowUs;
            return;
          }
        }
      });
    },
  };
}
