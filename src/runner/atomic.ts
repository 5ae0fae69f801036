/** Atomic file writes: an interrupted run never leaves a half-written result file. */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

let counter = 0;

/** Writes `text` to `file` through a temp file in the same folder and a rename (atomic on POSIX). */
export function writeAtomic(file: string, text: string | Uint8Array): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${counter++}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
