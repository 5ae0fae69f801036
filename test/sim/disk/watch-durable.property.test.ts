/**
 * Property: `SimDisk.watchDurable(paths)` changes whenever `durableFile(p)` may return something else for a
 * watched path: after any random sequence of disk operations (and a power loss, and damage at rest), a
 * counter that did not move means every watched path reads the very same durable array (or null) as before.
 * Evidence (cs-server.ts) skips re-reading its documents on that promise.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EnvError, type Disk } from '../../../src/impl/env.ts';
import type { PersistenceProfile, SimDisk } from '../../../src/sim/disk/disk.ts';
import { Simulation } from '../../../src/sim/simulation.ts';

const FILES = ['/a', '/b', '/d/a', '/d/b', '/d/e/a'];
const WATCHED = ['/a', '/d/a', '/d/e/a'];

type Op =
  | { k: 'write'; path: string; off: number; n: number }
  | { k: 'writeFile'; path: string; n: number }
  | { k: 'truncate'; path: string; len: number }
  | { k: 'fsync'; path: string }
  | { k: 'fsyncDir'; path: string }
  | { k: 'rename'; from: string; to: string }
  | { k: 'unlink'; path: string }
  | { k: 'mkdir'; path: string }
  | { k: 'damage'; path: string };

const file = fc.constantFrom(...FILES);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ k: fc.constant('write' as const), path: file, off: fc.integer({ min: 0, max: 20 }), n: fc.integer({ min: 0, max: 12 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('writeFile' as const), path: file, n: fc.integer({ min: 0, max: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('truncate' as const), path: file, len: fc.integer({ min: 0, max: 20 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('fsync' as const), path: file }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('fsyncDir' as const), path: fc.constantFrom('/', '/d', '/d/e') }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('rename' as const), from: file, to: file }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('unlink' as const), path: file }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('mkdir' as const), path: fc.constantFrom('/d', '/d/e') }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('damage' as const), path: file }) },
);

async function apply(disk: Disk, sim: SimDisk, op: Op, stamp: number): Promise<void> {
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (stamp + i) & 0xff);
  try {
    if (op.k === 'write') await disk.write(op.path, op.off, bytes(op.n));
    else if (op.k === 'writeFile') await disk.writeFile(op.path, bytes(op.n));
    else if (op.k === 'truncate') await disk.truncate(op.path, op.len);
    else if (op.k === 'fsync') await disk.fsync(op.path);
    else if (op.k === 'fsyncDir') await disk.fsyncDir(op.path);
    else if (op.k === 'rename') await disk.rename(op.from, op.to);
    else if (op.k === 'unlink') await disk.unlink(op.path);
    else if (op.k === 'mkdir') await disk.mkdir(op.path);
    else sim.damageDurable(op.path, bytes(3));
  } catch (e) {
    if (!(e instanceof EnvError)) throw e;
  }
}

async function check(profile: PersistenceProfile, seed: number, ops: readonly Op[], powerLossAt: number): Promise<number> {
  const sim = new Simulation({ seed });
  sim.addDevice('D', { disk: { profile, sectorSize: 4 } });
  const simDisk = sim.device('D').disk;
  const count = simDisk.watchDurable(WATCHED);
  const read = (): (Uint8Array | null)[] => WATCHED.map((p) => simDisk.durableFile(p));
  let unchanged = 0;
  sim.addNode('A', {
    device: 'D',
    program: async (env) => {
      let seen = count();
      let before = read();
      for (let i = 0; i < ops.length; i++) {
        await apply(env.disk, simDisk, ops[i]!, i * 16);
        if (i === powerLossAt) break;
        const now = read();
        if (count() === seen) {
          unchanged++;
          now.forEach((b, j) => expect(b, `${WATCHED[j]!} after op #${i} ${JSON.stringify(ops[i])}`).toBe(before[j]));
        }
        seen = count();
        before = now;
      }
    },
  });
  sim.start('A');
  await sim.run();
  expect(sim.failure).toBeNull(); // an expectation failing inside the program fails the run
  const seen = count();
  sim.powerLoss('D');
  expect(count()).not.toBe(seen);
  return unchanged;
}

describe('watchDurable: an unchanged counter means unchanged durable bytes of the watched paths', () => {
  it('a directory made durable after the file in it', async () => {
    const ops: Op[] = [
      { k: 'mkdir', path: '/d' },
      { k: 'writeFile', path: '/d/a', n: 3 },
      { k: 'fsync', path: '/d/a' },
      { k: 'fsyncDir', path: '/d' },
      { k: 'fsyncDir', path: '/' }, // '/d/a' becomes reachable: only the mkdir landed
    ];
    expect(await check('strict', 1, ops, 99)).toBeGreaterThanOrEqual(0);
  });

  for (const profile of ['strict', 'weak'] as const) {
    it(`profile ${profile}`, async () => {
      let unchanged = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), fc.nat(1000), fc.nat(40), async (ops, seed, at) => {
          unchanged += await check(profile, seed, ops, at);
        }),
        { numRuns: 200 },
      );
      expect(unchanged).toBeGreaterThan(100); // the promise was exercised, not only the counter moving
    });
  }
});
