/**
 * The peer-node seam (`Implementations.peer`, src/scenario/implementations.ts): a whole peer sync node,
 * someone else's or a port's, run by the stock peer scenarios in place of the built-in one and judged by
 * the same model, invariants and liveness. Guide: docs/peer-sync.md, "Plugging in another peer node".
 *
 * WHAT TO IMPLEMENT. A `PeerNodeFactory` `(env, options) => Promise<PeerNode>`: start one node of a
 * library over `env` (src/impl/env.ts; use nothing else: no globals, no real clock or network), recover
 * what its kv store holds, and resolve with its handle once recovery is done. The scenario calls it at
 * every start of a node (a restart after a crash is a new call over the same device's kv store). Options
 * the node must honour: `library` (every message carries it; refuse another), `peers` (the other members'
 * device ids = their network addresses), `resources` (name -> 'owned' | 'shared'), `founder` (starts with
 * an empty complete library instead of backfilling), `batchSize` (the largest batch it sends or asks for:
 * invariant:catchup-delta allows one batch beyond the delta) and `maxDriftMs` (invariant:hlc-drift judges
 * rejections against it). The others (`heartbeatMs`, `reconnectMs`, timeouts, `retryQueueMax`,
 * `bufferMax`, `logMax`, metrics) are the built-in's tuning: a port may follow or ignore them. `variant`
 * names the built-in's weakened variants (docs/peer-sync.md): ignore it. `hlc` is never given: a plugged
 * node brings its own clock, and `peerProgram` refuses to plug both seams (the `hlc` seam is the built-in
 * node's).
 *
 * WHAT TO TRACE (`env.trace.emit(kind, fields)`; fields: src/trace/schema/peer.ts, docs/trace-schema.md).
 * The checks and the backfill model read the implementation's trace only as claims of what it does; the
 * simulator's evidence (below) says whether that was allowed. Every `peer.*` kind is a closed vocabulary:
 * one that no check or model reads and that is not in `PEER_IGNORES` (src/model/peer/backfill-model.ts)
 * fails the run, so use exactly these kinds and fields:
 * - `peer.sync.ready {reason, records?, overflowed?}` the moment the node holds a complete library (founder
 *   at start, restart of a durably complete device, or end of a backfill). Not traced: the backfill model
 *   stays in `uninitialized`, refuses the node's first `peer.applied` there (model:backfill), or fails
 *   liveness naming the device (a hot state).
 * - local writes: `peer.commit.begin {resource, hlc, n}` before the kv commit, `peer.commit {resource, kind,
 *   hlc, first?, n}` after it (`first`/`hlc`: the first and last HLC of a shared write; an owned write has
 *   one HLC) — invariant:hlc, invariant:catchup-delta;
 * - receives: `peer.applied {from, resource, n, won, maxTs}` once a live change is durable;
 *   `peer.catchup.begin|batch|done {peer, writer, resource, ...}` for incremental catch-up (`peer` serves,
 *   `writer` wrote) — invariant:hlc, invariant:catchup-delta; `peer.watermark {peer, resource, ts, via?,
 *   adopted?}` — invariant:watermark-received;
 * - `peer.log.prune {resource, upTo, count}` when it forgets own shared changes — invariant:prune-after-all-acks;
 * - backfill (joiners): `peer.backfill.begin|assign|recv|batch|peer-lost|pause|resume|complete` and
 *   `peer.buffer.push|overflow|applied` — model:backfill, invariant:backfill-progress,
 *   invariant:buffer-exactly-once; `recv` as a batch's transaction is issued, `batch` once the batch and
 *   its checkpoint are durable;
 * - `peer.hlc.rejected {from, remote, aheadMs}` when it refuses a remote HLC — invariant:hlc-drift;
 *   `peer.msg.rejected {from, code, type, reason}` per refused message — peer-rogue-messages.
 * Which of these the backfill model accepts in which of its states (anything else fails `model:backfill`
 * naming the guard): docs/guides/backfill.md, generated from the model. A check that nothing exercised
 * passes vacuously (the built-in node without its `peer.commit` records passes peer-partition-heal with
 * invariant:hlc exercised 0 times): trace what the node does, and compare the run's `exercised` counts
 * (RunResult.exercised, the report) with the built-in's.
 *
 * THE EVIDENCE CONTRACT (what the simulator's decoders read, independently of this code: keep it field for
 * field, byte for byte where it says so):
 * - The wire (src/evidence/peer-wire.ts -> fact.peer.request|response|change|heartbeat|ack): messages are
 *   JSON objects `{type, library, from, ...}` as in src/impl/peer/messages.ts (docs/peer-sync.md,
 *   Messages). Read: StateRequest/SharedChangeRequest `{reqId: number, resource, writer: string|null (null
 *   = full scan), since}` (`since`: `{ts, uuid}` | null for owned, an HLC string | null for shared);
 *   StateResponse/SharedChangeResponse `{reqId (the request's), resource, records | changes, hasMore,
 *   totals: {resource: number} | null}`; StateChange `record`, StateBatch `records`, SharedChange `change`,
 *   SharedChangeBatch `changes`, each with `resource`; Heartbeat `{boot, seq, ready, hlc, latest:
 *   {resource: {ts, uuid} | null}}` (over datagrams and as the first message of every connection);
 *   AckSharedChanges `{resource, upTo}`. A record on the wire is `{u: uuid, w: writer, t: HLC, d: string |
 *   null}` (null: a tombstone). A message that does not decode leaves no fact, and that is no leniency:
 *   a claim that needs a fact is refused (a prune no delivered acknowledgement allows fails
 *   invariant:prune-after-all-acks, a backfill batch no delivered response explains fails model:backfill),
 *   while the wire-only checks (resend-unacked, watermark-received, the wire half of hlc-drift) see
 *   nothing to judge. Keep the format.
 * - HLCs are strings `PPPPPPPPPPPPPPP-CCCCCC-device` (hlc.ts, formatHlc): the checks compare them as
 *   strings, so their string order must be the HLC order. Records are ordered by the key (ts, uuid).
 * - The kv store (src/evidence/peer-store.ts -> fact.peer.store, fact.peer.acks; invariant:memory-is-durable,
 *   invariant:ready-serves-durable):
 *   object store `rec`, key `<resource>/<uuid>`, value `{u, w, t, d}` (the record the node shows);
 *   object store `meta`: key `init` = `true` once the device durably holds a complete library, key
 *   `checkpoint` = `{<resource>: {cursor: {ts, uuid} | null, done: boolean, ...}}` while a backfill is
 *   unfinished (absent otherwise), keys `ack/<peer>/<resource>` = the HLC up to which that peer
 *   acknowledged our shared changes. Commits that change `meta` use 'strict' durability (the facts are
 *   read after each strict commit touching `meta`, and when relaxed ones settle). Other stores and keys
 *   are the node's own (the built-in's are in store.ts).
 * - The clock: every HLC a node puts on the wire is judged against its device's true wall clock
 *   (fact.clock); use `env.clock`, never the host's.
 *
 * THE HANDLE (`PeerNode`): exactly what the stock workloads, liveness conditions and the checks that read
 * nodes call: at the end of a run invariant:acked-not-lost, invariant:converged and
 * invariant:memory-is-durable, and right after every `peer.sync.ready` invariant:ready-serves-durable
 * (`get`; src/model/peer/ acked-not-lost.ts, converged.ts, memory-is-durable.ts, ready-serves-durable.ts;
 * peer-view.ts `PeerView`). The checks compare what it shows with the workload's record of acknowledged
 * writes, with the other nodes and with the device's kv image (`rec`), never with the node's own
 * bookkeeping.
 */
