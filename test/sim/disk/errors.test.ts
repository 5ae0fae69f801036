/**
 * Injected I/O errors on the virtual disk (a sim interceptor answering { type: 'error' } for area 'disk'):
 * exactly the operation hit fails, with an EnvError of that code; a failed write or writeFile changes
 * neither the visible nor the durable contents nor the unsynced operations; everything else (other files,
 * other operations, the same operation again) proceeds. Also ENOSPC on write, injected and for capacity.
 */
import { describe, expect, it } from 'vitest';
import { EnvError, type Disk, type EnvErrorCode } from '../../../src/impl/env.ts';
import type { SimDisk } from '../../../src/sim/disk/disk.ts';
import { Simulation } from '../../../src/sim/simulation.ts';
import type { OpInfo } from '../../../src/sim/types.ts';
import { bytes, plain } from './helpers.ts';

const OLD = bytes(2048, 0);
/** An unsynced write over sector 0: visible differs from durable when the fault hits. */
const UNSYNCED = bytes(512, 50);

/** OLD with UNSYNCED over its first sector (what the disk shows before the faulty operation). */
function visibleBefore(): number[] {
  const v = [...OLD];
  v.splice(0, 512, ...UNSYNCED);
  return v;
}

/** What a call did: 'ok', or the EnvError's code (anything else thrown fails the test). */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (!(e instanceof EnvError)) throw new Error(`expected an EnvError, got ${String(e)}`);
    return e.code;
  }
}

interface Armed {
  sim: Simulation;
  disk: SimDisk;
  /** Every disk operation the interceptors were asked about. */
  asked: OpInfo[];
  /** The faults actually answered. */
  hits: OpInfo[];
}

/**
 * Runs `program` on node A of device D (strict disk) with an interceptor that fails, with `code`, the
 * next disk operation named `op` on `target` after `arm()` was called, once.
 */
async function runArmed(
  op: string,
  target: string,
  code: EnvErrorCode,
  program: (disk: Disk, arm: () => void, probe: (label: string) => void) => Promise<void>,
  spec: { capacityBytes?: number } = {},
): Promise<Armed & { probes: Map<string, unknown> }> {
  const sim = new Simulation({ seed: 7, trace: { keepAll: true } });
  sim.addDevice('D', { disk: { profile: 'strict', sectorSize: 512, ...spec } });
  const disk = sim.device('D').disk;
  const asked: OpInfo[] = [];
  const hits: OpInfo[] = [];
  let armed = false;
  sim.addInterceptor((info) => {
    if (info.area !== 'disk') return null;
    asked.push(info);
    if (!armed || info.op !== op || info.target !== target) return null;
    armed = false;
    hits.push(info);
    return { type: 'error', code };
  });
  const probes = new Map<string, unknown>();
  let finished = false;
  let thrown: unknown = undefined;
  sim.addNode('A', {
    device: 'D',
    program: async (env) => {
      try {
        await program(env.disk, () => (armed = true), (label) => probes.set(label, snapshot(disk)));
      } catch (e) {
        thrown = e;
      }
      finished = true;
    },
  });
  sim.start('A');
  await sim.run();
  if (thrown !== undefined) throw thrown;
  expect(sim.failure).toBeNull();
  expect(finished).toBe(true);
  return { sim, disk, asked, hits, probes };
}

/** Visible and durable files and the unsynced operations of `disk`, as plain data. */
function snapshot(disk: SimDisk) {
  return {
    visible: plain(disk.visibleSnapshot()),
    durable: plain(disk.durableSnapshot()),
    pending: disk.pendingOps().map((p) => ({ kind: p.kind, seq: p.seq })),
  };
}

/** Durable /f = OLD, then an unsynced write of sector 0. */
async function setup(d: Disk): Promise<void> {
  await d.writeFile('/f', OLD);
  await d.fsync('/f');
  await d.fsyncDir('/');
  await d.write('/f', 0, UNSYNCED);
}

interface WriteCase {
  op: 'write' | 'writeFile';
  /** The faulty call (it would change the size of /f: it grows to 2560 or shrinks to 100 bytes). */
  call(d: Disk, path: string): Promise<void>;
  /** A file's contents after `call` succeeded on contents `before` ([] for a new file). */
  apply(before: number[]): number[];
}

const NEW = bytes(1024, 90);
const WRITES: WriteCase[] = [
  {
    op: 'write',
    call: (d, p) => d.write(p, 1536, NEW),
    apply: (before) => [...before.slice(0, 1536), ...new Array<number>(Math.max(0, 1536 - before.length)).fill(0), ...NEW],
  },
  {
    op: 'writeFile',
    call: (d, p) => d.writeFile(p, NEW.subarray(0, 100)),
    apply: () => [...NEW.subarray(0, 100)],
  },
];

