/**
 * The demonstration node: a durable grow-only set replicated between peers by gossip.
 *
 * It exists to exercise the kernel end to end (disk, network, crashes, partitions) before the real sync
 * implementation lands, and to show the shape every implementation follows: written only against `Env`,
 * every observable step traced, every wait bounded.
 *
 * Protocol (messages over reliable connections, JSON objects):
 * - `{ type: 'hello', from, items: string[] }` — the sender's whole set (anti-entropy): sent by both ends
 *   when a connection opens and every `antiEntropyMs` after, so a peer that missed updates (a partition, a
 *   merge that failed on a disk error) catches up.
 * - `{ type: 'items', from, items: string[] }` — new items, pushed to every connected peer.
 * Items are opaque strings; a node never invents one.
 *
 * Durability: an item is acknowledged to the caller of `add` only after it is appended to
 * `/data/items.log` and the log is fsynced. Each line is `<item> <checksum>\n`, the checksum the 32-bit
 * FNV-1a hash of the item's UTF-16 code units as 8 lowercase hex digits (`lineChecksum`). On start the
 * log is read back: lines whose checksum does not match (a flipped bit) are skipped, a torn last line (an
 * append cut by a power loss) is truncated away, and the log and its directories are fsynced; a peer's
 * anti-entropy brings skipped items back. A disk error while reading it back is retried after `retryMs`
 * (traced `demo.recover-failed`).
 */
import { EnvError, type Connection, type Env, type Value } from '../env.ts';

/** Options of a gossip node. */
export interface GossipOptions {
  /** Addresses of the peers to connect to. */
  peers: string[];
  /** Weakened variant name ('' for the correct implementation). */
  variant?: string;
  /** Delay between reconnection attempts, ms. */
  retryMs?: number;
  /** Interval of the full-set exchange on every connection, ms. */
  antiEntropyMs?: number;
}

/** The API a gossip node offers to the workload and the checks. */
export interface GossipHandle {
  /** Adds an item; resolves once it is durable (acknowledged). */
  add(item: string): Promise<void>;
  /** The items this node holds, sorted, without duplicates. */
  items(): string[];
}

const LOG = '/data/items.log';
const MAX_ITEMS = 100_000;
const NEWLINE = 0x0a;

