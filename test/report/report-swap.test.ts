/** The report folder is replaced as a whole: runner/atomic.ts replaceFolder and report/write.ts writeReport. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeReport } from '../../src/report/write.ts';
import { replaceFolder } from '../../src/runner/atomic.ts';
import { runSweep } from '../../src/runner/sweep.ts';
import { fixtures } from '../runner/fixtures.ts';

/** A fresh parent folder and the path of a report folder in it. */
function fresh(): { parent: string; dir: string } {
  const parent = mkdtempSync(path.join(tmpdir(), 'syncbench-swap-'));
  return { parent, dir: path.join(parent, 'report') };
}

/** Writes `files` (name to content) into `dir`, creating it. */
function put(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
}

/** Every file of `dir` with its content. */
function contents(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((name) => [name, readFileSync(path.join(dir, name), 'utf8')]));
}

/** The pid of a process that has ended. */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', '']).pid!;
  expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  return pid;
}

describe('replaceFolder', () => {
  it('replaces a folder holding old files: the old files are gone, the new ones there, no siblings left', () => {
    const { parent, dir } = fresh();
    put(dir, { 'results.json': 'old', 'extra.txt': 'old extra' });
    replaceFolder(dir, (tmp) => put(tmp, { 'results.json': 'new', 'index.html': '<html>' }));
    expect(contents(dir)).toEqual({ 'index.html': '<html>', 'results.json': 'new' });
    expect(readdirSync(parent)).toEqual(['report']);
  });

  it('creates a missing folder and its missing parents', () => {
    const { parent } = fresh();
    const dir = path.join(parent, 'a', 'b');
    replaceFolder(dir, (tmp) => put(tmp, { 'x.json': '1' }));
    expect(contents(dir)).toEqual({ 'x.json': '1' });
    expect(readdirSync(path.join(parent, 'a'))).toEqual(['b']);
  });

  it('a failure while filling leaves the old folder exactly as it was and no .tmp- sibling', () => {
    const { parent, dir } = fresh();
    put(dir, { 'results.json': 'old', 'coverage.json': 'old cov' });
    const before = contents(dir);
    expect(() =>
      replaceFolder(dir, (tmp) => {
        put(tmp, { 'results.json': 'new' });
        throw new Error('index.html failed');
      }),
    ).toThrow('index.html failed');
    expect(contents(dir)).toEqual(before);
    expect(readdirSync(parent)).toEqual(['report']);
  });

  it('a file content that is not writable (a function) fails the swap the same way', () => {
    const { parent, dir } = fresh();
    put(dir, { 'results.json': 'old' });
    const bad = (() => 'x') as unknown as string;
    expect(() => replaceFolder(dir, (tmp) => writeFileSync(path.join(tmp, 'junit.xml'), bad))).toThrow(/data/);
    expect(contents(dir)).toEqual({ 'results.json': 'old' });
    expect(readdirSync(parent)).toEqual(['report']);
  });

  it('removes the .tmp- and .old- siblings of a killed writer whose pid is gone', () => {
    const { parent, dir } = fresh();
    const pid = deadPid();
    put(dir, { 'results.json': 'current' });
    put(`${dir}.tmp-${pid}-0`, { 'results.json': 'half written' });
    put(`${dir}.old-${pid}-3`, { 'results.json': 'older' });
    put(path.join(parent, 'report2.tmp-1-1'), { 'other.txt': 'not ours' });
    replaceFolder(dir, (tmp) => put(tmp, { 'results.json': 'new' }));
    expect(contents(dir)).toEqual({ 'results.json': 'new' });
    expect(readdirSync(parent).sort()).toEqual(['report', 'report2.tmp-1-1']);
  });

  it('restores the old folder of a writer killed between the two renames before writing', () => {
    for (const emptyDir of [false, true]) {
      const { parent, dir } = fresh();
      const pid = deadPid();
      put(`${dir}.old-${pid}-1`, { 'results.json': 'previous' });
      // `run` creates the report folder (empty) before its sweep: that counts as missing.
      if (emptyDir) mkdirSync(dir);
      let seen: Record<string, string> = {};
      replaceFolder(dir, (tmp) => {
        seen = contents(dir);
        put(tmp, { 'results.json': 'new' });
      });
      expect(seen).toEqual({ 'results.json': 'previous' });
      expect(contents(dir)).toEqual({ 'results.json': 'new' });
      expect(readdirSync(parent)).toEqual(['report']);
    }
  });

  it('after a failure, a restored old folder stays in place', () => {
    const { parent, dir } = fresh();
    put(`${dir}.old-${deadPid()}-1`, { 'results.json': 'previous' });
    expect(() => replaceFolder(dir, () => { throw new Error('no'); })).toThrow('no');
    expect(contents(dir)).toEqual({ 'results.json': 'previous' });
    expect(readdirSync(parent)).toEqual(['report']);
  });

  it('leaves the .tmp- and .old- folders of a live pid alone', () => {
    const { parent, dir } = fresh();
    const live = process.ppid;
    put(`${dir}.tmp-${live}-7`, { 'results.json': 'being written' });
    put(`${dir}.old-${live}-7`, { 'results.json': 'being swapped' });
    replaceFolder(dir, (tmp) => put(tmp, { 'results.json': 'new' }));
    expect(contents(dir)).toEqual({ 'results.json': 'new' });
    expect(contents(`${dir}.tmp-${live}-7`)).toEqual({ 'results.json': 'being written' });
    expect(readdirSync(parent).sort()).toEqual(['report', `report.old-${live}-7`, `report.tmp-${live}-7`]);
  });

  it('replaces the folder a symbolic link points to and keeps the link', () => {
    const { parent, dir } = fresh();
    put(path.join(parent, 'real'), { 'results.json': 'old' });
    symlinkSync('real', dir);
    replaceFolder(dir, (tmp) => put(tmp, { 'results.json': 'new' }));
    expect(contents(path.join(parent, 'real'))).toEqual({ 'results.json': 'new' });
    expect(readFileSync(path.join(dir, 'results.json'), 'utf8')).toBe('new');
    expect(readdirSync(parent).sort()).toEqual(['real', 'report']);
  });
});

