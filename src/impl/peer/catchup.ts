/**
 * Incremental catch-up from one peer: for each resource, in a fixed order, request the records the peer
 * wrote itself after our watermark for (peer, resource), batch by batch, until the peer has no more; then
 * the streams of other writers it can relay.
 *
 * Why per writer: a device's HLC only grows, so everything it writes after serving a batch sorts after
 * that batch; its own stream therefore never grows behind a watermark, and a watermark over it never skips
 * anything. Ties on timestamps are handled by the (ts, uuid) cursor.
 *
 * Relays: a writer W we are not connected to (down, or cut off from us) may have written records that a
 * connected peer P holds. P's heartbeat says, per resource, its watermark for W (`marks`): P holds W's
 * stream completely up to there. When that is past our watermark for W, we ask P for W's stream after our
 * watermark (`writer = W`); P serves it only up to its watermark for W (receive.ts), so what we get is a
 * complete piece of W's stream and our watermark for W can follow it exactly as with W itself. At most
 * one session at a time fetches a given (writer, resource) from a relay, so two relays do not move the same
 * records; an offer fetched completely is not asked for again.
 *
 * Each batch is applied and the watermark advanced to the last record received, in one transaction:
 * the watermark never gets ahead of what was received, and an interrupted catch-up resumes where it
 * stopped. After the last batch of a peer's own shared stream its chain is acknowledged up to the head it
 * reported (a relayed stream is acknowledged to its writer later, when the writer resends what it has not
 * seen acknowledged).
 */
import { kindOf, maxHlc, metaCursor, metaKey, metaString, table, watermarkKey, type Core } from './core.ts';
import type { Links, ResponseMsg } from './links.ts';
import type { HeartbeatMsg } from './messages.ts';
import type { Receiver } from './receive.ts';
import { compareKey, winnersOf, type Cursor, type SyncRecord } from './records.ts';
import { emptyWrites } from './store.ts';

/** Heartbeats to wait for matching digests before fetching a peer's whole own stream. */
const ADOPT_TRIES_MAX = 4;

/** Runs catch-up sessions (at most one per peer at a time). */
export class Catchup {
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();
  /** Heartbeats from a peer whose digest did not match while a whole stream would be fetched. */
  private readonly adoptTries = new Map<string, number>();
  /** Per peer, its latest heartbeat's watermarks for other writers (what it can relay): resource -> writer -> cursor. */
  private readonly offers = new Map<string, Record<string, Record<string, Cursor>>>();
  /** `peer|writer|resource` -> the relay offer a session last fetched completely (so it is not fetched again). */
  private readonly relayed = new Map<string, Cursor>();
  /** `writer|resource` streams being fetched from a relay now (one session at a time). */
  private readonly relaying = new Set<string>();

  constructor(
    private readonly core: Core,
    private readonly links: Links,
    private readonly receiver: Receiver,
  ) {}

  /**
   * A heartbeat from `peer` (while ready): for every resource where it wrote something newer than our
   * watermark, either adopt its `latest` as the watermark — when we already hold exactly its own stream
   * (equal digests: e.g. received from another peer during backfill) — or fetch the difference. Then run a
   * session (it moves nothing for adopted resources, and ends shared ones with an acknowledgement).
   */
  async onHeartbeat(peer: string, hb: HeartbeatMsg): Promise<void> {
    const adopt: { key: string; resource: string; cursor: Cursor }[] = [];
    this.offers.set(peer, hb.marks);
    let behind = false;
    let fullFetch = false;
    for (const r of this.core.cfg.resourceOrder) {
      if (!behind && this.relayable(peer, r).length > 0) behind = true;
      const latest = hb.latest[r];
      if (latest === null || latest === undefined) continue;
      const key = watermarkKey(this.core, peer, r);
      const wm = metaCursor(this.core, key);
      if (wm !== null && compareKey(latest, wm) <= 0) continue;
      behind = true;
      if (this.sameStream(table(this.core, r).writerDigest(peer), hb.digest[r])) adopt.push({ key, resource: r, cursor: latest });
      else if (wm === null) fullFetch = true;
    }
    if (!behind) return;
    if (adopt.length > 0) await this.adopt(peer, adopt);
    // A whole stream to fetch: first give a few heartbeats a chance to match (a write in flight when the
    // heartbeat was sent makes digests differ for a moment), at most ADOPT_TRIES_MAX, then fetch.
    const tries = this.adoptTries.get(peer) ?? 0;
    if (fullFetch && tries < ADOPT_TRIES_MAX) {
      this.adoptTries.set(peer, tries + 1);
      return;
    }
    this.adoptTries.delete(peer);
    this.run(peer);
  }

