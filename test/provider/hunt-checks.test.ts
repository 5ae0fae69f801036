/**
 * The checks that closed the bug classes the 2026-12-07 hunt left open (moves, titles, a reply timer), on
 * hand-made facts: what each allows and what it refuses. Their weakened variants are in variants.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { closesWhenOverdueCheck, movesLocalCheck, trackTitlesCheck } from '../../src/model/provider/index.ts';
import type { TraceCheck } from '../../src/model/check.ts';
import { checkHarness, type CheckHarness } from '../check-harness.ts';

function at(check: TraceCheck): CheckHarness & { ms(ms: number): void } {
  let now = 0;
  const h = checkHarness(check, { now: () => now });
  h.emit('L', 'node.start', { device: 'L' });
  return { ...h, ms: (ms) => void (now = ms * 1000) };
}

const file = (id: string, rev: number, path: string, hash: string, title: string | null = 't', deleted = false): Record<string, unknown> => ({ provider: 'P1', id, rev, path, hash, deleted, title });
const track = (id: string, rev: number, hash: string, title: string | null = 't', deleted = false): Record<string, unknown> => ({
  device: 'L', provider: 'P1', id, rev, deleted, path: '/x', hash, blob: deleted ? null : hash, blobRev: deleted ? null : rev, dupOf: null, title,
});
const reply = (op: string, entries: [string, number, boolean][]): Record<string, unknown> => ({ from: 'P1', to: 'L', sentUs: 0, reqId: 9, op, status: 200, n: entries.length, entries });
const download = (fileId: string, rev: number, sentMs: number, reqId = 10): Record<string, unknown> => ({ from: 'L', to: 'P1', sentUs: sentMs * 1000, reqId, op: 'Download', cursor: null, pageToken: null, fileId, rev });

describe('invariant:track-titles', () => {
  it("passes a live track titled as the provider's content at its revision, a tombstone, and a move keeping its title", () => {
    const f = at(trackTitlesCheck());
    f.emit('sim', 'fact.provider.file', file('f1', 1, '/a', 'h1', 'song'));
    f.emit('sim', 'fact.library.track', track('f1', 1, 'h1', 'song'));
    f.emit('sim', 'fact.provider.file', file('f1', 2, '/b', 'h1', 'song'));
    f.emit('sim', 'fact.library.track', track('f1', 2, 'h1', 'song'));
    f.emit('sim', 'fact.provider.file', file('f1', 3, '/b', 'h1', '', true));
    f.emit('sim', 'fact.library.track', track('f1', 3, 'h1', '', true));
    expect(f.failures).toEqual([]);
    expect(f.exercised.length).toBe(2);
  });

  it("refuses a title that is not the content's, and one of the file's older revision", () => {
    const f = at(trackTitlesCheck());
    f.emit('sim', 'fact.provider.file', file('f1', 1, '/a', 'h1', 'song'));
    f.emit('sim', 'fact.provider.file', file('f1', 2, '/a', 'h2', 'song v2'));
    f.emit('sim', 'fact.library.track', track('f1', 2, 'h2', 'song'));
    expect(f.failures).toEqual([expect.stringMatching(/^invariant:track-titles: P1\/f1 on L is live at rev 2 titled "song" \(trace #\d+\), but the provider's content at that revision is titled "song v2"/)]);
  });
});

describe('invariant:moves-local', () => {
  /** f1 added at rev 1 (held by L), moved at rev 2 (same content); the change page naming the move delivered at 10 ms. */
  const moved = (): ReturnType<typeof at> => {
    const f = at(movesLocalCheck({ libraries: ['L'] }));
    f.emit('sim', 'fact.provider.file', file('f1', 1, '/a', 'h1'));
    f.ms(5);
    f.emit('sim', 'fact.library.track', track('f1', 1, 'h1'));
    f.emit('sim', 'fact.provider.file', file('f1', 2, '/b', 'h1'));
    f.ms(10);
    f.emit('sim', 'fact.provider.reply', reply('Changes', [['f1', 2, false]]));
    return f;
  };

  it('refuses a Download of a move whose content the library held', () => {
    const f = moved();
    f.ms(12);
    f.emit('sim', 'fact.provider.request', download('f1', 2, 11));
    expect(f.failures).toEqual([expect.stringMatching(/^invariant:moves-local: L downloaded P1's f1@2 \(request delivered at trace #\d+\), a move of content it durably held \(rev 1, the same hash\)/)]);
  });

  it('passes a Download of a move when a listing named that revision, or when the content changed before the move', () => {
    const f = moved();
    f.emit('sim', 'fact.provider.reply', reply('Files', [['f1', 2, false]]));
    f.ms(12);
    f.emit('sim', 'fact.provider.request', download('f1', 2, 11));
    expect(f.failures).toEqual([]);
    const g = at(movesLocalCheck({ libraries: ['L'] }));
    g.emit('sim', 'fact.provider.file', file('f1', 1, '/a', 'h1'));
    g.ms(5);
    g.emit('sim', 'fact.library.track', track('f1', 1, 'h1'));
    g.emit('sim', 'fact.provider.file', file('f1', 2, '/a', 'h2'));
    g.emit('sim', 'fact.provider.file', file('f1', 3, '/b', 'h2'));
    g.ms(10);
    g.emit('sim', 'fact.provider.reply', reply('Changes', [['f1', 2, false], ['f1', 3, false]]));
    g.ms(12);
    g.emit('sim', 'fact.provider.request', download('f1', 3, 11));
    expect(g.failures).toEqual([]);
  });
});

describe('invariant:closes-when-overdue', () => {
  /** L's connection c1 to P1; request `seq` (reqId = seq) sent at `sentMs`, received by P1; optionally answered at `answeredMs`. */
  const conn = (): ReturnType<typeof at> & { req(seq: number, sentMs: number, answeredMs?: number): void; close(ms: number): void } => {
    const f = at(closesWhenOverdueCheck({ libraries: ['L'], providers: ['P1'], requestTimeoutMs: 100 }));
    f.emit('L', 'net.connect', { conn: 'c1', from: 'L', to: 'P1' });
    return {
      ...f,
      req(seq, sentMs, answeredMs) {
        f.ms(sentMs);
        f.emit('L', 'net.send', { conn: 'c1', to: 'P1', seq, type: 'Download' });
        f.emit('P1', 'net.deliver', { conn: 'c1', from: 'L', seq, type: 'Download' });
        f.emit('sim', 'fact.provider.request', download('f1', 1, sentMs, seq));
        if (answeredMs === undefined) return;
        f.ms(answeredMs);
        f.emit('L', 'net.deliver', { conn: 'c1', from: 'P1', seq, type: 'Content' });
        f.emit('sim', 'fact.provider.reply', { ...reply('Content', []), reqId: seq });
      },
      close(ms) {
        f.ms(ms);
        f.emit('L', 'net.close', { conn: 'c1', reason: 'closed', local: true });
      },
    };
  };

  it('passes a close after a request waited requestTimeoutMs unanswered', () => {
    const f = conn();
    f.req(1, 0, 5);
    f.req(2, 10);
    f.close(110);
    expect(f.failures).toEqual([]);
  });

  it('refuses a close when every request on the connection was answered, or none waited long enough', () => {
    const f = conn();
    f.req(1, 0, 5);
    f.req(2, 90);
    f.close(100);
    expect(f.failures).toEqual([expect.stringMatching(/^invariant:closes-when-overdue: L closed its connection c1 to P1 at 100\.000 ms \(trace #\d+\) with 1 request\(s\) in flight, though no request on it had waited requestTimeoutMs \(100 ms\) unanswered/)]);
  });
});
