/**
 * The client-server checks on hand-made traces, one rule at a time: invariant:nuke-reports (kept changes
 * deleted, saved changes reported unsaved), invariant:stuck-in-time (rapid failures, no progress),
 * invariant:incompatible-reported (incompatible reported in time, not hidden by a wipe) and the
 * sync-status model's `handshaken` guard on a Welcome whose head is below the Hello's cursor, and
 * invariant:green-has-server-changes counting a change's age in the server's running time. The whole
 * runs (each weakened variant caught by a scenario) are in variants.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { greenServerChangesCheck, incompatibleCheck, nukeReportsCheck, stuckInTimeCheck } from '../../src/model/clientserver/index.ts';
import { statusReasons, type StatusContext } from '../../src/model/clientserver/sync-status-model.ts';
import { checkHarness } from '../check-harness.ts';

const C = ['C1'];

/** A harness whose clock the test sets (µs). */
function timed(check: Parameters<typeof checkHarness>[0]) {
  let now = 0;
  const h = checkHarness(check, { now: () => now });
  return { ...h, at: (ms: number) => void (now = ms * 1000) };
}

const client = (over: Record<string, unknown>): Record<string, unknown> => ({ device: 'C1', site: 'A', server: 'S1', cursor: 0, acked: 0, version: 0, local: [], localRemoved: 0, cells: [], unsaved: [], unsavedRemoved: [], ...over });
const server = (added: unknown[]): Record<string, unknown> => ({ device: 'server', site: 'S1', schema: 1, head: added.length, added, removed: 0 });

describe('invariant:nuke-reports', () => {
  /** A client with changes 1 (stored, acknowledged) and 2 (not stored), then a wipe keeping `kept`. */
  function wipe(kept: string[]) {
    const h = checkHarness(nukeReportsCheck(C));
    h.emit('sim', 'fact.cs.server', server([[1, 'A', 1, 't', 'p', 'c', 'v', 1]]));
    h.emit('sim', 'fact.cs.client', client({ acked: 1, version: 2, local: [1, 2] }));
    h.emit('sim', 'fact.cs.client', client({ site: 'B', server: null, localRemoved: 2, unsaved: kept }));
    return h;
  }

  it('passes a wipe that keeps exactly what the server lacks', () => {
    expect(wipe(['A/2']).failures).toEqual([]);
  });

  it('fails a wipe that drops a change the server lacks', () => {
    expect(wipe([]).failures).toEqual([expect.stringMatching(/wiped 1 local change\(s\) the server never stored \(v2\)/)]);
  });

  it('fails a wipe that reports an acknowledged, stored change as unsaved', () => {
    expect(wipe(['A/1', 'A/2']).failures).toEqual([expect.stringMatching(/reported 1 change\(s\) as unsaved \(v1\)/)]);
  });

  it('fails a later commit that deletes a kept change the server does not hold', () => {
    const h = wipe(['A/2']);
    h.emit('sim', 'fact.cs.client', client({ site: 'C', server: null, unsaved: ['B/1'], unsavedRemoved: ['A/2'] }));
    expect(h.failures).toEqual([expect.stringMatching(/deleted 1 kept \(unsaved\) change\(s\).*\(A\/2\)/)]);
  });
});

describe('invariant:stuck-in-time', () => {
  const bounds = { rapidFailuresMax: 3, stuckAfterMs: 1_000, boundMs: 500 };

  function failThrice(stuckAtMs: number | null) {
    const h = timed(stuckInTimeCheck(C, 'S', bounds));
    h.emit('C1', 'cs.client.start', {});
    for (let k = 0; k < 3; k++) {
      h.at(100 + k * 100);
      h.emit('C1', 'net.established', { conn: `c${k}`, to: 'S' });
      h.emit('C1', 'net.close', { conn: `c${k}`, reason: 'closed' });
    }
    if (stuckAtMs !== null) {
      h.at(stuckAtMs);
      h.emit('C1', 'cs.status', { status: 'stuck', reason: 'rapid-failures' });
    }
    for (const t of [700, 800, 900, 1_000]) {
      h.at(t);
      h.emit('sim', 'tick', {});
    }
    return h;
  }

  it('passes stuck shown at the third failure', () => {
    expect(failThrice(300).failures).toEqual([]);
  });

  it('fails when stuck is not shown within the bound after the third failure', () => {
    expect(failThrice(null).failures).toEqual([expect.stringMatching(/3 of its sync connections in a row closed/)]);
  });

  it('fails a connection with a push delivered and not acknowledged, without progress for stuckAfterMs + bound', () => {
    const h = timed(stuckInTimeCheck(C, 'S', bounds));
    h.emit('C1', 'cs.client.start', {});
    h.emit('C1', 'net.established', { conn: 'c1', to: 'S' });
    h.emit('sim', 'fact.cs.welcome', { client: 'C1', conn: 'c1', acked: 0 });
    h.emit('C1', 'cs.status', { status: 'synced' });
    h.at(5_000);
    h.emit('sim', 'fact.cs.push', { client: 'C1', conn: 'c1', n: 1, first: 1, last: 1 });
    h.emit('C1', 'cs.status', { status: 'syncing' });
    // Idle counts from the push (not from the Welcome 5 s earlier): nothing due at 6.4 s.
    h.at(6_400);
    h.emit('sim', 'tick', {});
    expect(h.failures).toEqual([]);
    h.at(6_600);
    h.emit('sim', 'tick', {});
    expect(h.failures).toEqual([expect.stringMatching(/its push up to v1 was delivered and only v0 acknowledged/)]);
  });
});