  private async adopt(peer: string, list: { key: string; resource: string; cursor: Cursor }[]): Promise<void> {
    const { core } = this;
    await core.store.commit(
      () => {
        const w = emptyWrites();
        for (const a of list) {
          const cur = metaCursor(core, a.key);
          if (cur === null || compareKey(a.cursor, cur) > 0) w.meta.push({ key: a.key, value: { ts: a.cursor.ts, uuid: a.cursor.uuid } });
          // Traced as the transaction is issued: a crash right after it became durable leaves no gap.
          core.env.trace.emit('peer.watermark', { peer, resource: a.resource, ts: a.cursor.ts, adopted: true });
        }
        core.env.trace.probe('peer.watermark-adopted');
        return w;
      },
      (w) => {
        for (const m of w.meta) core.meta.set(m.key, m.value!);
      },
    );
  }

  /** Starts a catch-up session with `peer` (or asks the running one to go round again). */
  run(peer: string): void {
    if (this.core.state !== 'ready') return;
    if (this.running.has(peer)) {
      this.again.add(peer);
      return;
    }
    this.running.add(peer);
    this.core.metrics.c.catchupSessions++;
    void this.session(peer).finally(() => {
      this.running.delete(peer);
      if (this.again.delete(peer) && this.links.isConnected(peer)) this.run(peer);
    });
  }

  /**
   * True when our digest of a writer's own stream equals the one it announced (`count:sum`): we hold exactly
   * its stream, so its latest key can be adopted as our watermark. (The weakened variant
   * 'peer-adopt-count-only' compares the counts alone.)
   */
  private sameStream(ours: string, theirs: string | undefined): boolean {
    if (this.core.cfg.variant === 'peer-adopt-count-only') return theirs !== undefined && ours.split(':')[0] === theirs.split(':')[0];
    return ours === theirs;
  }

  /**
   * Writers whose stream in `resource` `peer` can relay past our watermark: not us, not `peer` (its own
   * stream comes first), not connected to us (a connected writer serves its stream itself), and not an
   * offer already fetched completely.
   */
  private relayable(peer: string, resource: string): { writer: string; mark: Cursor }[] {
    const { core } = this;
    const out: { writer: string; mark: Cursor }[] = [];
    const offer = this.offers.get(peer)?.[resource];
    if (offer === undefined || core.cfg.variant === 'peer-no-relay') return out;
    for (const writer of core.cfg.peers) {
      const mark = offer[writer];
      if (mark === undefined || writer === peer || this.links.isConnected(writer)) continue;
      const wm = metaCursor(core, watermarkKey(core, writer, resource));
      if (wm !== null && compareKey(mark, wm) <= 0) continue;
      const done = this.relayed.get(`${peer}|${writer}|${resource}`);
      if (done !== undefined && compareKey(mark, done) <= 0) continue;
      out.push({ writer, mark });
    }
    return out;
  }

  private async session(peer: string): Promise<void> {
    for (const resource of this.core.cfg.resourceOrder) {
      let writer = peer;
      try {
        await this.stream(peer, peer, resource);
        for (const offer of this.relayable(peer, resource)) {
          const lock = `${offer.writer}|${resource}`;
          if (this.relaying.has(lock)) continue; // another relay is fetching it: the next heartbeat looks again
          this.relaying.add(lock);
          // Weakened variant 'peer-relay-marked-early': the relay counts as done when it starts, so one that
          // fails midway is not tried again while the offer stands.
          if (this.core.cfg.variant === 'peer-relay-marked-early') this.relayed.set(`${peer}|${offer.writer}|${resource}`, offer.mark);
          writer = offer.writer;
          try {
            await this.stream(peer, offer.writer, resource);
          } finally {
            this.relaying.delete(lock);
          }
          this.relayed.set(`${peer}|${offer.writer}|${resource}`, offer.mark);
        }
      } catch (e) {
        this.core.env.trace.emit('peer.catchup.aborted', { peer, writer, resource, reason: String((e as Error).message ?? e).slice(0, 120) });
        return;
      }
    }
  }

