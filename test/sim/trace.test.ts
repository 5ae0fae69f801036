import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Trace } from '../../src/sim/trace.ts';

describe('trace', () => {
  it('writes each record as exactly JSON.stringify(record) and hashes the JSONL text with SHA-1', () => {
    const lines: string[] = [];
    let now = 0;
    const t = new Trace(() => now, { sink: (l) => lines.push(l), keepAll: true });
    for (let k = 0; k < 1000; k++) {
      now = k * 7;
      t.emit(k % 2 ? 'A' : 'sim', k % 3 ? 'net.deliver' : 'weird "kind"\n', { k, s: 'é\u2028', nested: { a: [1, null, true] } });
    }
    expect(lines.map((l) => JSON.parse(l))).toEqual(t.records());
    for (const [k, rec] of t.records()!.entries()) expect(lines[k]).toBe(JSON.stringify(rec));
    const sha = createHash('sha1').update(lines.map((l) => `${l}\n`).join('')).digest('hex');
    expect(t.hashHex()).toBe(sha.slice(0, 16));
  });

  it('the hash can be read mid-run and keeps growing; one changed field changes it', () => {
    const a = new Trace(() => 0);
    const b = new Trace(() => 0);
    a.emit('A', 'x', { v: 1 });
    b.emit('A', 'x', { v: 1 });
    const mid = a.hashHex();
    expect(b.hashHex()).toBe(mid);
    a.emit('A', 'y', { v: 2 });
    b.emit('A', 'y', { v: 3 });
    expect(a.hashHex()).not.toBe(mid);
    expect(a.hashHex()).not.toBe(b.hashHex());
  });

  it('delivers records to kind subscribers and to * subscribers, keeps a bounded tail', () => {
    const t = new Trace(() => 0, { tailSize: 3 });
    const seen: string[] = [];
    const off = t.on('a', (r) => seen.push(`a${r.i}`));
    t.on('*', (r) => seen.push(`*${r.i}`));
    t.emit('n', 'a');
    t.emit('n', 'b');
    off();
    t.emit('n', 'a');
    t.emit('n', 'c');
    expect(seen).toEqual(['a0', '*0', '*1', '*2', '*3']);
    expect(t.recent().map((r) => r.i)).toEqual([1, 2, 3]);
    expect(t.records()).toBeNull();
  });
});

describe('trace listeners', () => {
  it('a listener that unsubscribes itself or another during a record never makes the dispatch skip a listener', () => {
    const trace = new Trace(() => 0);
    const seen: string[] = [];
    const offs: (() => void)[] = [];
    offs.push(trace.on('k', () => {
      seen.push('a');
      offs[0]!();
      offs[1]!();
    }));
    offs.push(trace.on('k', () => seen.push('b')));
    trace.on('k', () => seen.push('c'));
    trace.emit('n', 'k');
    expect(seen).toEqual(['a', 'b', 'c']); // b was removed mid-dispatch: this record still reaches it, and c
    trace.emit('n', 'k');
    expect(seen).toEqual(['a', 'b', 'c', 'c']);
  });
});
