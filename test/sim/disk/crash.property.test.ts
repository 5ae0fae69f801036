/**
 * Property: for random sequences of disk operations with a power loss at every operation boundary, the
 * recovered durable state is one the persistence profile allows, as computed by an independent model
 * (model.ts). Also checks visible state against the model before the crash and visible == durable after.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EnvError, type Disk } from '../../../src/impl/env.ts';
import type { PendingOutcome, PersistenceProfile } from '../../../src/sim/disk/disk.ts';
import { Simulation } from '../../../src/sim/simulation.ts';
import { plain } from './helpers.ts';
import { DiskModel, MError, type MOutcome } from './model.ts';

const SECTOR = 8;
const FILES = ['/a', '/b', '/d/a', '/d/b', '/d/e/a'];
/** A durable starting point, so renames and unlinks often have something durable to act on. */
const SETUP: Op[] = [
  { k: 'mkdir', path: '/d/e' },
  { k: 'writeFile', path: '/a', data: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
  { k: 'writeFile', path: '/d/a', data: [11, 12, 13] },
  { k: 'fsync', path: '/a' },
  { k: 'fsync', path: '/d/a' },
  { k: 'fsyncDir', path: '/' },
  { k: 'fsyncDir', path: '/d' },
];
const DIRS = ['/d', '/d/e'];
const SYNC_DIRS = ['/', '/d', '/d/e'];

type Op =
  | { k: 'write'; path: string; off: number; data: number[] }
  | { k: 'writeFile'; path: string; data: number[] }
  | { k: 'truncate'; path: string; len: number }
  | { k: 'fsync'; path: string }
  | { k: 'fsyncDir'; path: string }
  | { k: 'rename'; from: string; to: string }
  | { k: 'unlink'; path: string }
  | { k: 'mkdir'; path: string };

const file = fc.constantFrom(...FILES.slice(0, 4), ...FILES);
const data = (max: number) => fc.array(fc.integer({ min: 1, max: 255 }), { minLength: 0, maxLength: max });

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('write' as const), path: file, off: fc.integer({ min: 0, max: 30 }), data: data(24) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('writeFile' as const), path: file, data: data(30) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('truncate' as const), path: file, len: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('fsync' as const), path: file }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('fsyncDir' as const), path: fc.constantFrom(...SYNC_DIRS) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('rename' as const), from: file, to: file }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('unlink' as const), path: file }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('mkdir' as const), path: fc.constantFrom(...DIRS) }) },
);

/** A script: maybe the durable setup, then random ops. */
const scriptArb = fc.record({
  setup: fc.oneof(fc.constant([] as Op[]), fc.constant(SETUP)),
  ops: fc.array(opArb, { minLength: 1, maxLength: 14 }),
});

/** Runs one op against the implementation; returns the error code or 'ok'. */
async function runImpl(disk: Disk, op: Op): Promise<string> {
  try {
    switch (op.k) {
      case 'write':
        await disk.write(op.path, op.off, Uint8Array.from(op.data));
        break;
      case 'writeFile':
        await disk.writeFile(op.path, Uint8Array.from(op.data));
        break;
      case 'truncate':
        await disk.truncate(op.path, op.len);
        break;
      case 'fsync':
        await disk.fsync(op.path);
        break;
      case 'fsyncDir':
        await disk.fsyncDir(op.path);
        break;
      case 'rename':
        await disk.rename(op.from, op.to);
        break;
      case 'unlink':
        await disk.unlink(op.path);
        break;
      case 'mkdir':
        await disk.mkdir(op.path);
        break;
    }
    return 'ok';
  } catch (e) {
    if (e instanceof EnvError) return e.code;
    throw e;
  }
}

/** Runs one op against the model; returns the error code or 'ok'. */
function runModel(m: DiskModel, op: Op): string {
  try {
    if (op.k === 'write') m.write(op.path, op.off, op.data);
    else if (op.k === 'writeFile') m.writeFile(op.path, op.data);
    else if (op.k === 'truncate') m.truncate(op.path, op.len);
    else if (op.k === 'fsync') m.fsync(op.path);
    else if (op.k === 'fsyncDir') m.fsyncDir(op.path);
    else if (op.k === 'rename') m.rename(op.from, op.to);
    else if (op.k === 'unlink') m.unlink(op.path);
    else m.mkdir(op.path);
    return 'ok';
  } catch (e) {
    if (e instanceof MError) return e.code;
    throw e;
  }
}

/** Runs `ops` on a fresh simulation and returns it with the model in the same state. */
async function runPrefix(profile: PersistenceProfile, seed: number, ops: readonly Op[]) {
  const sim = new Simulation({ seed });
  sim.addDevice('D', { disk: { profile, sectorSize: SECTOR } });
  const model = new DiskModel(SECTOR);
  const codes: string[] = [];
  sim.addNode('A', {
    device: 'D',
    program: async (env) => {
      for (const op of ops) codes.push(await runImpl(env.disk, op));
    },
  });
  sim.start('A');
  await sim.run();
  expect(sim.failure).toBeNull();
  const expected = ops.map((op) => runModel(model, op));
  expect(codes).toEqual(expected);
  return { sim, disk: sim.device('D').disk, model };
}

