/**
 * The virtual disk: POSIX-like results and errors, durability guarantees, injected faults, latency,
 * node lifecycle (dead incarnations, paused nodes, crashes without power loss) and settings.
 */
import { describe, expect, it } from 'vitest';
import { EnvError, type Env } from '../../../src/impl/env.ts';
import { SimDisk, type PersistenceProfile } from '../../../src/sim/disk/disk.ts';
import { DiskSpecError } from '../../../src/sim/disk/spec.ts';
import { Simulation } from '../../../src/sim/simulation.ts';
import type { FaultAction, OpInfo } from '../../../src/sim/types.ts';
import { bytes, drive, plain } from './helpers.ts';

const PROFILES: PersistenceProfile[] = ['strict', 'ordered', 'weak'];

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return e instanceof EnvError ? e.code : `not an EnvError: ${String(e)}`;
  }
}

describe('disk operations', () => {
  it('reads, writes, truncates, lists and stats like a POSIX file system', async () => {
    const { result, error } = await drive({}, async (env) => {
      const d = env.disk;
      await d.mkdir('/x/y');
      await d.write('/x/y/f', 4, Uint8Array.of(9, 8));
      const afterWrite = await d.readFile('/x/y/f');
      await d.truncate('/x/y/f', 8);
      const middle = await d.read('/x/y/f', 3, 10);
      await d.writeFile('/x/b', Uint8Array.of(1));
      await d.writeFile('/x/a', Uint8Array.of(2));
      return {
        afterWrite: [...afterWrite],
        middle: [...middle],
        list: await d.list('/x'),
        root: await d.list('/'),
        statFile: await d.stat('/x/y/f'),
        statDir: await d.stat('/x/y'),
        statMissing: await d.stat('/x/nope'),
      };
    });
    expect(error).toBeUndefined();
    expect(result).toEqual({
      afterWrite: [0, 0, 0, 0, 9, 8],
      middle: [0, 9, 8, 0, 0],
      list: ['a', 'b', 'y'],
      root: ['x'],
      statFile: { kind: 'file', size: 8 },
      statDir: { kind: 'dir', size: 0 },
      statMissing: null,
    });
  });

  it('raises POSIX-like error codes', async () => {
    const { result } = await drive({}, async (env) => {
      const d = env.disk;
      await d.mkdir('/dir');
      await d.writeFile('/file', bytes(3));
      return [
        await code(d.readFile('/missing')),
        await code(d.write('/nodir/f', 0, bytes(1))),
        await code(d.write('/file/f', 0, bytes(1))),
        await code(d.readFile('/dir')),
        await code(d.mkdir('/file')),
        await code(d.list('/file')),
        await code(d.unlink('/dir')),
        await code(d.rename('/dir', '/dir2')),
        await code(d.rename('/file', '/dir')),
        await code(d.fsyncDir('/missing')),
        await code(d.stat('/file/x')),
      ];
    });
    expect(result).toEqual(['ENOENT', 'ENOENT', 'ENOTDIR', 'EISDIR', 'EEXIST', 'ENOTDIR', 'EISDIR', 'EISDIR', 'EISDIR', 'ENOENT', 'ENOTDIR']);
  });

  it('rejects malformed arguments with a TypeError naming them', async () => {
    const { result } = await drive({}, async (env) => {
      const out: string[] = [];
      for (const p of [
        env.disk.readFile('relative'),
        env.disk.write('/f', -1, bytes(1)),
        env.disk.read('/a/../b', 0, 1),
        env.disk.writeFile('/f', 'text' as unknown as Uint8Array),
      ]) {
        out.push(await p.then(() => 'ok', (e: Error) => `${e.name}: ${e.message}`));
      }
      return out;
    });
    expect(result![0]).toMatch(/TypeError: path 'relative' must be absolute/);
    expect(result![1]).toMatch(/TypeError: offset must be an integer >= 0/);
    expect(result![2]).toMatch(/TypeError: path .* '\.\.'/);
    expect(result![3]).toMatch(/TypeError: data must be a Uint8Array/);
  });

  it('copies written data at the call, so later mutation by the caller changes nothing', async () => {
    const { result } = await drive({}, async (env) => {
      const buf = Uint8Array.of(1, 2, 3);
      const p = env.disk.writeFile('/f', buf);
      buf[0] = 99;
      await p;
      return [...(await env.disk.readFile('/f'))];
    });
    expect(result).toEqual([1, 2, 3]);
  });

  it('a renamed file keeps its pending data (files are inodes)', async () => {
    const { sim } = await drive({ disk: { profile: 'weak' } }, async (env) => {
      await env.disk.writeFile('/tmp', bytes(10));
      await env.disk.rename('/tmp', '/final');
      await env.disk.fsync('/final');
    });
    const disk = sim.device('D').disk;
    // fsync through the new name made the data written under the old name durable
    expect(disk.pendingOps().map((op) => op.kind)).toEqual(['create', 'rename']);
  });
});

