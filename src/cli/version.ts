/**
 * The package's version, from its package.json: the nearest one above this module whose name is
 * `syncbench`. Walking up (rather than a fixed `../../package.json`) finds it from the sources (src/cli/)
 * and from the compiled package (dist/src/cli/) alike.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding syncbench's package.json. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'syncbench') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`syncbench: no package.json of syncbench above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** The version in syncbench's package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
