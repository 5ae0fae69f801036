/**
 * Shared pieces of the client-server scenarios: the world (a sync server `S` and its meta endpoint `M` on
 * the server's device, clients C1..Cn each on its own device), the operator's deployment schedule
 * (rebuilds and schema upgrades take effect at the server's next start), the workload (the app's local
 * writes, the operator's writes on the server, the user who clicks Nuke and Resync when the footer asks),
 * liveness (every client synced and equal to the server) and the checks, model and evidence.
 */
import type { TraceCheck } from '../../src/model/check.ts';
import { csClientEvidence } from '../../src/evidence/cs-client.ts';
import { csServerEvidence } from '../../src/evidence/cs-server.ts';
import { csWireEvidence } from '../../src/evidence/cs-wire.ts';
import type { EvidenceRecorder } from '../../src/evidence/types.ts';
import { startMeta, startServer, type ClientHandle, type ClientOptions, type ServerHandle, type ServerRow } from '../../src/impl/clientserver/index.ts';
import { csClientFactory } from '../../src/impl/clientserver/seam.ts';
import { CS_PROBES } from '../../src/impl/clientserver/probes.ts';
import { csChecks, type CsBounds } from '../../src/model/clientserver/index.ts';
import { syncStatusModel } from '../../src/model/clientserver/sync-status-model.ts';
import type { Check, Liveness, Scenario, ScenarioContext, Topology } from '../../src/scenario/types.ts';

/** The database every client syncs. */
export const DB = 'librocco';
/** The server's address and device, and its meta endpoint's. */
export const SERVER = 'S';
export const META = 'M';
export const SERVER_DEVICE = 'server';

/** Client ids C1..Cn. */
export function clientIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `C${i + 1}`);
}

/** The operator's schedule: rebuilds and schema versions take effect when the server (or a client) next starts. */
export interface Deployment {
  /** Virtual ms of each rebuild (the server's crash-and-restart around it is in the fault plan). */
  rebuildsAtMs?: readonly number[];
  /** Server schema versions from a time on: [[fromMs, schema]...] (default 1 throughout). */
  serverSchema?: readonly (readonly [number, number])[];
  /** Client schema versions from a time on, per client (default 1). */
  clientSchema?: Readonly<Record<string, readonly (readonly [number, number])[]>>;
}

const schemaAt = (plan: readonly (readonly [number, number])[] | undefined, nowMs: number): number =>
  (plan ?? []).filter(([from]) => from <= nowMs).reduce((_, [, v]) => v, 1);

/** The world: S and M on the server's device, each client on its own. */
export function csTopology(clients: readonly string[], net?: Topology['net']): Topology {
  return {
    nodes: [
      { id: SERVER, device: SERVER_DEVICE, role: 'server' },
      { id: META, device: SERVER_DEVICE, role: 'meta' },
      ...clients.map((id) => ({ id, role: 'client' })),
    ],
    ...(net === undefined ? {} : { net }),
  };
}

/** The seams a client-server scenario's program builds its nodes through (withImplementations). */
export const CS_SEAMS = ['csClient'] as const;

/**
 * The program of each role; client options override the defaults. The clients are built through the
 * `csClient` seam (a plugged-in client, else the built-in `startClient`); the server and meta stay built-in.
 */
export function csProgram(deploy: Deployment = {}, options: Partial<ClientOptions> = {}): Scenario['program'] {
  return (node, ctx) => (env) => {
    const now = ctx.nowMs();
    if (node.role === 'server') {
      const generation = (deploy.rebuildsAtMs ?? []).filter((t) => t <= now).length;
      return startServer(env, { db: DB, schema: schemaAt(deploy.serverSchema, now), generation, variant: ctx.variant });
    }
    if (node.role === 'meta') return startMeta(env, DB);
    return csClientFactory(ctx.implementations.csClient)(env, { server: SERVER, meta: META, db: DB, schema: schemaAt(deploy.clientSchema?.[node.id], now), variant: ctx.variant, ...options });
  };
}

const TABLES = ['book', 'customer'] as const;
const COLUMNS = ['title', 'price', 'note'] as const;
/** Rows per table the workload writes (a small pool: concurrent edits of the same cells). */
const ROWS = 20;

/** `count` local writes on random clients (those up), one every `everyMs` from `fromMs`. */
export function clientWrites(ctx: ScenarioContext, clients: readonly string[], count: number, fromMs: number, everyMs: number): void {
  const n = Math.max(1, Math.round(count * ctx.workloadScale));
  for (let k = 0; k < n; k++) {
    ctx.at(fromMs + k * everyMs, () => {
      const id = ctx.rng.pick(clients);
      const h = ctx.handle<ClientHandle>(id);
      if (h === null) return;
      const table = ctx.rng.pick(TABLES);
      const pk = `${table}-${ctx.rng.int(ROWS)}`;
      h.write(table, pk, ctx.rng.pick(COLUMNS), `${id}#${k}`).catch((e: unknown) => ctx.emit('workload.write-failed', { node: id, error: String(e) }));
    });
  }
}

