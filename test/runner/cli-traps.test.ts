/**
 * Small CLI traps a user falls into at a failure (issue: debug a failure in one minute): --version, replay
 * windows in the unit the trace prints, filters that match nothing, variants that do not apply, and shrink
 * claiming to shrink a workload the scenario ignores.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureOutput } from '../capture.ts';
import { main } from '../../src/cli/main.ts';
import { timeArg } from '../../src/cli/replay.ts';
import { variantAreasOf, variantMismatch } from '../../src/scenario/variants.ts';
import { FIXTURES_DIR } from './fixtures.ts';

const io = captureOutput();

describe('--version', () => {
  it('prints the package version and exits 0', async () => {
    const version = (JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string }).version;
    expect(await main(['--version'])).toBe(0);
    expect(io.out().trim()).toBe(version);
  });
});

describe('replay windows', () => {
  it('times take a unit; a bare number is ms, the unit every replay line prints', () => {
    expect([timeArg('from', '4.1s'), timeArg('from', '4100ms'), timeArg('from', '4100000us'), timeArg('from', '4100µs'), timeArg('from', '4100')]).toEqual([
      4_100_000, 4_100_000, 4_100_000, 4100, 4_100_000,
    ]);
    expect(timeArg('to', '.5s')).toBe(500_000);
    expect(timeArg('to', undefined)).toBeUndefined();
    for (const bad of ['', ' ', 'x', '-5', '4.1 min', '1e3', 'Infinity']) expect(() => timeArg('from', bad), bad).toThrow(/is not a time/);
  });

  it('--from 1550 --to 1550.5 (ms, as printed) shows the records printed at 1550.x ms', async () => {
    expect(await main(['replay', 'demo-relay-line', '--seed', '1', '--from', '1550', '--to', '1550.5'])).toBe(0);
    const lines = io.out().split('\n').filter((l) => l.startsWith('#'));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/^#\d+ +1550\.\d{3} ms/);
  });
});

describe('filters and variants that match nothing say so', () => {
  it('an unknown --node and a --kind no record has are warnings naming what exists', async () => {
    expect(await main(['replay', 'demo-relay-line', '--seed', '1', '--node', 'Z', '--kind', 'zzz'])).toBe(0);
    expect(io.err()).toMatch(/warning: --node Z is not a node of demo-relay-line \(nodes: sim, fault, workload, A, B, C\)/);
    expect(io.err()).toMatch(/warning: --kind zzz matched no record \(kind prefixes in this trace: .*demo.*net/);
    io.clear();
    expect(await main(['replay', 'demo-relay-line', '--seed', '1', '--node', 'A', '--kind', 'disk.', '--quiet'])).toBe(0);
    // Whatever the checkout's last sweep (reports/latest) says of this seed's hash is another matter.
    expect(io.err().replace(/^syncbench: warning: this replay's trace hash .*\n/m, '')).toBe('');
  });

  it('a variant of another area is a warning: its runs are of the real implementation', async () => {
    expect(await main(['run', 'demo-relay-line', '--seeds', '0', '--variant', 'storage-keep-pending', '--no-report'])).toBe(0);
    expect(io.err()).toMatch(/warning: variant storage-keep-pending weakens the storage area, which demo-relay-line does not exercise \(demo\)/);
    io.clear();
    expect(await main(['run', 'demo-relay-line', '--seeds', '0', '--variant', 'demo-no-push', '--no-report', '--json'])).toBeGreaterThanOrEqual(0);
    expect(io.err()).not.toMatch(/warning/);
  });

  it('areas come from Scenario.variantAreas, else the folder under scenarios/; unknown areas never warn', () => {
    const root = '/p/scenarios';
    expect(variantAreasOf({}, '/p/scenarios/election/lock.ts', root)).toEqual(['election']);
    expect(variantAreasOf({}, '/p/scenarios/peer/x.ts', root)).toEqual(['peer-sync']);
    expect(variantAreasOf({ variantAreas: ['storage'] }, '/elsewhere/x.ts', root)).toEqual(['storage']);
    expect(variantAreasOf({}, '/elsewhere/x.ts', root)).toBeUndefined();
    expect(variantMismatch('storage-keep-pending', 'x', undefined)).toBeNull();
    expect(variantMismatch('', 'x', ['demo'])).toBeNull();
    expect(variantMismatch('storage-keep-pending', 'x', ['storage'])).toBeNull();
  });
});

describe('shrink only shrinks what the scenario honours', () => {
  it('a workload that ignores the scale is not "shrunk": the output says so and the replay has no --workload-scale', async () => {
    const plan = path.join(mkdtempSync(path.join(tmpdir(), 'syncbench-shrink-')), 'plan.json');
    expect(await main(['shrink', 'fixture-flaky', '--seed', '1', '--scenarios-dir', FIXTURES_DIR, '--out', plan])).toBe(1);
    expect(io.out()).toMatch(/workload scale not shrunk \(this scenario's workload does not use it\)/);
    expect(io.out()).not.toMatch(/--workload-scale/);
  });

  it('a workload that uses the scale is shrunk', async () => {
    const plan = path.join(mkdtempSync(path.join(tmpdir(), 'syncbench-shrink-')), 'plan.json');
    expect(await main(['shrink', 'fixture-shrink', '--seed', '2', '--scenarios-dir', FIXTURES_DIR, '--out', plan])).toBe(1);
    expect(io.out()).toMatch(/workload scale 1 -> 0\.1\d*/);
  });
});