describe('durability', () => {
  for (const profile of PROFILES) {
    it(`fsync'd data survives any power loss (${profile})`, async () => {
      for (let seed = 0; seed < 30; seed++) {
        const { sim } = await drive({ seed, disk: { profile } }, async (env) => {
          await env.disk.writeFile('/f', bytes(512, 7));
          await env.disk.fsync('/f');
          await env.disk.fsyncDir('/');
          await env.disk.write('/f', 512, bytes(700, 1)); // unsynced append
          await env.disk.writeFile('/g', bytes(5)); // unsynced file
        });
        sim.powerLoss('D');
        const f = sim.device('D').disk.durableSnapshot().get('/f')!;
        expect([...f.subarray(0, 512)]).toEqual([...bytes(512, 7)]);
        if (profile === 'strict') expect(f.length).toBe(512);
      }
    });

    it(`a renamed and dir-synced file survives under its new name (${profile})`, async () => {
      for (let seed = 0; seed < 30; seed++) {
        const { sim } = await drive({ seed, disk: { profile } }, async (env) => {
          await env.disk.mkdir('/db');
          await env.disk.fsyncDir('/');
          await env.disk.writeFile('/db/final', bytes(100, 1));
          await env.disk.fsync('/db/final');
          await env.disk.fsyncDir('/db');
          await env.disk.writeFile('/db/tmp', bytes(300, 2));
          await env.disk.fsync('/db/tmp');
          await env.disk.rename('/db/tmp', '/db/final');
          await env.disk.fsyncDir('/db');
          await env.disk.writeFile('/db/other', bytes(3)); // unsynced noise
        });
        sim.powerLoss('D');
        const snap = sim.device('D').disk.durableSnapshot();
        expect([...snap.get('/db/final')!]).toEqual([...bytes(300, 2)]);
        expect(snap.has('/db/tmp')).toBe(false);
      }
    });
  }

  it('strict loses every unsynced write and dir op', async () => {
    const { sim } = await drive({ disk: { profile: 'strict' } }, async (env) => {
      await env.disk.writeFile('/a', bytes(4));
      await env.disk.fsync('/a');
      await env.disk.fsyncDir('/');
      await env.disk.rename('/a', '/b'); // unsynced rename
      await env.disk.write('/b', 0, Uint8Array.of(9)); // unsynced write
      await env.disk.mkdir('/new'); // unsynced mkdir
    });
    const disk = sim.device('D').disk;
    sim.powerLoss('D');
    expect(plain(disk.durableSnapshot())).toEqual({ '/a': [0, 1, 2, 3] });
    expect(disk.listDurableDirs()).toEqual([]);
    expect(plain(disk.visibleSnapshot())).toEqual({ '/a': [0, 1, 2, 3] });
    expect(disk.lastPowerLoss!.outcomes.every((o) => o === 'lose')).toBe(true);
  });

  it('a file in a directory that was never made durable is lost even when fsynced', async () => {
    const { sim } = await drive({}, async (env) => {
      await env.disk.mkdir('/d');
      await env.disk.writeFile('/d/f', bytes(4));
      await env.disk.fsync('/d/f');
      await env.disk.fsyncDir('/d'); // but '/' never synced: '/d' itself is not durable
    });
    const disk = sim.device('D').disk;
    expect(disk.durableSnapshot().size).toBe(0);
    sim.powerLoss('D');
    expect(disk.visibleSnapshot().size).toBe(0);
  });

  it('weak: a half-landed rename leaves two names for one inode, and both see later writes', async () => {
    const { sim } = await drive({ disk: { profile: 'weak' } }, async (env) => {
      await env.disk.writeFile('/a', bytes(4));
      await env.disk.fsync('/a');
      await env.disk.fsyncDir('/');
      await env.disk.rename('/a', '/b');
    });
    const disk = sim.device('D').disk;
    expect(disk.allowedOutcomes(disk.pendingOps()[0]!)).toEqual(['land', 'lose', 'both']);
    disk.powerLossWith(() => 'both');
    expect(plain(disk.durableSnapshot())).toEqual({ '/a': [0, 1, 2, 3], '/b': [0, 1, 2, 3] });
    sim.addNode('B', { device: 'D', program: async (env: Env) => env.disk.write('/a', 0, Uint8Array.of(7)) });
    sim.start('B');
    await sim.run();
    expect(plain(disk.visibleSnapshot())).toEqual({ '/a': [7, 1, 2, 3], '/b': [7, 1, 2, 3] });
  });

  it('a lost directory holding a file renamed over another is removed cleanly (memfs rename quirk)', async () => {
    const { sim } = await drive({ disk: { profile: 'weak' } }, async (env) => {
      await env.disk.mkdir('/d/e');
      await env.disk.writeFile('/a', Uint8Array.of(1));
      await env.disk.writeFile('/d/e/a', Uint8Array.of(2));
      await env.disk.rename('/a', '/d/e/a');
    });
    const disk = sim.device('D').disk;
    disk.powerLossWith((_op, i) => (i === 0 ? 'lose' : 'land')); // '/d' lost: '/d/e' is unreachable
    expect(disk.listVisibleDirs()).toEqual([]);
    expect(plain(disk.visibleSnapshot())).toEqual({});
  });

  it('a node crash without power loss changes nothing on disk', async () => {
    const sim = new Simulation({ seed: 3 });
    sim.addDevice('D');
    sim.addNode('A', { device: 'D', program: async (env) => env.disk.writeFile('/f', bytes(8)) });
    sim.addNode('B', { device: 'D', program: () => undefined });
    sim.start('A');
    sim.start('B');
    await sim.run();
    const disk = sim.device('D').disk;
    const pending = disk.pendingOps().length;
    sim.crash('A');
    expect(sim.node('B').status).toBe('running');
    expect(plain(disk.visibleSnapshot())).toEqual({ '/f': [...bytes(8)] });
    expect(disk.pendingOps()).toHaveLength(pending);
    expect(disk.counters().powerLosses).toBe(0);
  });

  it('a durable image starts another disk with the same contents', async () => {
    const { sim } = await drive({}, async (env) => {
      await env.disk.mkdir('/x/y');
      await env.disk.writeFile('/x/y/f', bytes(20));
      await env.disk.fsync('/x/y/f');
      for (const d of ['/', '/x', '/x/y']) await env.disk.fsyncDir(d);
    });
    const image = sim.device('D').disk.durableImage();
    const { result } = await drive({ disk: { initialImage: image } }, async (env) => [...(await env.disk.readFile('/x/y/f'))]);
    expect(result).toEqual([...bytes(20)]);
  });
});