describe('invariant:incompatible-reported', () => {
  function rebuilt() {
    const h = timed(incompatibleCheck(C, 3_000));
    h.emit('C1', 'cs.client.start', { schema: 1 });
    h.emit('sim', 'fact.cs.client', client({}));
    h.emit('sim', 'fact.cs.hello', { client: 'C1', conn: 'c1', site: 'A', server: 'S1', schema: 1, cursor: 0 });
    h.at(1_000);
    h.emit('sim', 'fact.cs.welcome', { client: 'C1', conn: 'c1', site: 'S2', schema: 1, head: 0, acked: 0, total: 0, bytes: 0 });
    return h;
  }

  it('passes a client that shows incompatible', () => {
    const h = rebuilt();
    h.emit('C1', 'cs.status', { status: 'incompatible' });
    h.at(5_000);
    h.emit('sim', 'tick', {});
    expect(h.failures).toEqual([]);
  });

  it('fails a client that does not show incompatible within the bound after an incompatible Welcome', () => {
    const h = rebuilt();
    h.emit('C1', 'cs.status', { status: 'stuck' });
    h.at(4_100);
    h.emit('sim', 'tick', {});
    expect(h.failures).toEqual([expect.stringMatching(/C1 shows stuck .* after a Welcome showed the server incompatible: its site id is S2/)]);
  });

  it('fails a wipe that hides an incompatibility never reported', () => {
    const h = rebuilt();
    h.at(1_500);
    h.emit('sim', 'fact.cs.client', client({ site: 'B', server: null }));
    expect(h.failures).toEqual([expect.stringMatching(/replaced \(a new site id\) without it ever showing incompatible/)]);
  });

  it('takes the schema from the Hello, not the configuration', () => {
    const h = timed(incompatibleCheck(C, 3_000));
    h.emit('C1', 'cs.client.start', { schema: 2 });
    h.emit('sim', 'fact.cs.client', client({}));
    h.emit('sim', 'fact.cs.hello', { client: 'C1', conn: 'c1', site: 'A', server: 'S1', schema: 1, cursor: 0 });
    h.emit('sim', 'fact.cs.welcome', { client: 'C1', conn: 'c1', site: 'S1', schema: 2, head: 0, acked: 0, total: 0, bytes: 0 });
    h.at(3_100);
    h.emit('sim', 'tick', {});
    expect(h.failures).toEqual([expect.stringMatching(/it runs schema 2, the client announced 1/)]);
  });
});