describe('an injected EIO fails exactly the operation hit', () => {
  for (const w of WRITES) {
    it(`${w.op}: rejects with EnvError EIO; visible, durable and unsynced state unchanged; the rest proceeds`, async () => {
      const log: Record<string, unknown> = {};
      const { sim, disk, asked, hits, probes } = await runArmed(w.op, '/f', 'EIO', async (d, arm, probe) => {
        await setup(d);
        probe('before');
        arm();
        const err = await w.call(d, '/f').then(() => null, (e: unknown) => e);
        probe('after');
        log.isEnvError = err instanceof EnvError;
        log.code = err instanceof EnvError ? err.code : String(err);
        log.size = (await d.stat('/f'))?.size;
        log.read = [...(await d.readFile('/f'))];
        log.other = await outcome(w.call(d, '/g')); // the same operation on another file
        log.otherRead = [...(await d.readFile('/g'))];
        log.again = await outcome(w.call(d, '/f')); // the same operation again (the fault hit once)
        log.fsync = await outcome(d.fsync('/f'));
      });
      expect(hits.map((h) => [h.area, h.op, h.node, h.device, h.target])).toEqual([['disk', w.op, 'A', 'D', '/f']]);
      expect(log).toEqual({
        isEnvError: true,
        code: 'EIO',
        size: 2048,
        read: visibleBefore(),
        other: 'ok',
        otherRead: w.apply([]),
        again: 'ok',
        fsync: 'ok',
      });
      // Nothing of the failed call anywhere: not visible, not durable, not pending.
      expect(probes.get('after')).toEqual(probes.get('before'));
      expect(probes.get('before')).toMatchObject({ durable: { '/f': [...OLD] }, pending: [{ kind: 'write' }] });
      // The retry and the fsync after it made exactly the retry durable, on top of the unsynced write.
      sim.powerLoss('D');
      expect(plain(disk.durableSnapshot())['/f']).toEqual(w.apply(visibleBefore()));
      const records = sim.trace.records()!;
      expect(records.filter((r) => r.kind === 'disk.fault').map((r) => r.data)).toEqual([{ op: w.op, path: '/f', action: 'error:EIO' }]);
      // Took effect on /f: the setup's own write or writeFile, and the retry; never the failed call.
      expect(records.filter((r) => r.kind === `disk.${w.op}` && r.data.path === '/f')).toHaveLength(2);
      expect(disk.counters()).toMatchObject({ errors: 1, faults: 1 });
      expect(asked.length).toBeGreaterThan(hits.length);
    });

    it(`${w.op} of a new file: the EIO creates nothing (no name, no pending create)`, async () => {
      const { probes, hits } = await runArmed(w.op, '/n', 'EIO', async (d, arm, probe) => {
        await setup(d);
        probe('before');
        arm();
        expect(await outcome(w.call(d, '/n'))).toBe('EIO');
        probe('after');
        expect(await d.stat('/n')).toBeNull();
        expect(await d.list('/')).toEqual(['f']);
        expect(await outcome(d.readFile('/n'))).toBe('ENOENT');
      });
      expect(hits).toHaveLength(1);
      expect(probes.get('after')).toEqual(probes.get('before'));
    });
  }

  for (const method of ['read', 'readFile'] as const) {
    it(`${method} (intercepted as 'read'): rejects with EnvError EIO; the next read and other operations proceed`, async () => {
      const read = (d: Disk, p: string): Promise<Uint8Array> => (method === 'read' ? d.read(p, 0, 4096) : d.readFile(p));
      const log: Record<string, unknown> = {};
      const { disk, hits, probes } = await runArmed('read', '/f', 'EIO', async (d, arm, probe) => {
        await setup(d);
        await d.writeFile('/g', bytes(10, 3));
        probe('before');
        arm();
        const err = await read(d, '/f').then(() => null, (e: unknown) => e);
        probe('after');
        log.isEnvError = err instanceof EnvError;
        log.code = err instanceof EnvError ? err.code : String(err);
        log.other = [...(await read(d, '/g'))]; // another file
        log.again = [...(await read(d, '/f'))]; // the same read again
        log.write = await outcome(d.write('/f', 2048, bytes(4, 1))); // another operation on the file
        log.stat = await d.stat('/f');
      });
      expect(hits.map((h) => [h.area, h.op, h.target])).toEqual([['disk', 'read', '/f']]);
      expect(log).toEqual({
        isEnvError: true,
        code: 'EIO',
        other: [...bytes(10, 3)],
        again: visibleBefore(),
        write: 'ok',
        stat: { kind: 'file', size: 2052 },
      });
      expect(probes.get('after')).toEqual(probes.get('before'));
      expect(disk.counters()).toMatchObject({ errors: 1, faults: 1 });
      expect(disk.counters().ops[method]).toBe(3);
    });
  }
});

describe('ENOSPC on write', () => {
  it('injected: rejects with EnvError ENOSPC and changes nothing; the retry lands', async () => {
    const w = WRITES[0]!;
    const log: string[] = [];
    const { hits, probes, sim, disk } = await runArmed('write', '/f', 'ENOSPC', async (d, arm, probe) => {
      await setup(d);
      probe('before');
      arm();
      log.push(await outcome(w.call(d, '/f')));
      probe('after');
      log.push(await outcome(w.call(d, '/f')), await outcome(d.fsync('/f')));
    });
    expect(log).toEqual(['ENOSPC', 'ok', 'ok']);
    expect(hits).toHaveLength(1);
    expect(probes.get('after')).toEqual(probes.get('before'));
    sim.powerLoss('D');
    expect(plain(disk.durableSnapshot())['/f']).toEqual(w.apply(visibleBefore()));
  });

  it('for capacity: a write that would not fit fails with ENOSPC and leaves the file as it was', async () => {
    const log: string[] = [];
    const { probes, hits, disk } = await runArmed(
      'none', // no fault is ever armed: the disk's own capacity check refuses the write
      '',
      'EIO',
      async (d, _arm, probe) => {
        await setup(d);
        probe('before');
        log.push(await outcome(d.write('/f', 1536, bytes(1024, 90)))); // grows by 512 > 100 free
        probe('after');
        log.push(await outcome(d.write('/f', 1024, bytes(1024, 90)))); // an overwrite needs no space
        log.push(await outcome(d.write('/f', 2048, bytes(100, 90)))); // exactly fills the disk
      },
      { capacityBytes: 2148 },
    );
    expect(hits).toEqual([]);
    expect(log).toEqual(['ENOSPC', 'ok', 'ok']);
    expect(probes.get('after')).toEqual(probes.get('before'));
    expect(disk.freeBytes()).toBe(0);
  });
});
