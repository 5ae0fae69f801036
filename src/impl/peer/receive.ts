/**
 * The receive path: live changes (applied when ready, buffered otherwise), requests served from the
 * tables, acknowledgements and ACK-based pruning of the own log, and resending changes a connected peer
 * has not acknowledged within `ackTimeoutMs` (the durable log is the retry store of shared changes).
 *
 * Live shared changes carry `prev`, their writer's previous change in the resource. A receiver that holds
 * the writer's chain up to `prev` (its `contig` point) extends it and acknowledges `upTo` the new point;
 * a gap (a change lost with a broken connection) is not acknowledged and triggers a catch-up from the
 * writer instead. Applying is order-insensitive (records.ts merge rule), so a gap never corrupts state.
 */
import { HlcDriftError, parseHlc } from './hlc.ts';
import { maxHlc, metaCursor, metaKey, metaString, reportFailure, table, watermarkKey, type Core } from './core.ts';
import type { Links } from './links.ts';
import type {
  AckSharedChangesMsg,
  SharedChangeRequestMsg,
  StateRequestMsg,
} from './messages.ts';
import { compareKey, winnersOf, type Cursor, type SyncRecord } from './records.ts';
import { emptyWrites } from './store.ts';

/** How a live change links to its writer's previous one: owned changes name a key, shared ones an HLC. */
export type Chain = { kind: 'owned'; prev: Cursor | null } | { kind: 'shared'; prev: string | null };

/** A live change waiting for backfill to finish. */
export interface Buffered {
  id: string;
  from: string;
  resource: string;
  record: SyncRecord;
}

/** Receives, applies, buffers, serves and acknowledges. */
export class Receiver {
  /** Live updates buffered while not ready, by id (a resent change is buffered once). */
  readonly buffer = new Map<string, Buffered>();
  /** Set when the buffer overflowed: catch-up from every peer is required after backfill. */
  overflowed = false;
  /** Peer -> resource -> monotonic ms since which it has left our head unacknowledged. */
  private readonly unackedSince = new Map<string, Map<string, number>>();
  /** This process found a complete library in its store (a restart; read by a weakened variant only). */
  private readonly restarted: boolean;

  constructor(
    private readonly core: Core,
    private readonly links: Links,
    private readonly requestCatchup: (peer: string) => void,
  ) {
    this.restarted = core.meta.get(metaKey.init) === true;
  }

  /**
   * Observes the largest HLC in `records`; on too much drift answers an Error, traces it and returns false
   * (the message is then not applied).
   */
  observe(from: string, records: readonly SyncRecord[], ref: string): boolean {
    let max: string | null = null;
    // Weakened variant 'peer-observe-batch-min': the clock observes a batch's smallest timestamp.
    const least = this.core.cfg.variant === 'peer-observe-batch-min';
    for (const r of records) if (max === null || (least ? r.ts < max : r.ts > max)) max = r.ts;
    if (max === null) return true;
    // A heartbeat's one pseudo-record carries only its clock: it is no change.
    const changes = ref === 'Heartbeat' ? 0 : records.length;
    try {
      this.core.clock.observe(parseHlc(max));
      this.core.metrics.c.changesReceived += changes;
      return true;
    } catch (e) {
      if (!(e instanceof HlcDriftError)) throw e;
      this.core.env.trace.emit('peer.hlc.rejected', { from, remote: max, aheadMs: e.aheadMs });
      this.core.metrics.rejectMessage('clock-drift');
      this.core.metrics.rejectChanges('clock-drift', changes);
      this.core.env.trace.probe('peer.hlc-drift-rejected');
      this.links.sendError(from, 'clock-drift', e.message, ref, null);
      return false;
    }
  }

  /** A live change (StateChange/Batch or SharedChange/Batch) from its writer. */
  onLive(from: string, resource: string, records: readonly SyncRecord[], chain: Chain, ref: string): void {
    if (!this.observe(from, records, ref)) return;
    if (this.core.state !== 'ready') {
      this.bufferAll(from, resource, records);
      return;
    }
    // A failed apply (storage error) leaves the watermark where it was: catch-up fetches it again.
    this.applyLive(from, resource, records, chain).catch(reportFailure(this.core.env, 'apply'));
  }