import type { Env } from '../env.ts';
import { describeValue, notAFactory, SeamError } from '../seam/seam-error.ts';
import type { Progress } from './backfill.ts';
import type { SyncState } from './core.ts';
import { startPeerNode } from './node.ts';
import type { PeerOptions } from './options.ts';
import type { SyncRecord } from './records.ts';
import type { WriteItem } from './transactions.ts';

/** The handle a peer node resolves with: what the workloads and the end-of-run checks call. */
export interface PeerNode {
  /**
   * Writes device-owned records of `resource` (items `{uuid, data}`, data a string) in one transaction;
   * resolves with its HLC (every record of the batch carries it as `ts`) once it is durable (strict): the
   * workload records each as acknowledged, and invariant:acked-not-lost then wants it (or a newer version)
   * on every device. Rejects while the node is not ready or for an unknown resource (the workload counts a
   * rejection as a failed write, not a loss).
   */
  writeOwned(resource: string, items: readonly WriteItem[]): Promise<string>;
  /**
   * Writes shared records (data null deletes: the tombstone is final, invariant:no-resurrection); resolves
   * once durable with one HLC per item that took effect, in item order (an item that loses to the version
   * held, e.g. an update of a deleted record, is left out). Rejects like `writeOwned`.
   */
  writeShared(resource: string, items: readonly WriteItem[]): Promise<string[]>;
  /** The version the node serves of a record (tombstone: `data` null), or undefined. */
  get(resource: string, uuid: string): SyncRecord | undefined;
  /** Every record the node serves of a resource, tombstones included, each uuid once, in any order. */
  records(resource: string): readonly SyncRecord[];
  /** The library's resource names (the checks walk them; any order, every one). */
  resources(): readonly string[];
  /**
   * A digest of all its data: equal data gives equal digests (liveness compares them; the checks compare
   * `records()`, so a weak digest delays nothing but the liveness verdict's precision).
   */
  digest(): string;
  /** Its sync state: the checks and workloads only ask whether it is 'ready' (holds a complete library). */
  state(): SyncState;
  /** Backfill progress, for liveness messages only (no check reads it: progress is judged from the trace). */
  progress(): Progress;
}