/** The operator writes `rows` records on the server at `atMs` (the seed's execOnRemote), in batches of 500. */
export function serverRecords(ctx: ScenarioContext, rows: number, atMs: number, tag = 'seed'): void {
  const n = Math.max(1, Math.round(rows * ctx.workloadScale));
  for (let from = 0; from < n; from += 500) {
    ctx.at(atMs + from / 50, () => {
      const h = ctx.handle<ServerHandle>(SERVER);
      if (h === null) return;
      const batch: ServerRow[] = [];
      for (let i = from; i < Math.min(n, from + 500); i++) batch.push({ table: 'stock', pk: `${tag}-${i}`, col: 'title', value: `${tag} record ${i}` });
      h.exec(batch).catch((e: unknown) => ctx.emit('workload.write-failed', { node: SERVER, error: String(e) }));
    });
  }
}

/**
 * The user: a client whose footer shows stuck or incompatible for `afterMs` gets Nuke and Resync clicked
 * (polled every 250 ms from `fromMs`). Traced as workload.nuke {node, status}.
 */
export function userNukes(ctx: ScenarioContext, clients: readonly string[], fromMs: number, untilMs: number, afterMs = 1_000): void {
  const since = new Map<string, number>();
  for (let t = fromMs; t <= untilMs; t += 250) {
    ctx.at(t, () => {
      for (const id of clients) {
        const h = ctx.handle<ClientHandle>(id);
        const s = h?.status().status;
        if (h === null || (s !== 'stuck' && s !== 'incompatible')) {
          since.delete(id);
          continue;
        }
        const first = since.get(id) ?? t;
        since.set(id, first);
        if (t - first < afterMs) continue;
        since.delete(id);
        ctx.emit('workload.nuke', { node: id, status: s });
        h.nuke().catch((e: unknown) => ctx.emit('workload.nuke-failed', { node: id, error: String(e) }));
      }
    });
  }
}

/** Liveness: the server and every client up, every client synced (nothing pending) and equal to the server. */
export function allSynced(clients: readonly string[], withinMs = 20_000): Liveness {
  return {
    withinMs,
    pollMs: 200,
    done(ctx) {
      const server = ctx.handle<ServerHandle>(SERVER);
      if (server === null) return 'the server is not up';
      const want = server.digest();
      for (const id of clients) {
        const h = ctx.handle<ClientHandle>(id);
        if (h === null) return `${id} is not up`;
        const s = h.status();
        if (s.status !== 'synced') return `${id} shows ${s.status}${s.pending > 0 ? ` (${s.pending} pending)` : ''}${s.reason === null ? '' : `: ${s.reason}`}`;
        if (h.digest() !== want) return `${id} holds ${h.digest()}, the server ${want}`;
      }
      return true;
    },
  };
}

/**
 * Evidence, checks and the sync-status model for a scenario with `clients` (pass the client options
 * `csProgram` got: the model judges "stuck" by the same bounds).
 */
export function csChecking(
  clients: readonly string[],
  bounds: Partial<CsBounds> = {},
  options: Partial<ClientOptions> = {},
): { checks: Check[]; models: NonNullable<Scenario['models']>; evidence: EvidenceRecorder[]; probes: readonly string[]; variantAreas: string[] } {
  const stuck = { rapidFailuresMax: options.rapidFailuresMax ?? 3, stuckAfterMs: options.stuckAfterMs ?? 10_000 };
  return {
    checks: csChecks(clients, { serverDevice: SERVER_DEVICE, server: SERVER, ...bounds }),
    models: [syncStatusModel(clients, { server: SERVER, meta: META, ...stuck })],
    evidence: [csServerEvidence(SERVER_DEVICE), csClientEvidence(clients), csWireEvidence(SERVER, META)],
    probes: CS_PROBES,
    variantAreas: ['client-server'],
  };
}

/**
 * A scenario's own expectation (the seed's e2e assertions): `client` shows one of `statuses` at some
 * point within `withinMs` after `fromMs` (with exactly `pending` pending, when given). Checked on the
 * statuses the client emitted (cs.status), at the end of the run.
 */
export function statusSeen(client: string, statuses: readonly string[], fromMs: number, withinMs: number, what: string, pending?: number): TraceCheck {
  const name = `expect:${client}-${what.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      let seen = false;
      let last: { status: string; pending: number } | null = null;
      const fits = (s: { status: string; pending: number }): boolean => statuses.includes(s.status) && (pending === undefined || s.pending === pending);
      ctx.trace.on('cs.status', (r) => {
        if (r.node !== client) return;
        const s = { status: r.data.status as string, pending: r.data.pending as number };
        const t = r.t / 1000;
        if (t >= fromMs && t <= fromMs + withinMs && fits(s)) seen = true;
        if (t < fromMs) last = s;
      });
      ctx.trace.on('*', (r) => {
        // The status shown when the window opened counts too.
        if (last !== null && r.t / 1000 >= fromMs) {
          if (fits(last)) seen = true;
          last = null;
        }
      });
      ctx.runState.set(name, () => seen);
    },
    final(ctx) {
      ctx.exercised(name);
      if (!(ctx.runState.get(name) as () => boolean)()) ctx.fail('correctness', name, `${client} never showed ${statuses.join(' or ')}${pending === undefined ? '' : ` with ${pending} pending`} between ${fromMs} and ${fromMs + withinMs} ms: ${what}`);
    },
  };
}
