/**
 * Shared pieces of the client-server scenarios: the world (a sync server `S` and its meta endpoint `M` on
 * the server's device, clients C1..Cn each on its own device), the operator's deployment schedule
 * (rebuilds and schema upgrades take effect at the server's next start), the workload (the app's local
 * writes, the operator's writes on the server, the user who clicks Nuke and Resync when the footer asks),
 * liveness (every client synced and equal to the server) and the checks, model and evidence.
 */
import { nukePushedFirst, statusSeen } from '../../src/model/clientserver/index.ts';
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

/** Where a swarm's workload leaves the deployment it drew, for `csProgram(drawnDeployment)`. */
const DRAWN = 'cs.deployment';

/** The deployment a swarm's workload drew for this run (`drawDeployment`); none before it drew. */
export const drawnDeployment = (ctx: ScenarioContext): Deployment => (ctx.shared.get(DRAWN) as Deployment | undefined) ?? {};

/**
 * The program of each role; client options override the defaults. The clients are built through the
 * `csClient` seam (a plugged-in client, else the built-in `startClient`); the server and meta stay built-in.
 * `deploy` is the operator's schedule, or a function of the run that gives it (a swarm's, drawn per seed).
 */
export function csProgram(deploy: Deployment | ((ctx: ScenarioContext) => Deployment) = {}, options: Partial<ClientOptions> = {}): Scenario['program'] {
  return (node, ctx) => (env) => {
    const now = ctx.nowMs();
    const plan = typeof deploy === 'function' ? deploy(ctx) : deploy;
    if (node.role === 'server') {
      const generation = (plan.rebuildsAtMs ?? []).filter((t) => t <= now).length;
      return startServer(env, { db: DB, schema: schemaAt(plan.serverSchema, now), generation, variant: ctx.variant });
    }
    if (node.role === 'meta') return startMeta(env, DB);
    return csClientFactory(ctx.implementations.csClient)(env, { server: SERVER, meta: META, db: DB, schema: schemaAt(plan.clientSchema?.[node.id], now), variant: ctx.variant, ...options });
  };
}

/**
 * The operator restarts `node` at `atMs` (a deployment: the schedule takes effect at its next start),
 * bringing it back `downMs` later; a node already down is only started. Traced as workload.deploy.
 */
export function operatorRestart(ctx: ScenarioContext, node: string, atMs: number, downMs: number, what: string): void {
  ctx.at(atMs, () => {
    ctx.emit('workload.deploy', { node, what });
    ctx.sim.crash(node, { powerLoss: false });
  });
  ctx.at(atMs + downMs, () => ctx.sim.start(node));
}

/**
 * A swarm's operator, drawn per seed from a stream of its own (the workload's other draws do not move):
 * with probability 0.4 a rebuild of the server, with probability 0.4 an upgrade to schema 2 (the server
 * first, or with probability 0.3 the clients first, each 0.3-1.5 s apart), at times in [1 s, chaos end -
 * 2 s]. The schedule is left for `csProgram(drawnDeployment)`; the restarts are the operator's
 * (`operatorRestart`), beside the swarm's own crashes.
 */
export function drawDeployment(ctx: ScenarioContext, clients: readonly string[], durationMs: number): void {
  const rng = ctx.sim.stream('cs.deploy');
  const when = (): number => rng.range(1_000, Math.max(1_000, durationMs - 2_000));
  const d: { rebuildsAtMs?: number[]; serverSchema?: [number, number][]; clientSchema?: Record<string, [number, number][]> } = {};
  if (rng.chance(0.4)) {
    const t = when();
    d.rebuildsAtMs = [t];
    operatorRestart(ctx, SERVER, t, 300, 'rebuild');
  }
  if (rng.chance(0.4)) {
    const t = when();
    const clientsFirst = rng.chance(0.3);
    d.serverSchema = [[t, 2]];
    operatorRestart(ctx, SERVER, t, 200, 'schema 2');
    d.clientSchema = {};
    for (const id of clients) {
      const at = clientsFirst ? Math.max(200, t - rng.range(300, 1_500)) : t + rng.range(300, 1_500);
      d.clientSchema[id] = [[at, 2]];
      operatorRestart(ctx, id, at, 100, 'schema 2');
    }
  }
  ctx.shared.set(DRAWN, d);
}

