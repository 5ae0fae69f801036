/**
 * The simulated cloud provider on its own, driven by a scripted client: paged listing as a snapshot that
 * trails the feed (eventual consistency), the change feed by cursor, expiry by trimming and by reset
 * (410), error injection (429 with retry-after, 5xx), downloads by revision (404 once superseded).
 */
import { describe, expect, it } from 'vitest';
import { ProviderClient } from '../../src/impl/provider/client.ts';
import { startProvider, type ProviderHandle } from '../../src/impl/provider/server.ts';
import type { ProviderReply, RequestBody } from '../../src/impl/provider/messages.ts';
import { resolveLibraryOptions, resolveProviderOptions } from '../../src/impl/provider/options.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario, ScenarioContext } from '../../src/scenario/types.ts';

/** What the script saw, by step name. */
type Seen = Record<string, ProviderReply>;

/** Runs `script` on a client node against provider P1 (pages of 3, 4 feed entries kept, 7 seed files, index 100 ms behind). */
async function withProvider(workload: (ctx: ScenarioContext) => void, script: (ask: (step: string, body: RequestBody) => Promise<ProviderReply>, sleep: (ms: number) => Promise<void>) => Promise<void>): Promise<Seen> {
  const seen: Seen = {};
  let done = false;
  const scenario: Scenario = {
    name: 'provider-server-script',
    description: 'a scripted client against one provider',
    suites: [],
    topology: { nodes: [{ id: 'P1', role: 'provider' }, { id: 'C', role: 'client', startAtMs: 1 }] },
    program: (node) => (env) => {
      if (node.role === 'provider') return startProvider(env, { pageSize: 3, feedMax: 4, listingLagMs: 100, seedFiles: 7 });
      const client = new ProviderClient(env, 'P1', 1_000);
      const ask = async (step: string, body: RequestBody): Promise<ProviderReply> => (seen[step] = await client.call(body));
      void script(ask, (ms) => env.clock.sleep(ms)).then(() => (done = true));
      return {};
    },
    workload,
    durationMs: 2_000,
  };
  const r = await runScenario(scenario, 1);
  expect(r.verdict, r.failure?.message).toBe('pass');
  expect(done).toBe(true);
  return seen;
}

const put = (ctx: ScenarioContext, at: number, path: string): void => ctx.at(at, () => void ctx.handle<ProviderHandle>('P1')!.put(path, `data ${path}`));

