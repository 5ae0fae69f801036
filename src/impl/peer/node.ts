/**
 * A peer sync node: recovery, then backfill (joining device) or Ready (founder, or restart of a complete
 * device), then live sync with incremental catch-up on every (re)connection and heartbeat that shows a
 * peer wrote something newer than our watermark.
 */
import type { Env } from '../env.ts';
import { Backfill } from './backfill.ts';
import { Catchup } from './catchup.ts';
import { buildCore, metaKey, reportFailure, retrying, table, type Core } from './core.ts';
import { Links, type PeerLinkState } from './links.ts';
import type { PeerMessage } from './messages.ts';
import { MetricsRecorder, type MetricsSnapshot, type StoredSnapshot } from './metrics.ts';
import { resolvePeerOptions, type PeerOptions } from './options.ts';
import { Receiver } from './receive.ts';
import type { PeerNode } from './seam.ts';
import type { SyncRecord } from './records.ts';
import { emptyWrites, PeerStore } from './store.ts';
import { TransactionManager } from './transactions.ts';

/**
 * The API the built-in peer node offers: the seam's `PeerNode` (seam.ts: what the workloads and the checks
 * call, documented for a port) and the built-in's own diagnostics, which no stock check reads.
 */
export interface PeerHandle extends PeerNode {
  /** This device's id. */
  readonly deviceId: string;
  /** Records of a resource (tombstones included). */
  count(resource: string): number;
  /** Digest of one table. */
  digestOf(resource: string): string;
  /** Peers with an open connection. */
  connectedPeers(): string[];
  /** Connection state, measured RTT, score and retry queue of every peer. */
  peers(): PeerLinkState[];
  /** Own shared changes not yet pruned. */
  logSize(resource: string): number;
  /** Sync metrics: counters (continued from the latest snapshot saved before this start) and measured RTTs. */
  metrics(): MetricsSnapshot;
  /**
   * Clean-stop hook: saves a final metrics snapshot and resolves once it is durable (or failed: it never
   * rejects). Sync goes on until the host ends the process, which it may do once this resolves.
   */
  stop(): Promise<void>;
}

/** Starts a peer sync node; resolves with its handle once recovery is done. */
export async function startPeerNode(env: Env, options: PeerOptions): Promise<PeerHandle> {
  const cfg = resolvePeerOptions(options);
  const store = new PeerStore(env.kv);
  // The latest metrics snapshot is read alongside the data, in a transaction of its own; failing to read
  // it only starts the counters at zero.
  const [loaded, latest] = await Promise.all([
    retrying(env, 'load', cfg.reconnectMs, () => store.load()),
    store.loadMetrics().catch((e: unknown): StoredSnapshot | null => {
      env.trace.emit('peer.metrics.error', { what: 'load', error: String((e as Error)?.message ?? e).slice(0, 120) });
      return null;
    }),
  ]);
  const core = buildCore(env, cfg, store, loaded);
  const parts = wire(core);
  core.metrics.c.starts++;
  parts.recorder.restore(latest);
  parts.links.start();
  env.clock.setInterval(() => parts.receiver.resendUnacked(), cfg.ackTimeoutMs / 2);
  parts.recorder.startPeriodic(cfg.metricsSnapshotMs);
  await start(core, parts);
  return handle(core, parts);
}

interface Parts {
  links: Links;
  receiver: Receiver;
  catchup: Catchup;
  tx: TransactionManager;
  backfill: Backfill;
  recorder: MetricsRecorder;
}

function wire(core: Core): Parts {
  const parts = {} as Parts;
  parts.links = new Links(core, {
    onMessage: (peer, msg) => onMessage(core, parts, peer, msg),
    onConnected: () => undefined, // the hello heartbeat on connect drives catch-up
    onDisconnected: () => undefined, // backfill workers see their requests fail and switch
  });
  parts.receiver = new Receiver(core, parts.links, (peer) => parts.catchup.run(peer));
  parts.catchup = new Catchup(core, parts.links, parts.receiver);
  parts.tx = new TransactionManager(core, parts.links);
  // Once ready, the peers' next heartbeats drive catch-up (their digests let us adopt watermarks for
  // streams the backfill already brought, instead of fetching them again).
  parts.backfill = new Backfill(core, parts.links, parts.receiver, () => undefined);
  const { env, cfg } = core;
  parts.recorder = new MetricsRecorder(env, cfg.library, core.store, core.metrics, () => parts.links.rtts(), cfg.metricsSnapshotsKept);
  return parts;
}