const TABLES = ['book', 'customer'] as const;
const COLUMNS = ['title', 'price', 'note'] as const;
/** Rows per table the workload writes (a small pool: concurrent edits of the same cells). */
const ROWS = 20;

/**
 * The user writes `value` into a cell at client `id`, if it runs: recorded first as `workload.cs-write`
 * (the workload's own record of what the user wrote where: invariant:pushes-were-written holds every client
 * change the server logs against it), then written. Null when the client is not running.
 */
export function userWrite(ctx: ScenarioContext, id: string, table: string, pk: string, col: string, value: string): Promise<number> | null {
  const h = ctx.handle<ClientHandle>(id);
  if (h === null) return null;
  ctx.emit('workload.cs-write', { node: id, table, pk, col, value });
  return h.write(table, pk, col, value);
}

/**
 * `count` local writes on random clients (those up), one every `everyMs` from `fromMs`; `tag` tells the
 * values of one call from another's (a write k of two calls would otherwise write the same value).
 */
export function clientWrites(ctx: ScenarioContext, clients: readonly string[], count: number, fromMs: number, everyMs: number, tag = ''): void {
  const n = Math.max(1, Math.round(count * ctx.workloadScale));
  for (let k = 0; k < n; k++) {
    ctx.at(fromMs + k * everyMs, () => {
      const id = ctx.rng.pick(clients);
      if (ctx.handle<ClientHandle>(id) === null) return;
      const table = ctx.rng.pick(TABLES);
      const pk = `${table}-${ctx.rng.int(ROWS)}`;
      userWrite(ctx, id, table, pk, ctx.rng.pick(COLUMNS), `${id}#${tag}${k}`)?.catch((e: unknown) => ctx.emit('workload.write-failed', { node: id, error: String(e) }));
    });
  }
}

/**
 * A workload that goes quiet: `bursts` bursts of `perBurst` local writes on random clients, `everyMs`
 * apart (faster than a push is acknowledged, so writes land while a push is in flight), each burst
 * followed by `quietMs` without a write. A write left unsent at the end of a burst stays unsent through
 * the quiet window: invariant 2 (green-pushes) sees it, where a steady stream of writes would flush it.
 */
export function burstWrites(ctx: ScenarioContext, clients: readonly string[], o: { fromMs: number; bursts: number; perBurst: number; everyMs: number; quietMs: number }): void {
  const burstMs = o.perBurst * o.everyMs + o.quietMs;
  for (let b = 0; b < o.bursts; b++) clientWrites(ctx, clients, o.perBurst, o.fromMs + b * burstMs, o.everyMs, `b${b}.`);
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
      h.exec(batch).then(
        () => ctx.emit('workload.server-exec', { node: SERVER, rows: batch.map((r) => [r.table, r.pk, r.col, r.value]) }),
        (e: unknown) => ctx.emit('workload.write-failed', { node: SERVER, error: String(e) }),
      );
    });
  }
}

/**
 * The operator edits rows the clients write too: `count` writes on the server (1 to 3 random cells of the
 * clients' tables each), `everyMs` apart from `fromMs`. Each replaces whatever the cell holds, so the
 * server must log it above every earlier version of the cell (invariant:operator-writes-win).
 */
