/**
 * The meta channel: the seed's HTTP endpoint `/:db/meta` (site id, schema version), served by its own
 * node on the server's device (it reads the same kv store), and the client's fetch of it. A separate
 * channel on purpose: a fault can block it while the sync connection still opens, which is why the
 * authoritative check is the handshake on the sync connection itself (docs/client-server.md, Gap 1).
 *
 * Trace (meta node): cs.meta.serve {site, schema}.
 */
import type { Env } from '../env.ts';
import { decodeMessage, encode, type Meta } from './messages.ts';

/** Starts the meta endpoint for database `db`. */
export async function startMeta(env: Env, db: string): Promise<{ served(): number }> {
  let served = 0;
  env.net.listen((conn) => {
    conn.onMessage((raw) => {
      const m = decodeMessage(raw);
      if (m === null || m.type !== 'MetaRequest' || m.db !== db) return conn.close();
      void env.kv
        .transaction(['meta'], 'readonly', async (tx) => [await tx.get('meta', 'site'), await tx.get('meta', 'schema')] as const)
        .then(([site, schema]) => {
          const answer: Meta = { type: 'Meta', db, site: typeof site === 'string' ? site : null, schema: typeof schema === 'number' ? schema : null };
          env.trace.emit('cs.meta.serve', { site: answer.site, schema: answer.schema });
          served++;
          if (conn.open) conn.send(encode(answer));
        });
    });
  });
  return { served: () => served };
}

/** Asks the meta endpoint at `address`; resolves null when it does not answer in time (blocked, down). */
export async function fetchMeta(env: Env, address: string, db: string, timeoutMs: number): Promise<Meta | null> {
  let conn;
  try {
    conn = await env.net.connect(address, { timeoutMs });
  } catch {
    return null;
  }
  const c = conn;
  return new Promise<Meta | null>((resolve) => {
    const timer = env.clock.setTimeout(() => {
      c.close();
      resolve(null);
    }, timeoutMs);
    c.onClose(() => {
      env.clock.clearTimer(timer);
      resolve(null);
    });
    c.onMessage((raw) => {
      const m = decodeMessage(raw);
      env.clock.clearTimer(timer);
      c.close();
      resolve(m !== null && m.type === 'Meta' ? m : null);
    });
    c.send(encode({ type: 'MetaRequest', db }));
  });
}
