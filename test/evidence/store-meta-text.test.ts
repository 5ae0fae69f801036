/**
 * The metadata body parser (store-meta-text.ts) gives exactly the fields `decodeMeta(JSON.parse(body))`
 * gives, reusing the rows a body repeats from the previous one, or declines (the caller then decodes the
 * document the plain way).
 */
import { describe, expect, it } from 'vitest';
import { decodeMeta } from '../../src/evidence/store-blocks.ts';
import { MetaTextParser } from '../../src/evidence/store-meta-text.ts';

/** A small deterministic generator (a test's own: no Math.random). */
function rng(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return Math.floor((s / 0x80000000) * n);
  };
}

const slowMeta = (text: string): unknown => {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  const m = decodeMeta(doc);
  return m === null ? null : { commit: m.commit, blockSize: m.blockSize, algorithm: m.algorithm, ids: [...m.ids], versions: [...m.versions], sums: [...m.sums] };
};

describe('MetaTextParser', () => {
  it('decodes what decodeMeta decodes, reusing repeated rows, and declines anything else', () => {
    const r = rng(7);
    const parser = new MetaTextParser();
    const enc = new TextEncoder();
    const odd = ['0', '-0', '01', '1.5', '1e3', '-1', '4294967296', '999999999999999', '9999999999999999', ' 1', '"1"', 'null'];
    let rows: number[][] = [[0, 1, 5, 100, -1, 0, 0]];
    let accepted = 0;
    for (let it = 0; it < 20_000; it++) {
      const k = r(10);
      const last = rows[rows.length - 1]!;
      if (k < 4) rows.push([last[0]! + 1, 1, r(2 ** 32), 1_767_225_600_000 + r(1e6), -1, 0, 0]);
      else if (k < 8) {
        const i = r(rows.length);
        rows[i] = [rows[i]![0]!, rows[i]![1]! + 1, r(2 ** 32), 1_767_225_600_000 + r(1e6), rows[i]![1]!, r(2 ** 32), 1];
      } else if (k < 9 && rows.length > 2) rows.splice(1 + r(rows.length - 1), 1);
      else rows = rows.slice(0, 1);
      let text = JSON.stringify({ commit: it, epoch: r(3), blockSize: 4096, algorithm: r(10) < 9 ? 'crc32' : 'fast', blocks: rows, tombstones: r(5) < 4 ? [] : [[r(9), r(9)]] });
      const m = r(10);
      const at = r(text.length);
      if (m === 0) text = text.slice(0, at) + ' ,][0-9.e"}'[r(11)]! + text.slice(at + 1);
      else if (m === 1) text = text.slice(0, at) + text.slice(at + 1);
      else if (m === 2) {
        let n = r(40);
        text = text.replace(/-?\d+/g, (x) => (n-- === 0 ? odd[r(odd.length)]! : x));
      } else if (m === 3) text += [' ', '}', '\n'][r(3)]!;
      const fast = parser.parse(enc.encode(text));
      if (fast === undefined) continue;
      accepted++;
      expect({ ...fast }).toEqual(slowMeta(text));
      fast.ids.forEach((x, i) => expect(Object.is(x, (slowMeta(text) as { ids: number[] }).ids[i])).toBe(true));
    }
    expect(accepted).toBeGreaterThan(10_000);
  });
});