async function start(core: Core, parts: Parts): Promise<void> {
  const { env, cfg } = core;
  const complete = core.meta.get(metaKey.init) === true;
  if (complete || (cfg.founder && !core.meta.has(metaKey.checkpoint))) {
    if (!complete) {
      const init = (): Promise<unknown> => core.store.commit(() => ({ ...emptyWrites(), meta: [{ key: metaKey.init, value: true }] }), () => core.meta.set(metaKey.init, true));
      await retrying(env, 'init', cfg.reconnectMs, init);
    }
    await parts.backfill.drainBuffer();
    core.state = 'ready';
    env.trace.emit('peer.sync.ready', { reason: complete ? 'restart' : 'founder', records: totalRecords(core) });
    return;
  }
  parts.backfill.run().catch(reportFailure(env, 'backfill'));
}

/** Weakened variant 'peer-echo-shared' only: the (uuid, value) pairs each device already echoed. */
const echoed = new WeakMap<Core, Set<string>>();

/** Weakened variant 'peer-echo-shared': writes `change` again as this device's own, once per value. */
function echo(core: Core, parts: Parts, resource: string, change: SyncRecord): void {
  if (change.data === null || change.writer === core.env.deviceId) return;
  let seen = echoed.get(core);
  if (seen === undefined) echoed.set(core, (seen = new Set()));
  const k = `${change.uuid}|${change.data}`;
  if (seen.has(k)) return;
  seen.add(k);
  void parts.tx.commitShared(resource, [{ uuid: change.uuid, data: change.data }]).catch(() => undefined);
}

function onMessage(core: Core, parts: Parts, peer: string, msg: PeerMessage): void {
  const { receiver, catchup } = parts;
  switch (msg.type) {
    case 'StateChange':
      return receiver.onLive(peer, msg.resource, [msg.record], { kind: 'owned', prev: msg.prev }, msg.type);
    case 'StateBatch':
      return receiver.onLive(peer, msg.resource, msg.records, { kind: 'owned', prev: msg.prev }, msg.type);
    case 'SharedChange':
      receiver.onLive(peer, msg.resource, [msg.change], { kind: 'shared', prev: msg.prev }, msg.type);
      // Weakened variant 'peer-echo-shared': a shared change received from another device is written once
      // more as this device's own (an echo).
      if (core.cfg.variant === 'peer-echo-shared') echo(core, parts, msg.resource, msg.change);
      return;
    case 'SharedChangeBatch':
      return receiver.onLive(peer, msg.resource, msg.changes, { kind: 'shared', prev: msg.prev }, msg.type);
    case 'StateRequest':
    case 'SharedChangeRequest':
      return receiver.serve(peer, msg);
    case 'AckSharedChanges':
      receiver.onAck(peer, msg).catch(reportFailure(core.env, 'ack'));
      return;
    case 'Heartbeat':
      if (!receiver.observe(peer, [{ uuid: '', writer: peer, ts: msg.hlc, data: null }], msg.type)) return;
      if (core.state === 'ready') catchup.onHeartbeat(peer, msg).catch(reportFailure(core.env, 'watermark'));
      return;
    default:
      return; // responses and errors are handled by the links
  }
}

function totalRecords(core: Core): number {
  let n = 0;
  for (const t of core.tables.values()) n += t.size;
  return n;
}

function handle(core: Core, parts: Parts): PeerHandle {
  return {
    deviceId: core.env.deviceId,
    writeOwned: (resource, items) => parts.tx.commitOwned(resource, items),
    writeShared: (resource, items) => parts.tx.commitShared(resource, items),
    get: (resource, uuid) => table(core, resource).get(uuid),
    count: (resource) => table(core, resource).size,
    records: (resource) => table(core, resource).all(),
    resources: () => core.cfg.resourceOrder,
    digest: () => core.cfg.resourceOrder.map((r) => `${r}=${table(core, r).digest()}`).join(' '),
    digestOf: (resource) => table(core, resource).digest(),
    state: () => core.state,
    progress: () => parts.backfill.progress(),
    connectedPeers: () => parts.links.connectedByScore().sort(),
    peers: () => parts.links.states(),
    logSize: (resource) => core.log.get(resource)?.length ?? 0,
    metrics: () => core.metrics.snapshot(parts.links.rtts()),
    stop: () => parts.recorder.save('stop'),
  };
}
