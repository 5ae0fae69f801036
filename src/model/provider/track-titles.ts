/**
 * invariant:track-titles — the title a library durably holds for a live track (`fact.library.track`
 * `title`, what it shows the user) is the title of the provider's content at the track's revision
 * (`fact.provider.file` `title`: computed by the recorder from the content the provider stored, by the
 * library's tag rule: the content's first line, at most 64 UTF-16 code units). A move keeps the content,
 * so it keeps the title of the revision it moved; a duplicate mark rewrites the track as it is.
 *
 * What it catches: a title taken from the wrong part of the content (the wrong line, not cut, cut short),
 * from the path, from an older revision of the file (a modification applied without re-reading the tags),
 * or lost on a rewrite (a move, a mark). Tombstones are not judged (a deleted file shows nothing). A track
 * whose revision the provider's durable history does not hold is not judged here
 * (invariant:completed-work-durable judges what the library holds).
 */
import type { TraceCheck } from '../check.ts';
import type { D } from './check-options.ts';

/** Live tracks carry the title of their revision's content at the provider. */
export function trackTitlesCheck(): TraceCheck {
  const name = 'invariant:track-titles';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      /** `<provider>/<id>@<rev>` -> the title of the provider's content at that revision. */
      const titles = new Map<string, string | null>();
      ctx.trace.on('fact.provider.file', (r) => {
        const d = r.data as D;
        if (d.deleted !== true) titles.set(`${d.provider as string}/${d.id as string}@${d.rev as number}`, (d.title as string | null | undefined) ?? null);
      });
      ctx.trace.on('fact.library.track', (r) => {
        const d = r.data as D;
        if (d.deleted === true) return;
        const key = `${d.provider as string}/${d.id as string}`;
        const rev = d.rev as number;
        // The revision the track's content came from: a move keeps the content, so its title is that of
        // the file's content at the move's revision (the provider stores the moved content with it).
        const want = titles.get(`${key}@${rev}`);
        if (want === undefined || want === null) return;
        ctx.exercised(name);
        const held = (d.title as string | null | undefined) ?? null;
        if (held === want) return;
        ctx.fail('correctness', name, `${key} on ${d.device as string} is live at rev ${rev} titled ${JSON.stringify(held)} (trace #${r.i}), but the provider's content at that revision is titled ${JSON.stringify(want)}: the library shows a wrong title`);
      });
    },
  };
}
