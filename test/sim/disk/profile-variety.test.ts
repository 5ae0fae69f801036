/**
 * The seeded crash outcomes of the persistence profiles are not degenerate. One fixed workload leaves three
 * unsynced operations (a 4-sector overwrite of /a, a rename /old -> /new, a rename /src -> /dst replacing
 * /dst), then the device loses power and the profile resolves them with its own seeded randomness
 * (sim.powerLoss, not powerLossWith). Over 200 seeds, read back from the durable files alone:
 * - weak produces torn, lost and landed writes, and atomic as well as non-atomic renames ('both': old and
 *   new name; 'destRemoved': the replaced destination gone, the source still there), and ops that land
 *   after an earlier one was lost;
 * - ordered keeps every unsynced op for some seeds, none for others, and a proper non-empty prefix for others;
 * - strict always loses every unsynced op.
 * Every outcome is also one the profile allows (checkOutcomes, and the durable files are one of the states
 * the table in src/sim/disk/pending.ts describes).
 */
import { describe, expect, it } from 'vitest';
import type { PersistenceProfile } from '../../../src/sim/disk/disk.ts';
import { checkOutcomes } from '../../../src/sim/disk/pending.ts';
import { bytes, drive, plain } from './helpers.ts';

const SEEDS = 200;
const SECTOR = 512;
/** 4 sectors, each different from the others (bytes(n) repeats every 256 bytes: a misplaced sector would pass). */
function sectors(flip: number): Uint8Array {
  return Uint8Array.from({ length: 4 * SECTOR }, (_, i) => ((3 * i + 17 * Math.floor(i / SECTOR)) & 0xff) ^ flip);
}
const OLD = sectors(0);
/** Differs from OLD at every byte. */
const NEW = sectors(0x80);
const OLD_NAME = [...bytes(10, 1)];
const SRC = [...bytes(20, 2)];
const DST = [...bytes(30, 3)];

/** What became of the write: every sector old, every sector new, or a sector-granular mix. */
type WriteClass = 'lost' | 'landed' | 'torn';
/** What became of a rename, from the names present: 'neither' would be no outcome of any profile. */
type RenameClass = 'lost' | 'landed' | 'both' | 'destRemoved';

interface Observed {
  write: WriteClass;
  rename: RenameClass;
  replacing: RenameClass;
}

/** Runs the workload with `seed`, cuts the power, and reads back what survived. */
async function crash(profile: PersistenceProfile, seed: number): Promise<Observed> {
  const { sim, error } = await drive({ seed, disk: { profile, sectorSize: SECTOR } }, async (env) => {
    const d = env.disk;
    await d.writeFile('/a', OLD);
    await d.writeFile('/old', Uint8Array.from(OLD_NAME));
    await d.writeFile('/src', Uint8Array.from(SRC));
    await d.writeFile('/dst', Uint8Array.from(DST));
    for (const f of ['/a', '/old', '/src', '/dst']) await d.fsync(f);
    await d.fsyncDir('/');
    // Unsynced from here on.
    await d.write('/a', 0, NEW);
    await d.rename('/old', '/new');
    await d.rename('/src', '/dst');
  });
  expect(error).toBeUndefined();
  const disk = sim.device('D').disk;
  expect(disk.pendingOps().map((op) => op.kind)).toEqual(['write', 'rename', 'rename']);
  sim.powerLoss('D');

  const record = disk.lastPowerLoss!;
  expect(() => checkOutcomes(profile, record.ops, record.outcomes, SECTOR)).not.toThrow();
  const files = plain(disk.durableSnapshot());
  expect(plain(disk.visibleSnapshot())).toEqual(files);
  expect(Object.keys(files).filter((f) => !['/a', '/old', '/new', '/src', '/dst'].includes(f))).toEqual([]);
  const observed = { write: writeClass(files['/a']), rename: renameClass(files), replacing: replacingClass(files) };

  // What the files show agrees with the outcomes the disk says it drew.
  const [w, r1, r2] = record.outcomes;
  if (typeof w === 'object') {
    const landed = [0, 1, 2, 3].filter((s) => files['/a']![s * SECTOR + 5] === NEW[s * SECTOR + 5]);
    expect(landed).toEqual([...w.tornSectors].sort((x, y) => x - y));
  } else expect(observed.write).toBe(w === 'land' ? 'landed' : 'lost');
  const renameName = (o: unknown): RenameClass => (o === 'land' ? 'landed' : o === 'lose' ? 'lost' : (o as RenameClass));
  expect([observed.rename, observed.replacing]).toEqual([renameName(r1), renameName(r2)]);
  return observed;
}