describe('simulated provider', () => {
  it('lists in pages as of a snapshot that trails the feed, and serves the feed from a cursor', async () => {
    const seen = await withProvider(
      (ctx) => {
        put(ctx, 20, '/a.mp3');
        put(ctx, 25, '/b.mp3');
      },
      async (ask, sleep) => {
        await sleep(5);
        await ask('page1', { type: 'ListFiles', pageToken: null });
        await sleep(40);
        await ask('early', { type: 'ListFiles', pageToken: null });
        await ask('feed', { type: 'GetChanges', cursor: '0:7' });
        await ask('latest', { type: 'GetChanges', cursor: null });
        await sleep(200);
        await ask('late', { type: 'ListFiles', pageToken: null });
      },
    );
    expect(seen.page1).toMatchObject({ type: 'Files', asOf: '0:7', next: '0:7:f00000003' });
    expect((seen.page1 as { entries: unknown[] }).entries).toHaveLength(3);
    // 20 ms after two changes the listing still shows the snapshot before them; the feed has them.
    expect(seen.early).toMatchObject({ type: 'Files', asOf: '0:7' });
    expect(seen.feed).toMatchObject({ type: 'Changes', cursor: '0:9', hasMore: false });
    expect((seen.feed as { entries: { op: string; path: string }[] }).entries.map((e) => [e.op, e.path])).toEqual([['added', '/a.mp3'], ['added', '/b.mp3']]);
    expect(seen.latest).toMatchObject({ type: 'Changes', cursor: '0:9', hasMore: false, entries: [] });
    expect(seen.late).toMatchObject({ type: 'Files', asOf: '0:9' });
  });

  it('expires cursors the trimmed feed no longer covers, and every cursor at a reset', async () => {
    const seen = await withProvider(
      (ctx) => ctx.at(50, () => void ctx.handle<ProviderHandle>('P1')!.resetFeed()),
      async (ask, sleep) => {
        await sleep(5);
        await ask('kept', { type: 'GetChanges', cursor: '0:3' });
        await ask('trimmed', { type: 'GetChanges', cursor: '0:2' });
        await sleep(80);
        await ask('reset', { type: 'GetChanges', cursor: '0:7' });
        await ask('head', { type: 'GetChanges', cursor: null });
        await ask('download', { type: 'Download', fileId: 'f00000002', rev: 2 });
        await ask('stale', { type: 'Download', fileId: 'f00000002', rev: 1 });
      },
    );
    expect(seen.kept).toMatchObject({ type: 'Changes', cursor: '0:6', hasMore: true });
    expect(seen.trimmed).toMatchObject({ type: 'Error', status: 410 });
    expect(seen.reset).toMatchObject({ type: 'Error', status: 410 });
    expect(seen.head).toMatchObject({ type: 'Changes', cursor: '1:7' });
    expect(seen.download).toMatchObject({ type: 'Content', fileId: 'f00000002', rev: 2, data: 'seed-2' });
    expect(seen.stale).toMatchObject({ type: 'Error', status: 404 });
  });

  it('answers 429 with its retry-after and 5xx at the configured rates', async () => {
    const statuses: number[] = [];
    await withProvider(
      (ctx) => ctx.at(5, () => ctx.handle<ProviderHandle>('P1')!.setErrors({ rate429: 0.3, rate5xx: 0.3, retryAfterMs: 70 })),
      async (ask, sleep) => {
        await sleep(10);
        for (let i = 0; i < 100; i++) {
          const r = await ask('r', { type: 'GetChanges', cursor: null });
          statuses.push(r.type === 'Error' ? r.status : 200);
          if (r.type === 'Error' && r.status === 429) expect(r.retryAfterMs).toBe(70);
        }
      },
    );
    const share = (f: (s: number) => boolean): number => statuses.filter(f).length / statuses.length;
    expect(share((s) => s === 429)).toBeGreaterThan(0.2);
    expect(share((s) => s >= 500)).toBeGreaterThan(0.2);
    expect(share((s) => s === 200)).toBeGreaterThan(0.3);
  });
});

describe('simulated provider: the operations its users make', () => {
  /** Every live file the listing shows once the index caught up (all pages), as [id, path, rev]. */
  async function listAll(ask: (step: string, body: RequestBody) => Promise<ProviderReply>, step: string): Promise<[string, string, number][]> {
    const out: [string, string, number][] = [];
    let token: string | null = null;
    for (let page = 0; page < 20; page++) {
      const r = await ask(`${step}.${page}`, { type: 'ListFiles', pageToken: token });
      if (r.type !== 'Files') throw new Error(`listing: ${JSON.stringify(r)}`);
      for (const e of r.entries) out.push([e.id, e.path, e.rev]);
      if (r.next === null) return out;
      token = r.next;
    }
    throw new Error('listing never ended');
  }

  it('put adds a file under a new id or modifies the file at that path; remove and move change the listing and the feed', async () => {
    let handle: ProviderHandle | null = null;
    const errors: string[] = [];
    const lists: Record<string, [string, string, number][]> = {};
    const seen = await withProvider(
      (ctx) => {
        const p = (): ProviderHandle => (handle = ctx.handle<ProviderHandle>('P1')!);
        ctx.at(10, () => void p().put('/new.mp3', 'one'));
        ctx.at(15, () => void p().put('/music/seed-000002.mp3', 'changed'));
        ctx.at(20, () => void p().remove('f00000003'));
        ctx.at(25, () => void p().move('f00000004', '/moved.mp3'));
        ctx.at(30, () => void p().move('f00000005', '/new.mp3').catch((e: Error) => errors.push(e.message)));
        ctx.at(35, () => void p().put('/other.mp3', 'two'));
        // A file that is not live cannot be removed or moved.
        ctx.at(40, () => void p().remove('f00000003').catch((e: Error) => errors.push(e.message)));
        ctx.at(45, () => void p().move('f00000099', '/x.mp3').catch((e: Error) => errors.push(e.message)));
      },
      async (ask, sleep) => {
        await sleep(300);
        // The feed keeps its 4 newest entries; it answers 3 at a time.
        const first = await ask('feed', { type: 'GetChanges', cursor: '0:8' });
        if (first.type === 'Changes') await ask('feed2', { type: 'GetChanges', cursor: first.cursor });
        lists.after = await listAll(ask, 'list');
      },
    );
    type Feed = { entries: { op: string; id: string; path: string; rev: number }[] };
    const feed = [...(seen.feed as Feed).entries, ...(seen.feed2 as Feed).entries];
    expect(feed.map((e) => [e.op, e.id, e.path, e.rev])).toEqual([
      ['modified', 'f00000002', '/music/seed-000002.mp3', 9],
      ['deleted', 'f00000003', '/music/seed-000003.mp3', 10],
      ['moved', 'f00000004', '/moved.mp3', 11],
      ['added', 'f00000012', '/other.mp3', 12],
    ]);
    expect(errors).toEqual(['provider: /new.mp3 exists', 'provider: no live file f00000003', 'provider: no live file f00000099']);
    // The listing (index caught up): each live file once, at its latest revision; the deleted one gone.
    expect(lists.after!.map(([id]) => id)).toEqual(['f00000001', 'f00000002', 'f00000004', 'f00000005', 'f00000006', 'f00000007', 'f00000008', 'f00000012']);
    expect(lists.after!.find(([id]) => id === 'f00000008')).toEqual(['f00000008', '/new.mp3', 8]);
    expect(lists.after!.find(([id]) => id === 'f00000002')).toEqual(['f00000002', '/music/seed-000002.mp3', 9]);
    expect(lists.after!.find(([id]) => id === 'f00000004')).toEqual(['f00000004', '/moved.mp3', 11]);
    const live = handle!.live().map((f) => [f.id, f.path]).sort();
    expect(live).toContainEqual(['f00000004', '/moved.mp3']);
    expect(live.map(([id]) => id)).not.toContain('f00000003');
    expect(live).toHaveLength(8);
  });
});