  private async applyLive(from: string, resource: string, records: readonly SyncRecord[], chain: Chain): Promise<void> {
    const { core } = this;
    const ckey = metaKey.contig(from, resource);
    const wmKey = watermarkKey(core, from, resource);
    let contig: string | null = null;
    const done = await core.store.commit(
      () => {
        const w = emptyWrites();
        for (const record of winnersOf(table(core, resource), records)) w.records.push({ resource, record });
        const last = maxKeyOf(records);
        const wm = metaCursor(core, wmKey);
        // Contiguous with what we hold of the writer's own stream: the watermark may follow. (Weakened variant
        // 'peer-watermark-over-gap': it follows every live change, over a gap too.)
        const contiguous = core.cfg.variant === 'peer-watermark-over-gap' || follows(chain, wm, core.cfg.variant === 'peer-watermark-ts-only');
        if (contiguous && (wm === null || compareKey(last, wm) > 0)) w.meta.push({ key: wmKey, value: { ts: last.ts, uuid: last.uuid } });
        if (chain.kind === 'shared') {
          const cur = metaString(core, ckey);
          // Weakened variant 'peer-ack-over-gap': the chain follows (and is acknowledged) over a gap too.
          if (chain.prev === null || (cur !== null && chain.prev <= cur) || core.cfg.variant === 'peer-ack-over-gap') contig = maxHlc(cur, last.ts);
          if (contig !== null && contig !== cur) w.meta.push({ key: ckey, value: contig });
        }
        // peer.recv as the transaction is issued (a crash right after it became durable leaves no untraced
        // watermark); peer.applied once it is durable (what took effect).
        core.env.trace.emit('peer.recv', { from, resource, n: records.length, maxTs: last.ts });
        return w;
      },
      (w) => {
        const t = table(core, resource);
        for (const { record } of w.records) t.merge(record);
        for (const m of w.meta) core.meta.set(m.key, m.value!);
        core.metrics.applied(records.length, w.records.length);
        core.env.trace.emit('peer.applied', { from, resource, n: records.length, won: w.records.length, maxTs: maxKeyOf(records).ts });
        return true;
      },
    );
    if (done === null || chain.kind !== 'shared') return;
    if (contig !== null) this.sendAck(from, resource, contig);
    else {
      core.env.trace.emit('peer.chain.gap', { from, resource, prev: chain.prev });
      core.env.trace.probe('peer.chain-gap');
      this.requestCatchup(from);
    }
  }

  /** Acknowledges to `writer` every change of it in `resource` up to `upTo`. */
  sendAck(writer: string, resource: string, upTo: string): void {
    const { cfg, env } = this.core;
    const msg: AckSharedChangesMsg = { type: 'AckSharedChanges', library: cfg.library, from: env.deviceId, resource, upTo };
    if (this.links.send(writer, msg)) {
      this.core.metrics.c.acksSent++;
      env.trace.emit('peer.ack.send', { to: writer, resource, upTo });
    }
  }

  // ------------------------------------------------------------------ buffer (during backfill)

  private bufferAll(from: string, resource: string, records: readonly SyncRecord[]): void {
    const { core } = this;
    for (const r of records) {
      // Weakened variant 'peer-buffer-dedup-by-ts': updates told apart by their timestamp alone, so the
      // records of one owned transaction (one ts) after the first are taken for duplicates and dropped.
      const id = core.cfg.variant === 'peer-buffer-dedup-by-ts' ? `${resource}@${r.ts}` : `${resource}:${r.uuid}@${r.ts}`;
      if (this.buffer.has(id)) continue;
      if (this.buffer.size >= core.cfg.bufferMax) this.onOverflow();
      this.buffer.set(id, { id, from, resource, record: r });
      core.metrics.c.changesBuffered++;
      core.env.trace.emit('peer.buffer.push', { id });
    }
  }

  private onOverflow(): void {
    const { core } = this;
    if (core.cfg.variant === 'peer-buffer-drop-oldest') {
      const oldest = this.buffer.keys().next().value;
      if (oldest !== undefined) this.buffer.delete(oldest); // silently: the weakened variant
      return;
    }
    // Never a silent drop: discard visibly and force a catch-up from every peer after backfill, which
    // re-fetches everything newer than the watermarks (live updates never move watermarks).
    core.env.trace.emit('peer.buffer.overflow', { discarded: this.buffer.size, bufferMax: core.cfg.bufferMax });
    core.env.trace.probe('peer.buffer-overflow');
    this.buffer.clear();
    this.overflowed = true;
  }

  // ------------------------------------------------------------------ serving requests

