/**
 * The server's durable log format (docs/client-server.md, "Data and storage") as the server reads it at
 * load: a durable image written here block by block from the documented layout (not with server-store.ts's
 * encoder) is loaded when it is well formed, and refused (ECORRUPT, the server does not start on it) when
 * its header is not a `cs-log` v1 header or its pages do not hold exactly `head` whole entries. No
 * scenario reaches these refusals: every image a run leaves is one the server wrote itself.
 */
import { describe, expect, it } from 'vitest';
import { BlockStore } from '../../src/impl/storage/index.ts';
import { ServerStore, type ServerMeta } from '../../src/impl/clientserver/server-store.ts';
import { Simulation } from '../../src/sim/simulation.ts';

const B = 256;
const ROOT = '/cs-server';
const enc = new TextEncoder();

/** The documented entry line: JSON [table, pk, col, value, colVersion, site, dbVersion] and a newline. */
const line = (k: number): string => `${JSON.stringify(['book', `b${k}`, 'title', k === 2 ? null : `title ${k}`, k, 'client-a', k])}\n`;

/** A header block: `doc` (a string is taken as the raw text), then zeros up to the block size. */
function headerBlock(doc: unknown): Uint8Array {
  const text = typeof doc === 'string' ? doc : JSON.stringify(doc);
  const bytes = enc.encode(text);
  const block = new Uint8Array(B);
  block.set(bytes.subarray(0, B));
  return block;
}

/** A well-formed header for `stream` holding `head` entries. */
const header = (stream: string, head: number, over: Record<string, unknown> = {}): Record<string, unknown> => ({
  format: 'cs-log',
  v: 1,
  site: 'server-site',
  schema: 2,
  generation: 1,
  head,
  bytes: enc.encode(stream).length,
  ...over,
});

/** Writes the image (header block, then the stream cut into zero-padded pages), then loads it as the server does. */
async function load(head: Uint8Array, stream: string): Promise<ServerMeta | { refused: string }> {
  const sim = new Simulation({ seed: 1 });
  sim.addNode('S', {
    device: 'server',
    program: async (env) => {
      const raw = await BlockStore.open(env, { backend: 'file', root: ROOT, blockSize: B });
      raw.write(0, head);
      const bytes = enc.encode(stream);
      for (let p = 0; p * B < bytes.length; p++) {
        const page = new Uint8Array(B);
        page.set(bytes.subarray(p * B, (p + 1) * B));
        raw.write(p + 1, page);
      }
      await raw.forceSync();
      await raw.close();
      return new ServerStore(env, { backend: 'file', root: ROOT, blockSize: B }).loadMeta().then(
        (m) => m,
        (e: unknown) => ({ refused: String((e as { code?: unknown }).code ?? e) }),
      );
    },
  });
  sim.start('S');
  await sim.runUntil(2_000_000);
  const out = await (sim.node('S').handle as Promise<ServerMeta | { refused: string }>);
  return out;
}

const STREAM = [1, 2, 3].map(line).join('');

describe('the server log format at load', () => {
  it('loads a well-formed image (several pages, a null value)', async () => {
    expect(await load(headerBlock(header(STREAM, 3)), STREAM)).toEqual({ site: 'server-site', schema: 2, generation: 1, head: 3 });
  });

  it('loads a header whose JSON fills the block exactly (no zero byte after it)', async () => {
    const base = JSON.stringify(header(STREAM, 3, { site: '' }));
    const site = 'x'.repeat(B - enc.encode(base).length);
    const doc = header(STREAM, 3, { site });
    expect(enc.encode(JSON.stringify(doc)).length).toBe(B);
    expect(await load(headerBlock(doc), STREAM)).toEqual({ site, schema: 2, generation: 1, head: 3 });
  });

  const bad: [string, unknown][] = [
    ['not JSON', '{"format":"cs-log"'],
    ['JSON null', 'null'],
    ['a JSON string', '"cs-log"'],
    ['another format', header(STREAM, 3, { format: 'cs-log2' })],
    ['no format', header(STREAM, 3, { format: undefined })],
    ['version 2', header(STREAM, 3, { v: 2 })],
    ['version "1"', header(STREAM, 3, { v: '1' })],
    ['a site that is not a string', header(STREAM, 3, { site: 7 })],
    ['no site', header(STREAM, 3, { site: undefined })],
    ['a negative schema', header(STREAM, 3, { schema: -1 })],
    ['a fractional schema', header(STREAM, 3, { schema: 1.5 })],
    ['a generation that is not a number', header(STREAM, 3, { generation: '1' })],
    ['a negative head', header(STREAM, 3, { head: -3 })],
    ['a head that is not a number', header(STREAM, 3, { head: '3' })],
    ['bytes that is not a number', header(STREAM, 3, { bytes: String(enc.encode(STREAM).length) })],
    ['a negative bytes', header(STREAM, 3, { bytes: -1 })],
  ];
  it.each(bad)('refuses a header with %s (ECORRUPT)', async (_, doc) => {
    expect(await load(headerBlock(doc), STREAM)).toEqual({ refused: 'ECORRUPT' });
  });

  it('refuses pages whose last entry lacks its newline, though every entry parses', async () => {
    // The last entry's newline cut off, or replaced by a space (JSON.parse would take the line as it is).
    for (const s of [STREAM.slice(0, -1), `${STREAM.slice(0, -1)} `]) expect(await load(headerBlock(header(s, 3)), s)).toEqual({ refused: 'ECORRUPT' });
  });

  it('refuses a header whose head is not the number of entries the pages hold', async () => {
    expect(await load(headerBlock(header(STREAM, 2)), STREAM)).toEqual({ refused: 'ECORRUPT' });
    expect(await load(headerBlock(header(STREAM, 4)), STREAM)).toEqual({ refused: 'ECORRUPT' });
  });

  it('refuses an entry that is not the seven documented fields', async () => {
    const s = `${JSON.stringify(['book', 'b1', 'title', 'x', 1, 'client-a'])}\n`;
    expect(await load(headerBlock(header(s, 1)), s)).toEqual({ refused: 'ECORRUPT' });
  });
});