/** Runs `program` with an interceptor that answers `action` to the first op matching `match`. */
async function withFault(
  profile: PersistenceProfile,
  match: (op: OpInfo) => boolean,
  action: FaultAction,
  program: (env: Env) => Promise<unknown>,
  seed = 1,
) {
  const sim = new Simulation({ seed, trace: { keepAll: true } });
  sim.addDevice('D', { disk: { profile, sectorSize: 512 } });
  let fired = false;
  sim.addInterceptor((op) => {
    if (fired || !match(op)) return null;
    fired = true;
    return action;
  });
  const log: string[] = [];
  sim.addNode('A', {
    device: 'D',
    program: async (env) => {
      try {
        log.push(`result:${JSON.stringify(await program(env))}`);
      } catch (e) {
        log.push(`error:${e instanceof EnvError ? e.code : String(e)}`);
      }
    },
  });
  sim.start('A');
  await sim.run();
  expect(sim.failure).toBeNull();
  expect(fired).toBe(true);
  return { sim, disk: sim.device('D').disk, log };
}

describe('injected faults', () => {
  const setup = async (env: Env): Promise<void> => {
    await env.disk.writeFile('/f', bytes(2048, 0));
    await env.disk.fsync('/f');
    await env.disk.fsyncDir('/');
  };

  it('bitflip flips exactly one bit of the returned copy; the disk is unchanged', async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const { log } = await withFault('strict', (op) => op.op === 'read', { type: 'bitflip' }, async (env) => {
        await setup(env);
        const flipped = await env.disk.readFile('/f');
        const clean = await env.disk.readFile('/f');
        let bits = 0;
        for (let i = 0; i < clean.length; i++) for (let x = clean[i]! ^ flipped[i]!; x > 0; x >>= 1) bits += x & 1;
        return { bits, clean: clean.every((b, i) => b === (i & 0xff)) };
      }, seed);
      expect(log).toEqual(['result:{"bits":1,"clean":true}']);
    }
  });

  it('EIO on fsync rejects and leaves the data non-durable', async () => {
    const { sim, disk, log } = await withFault('strict', (op) => op.op === 'fsync', { type: 'error', code: 'EIO' }, async (env) => {
      await env.disk.writeFile('/f', bytes(10));
      const first = await code(env.disk.fsync('/f'));
      await env.disk.fsyncDir('/');
      return first;
    });
    expect(log).toEqual(['result:"EIO"']);
    sim.powerLoss('D');
    expect(plain(disk.durableSnapshot())).toEqual({ '/f': [] });
    const rec = sim.trace.records()!.find((r) => r.kind === 'disk.fault')!;
    expect(rec.data).toEqual({ op: 'fsync', path: '/f', action: 'error:EIO' });
  });

  it('ENOSPC when writes exceed the capacity; overwrites and freed space are fine', async () => {
    const { result } = await drive({ disk: { capacityBytes: 1000 } }, async (env) => {
      const d = env.disk;
      return [
        await code(d.writeFile('/a', bytes(600))),
        await code(d.writeFile('/b', bytes(600))),
        await code(d.write('/a', 0, bytes(600))),
        await code(d.write('/a', 900, bytes(200))),
        await code(d.unlink('/a')),
        await code(d.writeFile('/b', bytes(600))),
        (await d.stat('/b'))?.size ?? -1,
      ];
    });
    expect(result).toEqual(['ok', 'ENOSPC', 'ok', 'ENOSPC', 'ok', 'ok', 600]);
  });

  for (const profile of PROFILES) {
    it(`torn write keeps a proper sector prefix of the new data, then power is lost (${profile})`, async () => {
      const prefixes = new Set<number>();
      for (let seed = 1; seed <= 12; seed++) {
        const { sim, disk, log } = await withFault(profile, (op) => op.op === 'write', { type: 'torn' }, async (env) => {
          await setup(env);
          await env.disk.write('/f', 0, bytes(2048, 100));
          return 'unreachable';
        }, seed);
        expect(log).toEqual([]); // the caller never hears back
        expect(sim.node('A').status).toBe('down');
        const f = disk.durableSnapshot().get('/f')!;
        let landed = 0;
        while (landed < 4 && f[landed * 512] === ((landed * 512 + 100) & 0xff)) landed++;
        expect(landed).toBeGreaterThanOrEqual(1);
        expect(landed).toBeLessThanOrEqual(3);
        expect([...f.subarray(0, landed * 512)]).toEqual([...bytes(2048, 100).subarray(0, landed * 512)]);
        expect([...f.subarray(landed * 512)]).toEqual([...bytes(2048, 0).subarray(landed * 512)]);
        prefixes.add(landed);
      }
      expect(prefixes.size).toBeGreaterThan(1);
    });
  }

  it("crash 'before' an fsync loses the new data; 'after' keeps it; the caller never hears back", async () => {
    const durable: Record<string, number[]> = {};
    for (const when of ['before', 'after'] as const) {
      const { disk, log } = await withFault('strict', (op) => op.op === 'fsync' && op.target === '/f', { type: 'crash', when }, async (env) => {
        await env.disk.writeFile('/f', bytes(4, 50));
        await env.disk.fsyncDir('/');
        await env.disk.fsync('/f');
        return 'unreachable';
      });
      expect(log).toEqual([]);
      expect(disk.counters().powerLosses).toBe(1);
      durable[when] = plain(disk.durableSnapshot())['/f']!;
    }
    expect(durable).toEqual({ before: [], after: [...bytes(4, 50)] });
  });
});