  /**
   * Serves a StateRequest or SharedChangeRequest from the tables; a full scan (a backfill) only once ready
   * (else Error `busy`). A request for another writer's stream (a
   * relay: `writer` is neither null nor us) is served only up to our watermark for that writer, the prefix
   * of its stream we hold completely (nothing without one): past it we may hold its later records but not
   * the ones in between, and the requester's watermark would skip them.
   */
  serve(from: string, req: StateRequestMsg | SharedChangeRequestMsg): void {
    const { core } = this;
    // Weakened variant 'peer-serve-while-backfilling': only a device that has not begun serves no backfill.
    const serving = core.cfg.variant === 'peer-serve-while-backfilling' ? core.state !== 'uninitialized' : core.state === 'ready';
    if (req.writer === null && !serving) {
      // A full scan is a backfill: only a device holding the whole library serves one (its heartbeats say
      // `ready`); this one would serve part of it as if it were all.
      this.links.sendError(from, 'busy', `${core.env.deviceId} is ${core.state}: it does not serve backfills yet`, req.type, req.reqId);
      return;
    }
    // A shared HLC names one change: the cursor just after it is (hlc, the largest possible uuid).
    const since: Cursor | null =
      req.type === 'StateRequest' ? req.since : req.since === null ? null : { ts: req.since, uuid: AFTER_ANY_UUID };
    const relay = req.writer !== null && req.writer !== core.env.deviceId;
    const until = relay ? metaCursor(core, watermarkKey(core, req.writer!, req.resource)) : null;
    const t = table(core, req.resource);
    if (relay) {
      const held = t.latestBy(req.writer!);
      if (held !== null && (until === null || compareKey(held, until) > 0)) core.env.trace.probe('peer.relay-bounded');
    }
    // Weakened variant 'peer-relay-past-watermark': a relay serves everything it holds of the writer.
    const pastMark = core.cfg.variant === 'peer-relay-past-watermark';
    const { records, remaining } =
      relay && until === null && !pastMark
        ? { records: [], remaining: 0 }
        : t.scan(since, req.writer, Math.min(req.limit, core.cfg.batchSize), pastMark ? null : until);
    // A full scan (a backfill) learns what to expect of every resource from any response.
    const totals = req.writer === null ? Object.fromEntries(core.cfg.resourceOrder.map((r) => [r, table(core, r).size])) : null;
    // Weakened variant 'peer-has-more-off-by-one': the last record left is taken for none.
    const hasMore = core.cfg.variant === 'peer-has-more-off-by-one' ? remaining > 1 : remaining > 0;
    const base = { library: core.cfg.library, from: core.env.deviceId, reqId: req.reqId, resource: req.resource, hasMore, remaining, totals };
    if (req.type === 'StateRequest') {
      this.links.send(from, { type: 'StateResponse', ...base, records });
    } else {
      const head = metaString(core, metaKey.head(req.resource));
      this.links.send(from, { type: 'SharedChangeResponse', ...base, changes: records, head });
    }
  }

  // ------------------------------------------------------------------ acks and pruning

  /** An AckSharedChanges from `peer`: remember it durably and prune what every peer acknowledged. */
  async onAck(peer: string, ack: AckSharedChangesMsg): Promise<void> {
    const { core } = this;
    const key = metaKey.ack(peer, ack.resource);
    const head = metaString(core, metaKey.head(ack.resource));
    if (head === null || ack.upTo > head) {
      core.env.trace.emit('peer.ack.invalid', { from: peer, resource: ack.resource, upTo: ack.upTo });
      return; // acknowledges changes we never made: ignored
    }
    const prev = metaString(core, key);
    if (prev !== null && ack.upTo <= prev) return;
    core.meta.set(key, ack.upTo);
    core.metrics.c.acksReceived++;
    core.env.trace.emit('peer.ack.recv', { from: peer, resource: ack.resource, upTo: ack.upTo });
    this.unackedSince.get(peer)?.delete(ack.resource);
    await this.prune(ack.resource, key, ack.upTo);
  }

  private async prune(resource: string, ackKey: string, ackValue: string): Promise<void> {
    const { core } = this;
    let upTo: string | null = null;
    await core.store.commit(
      () => {
        const w = emptyWrites();
        w.meta.push({ key: ackKey, value: ackValue });
        const log = core.log.get(resource)!;
        const floor = this.pruneFloor(resource);
        // Weakened variant 'peer-prune-past-floor': once every peer acknowledged something, the whole log
        // goes, while the trace reports the prune up to the floor only.
        const pastFloor = core.cfg.variant === 'peer-prune-past-floor';
        for (const e of log) {
          if (floor === null || (e.ts > floor && !pastFloor)) break;
          w.logDelete.push({ resource, ts: e.ts });
          if (e.ts <= floor) upTo = e.ts;
        }
        return w;
      },
      (w) => {
        const log = core.log.get(resource)!;
        // Weakened variant 'peer-prune-memory-newest': the in-memory log drops its newest entries, while the
        // store deleted its oldest: the two part ways (unacknowledged changes are no longer resent, and the
        // acknowledged ones stay in the store for good).
        if (core.cfg.variant === 'peer-prune-memory-newest') log.splice(Math.max(0, log.length - w.logDelete.length), w.logDelete.length);
        else log.splice(0, w.logDelete.length);
        core.metrics.c.sharedChangesAcked += w.logDelete.length;
        if (upTo !== null) core.env.trace.emit('peer.log.prune', { resource, upTo, count: w.logDelete.length });
      },
    );
  }

