/**
 * The transaction manager: a local write and its log entry commit atomically (one strict kv transaction),
 * then the change is broadcast. No leader: every device writes independently.
 *
 * - Device-owned records: one HLC for the whole transaction (equal timestamps, told apart by uuid in
 *   cursors); no log; broadcast as StateChange / StateBatch chained from the owner's previous own key
 *   (`prev`), so a receiver holding everything up to `prev` can advance its watermark.
 * - Shared records: one HLC per change; each change is appended to the own peer log (kept until every
 *   peer acknowledged it); broadcast as SharedChange / SharedChangeBatch chained from the previous change.
 */
import { formatHlc } from './hlc.ts';
import { kindOf, metaCursor, metaKey, metaString, table, type Core } from './core.ts';
import type { Links } from './links.ts';
import { wins, type Cursor, type SyncRecord } from './records.ts';
import { emptyWrites } from './store.ts';

/** One item to write: data null deletes (leaves a tombstone). */
export interface WriteItem {
  uuid: string;
  data: string | null;
}

/** Items per transaction at most (a larger write is the caller's error). */
export const WRITE_ITEMS_MAX = 5_000;

/** Commits local writes and broadcasts them. */
export class TransactionManager {
  /** Weakened variant 'peer-broadcast-before-durable' (shared changes broadcast before their commit is durable). */
  private readonly early: boolean;

  constructor(
    private readonly core: Core,
    private readonly links: Links,
  ) {
    this.early = core.cfg.variant === 'peer-broadcast-before-durable';
  }

  /** Writes device-owned records of `resource`; resolves with the commit's HLC once durable. */
  async commitOwned(resource: string, items: readonly WriteItem[]): Promise<string> {
    this.checkWrite(resource, items, 'owned');
    const { core } = this;
    let hlc = '';
    let prev: Cursor | null = null;
    const winners = await core.store.commit(
      () => {
        hlc = formatHlc(core.clock.tick());
        prev = metaCursor(core, metaKey.stream(resource));
        const t = table(core, resource);
        const w = emptyWrites();
        const sorted = [...items].sort((a, b) => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0));
        for (const it of sorted) {
          const rec: SyncRecord = { uuid: it.uuid, writer: core.env.deviceId, ts: hlc, data: it.data };
          if (wins(rec, t.get(it.uuid))) w.records.push({ resource, record: rec });
        }
        const last = w.records[w.records.length - 1];
        if (last !== undefined) w.meta.push({ key: metaKey.stream(resource), value: { ts: last.record.ts, uuid: last.record.uuid } });
        core.env.trace.emit('peer.commit.begin', { resource, hlc, n: w.records.length });
        return w;
      },
      (w) => {
        const t = table(core, resource);
        for (const { record } of w.records) t.merge(record);
        for (const m of w.meta) core.meta.set(m.key, m.value!);
        core.env.trace.emit('peer.commit', { resource, kind: 'owned', hlc, n: w.records.length });
        return w.records.map((x) => x.record);
      },
    );
    this.broadcastOwned(resource, prev, winners ?? []);
    return hlc;
  }

  /** Writes shared records of `resource`; resolves with each change's HLC (losers omitted) once durable. */
  async commitShared(resource: string, items: readonly WriteItem[]): Promise<string[]> {
    this.checkWrite(resource, items, 'shared');
    const { core } = this;
    const logLen = core.log.get(resource)?.length ?? 0;
    if (logLen + items.length > core.cfg.logMax) {
      throw new Error(`peer log of '${resource}' full: ${logLen} changes not yet acknowledged by every peer (logMax ${core.cfg.logMax})`);
    }
    let prev: string | null = null;
    const changes = await core.store.commit(
      () => this.prepareShared(resource, items, (p) => (prev = p)),
      (w) => {
        const t = table(core, resource);
        const log = core.log.get(resource)!;
        for (const { record } of w.records) {
          t.merge(record);
          log.push(record);
        }
        for (const m of w.meta) core.meta.set(m.key, m.value!);
        const list = w.records.map((x) => x.record);
        if (list.length > 0) {
          core.env.trace.emit('peer.commit', { resource, kind: 'shared', first: list[0]!.ts, hlc: list[list.length - 1]!.ts, n: list.length });
        }
        return list;
      },
    );
    const list = changes ?? [];
    if (!this.early) this.broadcastShared(resource, prev, list);
    return list.map((c) => c.ts);
  }

  private prepareShared(resource: string, items: readonly WriteItem[], setPrev: (p: string | null) => void) {
    const { core } = this;
    const t = table(core, resource);
    const w = emptyWrites();
    const head = metaString(core, metaKey.head(resource));
    setPrev(head);
    for (const it of items) {
      const rec: SyncRecord = { uuid: it.uuid, writer: core.env.deviceId, ts: formatHlc(core.clock.tick()), data: it.data };
      if (!wins(rec, t.get(it.uuid))) continue; // e.g. an update of a deleted record: deletes are final
      w.records.push({ resource, record: rec });
      w.logPut.push({ resource, record: rec });
    }
    const last = w.logPut[w.logPut.length - 1];
    if (last !== undefined) {
      w.meta.push({ key: metaKey.head(resource), value: last.record.ts });
      w.meta.push({ key: metaKey.stream(resource), value: { ts: last.record.ts, uuid: last.record.uuid } });
      core.env.trace.emit('peer.commit.begin', { resource, hlc: last.record.ts, n: w.logPut.length });
      // Weakened variant 'peer-broadcast-before-durable': the changes go out as the transaction is issued.
      if (this.early) this.broadcastShared(resource, head, w.records.map((x) => x.record));
    }
    return w;
  }

  private broadcastOwned(resource: string, prev: Cursor | null, records: SyncRecord[]): void {
    if (records.length === 0) return;
    const { cfg, env } = this.core;
    this.core.metrics.c.changesSent += records.length;
    if (records.length === 1) this.links.broadcast({ type: 'StateChange', library: cfg.library, from: env.deviceId, resource, prev, record: records[0]! });
    else this.links.broadcast({ type: 'StateBatch', library: cfg.library, from: env.deviceId, resource, prev, records });
  }

  private broadcastShared(resource: string, prev: string | null, changes: SyncRecord[]): void {
    if (changes.length === 0) return;
    const { cfg, env } = this.core;
    this.core.metrics.c.changesSent += changes.length;
    if (changes.length === 1) {
      this.links.broadcast({ type: 'SharedChange', library: cfg.library, from: env.deviceId, resource, prev, change: changes[0]! });
    } else {
      this.links.broadcast({ type: 'SharedChangeBatch', library: cfg.library, from: env.deviceId, resource, prev, changes });
    }
  }

  private checkWrite(resource: string, items: readonly WriteItem[], kind: 'owned' | 'shared'): void {
    const { core } = this;
    if (core.state !== 'ready') throw new Error(`peer ${core.env.deviceId}: cannot write while ${core.state}`);
    if (kindOf(core, resource) !== kind) throw new Error(`peer: resource '${resource}' does not hold ${kind} data`);
    if (items.length === 0 || items.length > WRITE_ITEMS_MAX) throw new RangeError(`peer: a write holds 1..${WRITE_ITEMS_MAX} items, got ${items.length}`);
    if (new Set(items.map((i) => i.uuid)).size !== items.length) throw new RangeError('peer: a write names a uuid twice');
  }
}
