/**
 * `fact.library.track` and `fact.library.job`: a library's durable tracks and sync jobs, read from its kv
 * commits (what a crash now would leave), never from its trace. docs/provider-sync.md, Evidence.
 *
 *   fact.library.track {device, provider, id, rev, deleted, path, hash, blob, blobRev, dupOf, title}   (node 'sim')
 *   fact.library.job   {device, job, provider, requested, type, state, from, cursor, items, bytes}
 *
 * - track: a durable write of `tracks/<provider>/<id>`; `blob` is the FNV-1a hash (computed here) of the
 *   content durably stored beside it (`blobs/<provider>/<id>`, `{rev, data}`), with its revision as
 *   `blobRev`, or null when there is none; `dupOf` is the track's duplicate mark (the canonical file id
 *   of its group of live tracks with one content hash), null when the record has none (or not a string);
 *   `title` is the title the track record holds (what the library shows for it), null when it has none.
 * - job: a durable write of `jobs/<id>`.
 * Decoded here from the library's documented layout, independently of `src/impl`. Only strict commits
 * are recorded (a relaxed one is not durable when it commits).
 */
import type { KvCommitView } from '../sim/disk/kv.ts';
import type { Simulation } from '../sim/simulation.ts';
import type { EvidenceRecorder } from './types.ts';

/** The fields of `fact.library.track`. */
export interface LibraryTrackFact {
  device: string;
  provider: string;
  id: string;
  rev: number;
  deleted: boolean;
  path: string;
  hash: string;
  blob: string | null;
  blobRev: number | null;
  dupOf: string | null;
  title: string | null;
}

/** The fields of `fact.library.job`. */
export interface LibraryJobFact {
  device: string;
  job: number;
  provider: string;
  requested: string;
  type: string;
  state: string;
  from: string | null;
  cursor: string | null;
  items: number;
  bytes: number;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** FNV-1a of a string's UTF-16 code units, 8 hex digits (the provider's content hash, docs/provider-sync.md). */
export function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

function decodeTrack(device: string, v: unknown, blob: unknown): LibraryTrackFact | null {
  if (!isObj(v) || typeof v.provider !== 'string' || typeof v.fileId !== 'string' || !Number.isInteger(v.rev)) return null;
  const b = isObj(blob) && typeof blob.data === 'string' && Number.isInteger(blob.rev) ? blob : null;
  return {
    device, provider: v.provider, id: v.fileId, rev: v.rev as number, deleted: v.deleted === true, path: String(v.path), hash: String(v.hash),
    blob: b === null ? null : fnv1a(b.data as string), blobRev: b === null ? null : (b.rev as number), dupOf: strOrNull(v.dupOf), title: strOrNull(v.title),
  };
}

function decodeJob(device: string, v: unknown): LibraryJobFact | null {
  if (!isObj(v) || !Number.isInteger(v.id) || typeof v.provider !== 'string' || typeof v.state !== 'string') return null;
  return {
    device, job: v.id as number, provider: v.provider, requested: String(v.requested), type: String(v.type), state: v.state,
    from: strOrNull(v.from), cursor: strOrNull(v.cursor), items: Number.isInteger(v.items) ? (v.items as number) : 0,
    bytes: Number.isInteger(v.bytes) ? (v.bytes as number) : 0,
  };
}

/** Records the two facts for every device whose commits write `tracks` or `jobs`. */
export function providerLibraryEvidence(): EvidenceRecorder {
  return {
    name: 'provider-library',
    produces: ['fact.library.track', 'fact.library.job'],
    install(sim: Simulation) {
      for (const device of sim.devices.values()) {
        device.kv.observeCommits((c: KvCommitView) => {
          if (c.durability !== 'strict') return;
          for (const w of c.writes) {
            if (w.store === 'tracks' && typeof w.key === 'string') {
              const f = decodeTrack(device.id, w.value, device.kv.durableGet('blobs', w.key));
              if (f !== null) sim.trace.emit('sim', 'fact.library.track', f as unknown as Record<string, unknown>);
            } else if (w.store === 'jobs') {
              const f = decodeJob(device.id, w.value);
              if (f !== null) sim.trace.emit('sim', 'fact.library.job', f as unknown as Record<string, unknown>);
            }
          }
        });
      }
    },
  };
}