describe('provider options', () => {
  it('fill in defaults and name a bad field', () => {
    expect(resolveProviderOptions({})).toMatchObject({ pageSize: 100, feedMax: 10_000, listingLagMs: 300, seedFiles: 0, errors: { rate429: 0, rate5xx: 0, retryAfterMs: 200 } });
    expect(() => resolveProviderOptions({ pageSize: 0 })).toThrow(/pageSize must be an integer in 1\.\.10000/);
    expect(() => resolveProviderOptions({ errors: { rate5xx: 1.5 } })).toThrow(/errors\.rate5xx must be a probability/);
    expect(resolveLibraryOptions({ providers: ['P2', 'P1'] })).toMatchObject({ providers: ['P1', 'P2'], maxConcurrent: 4, queueMax: 64, variant: '' });
    expect(() => resolveLibraryOptions({ providers: [] })).toThrow(/providers must be a non-empty list/);
    expect(() => resolveLibraryOptions({ providers: ['P1', 'P1'] })).toThrow(/distinct/);
    expect(() => resolveLibraryOptions({ providers: ['P1'], variant: 'provider-nope' })).toThrow(/not a provider variant/);
    expect(resolveLibraryOptions({ providers: ['P1'], variant: 'peer-prune-early' }).variant).toBe('');
  });

  it.each([
    ['maxConcurrent', 4, 1, 1_000],
    ['queueMax', 64, 1, 1_000_000],
    ['retriesMax', 6, 0, 100],
    ['backoffMs', 50, 1, 600_000],
    ['requestTimeoutMs', 2_000, 1, 600_000],
    ['retryJobMs', 500, 1, 600_000],
    ['progressCapacity', 16, 1, 100_000],
    ['viewRenderMs', 1, 0, 60_000],
  ] as const)('library option %s: default %d, an integer in %d..%d, a bad value named in the error', (field, dflt, min, max) => {
    expect(resolveLibraryOptions({ providers: ['P1'] })[field]).toBe(dflt);
    expect(resolveLibraryOptions({ providers: ['P1'], [field]: max })[field]).toBe(max);
    for (const bad of [min - 1, max + 1, 1.5]) {
      expect(() => resolveLibraryOptions({ providers: ['P1'], [field]: bad })).toThrow(`library options: ${field} must be an integer in ${min}..${max}, got ${bad}`);
    }
  });
});
