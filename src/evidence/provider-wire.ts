/**
 * `fact.provider.request` / `fact.provider.reply`: what the network delivered between libraries and
 * cloud providers, decoded from the message bodies (the wire format of docs/provider-sync.md, read here
 * independently of `src/impl`), as compact facts. Emitted on node 'sim' right after the delivery's
 * `net.deliver`, before the receiver's handler runs; `sentUs` is when the message was sent.
 *
 *   fact.provider.request {from, to, sentUs, reqId, op, cursor, pageToken, fileId, rev}
 *   fact.provider.reply   {from, to, sentUs, reqId, op, status, n, cursor, hasMore, next, asOf, askedCursor, askedToken, entries,
 *                          fileId, rev, size, retryAfterMs}
 *
 * - request: op 'ListFiles' | 'GetChanges' | 'Download'; the fields the op does not carry are null (`fileId`
 *   and `rev`: the file and revision a Download asks for).
 * - reply: op 'Files' | 'Changes' | 'Content' | 'Error'; status 200 except for Error; n entries; cursor
 *   and hasMore of a Changes page; next and asOf of a Files page; askedCursor and askedToken: the cursor or
 *   page token of the request it answers, as that request was delivered (null when it had none, or when no
 *   such request was delivered); entries: the page's entries as `[id, rev, deleted]` (a listing entry is
 *   never deleted; empty for Content and Error), what the library now holds in memory to work on
 *   (`invariant:queue-bound`); fileId, rev, size: a Content's file, revision and the length of its data
 *   (null otherwise); retryAfterMs: an Error's retry-after (null when it has none, and for other replies).
 */
import type { Simulation } from '../sim/simulation.ts';
import type { EvidenceRecorder } from './types.ts';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const intOrNull = (v: unknown): number | null => (Number.isInteger(v) ? (v as number) : null);
const REQUESTS = new Set(['ListFiles', 'GetChanges', 'Download']);
const REPLIES = new Set(['Files', 'Changes', 'Content', 'Error']);

/** A page entry as `[id, rev, deleted]`, or null when it is not a well-formed file entry. */
function entryOf(e: unknown): [string, number, boolean] | null {
  if (!isObj(e) || typeof e.id !== 'string' || !Number.isInteger(e.rev)) return null;
  return [e.id, e.rev as number, e.op === 'deleted'];
}

/** Records the wire facts of the provider protocol. */
export function providerWireEvidence(): EvidenceRecorder {
  return {
    name: 'provider-wire',
    produces: ['fact.provider.request', 'fact.provider.reply'],
    install(sim: Simulation) {
      // `${requester}>${provider}#${reqId}` -> what the delivered request asked (a reply answers it once).
      const asked = new Map<string, { cursor: string | null; pageToken: string | null }>();
      sim.network.observeDeliveries((from, to, m, sentUs) => {
        if (!isObj(m) || typeof m.type !== 'string' || !Number.isInteger(m.reqId)) return;
        if (REQUESTS.has(m.type)) {
          asked.set(`${from}>${to}#${m.reqId as number}`, { cursor: strOrNull(m.cursor), pageToken: strOrNull(m.pageToken) });
          sim.trace.emit('sim', 'fact.provider.request', {
            from, to, sentUs, reqId: m.reqId, op: m.type, cursor: strOrNull(m.cursor), pageToken: strOrNull(m.pageToken), fileId: strOrNull(m.fileId),
            rev: m.type === 'Download' ? intOrNull(m.rev) : null,
          });
        } else if (REPLIES.has(m.type)) {
          const entries = Array.isArray(m.entries) ? (m.entries as unknown[]) : [];
          const decoded = entries.map(entryOf).filter((e): e is [string, number, boolean] => e !== null);
          const key = `${to}>${from}#${m.reqId as number}`;
          const q = asked.get(key);
          asked.delete(key);
          sim.trace.emit('sim', 'fact.provider.reply', {
            from, to, sentUs, reqId: m.reqId, op: m.type, status: m.type === 'Error' ? Number(m.status) : 200, n: entries.length,
            cursor: strOrNull(m.cursor), hasMore: m.hasMore === true, next: strOrNull(m.next), asOf: strOrNull(m.asOf),
            askedCursor: q?.cursor ?? null, askedToken: q?.pageToken ?? null, entries: decoded,
            ...(m.type === 'Content'
              ? { fileId: strOrNull(m.fileId), rev: intOrNull(m.rev), size: typeof m.data === 'string' ? m.data.length : null }
              : { fileId: null, rev: null, size: null }),
            retryAfterMs: m.type === 'Error' ? intOrNull(m.retryAfterMs) : null,
          });
        }
      });
    },
  };
}