describe('sync-status model: handshaken', () => {
  const handshaken = statusReasons({ rapidFailuresMax: 3, stuckAfterMs: 10_000 }).handshaken!;
  const ctx = (cursor: number): StatusContext => ({
    schema: 1,
    site: 'A',
    remembered: 'S1',
    cursor,
    conn: 'c1',
    hello: { schema: 1, cursor },
    welcome: { site: 'S1', schema: 1, head: 4 },
    mismatch: null,
    progressUs: 0,
    greenOnConn: false,
    failures: 0,
  });
  const synced = { type: 'SYNCED', pending: 0, atUs: 0 } as const;

  it('passes a caught-up client', () => {
    expect(handshaken(ctx(4), synced)).toBeNull();
  });

  it('refuses green when the Hello announced a cursor past the Welcome head (the server serves nothing)', () => {
    expect(handshaken(ctx(5), synced)).toMatch(/the server's log ends at 4, below the cursor 5/);
  });
});

describe('invariant:green-has-server-changes', () => {
  /** Server change #1 durable at 100 ms, the server frozen 101..2,400 ms, C1 green without it at `greenMs`. */
  function frozenServer(server: string | undefined, greenMs: number) {
    const h = timed(greenServerChangesCheck(C, 2_000, server));
    h.emit('C1', 'cs.client.start', { schema: 1 });
    h.emit('sim', 'fact.cs.client', client({}));
    h.at(100);
    h.emit('sim', 'fact.cs.server', serverLog());
    h.at(101);
    h.emit('S', 'node.pause', {});
    h.at(2_400);
    h.emit('S', 'node.resume', {});
    h.at(greenMs);
    h.emit('C1', 'cs.status', { status: 'synced', pending: 0, unsaved: 0 });
    return h;
  }
  const serverLog = () => server([[1, 'B', 1, 't', 'p', 'c', 'v', 1]]);

  it('passes a client green 2.3 s after a change became durable, 2.3 s of which the server was frozen (cs-swarm-long seed 16)', () => {
    expect(frozenServer('S', 2_410).failures).toEqual([]);
  });

  it('fails it once the server ran 2 s since, and without the server frozen', () => {
    expect(frozenServer('S', 4_500).failures[0]).toMatch(/server change #1 .*durable for 4400 ms \(the server frozen 2299 ms of it\)/);
    expect(frozenServer(undefined, 2_410).failures[0]).toMatch(/server change #1 .*durable for 2310 ms, is not/);
  });
});

describe('frozen spells end at a crash or stop (the simulator emits no node.resume for a node that went down paused)', () => {
  const serverLog = () => server([[1, 'B', 1, 't', 'p', 'c', 'v', 1]]);

  /** C1 up, `node` paused at 50 ms, crashed at 60 ms, started at 100 ms; change #1 durable at 200 ms. */
  function pausedThenCrashed(node: 'S' | 'C1') {
    const h = timed(greenServerChangesCheck(C, 2_000, 'S'));
    h.emit('C1', 'cs.client.start', { schema: 1 });
    h.emit('sim', 'fact.cs.client', client({}));
    h.at(50);
    h.emit(node, 'node.pause', {});
    h.at(60);
    h.emit(node, 'node.crash', { incarnation: 1, powerLoss: false });
    h.at(100);
    h.emit(node, 'node.start', { incarnation: 2 });
    if (node === 'C1') h.emit('C1', 'cs.client.start', { schema: 1 });
    h.at(200);
    h.emit('sim', 'fact.cs.server', serverLog());
    return h;
  }

  it('green-has-server-changes counts the server running again after it was paused and crashed', () => {
    const h = pausedThenCrashed('S');
    h.at(2_150);
    h.emit('C1', 'cs.status', { status: 'synced', pending: 0, unsaved: 0 });
    expect(h.failures).toEqual([]);
    h.at(60_000);
    h.emit('sim', 'tick', {});
    expect(h.failures).toEqual([expect.stringMatching(/C1 shows synced while the server change #1 .*durable for 59800 ms, is not in its database/)]);
  });

  it('green-has-server-changes judges a client again once it was paused, crashed and restarted', () => {
    const h = pausedThenCrashed('C1');
    h.at(60_000);
    h.emit('C1', 'cs.status', { status: 'synced', pending: 0, unsaved: 0 });
    // The status and the periodic judge both see it (a run stops at the first failure).
    expect(h.failures[0]).toMatch(/C1 shows synced while the server change #1 .*durable for 59800 ms, is not in its database/);
  });

  it('incompatible-reported judges a client again once it was paused, crashed and restarted', () => {
    const h = timed(incompatibleCheck(C, 3_000));
    h.emit('C1', 'cs.client.start', { schema: 1 });
    h.emit('sim', 'fact.cs.client', client({}));
    h.at(50);
    h.emit('C1', 'node.pause', {});
    h.at(60);
    h.emit('C1', 'node.stop', { incarnation: 1, powerLoss: false });
    h.at(100);
    h.emit('C1', 'node.start', { incarnation: 2 });
    h.emit('C1', 'cs.client.start', { schema: 1 });
    h.emit('sim', 'fact.cs.hello', { client: 'C1', conn: 'c1', site: 'A', server: 'S1', schema: 1, cursor: 0 });
    h.at(1_000);
    h.emit('sim', 'fact.cs.welcome', { client: 'C1', conn: 'c1', site: 'S2', schema: 1, head: 0, acked: 0, total: 0, bytes: 0 });
    h.emit('C1', 'cs.status', { status: 'stuck' });
    h.at(4_100);
    h.emit('sim', 'tick', {});
    expect(h.failures).toEqual([expect.stringMatching(/C1 shows stuck .* after a Welcome showed the server incompatible/)]);
  });

  it('stuck-in-time judges a client again once it was paused, crashed and restarted', () => {
    const h = timed(stuckInTimeCheck(C, 'S', { rapidFailuresMax: 3, stuckAfterMs: 1_000, boundMs: 500 }));
    h.emit('C1', 'cs.client.start', {});
    h.at(10);
    h.emit('C1', 'node.pause', {});
    h.at(20);
    h.emit('C1', 'node.crash', { incarnation: 1, powerLoss: false });
    h.at(50);
    h.emit('C1', 'node.start', { incarnation: 2 });
    h.emit('C1', 'cs.client.start', {});
    for (let k = 0; k < 3; k++) {
      h.at(100 + k * 100);
      h.emit('C1', 'net.established', { conn: `c${k}`, to: 'S' });
      h.emit('C1', 'net.close', { conn: `c${k}`, reason: 'closed' });
    }
    h.at(1_000);
    h.emit('sim', 'tick', {});
    expect(h.failures).toEqual([expect.stringMatching(/3 of its sync connections in a row closed/)]);
  });
});
