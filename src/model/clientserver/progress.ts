/**
 * invariant:progress — download progress (the seed's Gap 3 and Recommendation 2) against what the network
 * delivered and what the server's durable log holds: a download announced by a Welcome starts at 0 with
 * the total of records (and bytes) the durable log holds between the client's cursor (its Hello) and the
 * head; every report counts exactly the records and bytes of a prefix of the batches delivered so far
 * (never chunks), never goes back, estimates no negative time, and the client is green only once the
 * download reached its total exactly (the estimate then 0).
 */
import type { TraceCheck } from '../check.ts';
import { truthOf } from './cs-truth.ts';

/** The download a client is in. */
interface Download {
  conn: string;
  /** The client's number for it (from its first progress report). */
  id: number | null;
  head: number;
  total: number;
  bytes: number;
  /** Prefix sums of the records and bytes delivered in this download: [0, 0] first. */
  prefix: [number, number][];
  /** The last `done` reported. */
  done: number;
}

/** invariant:progress for `clients` (see the file comment). */
export function progressCheck(clients: readonly string[]): TraceCheck {
  const name = 'invariant:progress';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const truth = truthOf(ctx, clients);
      const fail = (msg: string, i: number): void => ctx.fail('correctness', name, `${msg} (trace #${i})`);
      const hello = new Map<string, { cursor: number; server: string | null; schema: number }>(); // conn -> Hello
      const downloads = new Map<string, Download>(); // client -> its current download
      const t = ctx.trace;
      t.on('fact.cs.hello', (r) => void hello.set(r.data.conn as string, { cursor: r.data.cursor as number, server: r.data.server as string | null, schema: r.data.schema as number }));
      t.on('fact.cs.welcome', (r) => {
        const d = r.data;
        const client = d.client as string;
        downloads.delete(client);
        const h = hello.get(d.conn as string);
        if (h === undefined || d.site !== truth.serverSite) return;
        const compatible = h.schema === d.schema && (h.server === null || h.server === d.site) && h.cursor <= (d.head as number);
        if (!compatible) return;
        const inRange = truth.entries.filter((e) => e.seq > h.cursor && e.seq <= (d.head as number));
        const total = inRange.length;
        const bytes = inRange.reduce((n, e) => n + (e.value?.length ?? 0), 0);
        ctx.exercised(name);
        if (d.total !== total || d.bytes !== bytes) {
          return fail(`the Welcome to ${client} announces ${String(d.total)} records (${String(d.bytes)} bytes), the server's durable log holds ${total} (${bytes} bytes) after its cursor ${h.cursor}`, r.i);
        }
        if (total > 0) downloads.set(client, { conn: d.conn as string, id: null, head: d.head as number, total, bytes, prefix: [[0, 0]], done: 0 });
      });
      t.on('fact.cs.changes', (r) => {
        const dl = downloads.get(r.data.client as string);
        if (dl === undefined || dl.conn !== r.data.conn || (r.data.last as number) > dl.head) return;
        const [n, b] = dl.prefix[dl.prefix.length - 1]!;
        dl.prefix.push([n + (r.data.n as number), b + (r.data.bytes as number)]);
      });
      t.on('cs.progress', (r) => {
        const dl = downloads.get(r.node);
        const d = r.data as { download: number; done: number; total: number; bytes: number; totalBytes: number; etaMs: number };
        if (dl === undefined) return fail(`${r.node} reports download progress ${d.done}/${d.total} without a download announced to it`, r.i);
        ctx.exercised(name);
        if (dl.id === null) {
          dl.id = d.download;
          if (d.done !== 0) return fail(`${r.node}'s download starts at ${d.done}, not 0`, r.i);
        }
        if (d.download !== dl.id) return fail(`${r.node} reports download ${d.download} during download ${dl.id}`, r.i);
        if (d.total !== dl.total || d.totalBytes !== dl.bytes) return fail(`${r.node} reports a total of ${d.total} records (${d.totalBytes} bytes); the download holds ${dl.total} (${dl.bytes} bytes)`, r.i);
        if (!dl.prefix.some(([n, b]) => n === d.done && b === d.bytes)) {
          return fail(`${r.node} reports ${d.done} records (${d.bytes} bytes) done; the batches delivered so far add up to ${dl.prefix.map(([n, b]) => `${n} (${b} B)`).join(', ')}`, r.i);
        }
        if (d.done < dl.done) return fail(`${r.node}'s progress went back from ${dl.done} to ${d.done}`, r.i);
        if (d.etaMs < 0 || (d.done === d.total && d.etaMs !== 0)) return fail(`${r.node} estimates ${d.etaMs} ms left at ${d.done}/${d.total}`, r.i);
        dl.done = d.done;
      });
      t.on('cs.status', (r) => {
        const dl = downloads.get(r.node);
        if (dl === undefined || (r.data.status !== 'synced' && r.data.status !== 'syncing')) return;
        ctx.exercised(name);
        if (dl.done !== dl.total) fail(`${r.node} shows ${String(r.data.status)} with its download at ${dl.done}/${dl.total}`, r.i);
        downloads.delete(r.node);
      });
    },
  };
}
