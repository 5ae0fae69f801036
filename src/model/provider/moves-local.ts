/**
 * invariant:moves-local — a move (or rename) of a file whose content the library holds is applied
 * locally, never by downloading the content again: when the network delivers to a library a change page
 * (`fact.provider.reply` op `Changes`) naming `<fileId>@<rev>`, where the provider's durable history
 * (`fact.provider.file`) shows that revision as a move (the file live before and after, another path, the
 * same content hash), and the library's last durable track of that file before the delivery
 * (`fact.library.track`) is live at an older revision with that same hash, then no `Download` of
 * `<fileId>@<rev>` from that library may reach the provider (`fact.provider.request`), unless a listing
 * page delivered to it named that revision too (a listing entry carries no operation: the built-in library
 * downloads it) or the library durably held the move's revision or a newer one by the time it sent the
 * request (invariant:downloads-once judges that).
 *
 * The library's track only moves forward (invariant:track-revisions), so a worker that takes the move
 * after the page's delivery finds the held content: the decision is the library's whatever the timing.
 * What it catches: moves fetched again (the move operation ignored, a move item queued as a download, the
 * held content compared by the wrong field). The library's end state is right either way: only the
 * traffic and the delivered downloads show it.
 */
import type { TraceCheck } from '../check.ts';
import { devicesOf } from '../check.ts';
import type { ProviderCheckOptions, D } from './check-options.ts';
import { truthOf } from './provider-truth.ts';

/** A move of held content is never downloaded. */
export function movesLocalCheck(options: Pick<ProviderCheckOptions, 'libraries'>): TraceCheck {
  const name = 'invariant:moves-local';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const libraries = new Set(options.libraries);
      const truth = truthOf(ctx);
      const devices = devicesOf(ctx);
      const deviceOf = (node: string): string => devices.get(node) ?? node;
      /** `<device>|<provider>/<fileId>` -> its durable track writes: [when (µs), revision, live, hash], in order. */
      const tracks = new Map<string, [number, number, boolean, string][]>();
      ctx.trace.on('fact.library.track', (r) => {
        const d = r.data as D;
        const key = `${d.device as string}|${d.provider as string}/${d.id as string}`;
        let list = tracks.get(key);
        if (list === undefined) tracks.set(key, (list = []));
        list.push([r.t, d.rev as number, d.deleted !== true, d.hash as string]);
      });
      const heldBefore = (device: string, provider: string, fileId: string, us: number): [number, number, boolean, string] | undefined => {
        let last: [number, number, boolean, string] | undefined;
        for (const w of tracks.get(`${device}|${provider}/${fileId}`) ?? []) if (w[0] < us) last = w;
        return last;
      };
      /** `<library>|<provider>|<fileId>@<rev>` named by a listing page delivered to the library. */
      const listed = new Set<string>();
      /** `<library>|<provider>|<fileId>@<rev>` -> what must be moved locally: the held revision and the page's trace index. */
      const mustMove = new Map<string, { heldRev: number; page: number }>();
      ctx.trace.on('fact.provider.reply', (r) => {
        const d = r.data as D;
        const lib = d.to as string;
        const provider = d.from as string;
        if (!libraries.has(lib) || (d.op !== 'Files' && d.op !== 'Changes')) return;
        for (const [id, rev, deleted] of (d.entries as [string, number, boolean][] | undefined) ?? []) {
          const key = `${lib}|${provider}|${id}@${rev}`;
          if (d.op === 'Files') {
            listed.add(key);
            continue;
          }
          if (deleted || mustMove.has(key)) continue;
          const history = truth.files.get(provider)?.get(id) ?? [];
          const at = history.findIndex((f) => f.rev === rev);
          const now = history[at];
          const before = at > 0 ? history[at - 1] : undefined;
          if (now === undefined || before === undefined || now.deleted || before.deleted || now.hash !== before.hash || now.path === before.path) continue;
          const held = heldBefore(deviceOf(lib), provider, id, r.t);
          if (held === undefined || !held[2] || held[3] !== now.hash || held[1] >= rev) continue;
          mustMove.set(key, { heldRev: held[1], page: r.i });
          ctx.exercised(name); // a move the library must apply to the content it holds
        }
      });
      ctx.trace.on('fact.provider.request', (r) => {
        const d = r.data as D;
        const lib = d.from as string;
        if (d.op !== 'Download' || !libraries.has(lib)) return;
        const provider = d.to as string;
        const fileId = d.fileId as string;
        const rev = d.rev as number;
        const key = `${lib}|${provider}|${fileId}@${rev}`;
        const must = mustMove.get(key);
        if (must === undefined) return;
        if (listed.has(key)) return;
        const held = heldBefore(deviceOf(lib), provider, fileId, d.sentUs as number);
        if (held !== undefined && held[1] >= rev) return;
        ctx.fail('correctness', name, `${lib} downloaded ${provider}'s ${fileId}@${rev} (request delivered at trace #${r.i}), a move of content it durably held (rev ${must.heldRev}, the same hash) when the change page naming the move was delivered (trace #${must.page}): a move is applied to the held content, not fetched again`);
      });
    },
  };
}
