/**
 * invariant:track-revisions — a durable track write raises the track's revision (a change applied twice,
 * or an older one over a newer, fails), except a tombstone replacing the live track of its own revision
 * and a duplicate mark (the conflict phase rewriting the track as it is, with only `dupOf` changed:
 * invariant:duplicates-resolved judges the marks);
 * a live track's durable content is whole: its blob is of its revision and hashes to its hash (a
 * crash or cancellation never leaves half an item); a tombstone's content is gone with it (the deletion
 * removes the blob in its own transaction: a deleted song's file kept on the device is a leak the user
 * cannot see or remove). Evidence: the library's durable tracks (fact records).
 */
import type { TraceCheck } from '../check.ts';
import type { D } from './check-options.ts';

/** Track writes raise revisions; live tracks have whole content. */
export function trackRevisionsCheck(): TraceCheck {
  const name = 'invariant:track-revisions';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const last = new Map<string, { rev: number; deleted: boolean; path: unknown; hash: unknown; dupOf: unknown }>();
      ctx.trace.on('fact.library.track', (r) => {
        const d = r.data as D;
        const key = `${d.device as string}:${d.provider as string}/${d.id as string}`;
        const rev = d.rev as number;
        const deleted = d.deleted as boolean;
        const before = last.get(key);
        last.set(key, { rev, deleted, path: d.path, hash: d.hash, dupOf: d.dupOf ?? null });
        ctx.exercised(name);
        const where = `${d.provider as string}/${d.id as string} on ${d.device as string} (trace #${r.i})`;
        const mark = before !== undefined && rev === before.rev && deleted === before.deleted && d.path === before.path && d.hash === before.hash && (d.dupOf ?? null) !== before.dupOf;
        if (before !== undefined && !mark && !(rev > before.rev || (rev === before.rev && deleted && !before.deleted))) {
          return ctx.fail('correctness', name, `${where} was written at rev ${rev}${deleted ? ' (deleted)' : ''} over rev ${before.rev}${before.deleted ? ' (deleted)' : ''}: a change applied twice or out of order`);
        }
        if (!deleted && (d.blob !== d.hash || d.blobRev !== rev)) {
          ctx.fail('correctness', name, `${where} is live at rev ${rev} with hash ${d.hash as string}, but its durable content is ${d.blob === null ? 'missing' : `rev ${String(d.blobRev)} hashing to ${d.blob as string}`}: a half-applied item`);
        } else if (deleted && d.blob !== null) {
          ctx.fail('correctness', name, `${where} is a tombstone at rev ${rev}, but its content (rev ${String(d.blobRev)}) is still stored beside it: a deletion that left the file behind`);
        }
      });
    },
  };
}
