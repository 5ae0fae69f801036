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
});
