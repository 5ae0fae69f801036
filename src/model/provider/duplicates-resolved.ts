/**
 * invariant:duplicates-resolved — when a job of provider P becomes durably completed on a library's
 * device, that device's durable tracks of P (provider-truth.ts, from `fact.library.track`) carry the
 * duplicate marks of the job's conflict phase: in every group of two or more live tracks of P with one
 * content hash (the same song uploaded twice), the canonical member (the smallest file id, string order)
 * is unmarked and every other member is marked `dupOf: <canonical>`; every other track of P (alone with
 * its hash, or a tombstone) is unmarked. So a group that formed is marked, and one that changed (a member
 * modified or deleted, the canonical deleted) or dissolved has no stale mark left.
 *
 * Cost: a track's expected mark depends only on the live tracks sharing its hash, so each completion
 * judges only the hashes whose tracks were written (their hash before and after the write) since the last
 * judgement of that (device, provider); the first judges every hash. `full: true` judges every hash each
 * time (the same verdicts, test/provider/duplicates.test.ts).
 */
import type { TraceCheck } from '../check.ts';
import type { D } from './check-options.ts';
import { onCompletion, truthOf, type TrackState } from './provider-truth.ts';

/** The tracks of one (device, provider) indexed by content hash, and the hashes written since the last judgement. */
interface Groups {
  /** File id -> the hash its durable track has. */
  hashOf: Map<string, string>;
  /** Hash -> the file ids whose durable track has it (tombstones included). */
  byHash: Map<string, Set<string>>;
  dirty: Set<string>;
}

const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** How the tracks `ids` of `provider` with hash `hash` (`tracks`: a device's) miss their marks: [id, why]. */
function wrongMarks(provider: string, hash: string, ids: Iterable<string>, tracks: ReadonlyMap<string, TrackState>): [string, string][] {
  const states = [...ids].sort(byId).map((id) => [id, tracks.get(`${provider}/${id}`)!] as [string, TrackState]);
  const live = states.filter(([, t]) => !t.deleted).map(([id]) => id);
  const canonical = live.length >= 2 ? live[0]! : null;
  const wrong: [string, string][] = [];
  for (const [id, t] of states) {
    const want = canonical !== null && !t.deleted && id !== canonical ? canonical : null;
    if (t.dupOf === want) continue;
    const why = t.deleted ? 'it is a tombstone' : live.length < 2 ? `it is the only live track with hash ${hash}` : `the live tracks with hash ${hash} are ${live.join(', ')}`;
    wrong.push([id, `${id} is ${t.dupOf === null ? 'unmarked' : `marked dupOf ${t.dupOf}`}, not ${want === null ? 'unmarked' : `dupOf ${want}`} (${why})`]);
  }
  return wrong;
}

/** At every durable completion of a job of P, P's tracks on that device carry exactly the duplicate marks. */
export function duplicatesResolvedCheck(options: { full?: boolean } = {}): TraceCheck {
  const name = 'invariant:duplicates-resolved';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const truth = truthOf(ctx);
      const groups = new Map<string, Groups>();
      ctx.trace.on('fact.library.track', (r) => {
        const d = r.data as D;
        const key = `${d.device as string}|${d.provider as string}`;
        let g = groups.get(key);
        if (g === undefined) groups.set(key, (g = { hashOf: new Map(), byHash: new Map(), dirty: new Set() }));
        const id = d.id as string;
        const hash = d.hash as string;
        const before = g.hashOf.get(id);
        if (before !== undefined && before !== hash) {
          g.byHash.get(before)!.delete(id);
          g.dirty.add(before);
        }
        g.hashOf.set(id, hash);
        let ids = g.byHash.get(hash);
        if (ids === undefined) g.byHash.set(hash, (ids = new Set()));
        ids.add(id);
        g.dirty.add(hash);
      });
      onCompletion(ctx, ({ device, provider, job }, r) => {
        ctx.exercised(name);
        const g = groups.get(`${device}|${provider}`);
        if (g === undefined) return;
        const tracks = truth.tracks.get(device)!;
        const wrong = [...(options.full === true ? g.byHash.keys() : g.dirty)].flatMap((hash) => wrongMarks(provider, hash, g.byHash.get(hash) ?? [], tracks));
        g.dirty.clear();
        if (wrong.length === 0) return;
        const shown = wrong.sort((a, b) => byId(a[0], b[0])).slice(0, 3).map(([, w]) => w);
        ctx.fail('correctness', name, `job ${job} of ${provider} completed on ${device}, but its durable duplicate marks are not resolved: ${shown.join('; ')}${wrong.length > 3 ? ` (${wrong.length} tracks in all)` : ''} (trace #${r.i})`);
      });
    },
  };
}