export function operatorEdits(ctx: ScenarioContext, count: number, fromMs: number, everyMs: number): void {
  for (let k = 0; k < count; k++) {
    ctx.at(fromMs + k * everyMs, () => {
      const h = ctx.handle<ServerHandle>(SERVER);
      if (h === null) return;
      const batch: ServerRow[] = [];
      const n = 1 + ctx.rng.int(3);
      for (let i = 0; i < n; i++) {
        const table = ctx.rng.pick(TABLES);
        batch.push({ table, pk: `${table}-${ctx.rng.int(ROWS)}`, col: ctx.rng.pick(COLUMNS), value: `op#${k}.${i}` });
      }
      h.exec(batch).then(
        () => ctx.emit('workload.server-exec', { node: SERVER, rows: batch.map((r) => [r.table, r.pk, r.col, r.value]) }),
        (e: unknown) => ctx.emit('workload.write-failed', { node: SERVER, error: String(e) }),
      );
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

/** The user clicks Nuke and Resync on `client` at `atMs` if its footer shows stuck (traced as workload.nuke). */
export function nukeIfStuck(ctx: ScenarioContext, client: string, atMs: number): void {
  ctx.at(atMs, () => {
    const h = ctx.handle<ClientHandle>(client);
    const s = h?.status().status;
    if (h === null || s !== 'stuck') return;
    ctx.emit('workload.nuke', { node: client, status: s });
    h.nuke().catch((e: unknown) => ctx.emit('workload.nuke-failed', { node: client, error: String(e) }));
  });
}

/** When C1 writes its 5 changes in `nukeAfterHang`: from `fromMs`, one every `everyMs`, keyed `<tag>-k`. */
export interface HangWrites {
  fromMs: number;
  everyMs: number;
  tag: string;
}

/**
 * Nuke and Resync against a server that hangs: S paused from 1 s to 10 s (connections open, no handshake
 * completes), C2 writing throughout, C1 writing 5 changes (`writes`); three failed handshakes make C1
 * stuck, the user clicks Nuke and Resync at 9.8 s, just before the server answers again, and the Nuke
 * must push the 5 before the wipe (expect:C1-nuke-pushed-first). The scenarios differ in when C1 writes
 * (cs-nuke-push-first: on its last green connection; cs-nuke-push-unsent: after it closed).
 */
export function nukeAfterHang(name: string, description: string, writes: HangWrites): Scenario {
  const two = clientIds(2);
  return {
    name,
    description,
    suites: ['ci', 'default', 'nightly'],
    topology: csTopology(two),
    program: csProgram(),
    seams: CS_SEAMS,
    workload: (ctx) => {
      clientWrites(ctx, ['C2'], 20, 300, 200);
      for (let k = 0; k < 5; k++) ctx.at(writes.fromMs + k * writes.everyMs, () => void userWrite(ctx, 'C1', 'book', `${writes.tag}-${k}`, 'title', `${writes.tag} ${k}`)?.catch(() => {}));
      nukeIfStuck(ctx, 'C1', 9_800);
    },
    faults: { events: [{ kind: 'pause', atMs: 1_000, node: SERVER, durationMs: 9_000 }] },
    durationMs: 13_000,
    liveness: allSynced(two),
    ...csChecking(two),
    checks: [...csChecking(two).checks, statusSeen('C1', ['stuck'], 1_000, 8_800, 'stuck before the nuke'), nukePushedFirst('C1', two)],
  };
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

/** What a client-server scenario of the usual shape says of itself (`csScenario` adds the rest). */
export interface CsScenarioSpec extends Pick<Scenario, 'name' | 'description' | 'suites' | 'workload' | 'faults' | 'durationMs'> {
  /** The clients (C1..Cn). */
  clients: readonly string[];
  /** The world, when it is not `csTopology(clients)`. */
  topology?: Topology;
  /** The operator's schedule. */
  deploy?: Deployment;
  /** The scenario's own expectations (`statusSeen`), beside the area's checks. */
  expect?: readonly Check[];
}

/**
 * A client-server scenario of the usual shape: S, M and the clients, each built by `csProgram(deploy)`
 * (clients through the seam), the area's evidence, checks and model, and liveness: every client synced
 * and equal to the server within 20 s of healing.
 */
export function csScenario(spec: CsScenarioSpec): Scenario {
  const { clients, topology, deploy, expect, ...own } = spec;
  const checking = csChecking(clients);
  return {
    ...own,
    topology: topology ?? csTopology(clients),
    program: csProgram(deploy),
    seams: CS_SEAMS,
    liveness: allSynced(clients),
    ...checking,
    checks: [...checking.checks, ...(expect ?? [])],
  };
}

/** The scenarios' own expectations live in src/model/clientserver (status-seen.ts): re-exported for them. */
export { statusSeen };