function writeClass(a: number[] | undefined): WriteClass {
  expect(a, '/a survives every power loss (its name and old contents were synced)').toBeDefined();
  expect(a!.length).toBe(OLD.length);
  const sectors = [0, 1, 2, 3].map((s) => {
    const got = a!.slice(s * SECTOR, (s + 1) * SECTOR);
    if (got.every((b, i) => b === NEW[s * SECTOR + i])) return 'new';
    expect(got, `sector ${s} of /a is neither old nor new`).toEqual([...OLD.subarray(s * SECTOR, (s + 1) * SECTOR)]);
    return 'old';
  });
  if (sectors.every((s) => s === 'new')) return 'landed';
  if (sectors.every((s) => s === 'old')) return 'lost';
  return 'torn';
}

/** rename /old -> /new (nothing replaced). */
function renameClass(files: Record<string, number[]>): RenameClass {
  const old = files['/old'];
  const neu = files['/new'];
  for (const f of [old, neu]) if (f !== undefined) expect(f).toEqual(OLD_NAME);
  if (old !== undefined && neu !== undefined) return 'both';
  if (neu !== undefined) return 'landed';
  expect(old, 'rename /old -> /new left neither name').toBeDefined();
  return 'lost';
}

/** rename /src -> /dst (replacing the synced /dst). */
function replacingClass(files: Record<string, number[]>): RenameClass {
  const src = files['/src'];
  const dst = files['/dst'];
  if (src === undefined) {
    expect(dst, 'rename /src -> /dst: /src gone, so /dst must be the renamed file').toEqual(SRC);
    return 'landed';
  }
  expect(src).toEqual(SRC);
  if (dst === undefined) return 'destRemoved';
  expect([DST, SRC]).toContainEqual(dst);
  return same(dst, SRC) ? 'both' : 'lost';
}

const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

async function sweep(profile: PersistenceProfile): Promise<{ all: Observed[]; tally: Record<string, number> }> {
  const all: Observed[] = [];
  const tally: Record<string, number> = {};
  for (let seed = 0; seed < SEEDS; seed++) {
    const o = await crash(profile, seed);
    all.push(o);
    for (const [k, v] of Object.entries(o)) tally[`${k}:${v}`] = (tally[`${k}:${v}`] ?? 0) + 1;
  }
  return { all, tally };
}

/** Whether each op survived (in issue order), for prefix checks. */
const kept = (o: Observed): boolean[] => [o.write !== 'lost', o.rename !== 'lost', o.replacing !== 'lost'];

describe('seeded power-loss outcomes per profile over 200 seeds', () => {
  it('weak: torn, lost and landed writes; atomic and non-atomic renames; ops kept after a lost one', async () => {
    const { all, tally } = await sweep('weak');
    for (const c of ['write:torn', 'write:lost', 'write:landed']) expect(tally[c] ?? 0, c).toBeGreaterThan(0);
    for (const c of ['rename:lost', 'rename:landed', 'rename:both']) expect(tally[c] ?? 0, c).toBeGreaterThan(0);
    for (const c of ['replacing:lost', 'replacing:landed', 'replacing:both', 'replacing:destRemoved']) {
      expect(tally[c] ?? 0, c).toBeGreaterThan(0);
    }
    expect(tally['rename:destRemoved'] ?? 0, 'destRemoved needs a replaced destination').toBe(0);
    // Independent per op: not merely prefixes as under 'ordered'.
    const nonPrefix = all.filter((o) => kept(o).some((k, i, ks) => k && ks.slice(0, i).some((x) => !x)));
    expect(nonPrefix.length).toBeGreaterThan(0);
    // Not one fixed combination either.
    expect(new Set(all.map((o) => JSON.stringify(o))).size).toBeGreaterThan(10);
  });

  it('ordered: keeps all unsynced ops for some seeds, none for others, a proper non-empty prefix for others; never torn or half-renamed', async () => {
    const { all, tally } = await sweep('ordered');
    const prefixLength = all.map((o) => {
      const ks = kept(o);
      const k = ks.indexOf(false) < 0 ? ks.length : ks.indexOf(false);
      expect(ks.slice(k).every((x) => !x), `not a prefix: ${JSON.stringify(o)}`).toBe(true);
      return k;
    });
    const counts = [0, 1, 2, 3].map((k) => prefixLength.filter((x) => x === k).length);
    expect(counts[3], 'every unsynced op kept').toBeGreaterThan(0);
    expect(counts[0], 'every unsynced op lost').toBeGreaterThan(0);
    expect(counts[1]! + counts[2]!, 'a proper, non-empty prefix kept').toBeGreaterThan(0);
    const allowed = ['write:landed', 'write:lost', 'rename:landed', 'rename:lost', 'replacing:landed', 'replacing:lost'];
    expect(Object.keys(tally).filter((c) => !allowed.includes(c))).toEqual([]);
  });

  it('strict: every seed loses every unsynced op', async () => {
    const { tally } = await sweep('strict');
    expect(tally).toEqual({ 'write:lost': SEEDS, 'rename:lost': SEEDS, 'replacing:lost': SEEDS });
  });
});