describe('latency and node lifecycle', () => {
  it('operations complete after their latency (with bounded jitter)', async () => {
    const { result } = await drive({ disk: { latency: { jitter: 0.2 } } }, async (env) => {
      const t0 = env.clock.monotonic();
      await env.disk.writeFile('/f', bytes(1024));
      const t1 = env.clock.monotonic();
      await env.disk.fsync('/f');
      const t2 = env.clock.monotonic();
      return { write: (t1 - t0) * 1000, fsync: (t2 - t1) * 1000 };
    });
    expect(result!.write).toBeGreaterThanOrEqual(34 * 0.8 - 1);
    expect(result!.write).toBeLessThanOrEqual(34 * 1.2 + 1);
    expect(result!.fsync).toBeGreaterThanOrEqual(400 - 1);
    expect(result!.fsync).toBeLessThanOrEqual(600 + 1);
  });

  it("a dead incarnation's operations never settle and never take effect", async () => {
    const sim = new Simulation({ seed: 1 });
    sim.addDevice('D');
    const settled: string[] = [];
    let oldEnv: Env | null = null;
    sim.addNode('A', {
      device: 'D',
      program: (env) => {
        oldEnv = env;
        env.disk.writeFile('/f', bytes(4)).then(() => settled.push('write'), () => settled.push('write-err'));
      },
    });
    sim.addNode('B', { device: 'D', program: () => undefined });
    sim.start('A');
    sim.start('B');
    await sim.run({ untilUs: 5 }); // started, write in flight
    sim.crash('A', { powerLoss: false });
    await sim.run();
    oldEnv!.disk.readFile('/f').then(() => settled.push('read'), () => settled.push('read-err'));
    await sim.run();
    await new Promise((r) => setTimeout(r, 5));
    expect(settled).toEqual([]);
    expect(sim.device('D').disk.visibleSnapshot().size).toBe(0);
  });

  it("a paused node's completion arrives on resume, and takes effect then", async () => {
    const sim = new Simulation({ seed: 1, trace: { keepAll: true } });
    sim.addDevice('D');
    const seen: number[] = [];
    sim.addNode('A', {
      device: 'D',
      program: async (env) => {
        await env.disk.writeFile('/f', bytes(4));
        seen.push(sim.nowUs());
      },
    });
    sim.start('A');
    await sim.run({ untilUs: 5 });
    sim.pause('A');
    await sim.runUntil(10_000);
    expect(seen).toEqual([]);
    expect(sim.device('D').disk.visibleSnapshot().size).toBe(0);
    sim.resume('A');
    await sim.run();
    expect(seen).toEqual([10_000]);
    const rec = sim.trace.records()!.find((r) => r.kind === 'disk.writeFile')!;
    expect(rec.t).toBe(10_000);
  });

  it('the same seed gives the same trace; weak outcomes depend on the seed', async () => {
    const run = async (seed: number) => {
      const { sim } = await drive({ seed, disk: { profile: 'weak' } }, async (env) => {
        for (let i = 0; i < 8; i++) await env.disk.write('/f', i * 600, bytes(600, i));
      });
      sim.powerLoss('D');
      return sim.trace.hashHex();
    };
    expect(await run(5)).toBe(await run(5));
    const hashes = new Set(await Promise.all([1, 2, 3, 4].map(run)));
    expect(hashes.size).toBeGreaterThan(1);
  });
});