function toModel(o: PendingOutcome): MOutcome {
  return typeof o === 'object' ? { tornSectors: [...o.tornSectors] } : o;
}

/** Checks a seeded power loss at the end of `ops` against the model. */
async function crashAndCheck(profile: PersistenceProfile, seed: number, ops: readonly Op[]): Promise<void> {
  const { sim, disk, model } = await runPrefix(profile, seed, ops);
  expect(plain(disk.visibleSnapshot())).toEqual(model.visible());
  expect(disk.pendingOps().map((op) => op.kind)).toEqual(model.pending.map((op) => op.kind));
  sim.powerLoss('D');
  const record = disk.lastPowerLoss!;
  const outcomes = record.outcomes.map(toModel);
  const durable = plain(disk.durableSnapshot());
  outcomes.forEach((o, i) => expect(DiskModel.allows(profile, model.pending[i]!, o), `op #${i}: ${JSON.stringify(o)}`).toBe(true));
  if (profile === 'strict') {
    expect(durable).toEqual(model.crash([]));
  } else if (profile === 'ordered') {
    const allowed = model.pending.map((_, k) => model.crash(model.pending.map((_op, i) => (i < k ? 'land' : 'lose'))));
    allowed.push(model.crash(model.pending.map(() => 'land')));
    expect(allowed).toContainEqual(durable);
    const firstLost = outcomes.indexOf('lose');
    if (firstLost >= 0) expect(outcomes.slice(firstLost).every((o) => o === 'lose')).toBe(true);
  }
  expect(durable).toEqual(model.crash(outcomes));
  expect(plain(disk.visibleSnapshot())).toEqual(durable);
  expect(disk.listVisibleDirs()).toEqual(disk.listDurableDirs());
  expect(disk.pendingOps()).toEqual([]);
}

const PROFILES: PersistenceProfile[] = ['strict', 'ordered', 'weak'];

describe('power loss at every operation boundary matches the reference model', () => {
  for (const profile of PROFILES) {
    it(`profile ${profile}`, async () => {
      await fc.assert(
        fc.asyncProperty(scriptArb, fc.nat(1000), async ({ setup, ops }, seed) => {
          const all = [...setup, ...ops];
          for (let k = setup.length; k <= all.length; k++) await crashAndCheck(profile, seed + k, all.slice(0, k));
        }),
        { numRuns: 100 },
      );
    });
  }
});

describe('weak profile with explicit outcomes', () => {
  it('powerLossWith applies exactly the chosen outcomes, and previewPowerLoss predicts them', async () => {
    await fc.assert(
      fc.asyncProperty(scriptArb, fc.array(fc.nat(), { minLength: 40, maxLength: 40 }), async ({ setup, ops }, picks) => {
        const { disk, model } = await runPrefix('weak', 7, [...setup, ...ops]);
        const chosen: MOutcome[] = model.pending.map((op, i) => {
          const options: MOutcome[] = ['land', 'lose'];
          if (op.kind === 'rename') options.push('both');
          if (op.kind === 'rename' && op.replaced) options.push('destRemoved');
          if (op.sectors.length > 0) options.push({ tornSectors: op.sectors.filter((_, j) => ((picks[i]! >> j) & 1) === 1) });
          return options[picks[(i + 13) % picks.length]! % options.length]!;
        });
        const choose = (_op: unknown, i: number): PendingOutcome => chosen[i]!;
        const preview = disk.previewPowerLoss(choose);
        disk.powerLossWith(choose);
        const expected = model.crash(chosen);
        expect(plain(disk.durableSnapshot())).toEqual(expected);
        expect(plain(preview.files)).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });

  it('rejects outcomes the profile does not allow, changing nothing', async () => {
    const { disk, sim } = await runPrefix('strict', 1, [{ k: 'writeFile', path: '/a', data: [1, 2, 3] }]);
    expect(() => disk.powerLossWith(() => 'land')).toThrow(/strict/);
    expect(disk.pendingOps()).toHaveLength(2);
    expect(sim.node('A').status).toBe('running');
  });

  it("rejects a non-prefix under 'ordered'", async () => {
    const { disk } = await runPrefix('ordered', 1, [{ k: 'writeFile', path: '/a', data: [1, 2, 3] }]);
    expect(() => disk.powerLossWith((_op, i) => (i === 0 ? 'lose' : 'land'))).toThrow(/prefix/);
    expect(disk.orderedPrefixes()).toHaveLength(3);
  });
});
