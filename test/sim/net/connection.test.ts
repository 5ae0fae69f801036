import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EnvError, type Connection, type Value } from '../../../src/impl/env.ts';
import { at, connectLogged, Log, newSim, records, recordingServer, runMs } from './harness.ts';

const FIXED = { latencyMs: 5, jitterMs: 0, tailProbability: 0 };

describe('connections: order and exactly-once', () => {
  it('delivers every message once, in order, under random latencies, tails and short partitions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 80 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 1, max: 3_000 })), { maxLength: 3 }),
        async (seed, count, cuts) => {
          const sim = newSim({ latencyMs: 1, jitterMs: 20, tailProbability: 0.2, tailMs: 100 }, seed);
          const log = new Log(sim);
          sim.addNode('S', { program: recordingServer(log, 'S') });
          sim.addNode('C', {
            program: async (env) => {
              const conn = (await connectLogged(env, log, 'C', 'S'))!;
              for (let i = 0; i < count; i++) {
                conn.send({ type: 'n', i });
                if (env.random.int(4) === 0) await env.clock.sleep(env.random.int(30));
              }
            },
          });
          for (const [startMs, lenMs] of cuts) {
            at(sim, 50 + startMs, () => {
              const id = sim.network.partition(['C'], ['S']);
              at(sim, 50 + startMs + lenMs, () => sim.network.heal(id));
            });
          }
          sim.start('S');
          sim.start('C');
          await runMs(sim, 60_000);
          expect(log.values('S.msg')).toEqual(Array.from({ length: count }, (_, i) => ({ type: 'n', i })));
          expect(log.of('S.close')).toEqual([]);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('traces send and deliver with per-direction sequence numbers and the message type', async () => {
    const sim = newSim(FIXED);
    const log = new Log(sim);
    sim.addNode('S', { program: recordingServer(log, 'S') });
    sim.addNode('C', {
      program: async (env) => {
        const conn = (await connectLogged(env, log, 'C', 'S'))!;
        conn.send({ type: 'hello' });
        conn.send(new Uint8Array(7));
      },
    });
    sim.start('S');
    sim.start('C');
    await runMs(sim, 1000);
    const sends = records(sim, 'net.send', 'C').map((r) => r.data);
    expect(sends).toEqual([
      { conn: 'c1', to: 'S', seq: 1, type: 'hello' },
      { conn: 'c1', to: 'S', seq: 2, bytes: 7 },
    ]);
    expect(records(sim, 'net.deliver', 'S').map((r) => r.data)).toEqual([
      { conn: 'c1', from: 'C', seq: 1, type: 'hello' },
      { conn: 'c1', from: 'C', seq: 2 },
    ]);
    // handshake (2 x 5 ms) then one latency
    expect(records(sim, 'net.deliver', 'S')[0]!.t).toBe(15_000);
  });

  it('deep-copies messages both ways and rejects what is not a Value, naming the path', async () => {
    const sim = newSim(FIXED);
    const log = new Log(sim);
    let received: { list: number[] } | null = null;
    let errorText = '';
    sim.addNode('S', {
      program: (env) =>
        env.net.listen((conn) =>
          conn.onMessage((m) => {
            received = m as { list: number[] };
          }),
        ),
    });
    sim.addNode('C', {
      program: async (env) => {
        const conn = (await connectLogged(env, log, 'C', 'S'))!;
        const msg = { list: [1, 2] };
        conn.send(msg);
        msg.list.push(3);
        try {
          conn.send({ ok: [1, { bad: new Map() as unknown as Value }] });
        } catch (e) {
          errorText = (e as Error).message;
        }
      },
    });
    sim.start('S');
    sim.start('C');
    await runMs(sim, 1000);
    expect(received).toEqual({ list: [1, 2] });
    expect(errorText).toMatch(/message\.ok\[1\]\.bad is a Map/);
  });
});

describe('connections: connect outcomes', () => {
  it('refuses when the target is up but not listening, and when it is down', async () => {
    const sim = newSim(FIXED);
    const log = new Log(sim);
    sim.addNode('Quiet', { program: () => {} });
    sim.addNode('Down', { program: () => {} });
    sim.addNode('C', {
      program: async (env) => {
        await connectLogged(env, log, 'quiet', 'Quiet');
        await connectLogged(env, log, 'down', 'Down');
        await connectLogged(env, log, 'nobody', 'Nobody');
      },
    });
    sim.start('Quiet');
    sim.start('C');
    await runMs(sim, 1000);
    expect(log.values('quiet.error')).toEqual(['ECONNREFUSED']);
    expect(log.values('down.error')).toEqual(['ECONNREFUSED']);
    expect(log.values('nobody.error')).toEqual(['ECONNREFUSED']);
    // a refusal takes a round trip
    expect(log.of('quiet.error')[0]!.t).toBe(10_000);
    expect(sim.network.stats().refused).toBe(2);
    expect(sim.network.connectionCount('C')).toBe(0);
  });

  it('times out when the target is unreachable, and connects when the partition heals in time', async () => {
    const sim = newSim(FIXED);
    const log = new Log(sim);
    sim.addNode('S', { program: recordingServer(log, 'S') });
    sim.addNode('C', {
      program: async (env) => {
        await connectLogged(env, log, 'first', 'S', 300);
        await connectLogged(env, log, 'second', 'S', 1000);
      },
    });
    const id = sim.network.partition(['C'], ['S']);
    at(sim, 500, () => sim.network.heal(id));
    sim.start('S');
    sim.start('C');
    await runMs(sim, 3000);
    expect(log.values('first.error')).toEqual(['ETIMEDOUT']);
    expect(log.of('first.error')[0]!.t).toBe(300_000);
    expect(log.values('second.connected')).toEqual(['S']);
    expect(log.of('second.connected')[0]!.t).toBeGreaterThan(500_000);
    expect(log.values('S.accept')).toEqual(['C']); // the timed-out attempt never reached S
    expect(sim.network.stats().timedOut).toBe(1);
  });

  it('rejects with an injected error code, and crashes the caller on an injected crash', async () => {
    const sim = newSim(FIXED);
    const log = new Log(sim);
    sim.addInterceptor((op) => {
      if (op.area !== 'net') return null;
      if (op.op === 'connect' && op.node === 'C') return { type: 'error', code: 'ETIMEDOUT' };
      if (op.op === 'send' && op.node === 'S') return { type: 'error', code: 'EIO' };
      if (op.op === 'connect' && op.node === 'D') return { type: 'crash', when: 'before' };
      return null;
    });
    sim.addNode('S', {
      program: (env) =>
        env.net.listen((conn) =>
          conn.onMessage(() => {
            try {
              conn.send('reply');
            } catch (e) {
              log.add('S.sendError', (e as EnvError).code);
            }
          }),
        ),
    });
    sim.addNode('C', { program: async (env) => void (await connectLogged(env, log, 'C', 'S')) });
    sim.addNode('D', { program: async (env) => void (await connectLogged(env, log, 'D', 'S')) });
    sim.addNode('E', {
      program: async (env) => {
        const conn = await connectLogged(env, log, 'E', 'S');
        conn?.send('hi');
      },
    });
    for (const n of ['S', 'C', 'D', 'E']) sim.start(n);
    await runMs(sim, 1000);
    expect(log.values('C.error')).toEqual(['ETIMEDOUT']);
    expect(log.of('D.error')).toEqual([]);
    expect(log.of('D.connected')).toEqual([]);
    expect(sim.node('D').status).toBe('down');
    expect(log.values('S.sendError')).toEqual(['EIO']);
  });
  it('abandons a handshake whose SYN-ACK cannot get back: the caller times out, the acceptor is reset', async () => {
    const sim = newSim(FIXED);
    const log = new Log(sim);
    sim.addNode('S', { program: recordingServer(log, 'S') });
    sim.addNode('C', { program: async (env) => void (await connectLogged(env, log, 'C', 'S', 300)) });
    sim.network.partition(['S'], ['C'], { oneWay: true });
    sim.start('S');
    sim.start('C');
    await runMs(sim, 1000);
    expect(log.of('C.error')).toEqual([{ t: 300_000, what: 'C.error', value: 'ETIMEDOUT' }]);
    expect(log.values('S.accept')).toEqual(['C']);
    expect(log.of('S.close')).toEqual([{ t: 305_000, what: 'S.close', value: 'reset' }]);
    expect(records(sim, 'net.reset').map((r) => r.data)).toEqual([{ conn: 'c1', reason: 'abandoned' }]);
  });

  it('a crash injected after a send takes the sender down; the message dies with it and the peer is reset', async () => {
    const sim = newSim(FIXED);
    const log = new Log(sim);
    sim.addInterceptor((op) => (op.area === 'net' && op.op === 'send' ? { type: 'crash', when: 'after' } : null));
    sim.addNode('S', { program: recordingServer(log, 'S') });
    sim.addNode('C', {
      program: async (env) => {
        const conn = (await connectLogged(env, log, 'C', 'S'))!;
        conn.send('last words');
        conn.send('never sent'); // the incarnation is dead: does nothing
      },
    });
    sim.start('S');
    sim.start('C');
    await runMs(sim, 1000);
    expect(sim.node('C').status).toBe('down');
    expect(log.of('S.msg')).toEqual([]);
    expect(log.of('S.close')).toEqual([{ t: 15_000, what: 'S.close', value: 'reset' }]);
    expect(records(sim, 'net.send', 'C')).toHaveLength(1);
  });
});

describe('connections: close', () => {
  it('delivers what was sent before close, then tells both ends closed; send after close throws ECLOSED', async () => {
    const sim = newSim(FIXED);
    const log = new Log(sim);
    sim.addNode('S', { program: recordingServer(log, 'S') });
    sim.addNode('C', {
      program: async (env) => {
        const conn = (await connectLogged(env, log, 'C', 'S'))!;
        conn.send(1);
        conn.send(2);
        conn.close();
        log.add('C.openAfterClose', conn.open);
        try {
          conn.send(3);
        } catch (e) {
          log.add('C.sendError', (e as EnvError).code);
        }
      },
    });
    sim.start('S');
    sim.start('C');
    await runMs(sim, 1000);
    expect(log.values('S.msg')).toEqual([1, 2]);
    expect(log.values('S.close')).toEqual(['closed']);
    expect(log.values('C.close')).toEqual(['closed']);
    expect(log.values('C.openAfterClose')).toEqual([false]);
    expect(log.values('C.sendError')).toEqual(['ECLOSED']);
    expect(log.of('S.close')[0]!.t).toBeGreaterThanOrEqual(log.of('S.msg')[1]!.t);
    expect(sim.network.connectionCount('S')).toBe(0);
    expect(sim.network.connectionCount('C')).toBe(0);
  });

  it('drops messages that reach an end after it closed', async () => {
    const sim = newSim(FIXED);
    const log = new Log(sim);
    sim.addNode('S', {
      program: (env) =>
        env.net.listen((conn) => {
          conn.onMessage((m) => log.add('S.msg', m));
          // closes at 12 ms: 'too late' (sent at 10 ms) arrives at 15 ms, the FIN reaches C at 17 ms
          void env.clock.sleep(7).then(() => conn.close());
        }),
    });
    sim.addNode('C', {
      program: async (env) => {
        const conn = (await connectLogged(env, log, 'C', 'S'))!;
        conn.send('too late');
      },
    });
    sim.start('S');
    sim.start('C');
    await runMs(sim, 1000);
    expect(log.of('S.msg')).toEqual([]);
    expect(log.values('C.close')).toEqual(['closed']);
    expect(records(sim, 'net.drop', 'S').map((r) => r.data.reason)).toEqual(['closed']);
  });
});

describe('connections: crashes, pauses and late handlers', () => {
  it('resets the peer after one latency when a node crashes; the dead incarnation never hears back', async () => {
    const sim = newSim(FIXED);
    const log = new Log(sim);
    sim.addNode('S', {
      program: (env) =>
        env.net.listen((conn) => {
          conn.onMessage((m) => {
            log.add(`S${env.incarnation}.msg`, m);
            conn.send({ echo: m });
          });
          conn.onClose((r) => log.add(`S${env.incarnation}.close`, r));
        }),
    });
    sim.addNode('C', {
      program: async (env) => {
        const conn = (await connectLogged(env, log, 'C', 'S'))!;
        conn.send('a'); // arrives at 15 ms; the echo would arrive at 20 ms
        await env.clock.sleep(8);
        conn.send('b'); // at 18 ms: after S crashed, before C knows: lost
      },
    });
    at(sim, 17, () => sim.crash('S'));
    at(sim, 18, () => sim.start('S'));
    sim.start('S');
    sim.start('C');
    await runMs(sim, 1000);
    expect(log.values('S0.msg')).toEqual(['a']);
    expect(log.of('S0.close')).toEqual([]); // the crashed incarnation is never told anything
    expect(log.of('S1.msg')).toEqual([]);
    expect(log.of('C.msg')).toEqual([]); // the echo in flight died with S
    expect(log.values('C.close')).toEqual(['reset']);
    expect(log.of('C.close')[0]!.t).toBe(22_000); // crash at 17 ms + 5 ms
    expect(sim.network.stats().dropped).toBe(2);
    expect(records(sim, 'net.drop', 'C').map((r) => r.data)).toEqual([{ conn: 'c1', reason: 'reset' }]);
  });

  it('never settles a connect of a crashed incarnation', async () => {
    const sim = newSim(FIXED);
    const log = new Log(sim);
    sim.addNode('S', { program: recordingServer(log, 'S') });
    sim.addNode('C', {
      program: async (env) => {
        log.add('C.start', env.incarnation);
        await connectLogged(env, log, `C${env.incarnation}`, 'S');
      },
    });
    at(sim, 3, () => sim.crash('C'));
    at(sim, 4, () => sim.start('C'));
    sim.start('S');
    sim.start('C');
    await runMs(sim, 1000);
    expect(log.values('C.start')).toEqual([0, 1]);
    expect(log.of('C0.connected')).toEqual([]);
    expect(log.of('C0.error')).toEqual([]);
    expect(log.values('C1.connected')).toEqual(['S']);
    // S never sees the first attempt through: its SYN was dropped with C's incarnation
    expect(log.values('S.accept')).toEqual(['C']);
  });

  it('queues deliveries for a paused receiver and hands them over in order on resume', async () => {
    const sim = newSim(FIXED);
    const log = new Log(sim);
    sim.addNode('S', { program: recordingServer(log, 'S') });
    sim.addNode('C', {
      program: async (env) => {
        const conn = (await connectLogged(env, log, 'C', 'S'))!;
        for (let i = 0; i < 5; i++) conn.send(i);
        conn.close();
      },
    });
    at(sim, 12, () => sim.pause('S'));
    at(sim, 400, () => sim.resume('S'));
    sim.start('S');
    sim.start('C');
    await runMs(sim, 1000);
    expect(log.values('S.msg')).toEqual([0, 1, 2, 3, 4]);
    expect(log.values('S.close')).toEqual(['closed']);
    for (const s of [...log.of('S.msg'), ...log.of('S.close')]) expect(s.t).toBe(400_000);
  });

  it('buffers messages until a handler is set, then delivers them first, in order', async () => {
    const sim = newSim(FIXED);
    const log = new Log(sim);
    sim.addNode('S', {
      program: (env) =>
        env.net.listen((conn) => {
          // accepted at 5 ms; the handler comes at 17 ms, just as messages 2 and 3 arrive
          void env.clock.sleep(12).then(() => conn.onMessage((m) => log.add('S.msg', m)));
        }),
    });
    sim.addNode('C', {
      program: async (env) => {
        const conn = (await connectLogged(env, log, 'C', 'S'))!;
        conn.send(0); // arrive at 15 ms
        conn.send(1);
        await env.clock.sleep(2);
        conn.send(2); // arrive at 17 ms
        conn.send(3);
      },
    });
    sim.start('S');
    sim.start('C');
    await runMs(sim, 1000);
    expect(log.values('S.msg')).toEqual([0, 1, 2, 3]);
    expect(log.of('S.msg').map((s) => s.t)).toEqual([17_000, 17_000, 17_000, 17_000]);
  });

  it('fails the run when a connection buffers more than bufferLengthMax messages without a handler', async () => {
    const sim = newSim({ ...FIXED, bufferLengthMax: 3 });
    sim.addNode('S', { program: (env) => env.net.listen(() => {}) });
    sim.addNode('C', {
      program: async (env) => {
        const conn = await env.net.connect('S');
        for (let i = 0; i < 4; i++) conn.send(i);
      },
    });
    sim.start('S');
    sim.start('C');
    await sim.run({ untilUs: 1_000_000 });
    expect(sim.failure?.check).toBe('net.bufferLengthMax');
    expect(sim.failure?.message).toMatch(/buffered 3 messages/);
  });

  it('fails the run when more than queueLengthMax messages are queued in one direction', async () => {
    const sim = newSim({ ...FIXED, queueLengthMax: 10 });
    sim.addNode('S', { program: (env) => env.net.listen((c) => c.onMessage(() => {})) });
    sim.addNode('C', {
      program: async (env) => {
        const conn: Connection = await env.net.connect('S');
        for (let i = 0; i < 11; i++) conn.send(i);
      },
    });
    sim.start('S');
    sim.start('C');
    await sim.run({ untilUs: 1_000_000 });
    expect(sim.failure?.check).toBe('net.queueLengthMax');
  });
});