  /** Fetches `writer`'s stream in `resource` from `peer` (the writer itself, or a relay) after our watermark. */
  private async stream(peer: string, writer: string, resource: string): Promise<void> {
    const { core } = this;
    const wmKey = watermarkKey(core, writer, resource);
    let since = metaCursor(core, wmKey);
    core.env.trace.emit('peer.catchup.begin', { peer, writer, resource, since: since?.ts ?? null });
    let transferred = 0;
    let head: string | null = null;
    for (;;) {
      // (Weakened variant 'peer-catchup-error-as-end': a refusal ends the stream as if the peer had no more.)
      const resp =
        core.cfg.variant === 'peer-catchup-error-as-end'
          ? await this.request(peer, writer, resource, since).catch((e: Error) => {
              if (!e.message.includes(' answered ')) throw e;
              const base = { library: core.cfg.library, from: peer, reqId: 0, resource, hasMore: false, remaining: 0, totals: null };
              return { type: 'SharedChangeResponse' as const, ...base, changes: [], head: null };
            })
          : await this.request(peer, writer, resource, since);
      const records = resp.type === 'StateResponse' ? resp.records : resp.changes;
      if (resp.type === 'SharedChangeResponse' && writer === peer) head = resp.head;
      if (!this.receiver.observe(peer, records, resp.type)) throw new Error('clock drift');
      if (records.some((r) => r.writer !== writer)) throw new Error(`${peer} answered a request for ${writer}'s records with another writer's`);
      // The writer's head is its contiguous point only once the stream is consumed. (Weakened variant
      // 'peer-contig-before-stream-end': taken with the first batch, so a crash mid-stream leaves a stored
      // contiguous point, which later acknowledgements follow, over the batches not fetched yet.)
      const early = core.cfg.variant === 'peer-contig-before-stream-end';
      await this.apply(peer, writer, resource, records, wmKey, resp.hasMore && !early ? null : head, since);
      transferred += records.length;
      const last = records[records.length - 1];
      if (last !== undefined) since = { ts: last.ts, uuid: last.uuid };
      if (!resp.hasMore) break;
    }
    core.env.trace.emit('peer.catchup.done', { peer, writer, resource, transferred });
    if (writer !== peer) {
      if (transferred > 0) core.env.trace.probe('peer.catchup-relayed');
      return;
    }
    const contig = metaString(core, metaKey.contig(peer, resource));
    if (kindOf(core, resource) === 'shared' && contig !== null) this.receiver.sendAck(peer, resource, contig);
  }

  private request(peer: string, writer: string, resource: string, since: Cursor | null): Promise<ResponseMsg> {
    const { core } = this;
    const base = { library: core.cfg.library, from: core.env.deviceId, resource, writer, limit: core.cfg.batchSize };
    if (kindOf(core, resource) === 'owned') return this.links.request(peer, (reqId) => ({ type: 'StateRequest', reqId, ...base, since }));
    // Shared changes are asked for since an HLC (the watermark's ts names exactly one change).
    return this.links.request(peer, (reqId) => ({ type: 'SharedChangeRequest', reqId, ...base, since: since?.ts ?? null }));
  }

  /**
   * Applies a batch and advances the watermark (and, at the end of a shared stream, the chain point).
   * `peer.recv` is traced as the transaction is issued (no durable watermark is ever untraced), and
   * `peer.catchup.batch` once it is durable.
   */
  private async apply(
    peer: string,
    writer: string,
    resource: string,
    records: readonly SyncRecord[],
    wmKey: string,
    head: string | null,
    since: Cursor | null,
  ): Promise<void> {
    const { core } = this;
    const ckey = metaKey.contig(writer, resource);
    await core.store.commit(
      () => {
        core.env.trace.emit('peer.recv', { from: peer, writer, resource, n: records.length, maxTs: records[records.length - 1]?.ts ?? null });
        const w = emptyWrites();
        for (const record of winnersOf(table(core, resource), records)) w.records.push({ resource, record });
        const last = records[records.length - 1];
        const cur = metaCursor(core, wmKey);
        if (last !== undefined && (cur === null || compareKey(last, cur) > 0)) w.meta.push({ key: wmKey, value: { ts: last.ts, uuid: last.uuid } });
        const contig = metaString(core, ckey);
        const next = maxHlc(contig, head);
        if (next !== contig && next !== null) w.meta.push({ key: ckey, value: next });
        return w;
      },
      (w) => {
        const t = table(core, resource);
        for (const { record } of w.records) t.merge(record);
        for (const m of w.meta) core.meta.set(m.key, m.value!);
        const mc = core.metrics;
        mc.applied(records.length, w.records.length);
        mc.c.catchupRecords += records.length;
        if (writer !== peer) mc.c.relayedRecords += records.length;
        core.env.trace.emit('peer.catchup.batch', { peer, writer, resource, n: records.length, since: since?.ts ?? null, maxTs: records[records.length - 1]?.ts ?? null });
        const wm = w.meta.find((m) => m.key === wmKey);
        if (wm !== undefined) core.env.trace.emit('peer.watermark', { peer: writer, via: peer, resource, ts: (wm.value as { ts: string }).ts });
      },
    );
  }
}
