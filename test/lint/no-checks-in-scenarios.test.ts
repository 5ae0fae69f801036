/**
 * docs/models.md, Layout: no check is written in a scenario file; a scenario imports its checks from
 * src/model/<area>/, so a port finds every checker by its name. A check is recognised by the `covers`
 * list every check declares. The one exception is the storage harness's `oracleCheck`, an adapter that
 * makes the run's StorageOracle (src/model/storage/storage-oracle.ts) and hands it the workload's ledger.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ALLOWED = new Set(['scenarios/storage/_harness.ts']);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

describe('layout', () => {
  it('declares no check in a scenario file (checks live in src/model/<area>/)', () => {
    const offenders = files('scenarios').filter((f) => !ALLOWED.has(f.split(path.sep).join('/')) && /\bcovers:\s*\[/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
