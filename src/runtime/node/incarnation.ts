/**
 * Incarnation numbers of the real runtime: a counter per node id kept in `<dataDir>/.kv/`, 0 on the first
 * start and +1 on every later start (written atomically: temp file, fsync, rename, fsync of the directory).
 */
import { mkdir, readFile, rename, writeFile, open } from 'node:fs/promises';
import { join } from 'node:path';
import { syncRealDir } from './disk.ts';
import { codeOf } from './errors.ts';

/** Reads the node's last incarnation, stores the next one and returns it. */
export async function nextIncarnation(dataDir: string, nodeId: string): Promise<number> {
  const dir = join(dataDir, '.kv');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `incarnation.${encodeURIComponent(nodeId)}`);
  let next = 0;
  try {
    const last = Number.parseInt(await readFile(file, 'utf8'), 10);
    if (Number.isSafeInteger(last) && last >= 0) next = last + 1;
  } catch (e) {
    if (codeOf(e) !== 'ENOENT') throw e;
  }
  const tmp = `${file}.tmp`;
  await writeFile(tmp, String(next));
  const fh = await open(tmp, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  await syncRealDir(dir);
  return next;
}