/** Starts a peer node over `env`; resolves with its handle once recovery is done (docs at the top of this file). */
export type PeerNodeFactory = (env: Env, options: PeerOptions) => Promise<PeerNode>;

/** The built-in node (node.ts): the default when no `peer` implementation is plugged in. */
export const builtInPeerNode: PeerNodeFactory = startPeerNode;

/** The handle's methods, as `startPlugged` checks them. */
export const PEER_NODE_METHODS = ['writeOwned', 'writeShared', 'get', 'records', 'resources', 'digest', 'state', 'progress'] as const satisfies readonly (keyof PeerNode)[];

/** A plugged-in peer node broke the seam's contract (the message names the seam and what is wrong). */
export class PeerSeamError extends SeamError {
  override name = 'PeerSeamError';
  constructor(message: string) {
    super('peer', message);
  }
}


/**
 * Starts a plugged-in node through `factory` and checks what it gives: a promise (a synchronous throw or
 * another value is refused), resolving with an object that has every method of `PeerNode`. A refusal is a
 * `PeerSeamError` naming the seam, which the simulator turns into a crash verdict of the run.
 */
export function startPlugged(factory: PeerNodeFactory, env: Env, options: PeerOptions): Promise<PeerNode> {
  const where = `the node of ${env.deviceId}`;
  const why = notAFactory(factory, 'a PeerNodeFactory (env, options) => Promise<PeerNode>', (name) => `(env, options) => ${name}.start(env, options)`);
  if (why !== null) throw new PeerSeamError(`${where}: ${why}`);
  let started: unknown;
  try {
    started = factory(env, options);
  } catch (e) {
    throw new PeerSeamError(`${where}: the factory threw instead of returning a Promise<PeerNode>: ${String((e as Error)?.message ?? e)}`);
  }
  if (typeof (started as { then?: unknown } | null)?.then !== 'function') {
    throw new PeerSeamError(`${where}: the factory must return a Promise<PeerNode> (src/impl/peer/seam.ts), got ${describeValue(started)}`);
  }
  return (started as Promise<unknown>).then((node) => {
    if (typeof node !== 'object' || node === null) throw new PeerSeamError(`${where} resolved with ${describeValue(node)}, not a PeerNode (src/impl/peer/seam.ts)`);
    const missing = PEER_NODE_METHODS.filter((m) => typeof (node as Record<string, unknown>)[m] !== 'function');
    if (missing.length > 0) throw new PeerSeamError(`${where} lacks ${missing.join(', ')} (a PeerNode has ${PEER_NODE_METHODS.join(', ')}: src/impl/peer/seam.ts)`);
    return node as PeerNode;
  });
}
