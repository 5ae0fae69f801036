/**
 * Test-only "third-party" clients for the csClient seam (test/clientserver/cs-client-seam.test.ts): the
 * built-in sync engine (startClient) under a layer of the app's own, as an app built on a sync library
 * adds one, each with one flaw. The layer sees the engine only through the Env it hands it (its network
 * and its tracer): the flaw lives in code outside src/, and neither is a weakened variant of the built-in.
 */
import type { Connection, Env, Net, Tracer, Value } from '../../src/impl/env.ts';
import { startClient } from '../../src/impl/clientserver/client.ts';
import type { CsClientFactory } from '../../src/impl/clientserver/seam.ts';
import type { StatusView } from '../../src/impl/clientserver/status.ts';

/** `env` with its network and tracer replaced where given (everything else is the node's own). */
function envWith(env: Env, over: { net?: Net; trace?: Tracer }): Env {
  return Object.assign(Object.create(env) as Env, over);
}

/** A network whose connections to `server` are opened through `opened` (it may wrap them). */
function netWith(env: Env, server: string, opened: (conn: Connection) => Connection): Net {
  const net = env.net;
  return {
    address: net.address,
    listen: (h) => net.listen(h),
    connect: async (address, options) => {
      const conn = await net.connect(address, options);
      return address === server ? opened(conn) : conn;
    },
    sendDatagram: (to, m) => net.sendDatagram(to, m),
    onDatagram: (h) => net.onDatagram(h),
  };
}

/**
 * The app's footer turns green the moment the sync connection opens ("connected = synced"), before the
 * Hello/Welcome handshake, and follows the engine's status from its next change on. The app traces the
 * footer (cs.status) in the engine's place.
 */
export const greenOnConnectClient: CsClientFactory = async (env, options) => {
  let engine: StatusView | null = null;
  let shown: StatusView | null = null;
  const show = (v: StatusView): void => {
    if (shown !== null && JSON.stringify(shown) === JSON.stringify(v)) return;
    shown = v;
    env.trace.emit('cs.status', { ...v });
  };
  const trace: Tracer = {
    emit: (kind, data) => {
      if (kind !== 'cs.status') return env.trace.emit(kind, data);
      engine = data as unknown as StatusView;
      show(engine);
    },
    probe: (name) => env.trace.probe(name),
  };
  const net = netWith(env, options.server, (conn) => {
    if (engine?.status === 'connecting') show({ ...engine, status: engine.pending > 0 ? 'syncing' : 'synced' });
    return conn;
  });
  const h = await startClient(envWith(env, { net, trace }), options);
  return { ...h, status: () => shown ?? h.status() };
};

/** A Changes message with each cell's later changes in the batch replaced by its first one (seqs kept). */
function firstChangePerCell(m: Value): Value {
  const msg = m as { type?: unknown; changes?: unknown };
  if (msg.type !== 'Changes' || !Array.isArray(msg.changes)) return m;
  const first = new Map<string, Record<string, unknown>>();
  const changes = (msg.changes as Record<string, unknown>[]).map((c) => {
    const key = `${String(c.table)}\u0000${String(c.pk)}\u0000${String(c.col)}`;
    const f = first.get(key);
    if (f === undefined) {
      first.set(key, c);
      return c;
    }
    return { ...f, seq: c.seq };
  });
  return { ...msg, changes } as unknown as Value;
}

/**
 * The app compacts each downloaded batch before handing it to the engine: a cell changed several times
 * in one batch keeps the batch's *first* change (a memoised "latest value" that is really the earliest),
 * while the batch's positions, and so the engine's cursor, are kept. The engine's own merge rule is
 * untouched; it is just never shown the winning change.
 */
export const firstWinsDownloadClient: CsClientFactory = (env, options) =>
  startClient(
    envWith(env, {
      net: netWith(env, options.server, (conn) => ({
        get id() {
          return conn.id;
        },
        get peer() {
          return conn.peer;
        },
        get open() {
          return conn.open;
        },
        send: (m) => conn.send(m),
        onMessage: (h) => conn.onMessage((m) => h(firstChangePerCell(m))),
        onClose: (h) => conn.onClose(h),
        close: () => conn.close(),
      })),
    }),
    options,
  );
