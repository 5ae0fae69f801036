/**
 * A yjs peer (npm `yjs`, unmodified): one `Y.Doc` per node, its updates persisted in the node's simulated kv
 * store and exchanged with the other peers over the simulated network. This is the provider a yjs app
 * writes around the library (y-websocket and y-indexeddb in one, reduced to what the bench exercises):
 *
 * - Persistence: every update the doc emits is appended to the kv store (`n`, then the update bytes under
 *   1..n); a local edit's update goes to `y-local` and is acknowledged once committed with strict
 *   durability (it survives any crash from then on). Updates from peers go to `y-remote` with relaxed
 *   durability (a power loss may drop them; the next sync brings them back). At start the stored updates
 *   are applied to a new doc, then merged into one (compaction) when there are many.
 * - Live updates: after it is stored, a local update is sent to every peer as a datagram (the network may
 *   lose, duplicate and reorder datagrams; yjs applies updates idempotently and holds out-of-order ones).
 * - Sync (yjs's state-vector protocol): each peer keeps a connection to every other and, when it opens and
 *   every second after, sends its state vector; the other answers with the update that vector lacks
 *   (`Y.encodeStateAsUpdate(doc, sv)`) and its own state vector, to which the first answers likewise. So
 *   whatever a partition, a crash or a lost datagram kept from a peer arrives once they can talk.
 *
 * yjs and lib0 use `crypto.getRandomValues` (bound when lib0 loads) for the doc's client id; the simulator
 * seeds it (src/sim/world.ts), so no glue is needed; the client id is traced so a replay shows it.
 *
 * Variants (never the default): `yjs-no-resync` syncs state vectors only on the first connection to each
 * peer (no resync on reconnect, no periodic resync): what live updates lose stays lost, and the peers never
 * converge (`liveness:converge`). `yjs-ack-before-persist` acknowledges a local edit before its update is
 * committed (and sends it after the commit): a crash in between loses an acknowledged edit
 * (`invariant:acked-everywhere`, `invariant:acked-durable`).
 */
import * as Y from 'yjs';
import type { Connection, Env, Value } from '../../src/impl/env.ts';

export const NO_RESYNC = 'yjs-no-resync';
export const ACK_BEFORE_PERSIST = 'yjs-ack-before-persist';

/** The kv stores holding a peer's own updates and those from its peers. */
export const LOCAL_STORE = 'y-local';
export const REMOTE_STORE = 'y-remote';
/** Stored updates beyond which a peer compacts them into one at start. */
const COMPACT_AFTER = 64;
/** Resync period on an open connection, ms. */
const RESYNC_MS = 1_000;

const LOCAL = 'local';
const REMOTE = 'remote';

/** What the workload and the checks see of one peer. */
export interface YPeer {
  readonly doc: Y.Doc;
  /** Sets `key` to `value` in the shared map; resolves when the edit is acknowledged. */
  edit(key: string, value: string): Promise<void>;
  /** Sets `key` in the map `notes`, which the peer's Y.UndoManager tracks (an edit the user may undo). */
  note(key: string, value: string): void;
  /** Undoes the last undo step of `notes` (yjs groups edits less than 500 ms apart into one step). */
  undo(): void;
}

const NOTE = 'note';

type Msg = { t: 'u'; u: Uint8Array } | { t: 'sv'; sv: Uint8Array; reply: boolean } | { t: 'diff'; u: Uint8Array };

/** Reads every stored update: the local ones, then those from peers. */
async function load(env: Env): Promise<Uint8Array[]> {
  return env.kv.transaction([LOCAL_STORE, REMOTE_STORE], 'readonly', async (tx) => {
    const out: Uint8Array[] = [];
    for (const store of [LOCAL_STORE, REMOTE_STORE]) {
      const n = ((await tx.get(store, 'n')) as number | undefined) ?? 0;
      for (let i = 1; i <= n; i++) {
        const u = await tx.get(store, i);
        if (u instanceof Uint8Array) out.push(u);
      }
    }
    return out;
  });
}

/** Appends `update` to a stored log: the peer's own edits (strict) or updates from peers (relaxed). */
function persist(env: Env, store: string, update: Uint8Array, durability: 'strict' | 'relaxed'): Promise<void> {
  return env.kv.transaction(
    [store],
    'readwrite',
    async (tx) => {
      const n = (((await tx.get(store, 'n')) as number | undefined) ?? 0) + 1;
      await tx.put(store, 'n', n);
      await tx.put(store, n, update);
    },
    { durability },
  );
}

/** Replaces both stored logs with one update holding the whole doc. */
function compact(env: Env, doc: Y.Doc): Promise<void> {
  return env.kv.transaction(
    [LOCAL_STORE, REMOTE_STORE],
    'readwrite',
    async (tx) => {
      for (const store of [LOCAL_STORE, REMOTE_STORE]) {
        for (const k of await tx.keys(store)) await tx.delete(store, k);
      }
      await tx.put(LOCAL_STORE, 1, Y.encodeStateAsUpdate(doc));
      await tx.put(LOCAL_STORE, 'n', 1);
    },
    { durability: 'strict' },
  );
}

