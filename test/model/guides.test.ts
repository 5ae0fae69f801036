/**
 * The per-model guides (docs/guides/*.md) are generated from the models by `npm run guides`
 * (src/build/model-guide.ts): the committed files must be what the generator writes now, so a model change
 * that is not regenerated fails here. One guide's content is checked against the model it describes.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GUIDE_MODELS, GUIDES_DIR, guardSource, renderGuides } from '../../src/build/model-guide.ts';

const files = renderGuides();

describe('model guides', () => {
  it('the committed docs/guides are what `npm run guides` writes now', () => {
    const stale: string[] = [];
    for (const [name, text] of files) {
      const file = path.join(GUIDES_DIR, name);
      if (!existsSync(file) || readFileSync(file, 'utf8') !== text) stale.push(path.relative(process.cwd(), file));
    }
    const extra = readdirSync(GUIDES_DIR).filter((f) => !files.has(f));
    expect(stale, `out of date with the models: ${stale.join(', ')}; run \`npm run guides\` and commit the result`).toEqual([]);
    expect(extra, `not written by \`npm run guides\` (remove them, or run it): ${extra.join(', ')}`).toEqual([]);
  });

  it('covers every model, and the index links each guide', () => {
    expect(GUIDE_MODELS.map((m) => m.name)).toEqual(['recovery', 'election', 'request', 'backfill', 'sync-status', 'sync-job']);
    for (const m of GUIDE_MODELS) expect(files.get('README.md')).toContain(`](${m.name}.md)`);
  });

  it("recovery: 'down' takes the event store.fence maps to, with its guard, and refuses a commit", () => {
    const guide = files.get('recovery.md')!;
    // The kind table: store.fence becomes FENCE for the node that traced it, reading commit and epoch.
    expect(guide).toMatch(/^\| `store\.fence` \| commit, epoch \| `FENCE` \(A\) \|/m);
    const down = guide.slice(guide.indexOf('### `down` (initial)'), guide.indexOf('### `crashed`'));
    expect(down).toContain('| `FENCE` | `store.fence` | [fenceDurable](#guard-fencedurable) | stays | the machine (every state) |');
    expect(down).toMatch(/Refused here \(illegal in this state\): .*`COMMIT_BEGIN` \(`store\.commit\.begin`\)/);
    // The guard's section gives the sentences of its reason function.
    expect(guide).toContain('- the store reports fence commit {n(e)}, but the durable commit point is {durableAt(c, e)}');
    expect(guide).toMatch(/### `recovering\.scanning` \(hot\)/);
  });

  it('finds the reason functions behind guards built by the machine (not in ModelSpec.reasons)', () => {
    const src = guardSource('completedThenPending', ['src/model/provider/sync-job-model.ts'])!;
    expect(src.holder).toBe('syncJobMachine');
    expect(src.sentences).toContain('no job is pending');
    expect(src.sentences.some((s) => s.startsWith('job {j.job} completed: '))).toBe(true);
  });
});