describe('writeReport', () => {
  const REPORT = ['coverage.json', 'index.html', 'junit.xml', 'results.json'];
  const sweep = async () => {
    const all = await fixtures();
    return (await runSweep({ targets: ['fixture-ticker'], scenarios: [all.get('fixture-ticker')!], from: 0, to: 1, workers: 1 })).file;
  };

  it('into an existing report folder leaves exactly the report files and no .tmp-/.old- siblings', async () => {
    const { parent, dir } = fresh();
    put(dir, { 'results.json': 'old', 'coverage.json': 'old', 'junit.xml': 'old', 'index.html': 'old', 'corpus-candidates.json': 'last night', 'index.html.tmp-1-2': 'torn' });
    const file = await sweep();
    const written = await writeReport(dir, file);
    expect(written).toEqual({ results: path.join(dir, 'results.json'), coverage: path.join(dir, 'coverage.json'), junit: path.join(dir, 'junit.xml'), index: path.join(dir, 'index.html') });
    expect(readdirSync(dir).sort()).toEqual(REPORT);
    expect(readdirSync(parent)).toEqual(['report']);
    expect(JSON.parse(readFileSync(written.results, 'utf8'))).toEqual(JSON.parse(JSON.stringify(file)));
    for (const f of REPORT) expect(readFileSync(path.join(dir, f), 'utf8')).not.toBe('old');
  });

  it('with skipResults carries the folder\'s results.json over into the new folder', async () => {
    const { parent, dir } = fresh();
    put(dir, { 'results.json': '{"kept":true}', 'junit.xml': 'old' });
    await writeReport(dir, await sweep(), { skipResults: true });
    expect(readdirSync(dir).sort()).toEqual(REPORT);
    expect(readFileSync(path.join(dir, 'results.json'), 'utf8')).toBe('{"kept":true}');
    expect(readdirSync(parent)).toEqual(['report']);
  });

  it('never deletes a folder holding other files: writes the report files into it instead', async () => {
    const { parent, dir } = fresh();
    put(dir, { 'notes.txt': 'mine', 'results.json': 'old' });
    put(path.join(dir, 'merged'), { 'results.json': 'a merge' });
    await writeReport(dir, await sweep());
    expect(readdirSync(dir).sort()).toEqual([...REPORT, 'merged', 'notes.txt'].sort());
    expect(readFileSync(path.join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    expect(contents(path.join(dir, 'merged'))).toEqual({ 'results.json': 'a merge' });
    expect(readdirSync(parent)).toEqual(['report']);
  });
});