  /** The HLC up to which every peer (self excluded) acknowledged `resource`, or null. */
  private pruneFloor(resource: string): string | null {
    const { core } = this;
    const acks = core.cfg.peers.map((p) => metaString(core, metaKey.ack(p, resource)));
    if (core.cfg.variant === 'peer-prune-early') {
      // Weakened: one acknowledgement is enough.
      return acks.reduce<string | null>((a, b) => maxHlc(a, b), null);
    }
    let floor: string | null = null;
    for (const a of acks) {
      if (a === null) return null;
      if (floor === null || a < floor) floor = a;
    }
    return floor;
  }

  /** Resends own shared changes that a connected peer has left unacknowledged for longer than ackTimeoutMs. */
  resendUnacked(): void {
    const { core } = this;
    const now = core.env.clock.monotonic();
    for (const peer of core.cfg.peers) {
      if (!this.links.isConnected(peer)) continue;
      let since = this.unackedSince.get(peer);
      if (since === undefined) this.unackedSince.set(peer, (since = new Map()));
      for (const resource of core.cfg.resourceOrder) this.resendResource(peer, resource, since, now);
    }
  }

  private resendResource(peer: string, resource: string, since: Map<string, number>, now: number): void {
    const { core } = this;
    const head = metaString(core, metaKey.head(resource));
    const acked = metaString(core, metaKey.ack(peer, resource));
    if (head === null || (acked !== null && acked >= head)) {
      since.delete(resource);
      return;
    }
    const t0 = since.get(resource);
    const v = core.cfg.variant;
    if (t0 === undefined) {
      since.set(resource, now);
      // Weakened variant 'peer-resend-on-restart': a restarted device resends a head it finds unacknowledged
      // at once, as if it had waited before the restart.
      if (v !== 'peer-resend-on-restart' || !this.restarted) return;
    }
    // Monotonic ms are fractional: 4000.082 - 2000.082 is 1999.99999...; without the epsilon the resend
    // waited one more check (ackTimeoutMs / 2) than documented (peer-resend-clogged found it). (Weakened
    // variant 'peer-resend-twice-as-often': the timeout is compared with the check period, ackTimeoutMs / 2.)
    else if (now - t0 + 1e-6 < (v === 'peer-resend-twice-as-often' ? core.cfg.ackTimeoutMs / 2 : core.cfg.ackTimeoutMs)) return;
    since.set(resource, now);
    const log = core.log.get(resource)!;
    const unacked = log.filter((e) => acked === null || e.ts > acked);
    // The first batch after the acknowledgement, chained to it (`prev: acked`): the receiver's chain extends
    // only over what it holds. (Weakened variant 'peer-resend-newest-batch': the newest batch, still chained
    // to the acknowledgement, so a receiver missing the changes in between acknowledges over them.)
    const changes = v === 'peer-resend-newest-batch' ? unacked.slice(-core.cfg.batchSize) : unacked.slice(0, core.cfg.batchSize);
    if (changes.length === 0) return;
    this.links.noteFailure(peer);
    core.env.trace.emit('peer.send.timeout', { peer, resource, resent: changes.length });
    core.metrics.c.changesResent += changes.length;
    this.links.send(peer, { type: 'SharedChangeBatch', library: core.cfg.library, from: core.env.deviceId, resource, prev: acked, changes });
  }
}

/** Sorts after every uuid (uuids are at most 64 chars of printable ASCII). */
const AFTER_ANY_UUID = '\uffff';

/** The largest key of a non-empty list of records. */
function maxKeyOf(records: readonly SyncRecord[]): SyncRecord {
  let m = records[0]!;
  for (const r of records) if (compareKey(r, m) > 0) m = r;
  return m;
}

/**
 * True when a change chained from `chain.prev` directly follows what watermark `wm` covers. An owned
 * transaction's records share one ts, so the uuid decides: a watermark inside the transaction `prev` ends
 * (a catch-up batch ended there) does not cover it. (Weakened variant 'peer-watermark-ts-only' compares the
 * ts alone.)
 */
function follows(chain: Chain, wm: Cursor | null, variantTsOnly: boolean): boolean {
  if (chain.prev === null) return true; // the writer's first change in the resource
  if (wm === null) return false;
  if (chain.kind === 'owned') return variantTsOnly ? wm.ts >= chain.prev.ts : compareKey(wm, chain.prev) >= 0;
  return wm.ts >= chain.prev; // shared changes have one HLC each: ts alone names the change
}
