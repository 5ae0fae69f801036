/**
 * The database digest (digest.ts; docs/client-server.md, "Bring your own client", point 6) against an
 * independent computation of its definition: FNV-1a (32 bits: offset basis 0x811c9dc5, prime 0x01000193)
 * folded over the UTF-16 code units of one line per cell in key order, `key \x01 value (\x02 for null)
 * \x01 colVersion \x01 site`, written `<cells>:<8 lowercase hex digits>`. A port's client must compute the
 * same digest as the server, and liveness compares the two: a digest that ignores a field, or says the
 * same of every database, would let liveness end with a client that differs from the server.
 */
import { describe, expect, it } from 'vitest';
import { digestCells } from '../../src/impl/clientserver/digest.ts';

type Cell = { colVersion: number; site: string; value: string | null };

/** FNV-1a, 32 bits, over the code units of `text`, in BigInt arithmetic (not the implementation's Math.imul). */
function fnv1a(text: string, h = 0x811c9dc5n): bigint {
  for (let i = 0; i < text.length; i++) h = ((h ^ BigInt(text.charCodeAt(i))) * 0x01000193n) & 0xffffffffn;
  return h;
}

/** The digest as docs/client-server.md defines it. */
function reference(cells: ReadonlyMap<string, Cell>): string {
  const keys = [...cells.keys()].sort();
  let h = 0x811c9dc5n;
  for (const k of keys) {
    const c = cells.get(k)!;
    h = fnv1a([k, c.value === null ? '\u0002' : c.value, String(c.colVersion), c.site].join('\u0001'), h);
  }
  return `${keys.length}:${h.toString(16).padStart(8, '0')}`;
}

const key = (table: string, pk: string, col: string): string => `${table}\u0000${pk}\u0000${col}`;

describe('digestCells', () => {
  it('the reference is FNV-1a 32 (published test vectors)', () => {
    expect(fnv1a('')).toBe(0x811c9dc5n);
    expect(fnv1a('a')).toBe(0xe40c292cn);
    expect(fnv1a('foobar')).toBe(0xbf9cf968n);
  });

  it('is the documented digest of an empty, a one-cell and a many-cell database', () => {
    const cases: Map<string, Cell>[] = [
      new Map(),
      new Map([[key('book', 'b1', 'title'), { value: 'Dune', colVersion: 1, site: 'site-a' }]]),
      new Map([[key('book', 'b1', 'title'), { value: null, colVersion: 3, site: 'site-b' }]]),
      new Map(
        Array.from({ length: 40 }, (_, i): [string, Cell] => [key(i % 2 === 0 ? 'book' : 'customer', `k${(i * 7) % 40}`, 'note'), { value: i % 5 === 0 ? null : `v${i} é`, colVersion: i + 1, site: `site-${i % 3}` }]),
      ),
    ];
    for (const cells of cases) expect(digestCells(cells)).toBe(reference(cells));
    expect(digestCells(new Map())).toBe('0:811c9dc5');
    // A hash below 0x10000000 keeps its leading zero: always 8 hex digits.
    const small = new Map([['k4', { value: 'v', colVersion: 1, site: 's' }]]);
    expect(reference(small)).toBe('1:0de353c3');
    expect(digestCells(small)).toBe('1:0de353c3');
  });

  it('does not depend on the order the cells were inserted in', () => {
    const a = new Map<string, Cell>([
      ['x', { value: '1', colVersion: 1, site: 's' }],
      ['a', { value: '2', colVersion: 2, site: 't' }],
    ]);
    expect(digestCells(new Map([...a].reverse()))).toBe(digestCells(a));
  });

  it('differs when any one field of a cell differs, and between null and the text "null"', () => {
    const base: Cell = { value: 'b1', colVersion: 2, site: 'site' };
    const one = (k: string, c: Cell): string => digestCells(new Map([[k, c]]));
    const d = one('a', base);
    expect(new Set([d, one('b', base), one('a', { ...base, value: 'b2' }), one('a', { ...base, value: null }), one('a', { ...base, colVersion: 3 }), one('a', { ...base, site: 'other' })]).size).toBe(6);
    expect(one('a', { ...base, value: null })).not.toBe(one('a', { ...base, value: 'null' }));
    // The separators keep fields apart: moving a character from one field to the next is another database.
    expect(one('a', { value: 'b', colVersion: 12, site: 'site' })).not.toBe(one('a', { value: 'b1', colVersion: 2, site: 'site' }));
  });
});
