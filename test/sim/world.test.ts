import * as childProcess from 'node:child_process';
import * as nodeCrypto from 'node:crypto';
import fs, { readFileSync, writeFileSync } from 'node:fs';
import fsPromises from 'node:fs/promises';
import * as net from 'node:net';
import os from 'node:os';
import * as nodeTimers from 'node:timers';
import * as timersPromises from 'node:timers/promises';
import { Volume } from 'memfs';
import { describe, expect, it } from 'vitest';
import { Simulation } from '../../src/sim/simulation.ts';
import { EPOCH_MS, SIM_GID, SIM_UID, worldInstalled } from '../../src/sim/world.ts';

// While a simulation runs, the real world must not leak in: third-party code sees virtual time and seeded
// randomness, and timers are trapped with an error naming the call.
describe('no leaks of the real world', () => {
  it('third-party code (memfs) stamps files with virtual time', async () => {
    const sim = new Simulation({ seed: 3 });
    let mtime = 0;
    sim.scheduler.at(1_234_000, () => {
      const vol = new Volume();
      vol.writeFileSync('/x', 'hello');
      mtime = vol.statSync('/x').mtimeMs;
    });
    await sim.run();
    expect(mtime).toBe(EPOCH_MS + 1234);
  });

  it('third-party code (memfs) sees the simulated user, not the one running the bench', async () => {
    const realGetuid = process.getuid;
    const realGetgid = process.getgid;
    const sim = new Simulation({ seed: 3 });
    let owner: number[] = [];
    sim.scheduler.at(1, () => {
      const vol = new Volume();
      vol.writeFileSync('/x', 'hello');
      const st = vol.statSync('/x');
      owner = [Number(st.uid), Number(st.gid), process.getuid?.() ?? -1, process.getgid?.() ?? -1];
    });
    await sim.run();
    expect(owner).toEqual([SIM_UID, SIM_GID, SIM_UID, SIM_GID]);
    expect(process.getuid).toBe(realGetuid); // the real calls are back outside the run
    expect(process.getgid).toBe(realGetgid);
  });

  it('Date, performance.now, Math.random and crypto are virtual and seeded inside, real outside', async () => {
    const draw = async (seed: number): Promise<unknown[]> => {
      const sim = new Simulation({ seed });
      const out: unknown[] = [];
      sim.scheduler.at(5_000, () => {
        out.push(Date.now(), new Date().getTime(), performance.now(), Math.random(), crypto.randomUUID());
        const b = new Uint8Array(4);
        crypto.getRandomValues(b);
        out.push([...b]);
      });
      await sim.run();
      return out;
    };
    const a = await draw(1);
    expect(a.slice(0, 3)).toEqual([EPOCH_MS + 5, EPOCH_MS + 5, 5]);
    expect(await draw(1)).toEqual(a);
    expect((await draw(2))[3]).not.toEqual(a[3]);
    expect(worldInstalled()).toBe(false);
    expect(Math.abs(Date.now() - new Date().getTime())).toBeLessThan(1000);
    expect(Date.now()).toBeGreaterThan(EPOCH_MS - 10 * 365 * 86_400_000); // the real clock is back
  });

  it('the node:crypto exports (randomUUID, randomBytes, randomFillSync, randomInt, getRandomValues) are seeded inside, real outside', async () => {
    const draw = async (seed: number): Promise<unknown[]> => {
      const sim = new Simulation({ seed });
      const out: unknown[] = [];
      sim.scheduler.at(1_000, () => {
        out.push(nodeCrypto.randomUUID(), nodeCrypto.randomBytes(8).toString('hex'), nodeCrypto.randomInt(1_000_000), nodeCrypto.randomInt(5, 9));
        out.push(nodeCrypto.randomFillSync(Buffer.alloc(4)).toString('hex'), [...nodeCrypto.getRandomValues(new Uint8Array(4))]);
      });
      await sim.run();
      expect(sim.failure).toBeNull();
      return out;
    };
    const a = await draw(1);
    expect(await draw(1)).toEqual(a);
    const b = await draw(2);
    for (let i = 0; i < a.length; i++) if (i !== 3) expect(b[i], `value ${i}`).not.toEqual(a[i]);
    expect(a[3]).toBeGreaterThanOrEqual(5);
    expect(a[3]).toBeLessThan(9);
    // Real again outside a run: two draws differ (a seeded source would repeat only by replaying a seed).
    expect(nodeCrypto.randomUUID()).not.toBe(nodeCrypto.randomUUID());
  });

  it('a process.nextTick callback queued inside a run runs inside it, in Node order, seeing virtual time', async () => {
    const run = async (forceNextTickDrain: boolean): Promise<unknown[]> => {
      const sim = new Simulation({ seed: 1, forceNextTickDrain });
      const out: unknown[] = [];
      sim.scheduler.at(7_000, () => {
        void Promise.resolve().then(() => out.push('microtask'));
        process.nextTick(() => {
          out.push('tick', Date.now());
          process.nextTick(() => out.push('nested tick', sim.nowUs()));
        });
      });
      sim.scheduler.at(8_000, () => out.push('next event'));
      await sim.run();
      expect(sim.failure).toBeNull();
      return out;
    };
    const want = ['tick', EPOCH_MS + 7, 'nested tick', 7_000, 'microtask', 'next event'];
    expect(await run(false)).toEqual(want);
    expect(await run(true)).toEqual(want);
  });

  it('a throwing process.nextTick callback inside a run is a crash verdict', async () => {
    const sim = new Simulation({ seed: 1 });
    sim.scheduler.at(1, () =>
      process.nextTick(() => {
        throw new Error('tick bug');
      }),
    );
    await sim.run();
    expect(sim.failure).toMatchObject({ kind: 'crash', check: 'exception' });
    expect(sim.failure?.message).toContain('tick bug');
  });

  for (const [label, call, check] of [
    ['setTimeout (node:timers)', () => nodeTimers.setTimeout(() => {}, 1), 'setTimeout'],
    ['clearTimeout (node:timers)', () => nodeTimers.clearTimeout(1 as unknown as NodeJS.Timeout), 'clearTimeout'],
    ['setTimeout (node:timers/promises)', () => void timersPromises.setTimeout(1), 'setTimeout'],
    ['crypto.randomBytes with a callback', () => nodeCrypto.randomBytes(4, () => {}), 'crypto.randomBytes with a callback'],
    ['process.hrtime', () => process.hrtime(), 'process.hrtime'],
    ['clearTimeout', () => clearTimeout(1 as unknown as NodeJS.Timeout), 'clearTimeout'],
    // A simulator event, not a node's code: no node's clock to put the timer on.
    ['setTimeout', () => setTimeout(() => {}, 1), 'setTimeout'],
    ['BroadcastChannel', () => new BroadcastChannel('x'), 'BroadcastChannel'],
    ['process.exit', () => process.exit(0), 'process.exit'],
    ['process.abort', () => process.abort(), 'process.abort'],
    ['process.kill', () => process.kill(process.pid, 0), 'process.kill'],
    ['process.chdir', () => process.chdir('/'), 'process.chdir'],
    ['fs.writeFileSync', () => writeFileSync('/tmp/syncbench-leak', 'x'), 'fs.writeFileSync'],
    ['fs.readFileSync', () => fs.readFileSync('/etc/hostname'), 'fs.readFileSync'],
    ['fs.promises.readFile', () => void fsPromises.readFile('/etc/hostname').catch(() => {}), 'fs.promises.readFile'],
    ['os.hostname', () => os.hostname(), 'os.hostname'],
    ['os.cpus', () => os.cpus(), 'os.cpus'],
    ['child_process.execSync', () => childProcess.execSync('true'), 'child_process.execSync'],
    ['net.connect', () => net.connect(1), 'net.connect'],
    ['fetch', () => void fetch('http://127.0.0.1:1').catch(() => {}), 'fetch'],
    ['process.env.HOME', () => process.env.HOME, 'process.env.HOME'],
  ] as const) {
    it(`traps ${label} inside a run (crash verdict naming it)`, async () => {
      const sim = new Simulation({ seed: 1 });
      sim.scheduler.at(1, () => {
        try {
          call();
        } catch {
          // swallowed on purpose: the simulation must still notice
        }
      });
      await sim.run();
      expect(sim.failure).toMatchObject({ kind: 'crash', check: `no-real-world:${check}` });
      expect(sim.failure?.message).toContain(label);
    });
  }

  it('outside a run the trapped calls are the real ones (setup may read fixtures and the environment)', () => {
    expect(os.hostname()).toBe(readFileSync('/proc/sys/kernel/hostname', 'utf8').trim());
    expect(process.env.PATH).toBeTruthy();
    expect(process.cwd()).not.toBe('');
  });

  it('inside a run, process.env holds the declared variables only and process.cwd() is /', async () => {
    const sim = new Simulation({ seed: 1, realWorld: { env: { NODE_ENV: 'production' } } });
    const seen: unknown[] = [];
    sim.scheduler.at(1, () => {
      seen.push(process.env.NODE_ENV, 'PATH' in process.env, Object.keys(process.env), process.cwd(), process.env.FORCE_COLOR);
    });
    await sim.run();
    expect(sim.failure).toBeNull();
    expect(seen).toEqual(['production', false, ['NODE_ENV'], '/', undefined]);
    expect(process.env.PATH).toBeTruthy(); // restored
  });

  it('a scenario may allow a trapped call (its runs then depend on it)', async () => {
    const sim = new Simulation({ seed: 1, realWorld: { allow: ['os.hostname', 'process.env.PATH'] } });
    let host = '';
    let pathVar: string | undefined;
    sim.scheduler.at(1, () => {
      host = os.hostname();
      pathVar = process.env.PATH;
    });
    await sim.run();
    expect(sim.failure).toBeNull();
    expect(host).toBe(os.hostname());
    expect(pathVar).toBe(process.env.PATH);
  });

  it('process.exit inside a run does not end the process, and is restored afterwards', async () => {
    const exit = process.exit;
    const sim = new Simulation({ seed: 1 });
    sim.addNode('A', { program: () => process.exit(0) });
    sim.start('A');
    await sim.run();
    expect(sim.failure?.check).toBe('no-real-world:process.exit');
    expect(process.exit).toBe(exit);
  });

  it('randomness a library captured when its module loaded is seeded inside a run, and real outside', async () => {
    const { makeId } = await import('./fixtures/import-time-random.ts');
    const ids = async (seed: number): Promise<string[]> => {
      const sim = new Simulation({ seed });
      const out: string[] = [];
      sim.addNode('A', { program: () => void out.push(makeId(), makeId()) });
      sim.start('A');
      await sim.run();
      return out;
    };
    const first = await ids(7);
    expect(await ids(7)).toEqual(first);
    expect(await ids(8)).not.toEqual(first);
    expect(makeId()).not.toBe(makeId()); // outside a run: the real functions
    expect(first).not.toContain(makeId());
  });

  it('a Date captured at import reads the node\'s wall clock inside a run and the real clock outside; subclasses of Date still work', async () => {
    const { stamp } = await import('./fixtures/import-time-random.ts');
    const sim = new Simulation({ seed: 1 });
    let seen = 0;
    sim.addNode('A', { clock: { offsetMs: 5_000 }, program: (env) => void env.clock.setTimeout(() => (seen = stamp()), 250) });
    sim.start('A');
    await sim.run();
    expect(seen).toBe(EPOCH_MS + 5_250);
    expect(Math.abs(stamp() - performance.timeOrigin - performance.now())).toBeLessThan(1_000);
    class Stamped extends Date {
      label = 'x';
    }
    const d = new Stamped(0);
    expect([d instanceof Stamped, d instanceof Date, d.getTime(), d.label]).toEqual([true, true, 0, 'x']);
  });

  it('BroadcastChannel in a tab\'s code goes over its device\'s tab bus: to the other tabs, in order, deterministic', async () => {
    const { Channel } = await import('./fixtures/import-time-random.ts');
    const runOnce = async (): Promise<string[]> => {
      const log: string[] = [];
      const sim = new Simulation({ seed: 4 });
      const tab = (id: string) => () => {
        const ch = new Channel('news'); // the constructor a library kept from import
        ch.onmessage = (e: { data: unknown }) => log.push(`${id} got ${String(e.data)} at ${Math.round(performance.now())} ms`);
        const other = new BroadcastChannel('other');
        other.addEventListener('message', ((e: { data: unknown }) => log.push(`${id} got ${String(e.data)} on other`)) as never);
        setTimeout(() => ch.postMessage(`${id}-1`), id === 'A' ? 10 : 20);
        if (id === 'C') setTimeout(() => other.postMessage('C-other'), 30);
      };
      for (const id of ['A', 'B', 'C']) sim.addNode(id, { device: 'browser', program: tab(id) });
      sim.addNode('D', { device: 'laptop', program: tab('D') }); // another device: its own bus
      for (const id of ['A', 'B', 'C', 'D']) sim.start(id);
      await sim.run();
      expect(sim.failure).toBeNull();
      return log;
    };
    const log = await runOnce();
    expect(log.filter((l) => l.includes('A-1')).sort()).toEqual(['B got A-1 at 10 ms', 'C got A-1 at 10 ms']);
    expect(log.filter((l) => l.includes('D-1'))).toEqual([]);
    expect(log.filter((l) => l.includes('C-other')).sort()).toEqual(['A got C-other on other', 'B got C-other on other']);
    expect(await runOnce()).toEqual(log);
    const outside = new BroadcastChannel('outside') as InstanceType<typeof BroadcastChannel> & { unref(): unknown }; // the real one outside a run
    expect(typeof outside.unref).toBe('function');
    outside.close();
  });

  it('navigator.locks in a tab\'s code is its device\'s lock manager; navigator exists only inside a run', async () => {
    type Nav = { locks: { request(name: string, a: unknown, b?: unknown): Promise<unknown> } };
    const nav = (): Nav => (globalThis as unknown as { navigator: Nav }).navigator;
    const log: string[] = [];
    const sim = new Simulation({ seed: 2 });
    for (const [id, at] of [['A', 5], ['B', 10]] as const) {
      sim.addNode(id, {
        device: 'browser',
        program: () =>
          setTimeout(() => {
            void nav().locks.request('leader', async (lock: { name: string } | null) => {
              log.push(`${id} holds ${lock?.name} at ${Math.round(performance.now())}`);
              await new Promise((r) => setTimeout(r, 20));
              log.push(`${id} releases at ${Math.round(performance.now())}`);
            });
            void nav().locks.request('leader', { ifAvailable: true }, (lock: unknown) => void log.push(`${id} ifAvailable: ${lock === null ? 'held' : 'free'}`));
            void nav().locks.request('x', { mode: 'shared' }, () => undefined).catch((e: Error) => log.push(`${id} shared: ${e.message.slice(0, 40)}`));
          }, at),
      });
      sim.start(id);
    }
    await sim.run();
    expect(sim.failure).toBeNull();
    expect(log).toEqual([
      "A shared: navigator.locks.request: mode 'shared' i", // refused at once (a rejected promise)
      'A holds leader at 5',
      'A ifAvailable: held',
      "B shared: navigator.locks.request: mode 'shared' i",
      'B ifAvailable: held',
      'A releases at 25',
      'B holds leader at 25',
      'B releases at 45',
    ]);
    expect(typeof (globalThis as { navigator?: unknown }).navigator).toBe('undefined');
  });

  it('navigator.locks takes an AbortSignal: an abort withdraws a queued request (rejecting with the reason), an aborted signal refuses at once, a granted hold ignores it', async () => {
    type Nav = { locks: { request(name: string, a: unknown, b?: unknown): Promise<unknown> } };
    const nav = (): Nav => (globalThis as unknown as { navigator: Nav }).navigator;
    const log: string[] = [];
    const sim = new Simulation({ seed: 3 });
    const hold = (id: string, ms: number) => async () => {
      log.push(`${id} holds at ${Math.round(performance.now())}`);
      await new Promise((r) => setTimeout(r, ms));
    };
    sim.addNode('A', { device: 'browser', program: () => void nav().locks.request('L', hold('A', 30)) });
    sim.addNode('B', {
      device: 'browser',
      program: () =>
        setTimeout(() => {
          const ac = new AbortController();
          nav().locks.request('L', { signal: ac.signal }, hold('B', 1)).catch((e: unknown) => log.push(`B rejected: ${String(e)} at ${Math.round(performance.now())}`));
          setTimeout(() => ac.abort('gave up'), 10);
          const done = new AbortController();
          done.abort('too late');
          nav().locks.request('L', { signal: done.signal }, hold('B', 1)).catch((e: unknown) => log.push(`B refused: ${String(e)}`));
        }, 1),
    });
    sim.addNode('C', {
      device: 'browser',
      program: () =>
        setTimeout(() => {
          const ac = new AbortController();
          void nav().locks.request('L', { signal: ac.signal }, async () => {
            ac.abort('ignored'); // held already: nothing happens
            await hold('C', 5)();
            log.push(`C releases at ${Math.round(performance.now())}`);
          });
        }, 2),
    });
    for (const id of ['A', 'B', 'C']) sim.start(id);
    await sim.run();
    expect(sim.failure).toBeNull();
    expect(log).toEqual(['A holds at 0', 'B refused: too late', 'B rejected: gave up at 11', 'C holds at 30', 'C releases at 35']);
  });

  it("a lock request settles in the tab's own task when its callback does: a resumed tab handles no queued message in between", async () => {
    type Nav = { locks: { request(name: string, a: unknown, b?: unknown): Promise<unknown> } };
    const nav = (): Nav => (globalThis as unknown as { navigator: Nav }).navigator;
    const log: string[] = [];
    const sim = new Simulation({ seed: 5 });
    sim.addNode('A', {
      device: 'browser',
      program: () => {
        let leader = false;
        let release = (): void => undefined;
        const ch = new BroadcastChannel('ch');
        ch.onmessage = (e: { data: unknown }) => {
          if (e.data === 'release') release();
          else log.push(`A got ${String(e.data)} as ${leader ? 'holder' : 'follower'}`);
        };
        void nav()
          .locks.request('L', async () => {
            leader = true;
            await new Promise<void>((r) => (release = r));
          })
          .finally(() => (leader = false));
      },
    });
    sim.addNode('B', {
      device: 'browser',
      program: () => {
        const ch = new BroadcastChannel('ch');
        setTimeout(() => {
          ch.postMessage('m1');
          ch.postMessage('release');
          ch.postMessage('m2'); // queued behind the release while A is frozen
        }, 20);
      },
    });
    sim.start('A');
    sim.start('B');
    sim.scheduler.at(10_000, () => sim.pause('A'));
    sim.scheduler.at(50_000, () => sim.resume('A'));
    await sim.run();
    expect(sim.failure).toBeNull();
    expect(log).toEqual(['A got m1 as holder', 'A got m2 as follower']);
  });

  it("the rest of a task a crash could not cut calls the dead tab's globals, which do nothing (no leak verdict)", async () => {
    type Nav = { locks: { request(name: string, a: unknown, b?: unknown): Promise<unknown> } };
    const nav = (): Nav => (globalThis as unknown as { navigator: Nav }).navigator;
    const log: string[] = [];
    const sim = new Simulation({ seed: 6 });
    sim.addNode('A', {
      device: 'browser',
      program: () =>
        setTimeout(() => {
          void nav().locks.request('L', () => log.push('A granted'));
          sim.crash('A'); // as a fault at that request would: the task goes on
          void nav().locks.request('M', () => log.push('A granted M'));
          const t = setTimeout(() => log.push('A timer'), 1);
          clearTimeout(t);
          setTimeout(() => log.push('A timer 2'), 1);
          new BroadcastChannel('ch').postMessage('from the dead');
          log.push(`A went on at ${Math.round(performance.now())}`);
        }, 5),
    });
    sim.addNode('B', { device: 'browser', program: () => (new BroadcastChannel('ch').onmessage = (e: { data: unknown }) => log.push(`B got ${String(e.data)}`)) });
    sim.start('A');
    sim.start('B');
    await sim.run();
    expect(sim.failure).toBeNull();
    expect(log).toEqual(['A went on at 5']);
  });

  describe('indexedDB in a tab\'s code: databases in its device\'s kv store', () => {
    type Req = { result: unknown; error: Error | null; onsuccess: ((this: Req) => void) | null; onerror: (() => void) | null; onupgradeneeded?: () => void; transaction?: unknown };
    type Tx = { oncomplete: (() => void) | null; onabort: (() => void) | null; onerror: (() => void) | null; error: Error | null; objectStore(n: string): Store; abort(): void };
    type Store = Record<'get' | 'delete', (k: unknown) => Req> & Record<'getAll' | 'getAllKeys' | 'count' | 'clear' | 'openCursor', () => Req> & Record<'put' | 'add', (v: unknown, k?: unknown) => Req>;
    type Db = { transaction(s: string | string[], m?: string, o?: object): Tx; objectStoreNames: { contains(n: string): boolean }; createObjectStore(n: string, o?: object): unknown; version: number };
    type Idb = { open(name: string, version?: number): Req; deleteDatabase(name: string): Req };
    const idb = (): Idb => (globalThis as unknown as { indexedDB: Idb }).indexedDB;
    const done = (r: Req | Tx): Promise<unknown> =>
      new Promise((resolve, reject) => {
        const o = r as Record<string, unknown>;
        o.onsuccess = o.oncomplete = () => resolve((r as Req).result);
        o.onerror = o.onabort = () => reject((r as Req).error);
      });
    const openDb = (name: string, stores: [string, object?][], version = 1): Promise<Db> => {
      const req = idb().open(name, version);
      req.onupgradeneeded = () => {
        const db = req.result as Db;
        for (const [s, o] of stores) if (!db.objectStoreNames.contains(s)) db.createObjectStore(s, o);
      };
      return done(req) as Promise<Db>;
    };

    it('open with upgradeneeded, put / get / getAll / getAllKeys / count / cursor / delete / clear, complete after the commit; another tab reads it; strict commits survive a power loss', async () => {
      const log: string[] = [];
      const sim = new Simulation({ seed: 8 });
      sim.addNode('A', {
        device: 'browser',
        program: async (env) => {
          const db = await openDb('app', [['kv']]);
          log.push(`A opened v${db.version}`);
          if (env.incarnation > 0) {
            log.push(`A after the power loss reads keys ${JSON.stringify(await done(db.transaction('kv').objectStore('kv').getAllKeys()))}`);
            return;
          }
          const tx = db.transaction('kv', 'readwrite', { durability: 'strict' });
          const store = tx.objectStore('kv');
          store.put({ n: 1 }, 'b');
          store.put('one', 1);
          store.put(new Uint8Array([7]), 'a');
          const got = await done(store.get('b')); // the transaction stays active across awaits of its requests
          store.put('two', 2);
          log.push(`A got ${JSON.stringify(got)}; keys ${JSON.stringify(await done(store.getAllKeys()))}; count ${String(await done(store.count()))}`);
          const seen: string[] = [];
          store.openCursor().onsuccess = function (this: Req) {
            const c = this.result as { key: unknown; continue(): void } | null;
            if (c === null) return;
            seen.push(String(c.key));
            c.continue();
          };
          await done(tx);
          log.push(`A committed at ${Math.round(performance.now())}; cursor ${seen.join(',')}`);
          let late = '';
          try {
            store.get(1);
          } catch (e) {
            late = (e as Error).name;
          }
          log.push(`A late request: ${late}`);
        },
      });
      sim.addNode('B', {
        device: 'browser',
        program: () =>
          setTimeout(async () => {
            const db = await openDb('app', [['kv']]);
            const store = db.transaction(['kv']).objectStore('kv');
            log.push(`B reads ${JSON.stringify(await done(store.getAll()))}`);
            const w = db.transaction('kv', 'readwrite').objectStore('kv');
            w.delete(1);
            await done(w.getAllKeys()).then((k) => log.push(`B after delete ${JSON.stringify(k)}`));
            w.clear();
            log.push(`B after clear ${String(await done(w.count()))}`);
          }, 500),
      });
      sim.start('A');
      sim.start('B');
      await sim.run({ untilUs: 300_000 });
      sim.powerLoss('browser');
      sim.start('A');
      await sim.run({ untilUs: 400_000 });
      sim.start('B');
      await sim.run();
      expect(sim.failure).toBeNull();
      expect(log.slice(0, 4)).toEqual([
        'A opened v1',
        'A got {"n":1}; keys [1,2,"a","b"]; count 4',
        expect.stringMatching(/^A committed at \d+; cursor 1,2,a,b$/),
        'A late request: TransactionInactiveError',
      ]);
      // After the power loss A reopens (no upgrade: version 1 is stored) and finds what it committed; B reads it.
      expect(log.slice(4)).toEqual([
        'A opened v1',
        'A after the power loss reads keys [1,2,"a","b"]',
        'B reads ["one","two",{"0":7},{"n":1}]',
        'B after delete [2,"a","b"]',
        'B after clear 0',
      ]);
    });

    it('add of an existing key fails the request and aborts the transaction (nothing it wrote lands); autoIncrement and keyPath give keys', async () => {
      const log: string[] = [];
      const sim = new Simulation({ seed: 9 });
      sim.addNode('A', {
        device: 'browser',
        program: async () => {
          const db = await openDb('app', [['kv'], ['auto', { autoIncrement: true }], ['people', { keyPath: 'id' }]]);
          const t1 = db.transaction(['kv', 'auto', 'people'], 'readwrite');
          t1.objectStore('kv').put('x', 'k');
          const k1 = await done(t1.objectStore('auto').add('first'));
          const k2 = await done(t1.objectStore('auto').put('second'));
          const k3 = await done(t1.objectStore('people').put({ id: 'ann', age: 3 }));
          await done(t1);
          log.push(`keys ${String(k1)} ${String(k2)} ${String(k3)}`);
          const t2 = db.transaction('kv', 'readwrite');
          t2.objectStore('kv').put('y', 'other');
          const dup = t2.objectStore('kv').add('z', 'k');
          dup.onerror = () => log.push(`add failed: ${dup.error?.name}`);
          (t2 as unknown as { addEventListener(t: string, l: () => void): void }).addEventListener('abort', () => log.push(`aborted: ${t2.error?.name}`));
          await done(t2).catch(() => undefined);
          const keys = await done(db.transaction('kv').objectStore('kv').getAllKeys());
          log.push(`kv keys ${JSON.stringify(keys)}`);
        },
      });
      sim.start('A');
      await sim.run();
      expect(sim.failure).toBeNull();
      expect(log).toEqual(['keys 1 2 ann', 'add failed: ConstraintError', 'aborted: ConstraintError', 'kv keys ["k"]']);
    });

    it('idb-keyval (npm, unmodified) keeps its values in the device: set, setMany, update, del, get, getMany, keys, entries across tabs and a power loss', async () => {
      const kvl = await import('idb-keyval');
      const log: string[] = [];
      const sim = new Simulation({ seed: 11 });
      // createStore in the tab's code: idb-keyval's default store is module state, which would outlive the run.
      sim.addNode('A', {
        device: 'browser',
        program: async (env) => {
          const store = kvl.createStore('app', 'kv');
          if (env.incarnation > 0) return void log.push(`A after the power loss: ${JSON.stringify(await kvl.entries(store))}`);
          await kvl.set('x', 1, store);
          await kvl.setMany([['y', 'two'], ['z', [3]]], store);
          await kvl.update('x', (v) => (v as number) + 10, store);
          await kvl.del('z', store);
          log.push(`A wrote at ${Math.round(performance.now())}`);
        },
      });
      sim.addNode('B', {
        device: 'browser',
        program: () =>
          setTimeout(async () => {
            const store = kvl.createStore('app', 'kv');
            log.push(`B: ${JSON.stringify(await kvl.get('x', store))} ${JSON.stringify(await kvl.getMany(['y', 'z'], store))} ${JSON.stringify(await kvl.keys(store))}`);
          }, 200),
      });
      sim.start('A');
      sim.start('B');
      await sim.run({ untilUs: 500_000 });
      sim.powerLoss('browser'); // idb-keyval's transactions are the kv store's default durability: strict here
      sim.start('A');
      await sim.run();
      expect(sim.failure).toBeNull();
      expect(log).toEqual([expect.stringMatching(/^A wrote at \d+$/), 'B: 11 ["two",null] ["x","y"]', 'A after the power loss: [["x",11],["y","two"]]']);
    });

    it('exists only inside a run, and only for a node\'s code (elsewhere a leak)', async () => {
      expect((globalThis as { indexedDB?: unknown }).indexedDB).toBeUndefined();
      const sim = new Simulation({ seed: 1 });
      sim.addNode('A', { program: () => undefined });
      sim.start('A');
      sim.scheduler.at(1_000, () => {
        try {
          idb().open('x'); // the workload's code, not a tab's
        } catch {
          // SimLeakError, recorded as the run's failure
        }
      });
      await sim.run();
      expect(sim.failure?.check).toBe('no-real-world:indexedDB.open');
    });
  });

  it('process listeners a run adds (process.on, once...) are removed when its slice ends: none outlives the run', async () => {
    const events = ['exit', 'SIGINT', 'uncaughtException', 'warning'] as const;
    const before = events.map((e) => process.listenerCount(e));
    for (let seed = 0; seed < 5; seed++) {
      const sim = new Simulation({ seed, sliceEvents: 1 }); // one event per slice: many slices
      let during = -1;
      sim.addNode('A', {
        program: (env) => {
          process.on('exit', () => undefined);
          process.once('SIGINT', () => undefined);
          process.prependListener('uncaughtException', () => undefined);
          process.addListener('warning', () => undefined);
          during = process.listenerCount('exit');
          env.clock.setTimeout(() => process.on('exit', () => undefined), 10); // a later slice too
        },
      });
      sim.start('A');
      await sim.run();
      expect(sim.failure).toBeNull();
      expect(during).toBe(before[0]! + 1); // the caller sees its listener added
    }
    expect(events.map((e) => process.listenerCount(e))).toEqual(before);
  });

  it('a WebSocket in a node\'s code connects over its network: open, messages in order, close codes, refused and reset', async () => {
    type Ev = { type: string; data?: unknown; code?: number };
    type Ws = { send(d: unknown): void; close(): void; onopen: ((e: Ev) => void) | null; onmessage: ((e: Ev) => void) | null; onclose: ((e: Ev) => void) | null; onerror: ((e: Ev) => void) | null; addEventListener(t: string, l: (e: Ev) => void): void; readyState: number };
    const Socket = (): new (url: string) => Ws => (globalThis as unknown as { WebSocket: new (url: string) => Ws }).WebSocket;
    const log: string[] = [];
    const sim = new Simulation({ seed: 3 });
    sim.addNode('S', {
      program: (env) => env.net.listen((conn) => conn.onMessage((m) => (m === 'bye' ? conn.close() : conn.send(String(m).toUpperCase())))),
    });
    sim.addNode('C', {
      program: () => {
        const ws = new (Socket())('ws://S/sync');
        ws.onopen = () => {
          log.push(`C open ${ws.readyState}`);
          ws.send('hi');
          ws.send('there');
        };
        ws.addEventListener('message', (e) => {
          log.push(`C got ${String(e.data)}`);
          if (e.data === 'THERE') ws.send('bye');
        });
        ws.onclose = (e) => log.push(`C closed ${e.code}`);
        const refused = new (Socket())('ws://nobody/x');
        refused.onerror = () => log.push('C refused: error');
        refused.onclose = (e) => log.push(`C refused: closed ${e.code}`);
      },
    });
    sim.addNode('R', {
      program: () => {
        const ws = new (Socket())('ws://S/other');
        ws.onopen = () => log.push('R open');
        ws.onclose = (e) => log.push(`R closed ${e.code}`);
      },
    });
    for (const id of ['S', 'C']) sim.start(id);
    sim.scheduler.at(100_000, () => sim.start('R'));
    sim.scheduler.at(200_000, () => sim.crash('S'));
    await sim.run();
    expect(sim.failure).toBeNull();
    expect(log).toEqual(['C refused: error', 'C refused: closed 1006', 'C open 1', 'C got HI', 'C got THERE', 'C closed 1000', 'R open', 'R closed 1006']);
    expect(typeof (globalThis as { WebSocket?: unknown }).WebSocket).toBe('undefined');
  });

  it('traps queueMicrotask inside a node and makes the run a crash verdict naming it', async () => {
    const sim = new Simulation({ seed: 1 });
    sim.addNode('A', {
      program: () => {
        try {
          queueMicrotask(() => {});
        } catch {
          // swallowed on purpose: the simulation must still notice
        }
      },
    });
    sim.start('A');
    await sim.run();
    expect(sim.failure).toMatchObject({ kind: 'crash', check: 'no-real-world:queueMicrotask' });
    expect(typeof globalThis.setTimeout(() => {}, 0)).toBe('object'); // restored afterwards
  });

  it("foreign code's global timers, Date and performance.now are the node's own: its virtual clock, its skew, dying with its process", async () => {
    const log: string[] = [];
    const sim = new Simulation({ seed: 1 });
    // A library written for browsers or Node: global timers (with args, handles, unref, refresh), Date.
    const library = (who: string): void => {
      const started = performance.now();
      setTimeout((x: string) => log.push(`${who} timeout ${x} after ${performance.now() - started} ms, wall ${Date.now() - EPOCH_MS}`), 30, 'arg').unref();
      let ticks = 0;
      const iv = setInterval(() => {
        if (++ticks === 3) clearInterval(iv);
        log.push(`${who} tick ${ticks} at ${performance.now() - started}`);
      }, 10);
      setImmediate((y: number) => log.push(`${who} immediate ${y}`), 7);
      const never = setTimeout(() => log.push(`${who} cleared timer fired`), 5);
      clearTimeout(never);
      void Promise.resolve().then(() => setTimeout(() => log.push(`${who} timer set after an await`), 1));
    };
    sim.addNode('A', { program: () => library('A') });
    sim.addNode('B', { clock: { offsetMs: 60_000 }, program: () => library('B') });
    // C's library arms a timer and C dies before it fires: the timer dies with the process.
    sim.addNode('C', { program: () => void setTimeout(() => log.push('C survived its crash'), 50) });
    sim.start('A');
    sim.start('B');
    sim.start('C');
    sim.scheduler.at(20_000, () => sim.crash('C'));
    await sim.run();
    expect(sim.failure).toBeNull();
    for (const who of ['A', 'B']) {
      expect(log.filter((l) => l.startsWith(who)).map((l) => l.replace(/, wall \d+/, ''))).toEqual([
        `${who} immediate 7`,
        `${who} timer set after an await`,
        `${who} tick 1 at 10`,
        `${who} tick 2 at 20`,
        `${who} timeout arg after 30 ms`, // armed at 0 for 30 ms, before the third tick was (at 20 for 10)
        `${who} tick 3 at 30`,
      ]);
    }
    // B's wall clock runs a minute ahead of A's: Date.now() inside its code says so.
    const wall = (who: string): number => Number(/wall (\d+)/.exec(log.find((l) => l.startsWith(`${who} timeout`))!)![1]);
    expect(wall('B') - wall('A')).toBe(60_000);
    expect(log.some((l) => l.startsWith('C'))).toBe(false);
  });

  it('an exception in a node is a crash verdict, not the death of the run', async () => {
    const sim = new Simulation({ seed: 1 });
    sim.addNode('A', {
      program: async (env) => {
        await env.clock.sleep(5);
        throw new Error('bug in the implementation');
      },
    });
    sim.start('A');
    await sim.run();
    expect(sim.failure).toMatchObject({ kind: 'crash', check: 'exception', node: 'A' });
    expect(sim.failure?.message).toContain('bug in the implementation');
  });

  it('an unhandled rejection inside a node is a crash verdict', async () => {
    const sim = new Simulation({ seed: 1 });
    sim.addNode('A', {
      program: (env) => {
        void env.clock.sleep(5).then(() => {
          throw new Error('nobody awaits me');
        });
      },
    });
    sim.start('A');
    await sim.run();
    expect(sim.failure).toMatchObject({ kind: 'crash', check: 'unhandled-rejection' });
  });
});