/**
 * Decodes a document from stored updates (for checks: the kv store's durable content, a peer's encoded
 * state). A new Y.Doc draws a client id from `crypto.getRandomValues`: inside a run that is the run's seeded
 * stream, which a check must not draw from (it would change the run), so checks decode only after the run
 * (final checks); the fixed guid saves the 16 random bytes of a uuid.
 */
export function docFromUpdates(updates: readonly Uint8Array[]): Y.Doc {
  const doc = new Y.Doc({ guid: 'syncbench-check' });
  for (const u of updates) Y.applyUpdate(doc, u);
  return doc;
}

/** Starts a peer of `peers` (the other nodes' ids). */
export async function startYPeer(env: Env, peers: readonly string[], variant: string): Promise<YPeer> {
  const doc = new Y.Doc();
  const stored = await load(env);
  for (const u of stored) Y.applyUpdate(doc, u, 'disk');
  env.trace.emit('app.start', { clientID: doc.clientID, updates: stored.length });
  if (stored.length > COMPACT_AFTER) await compact(env, doc);

  const map = doc.getMap<string>();
  const conns = new Map<string, Connection>();
  const syncedOnce = new Set<string>();
  let pendingAck: Promise<void> = Promise.resolve();

  const broadcast = (u: Uint8Array): void => {
    for (const p of peers) env.net.sendDatagram(p, { t: 'u', u });
  };

  doc.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin === REMOTE) {
      persist(env, REMOTE_STORE, update, 'relaxed').catch(() => undefined);
    } else if (origin !== 'disk') {
      // This peer's own change: an edit, a note, or an undo (whose origin is the UndoManager).
      const stored = persist(env, LOCAL_STORE, update, 'strict').then(() => broadcast(update));
      pendingAck = variant === ACK_BEFORE_PERSIST ? Promise.resolve() : stored;
      stored.catch(() => undefined);
    }
  });

  const sendSv = (conn: Connection, reply: boolean): void => {
    if (conn.open) conn.send({ t: 'sv', sv: Y.encodeStateVector(doc), reply });
  };

  const onMessage = (conn: Connection | null, m: Msg): void => {
    if (m.t === 'u' || m.t === 'diff') Y.applyUpdate(doc, m.u, REMOTE);
    else if (m.t === 'sv' && conn !== null && conn.open) {
      conn.send({ t: 'diff', u: Y.encodeStateAsUpdate(doc, m.sv) });
      if (m.reply) sendSv(conn, false);
    }
  };

  const serve = (conn: Connection): void => conn.onMessage((m) => onMessage(conn, m as unknown as Msg));
  env.net.listen(serve);
  env.net.onDatagram((_from, m) => onMessage(null, m as unknown as Msg));

  const dial = (peer: string): void => {
    env.net.connect(peer, { timeoutMs: 500 }).then(
      (conn) => {
        conns.set(peer, conn);
        serve(conn);
        conn.onClose(() => {
          conns.delete(peer);
          env.clock.setTimeout(() => dial(peer), 200 + env.random.int(300));
        });
        if (variant !== NO_RESYNC || !syncedOnce.has(peer)) sendSv(conn, true);
        syncedOnce.add(peer);
      },
      () => env.clock.setTimeout(() => dial(peer), 200 + env.random.int(300)),
    );
  };
  for (const p of peers) dial(p);
  if (variant !== NO_RESYNC) env.clock.setInterval(() => conns.forEach((c) => sendSv(c, true)), RESYNC_MS);

  // yjs's UndoManager groups edits into undo steps by lib0's `time.getUnixTime`, which is `Date.now` as lib0
  // kept it when it loaded: inside a run, this node's wall clock.
  const notes = doc.getMap<string>('notes');
  const undoManager = new Y.UndoManager(notes, { trackedOrigins: new Set([NOTE]) });

  return {
    doc,
    edit(key, value) {
      doc.transact(() => map.set(key, value), LOCAL);
      return pendingAck;
    },
    note(key, value) {
      doc.transact(() => notes.set(key, value), NOTE);
    },
    undo() {
      undoManager.undo();
    },
  };
}

/** The content of a doc as plain JSON, decoded from `Y.encodeStateAsUpdate` (final checks only). */
export function contentOf(doc: Y.Doc): Record<string, Value> {
  return docFromUpdates([Y.encodeStateAsUpdate(doc)]).getMap<string>().toJSON() as Record<string, Value>;
}

/**
 * What a liveness poll compares inside the run without drawing randomness: the state vector decoded from
 * the encoded state (which updates the peer has) and the shared map's content.
 */
export function stateOf(doc: Y.Doc): string {
  const sv = Y.decodeStateVector(Y.encodeStateVectorFromUpdate(Y.encodeStateAsUpdate(doc)));
  const content = doc.getMap<string>().toJSON();
  return JSON.stringify([[...sv].sort((a, b) => a[0] - b[0]), Object.keys(content).sort().map((k) => [k, content[k]])]);
}