/** FNV-1a 32-bit hash of a string, as 8 hex digits: the per-line checksum of the log. */
export function lineChecksum(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Parses one log line; null when it is torn or corrupt (`verify` false: the demo-no-checksum variant). */
function parseLine(line: string, verify: boolean): string | null {
  const at = line.lastIndexOf(' ');
  if (at <= 0) return null;
  const item = line.slice(0, at);
  return !verify || line.slice(at + 1) === lineChecksum(item) ? item : null;
}

/** Starts a gossip node; resolves with its handle once recovery is done. */
export async function startGossipNode(env: Env, options: GossipOptions): Promise<GossipHandle> {
  const variant = options.variant ?? '';
  const retryMs = options.retryMs ?? 200;
  const antiEntropyMs = options.antiEntropyMs ?? 1000;
  const antiEntropy = variant !== 'demo-no-anti-entropy';
  const items = new Set<string>();
  const conns = new Map<string, Connection>();
  let writeChain: Promise<void> = Promise.resolve();

  /**
   * Reads the log back (creating it on first start) and makes it durable. A torn last line (a power loss in
   * the middle of an append) is cut off, or the next append would be glued to it and lost with it. The log
   * and its directories are fsynced on every start, not only after creating the log: an earlier process
   * may have created it and crashed before its directory entries were durable, and the visible file does
   * not say so (found by invariant:acked-durable, demo-gossip-swarm seed 131).
   */
  const recover = async (): Promise<void> => {
    await env.disk.mkdir('/data');
    const existing = await env.disk.stat(LOG);
    const created = existing === null;
    if (created) {
      await env.disk.writeFile(LOG, new Uint8Array(0));
    } else {
      const bytes = await env.disk.readFile(LOG);
      const complete = bytes.lastIndexOf(NEWLINE) + 1;
      let corrupt = 0;
      for (const line of new TextDecoder().decode(bytes.subarray(0, complete)).split('\n')) {
        if (line === '') continue;
        const item = parseLine(line, variant !== 'demo-no-checksum');
        if (item === null) corrupt++;
        else if (variant !== 'demo-forget-log') items.add(item);
      }
      if (complete < bytes.length && variant !== 'demo-keep-torn-tail') {
        corrupt++;
        await env.disk.truncate(LOG, complete);
      }
      if (corrupt > 0) env.trace.probe('demo.corrupt-log-line');
    }
    if (created || variant !== 'demo-sync-dirs-once') {
      await env.disk.fsync(LOG);
      await env.disk.fsyncDir('/data');
      await env.disk.fsyncDir('/');
    }
  };
  // A disk error during recovery (EIO, ENOSPC, a failed fsync) is not fatal: a real process would be
  // restarted by its supervisor and try again, so the node retries after retryMs, from scratch.
  for (let attempt = 1; ; attempt++) {
    try {
      await recover();
      break;
    } catch (e) {
      if (!(e instanceof EnvError)) throw e;
      items.clear();
      env.trace.emit('demo.recover-failed', { attempt, code: e.code });
      env.trace.probe('demo.recover-retried');
      await env.clock.sleep(retryMs);
    }
  }
  env.trace.emit('demo.recovered', { items: items.size });

  /** Appends items to the log, one write at a time (serialised through writeChain). */
  const persist = (newItems: string[]): Promise<void> => {
    const run = async (): Promise<void> => {
      const stat = await env.disk.stat(LOG);
      const bytes = new TextEncoder().encode(newItems.map((i) => `${i} ${lineChecksum(i)}\n`).join(''));
      await env.disk.write(LOG, stat?.size ?? 0, bytes);
      await env.disk.fsync(LOG);
    };
    writeChain = writeChain.then(run, run);
    return writeChain;
  };

  const broadcast = (newItems: string[], except?: string): void => {
    if (variant === 'demo-no-push') return;
    for (const [peer, c] of conns) {
      if (peer !== except && c.open) c.send({ type: 'items', from: env.nodeId, items: newItems });
    }
  };

  const merge = async (incoming: string[], from: string): Promise<void> => {
    const fresh = incoming.filter((i) => !items.has(i));
    if (fresh.length === 0) return;
    if (items.size + fresh.length > MAX_ITEMS) throw new Error(`gossip set bound ${MAX_ITEMS} exceeded`);
    await persist(fresh);
    for (const i of fresh) items.add(i);
    env.trace.emit('demo.merged', { from, count: fresh.length });
    broadcast(fresh, from);
  };

  const adopt = (conn: Connection): void => {
    const old = conns.get(conn.peer);
    if (old !== undefined && old.open && old !== conn) old.close();
    conns.set(conn.peer, conn);
    conn.onMessage((m: Value) => {
      const msg = m as { type?: unknown; items?: unknown };
      if ((msg.type === 'hello' || msg.type === 'items') && Array.isArray(msg.items)) {
        merge(msg.items.filter((x): x is string => typeof x === 'string'), conn.peer).catch((e: unknown) => {
          // The items were not stored: the next anti-entropy round sends them again.
          env.trace.emit('demo.merge-failed', { error: String(e) });
          env.trace.probe('demo.merge-failed');
        });
      }
    });
    conn.onClose(() => {
      if (conns.get(conn.peer) === conn) conns.delete(conn.peer);
    });
    if (antiEntropy) conn.send({ type: 'hello', from: env.nodeId, items: [...items] });
  };

  if (antiEntropy) {
    env.clock.setInterval(() => {
      for (const c of conns.values()) if (c.open) c.send({ type: 'hello', from: env.nodeId, items: [...items] });
    }, antiEntropyMs);
  }

  env.net.listen(adopt);

  // Keep one connection to each peer with a higher id (the lower id dials, so each pair has one dialer).
  const dial = async (peer: string): Promise<void> => {
    for (;;) {
      const c = conns.get(peer);
      if (c === undefined || !c.open) {
        try {
          adopt(await env.net.connect(peer, { timeoutMs: 1000 }));
        } catch {
          // unreachable or down: try again later
        }
      }
      await env.clock.sleep(retryMs);
    }
  };
  for (const p of options.peers) if (env.nodeId < p) void dial(p);

  return {
    async add(item: string): Promise<void> {
      if (items.has(item)) return;
      if (variant === 'demo-ack-before-fsync') {
        items.add(item);
        broadcast([item]);
        void persist([item]);
        return;
      }
      await persist([item]);
      items.add(item);
      env.trace.emit('demo.added', { item });
      broadcast([item]);
    },
    items: () => [...items].sort(),
  };
}