describe('settings', () => {
  const sim = new Simulation({ seed: 1 });
  const bad: [object, RegExp][] = [
    [{ profile: 'ext4' }, /profile must be one of strict, ordered, weak/],
    [{ sectorSize: 0 }, /sectorSize must be a positive integer/],
    [{ sectorSize: 1.5 }, /sectorSize/],
    [{ capacityBytes: -1 }, /capacityBytes/],
    [{ latency: { fsyncUs: -5 } }, /latency\.fsyncUs/],
    [{ latency: { fsyncMs: 5 } }, /unknown field latency\.fsyncMs/],
    [{ latency: { jitter: 1 } }, /latency\.jitter must be < 1/],
    [{ pendingOpsMax: 0 }, /pendingOpsMax/],
  ];
  for (const [spec, message] of bad) {
    it(`rejects ${JSON.stringify(spec)}`, () => {
      expect(() => new SimDisk(sim, 'X', spec as never)).toThrow(DiskSpecError);
      expect(() => new SimDisk(sim, 'X', spec as never)).toThrow(message);
    });
  }

  it('fails with ENOSPC naming pendingOpsMax when too much is unsynced', async () => {
    const { result } = await drive({ disk: { pendingOpsMax: 5 } }, async (env) => {
      const codes: string[] = [];
      for (let i = 0; i < 4; i++) codes.push(await code(env.disk.write('/f', i, Uint8Array.of(1))));
      const msg = await env.disk.write('/f', 9, Uint8Array.of(1)).then(() => 'ok', (e: Error) => e.message);
      await env.disk.fsync('/f');
      codes.push(await code(env.disk.write('/f', 0, Uint8Array.of(1))));
      return { codes, msg };
    });
    expect(result!.codes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(result!.msg).toMatch(/ENOSPC.*pendingOpsMax=5/);
  });
});
