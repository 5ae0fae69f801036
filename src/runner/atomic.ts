/**
 * Atomic writes: an interrupted run never leaves a half-written result file, nor a report folder that
 * mixes files of two runs.
 */
import { accessSync, closeSync, constants, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, realpathSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

/**
 * Replaces the folder `dir` as a whole: `fill(tmp)` writes the new content into a fresh sibling folder
 * `<dir>.tmp-<pid>-<n>` (same parent, so the renames stay on one file system), every file and folder in it
 * is fsynced, then the two are swapped: `dir` (when it exists) is renamed to `<dir>.old-<pid>-<n>`, the temp
 * folder to `dir`, the parent is fsynced and the old folder removed. A reader sees the old folder or the new
 * one, never a mix. If `dir` is a symbolic link, the folder it points to is replaced and the link kept.
 *
 * The WHOLE folder is replaced: anything in `dir` that `fill` does not put into the new folder is deleted
 * with the old one (a caller that wants to keep a file copies it in `fill`; one that must not delete
 * foreign files checks with `whyNotReplaceable` first). Files written into `dir` after the call returns
 * land in the new folder.
 *
 * Two renames, not one exchange: Node has no renameat2(RENAME_EXCHANGE), and rename(2) onto a non-empty
 * folder fails (ENOTEMPTY), so for a moment between the renames `dir` does not exist. A kill at any point
 * leaves `dir` intact, or missing with its old content in `<dir>.old-<pid>-<n>`, plus perhaps a temp folder.
 * Each call first recovers from such a killed writer (one whose pid `process.kill(pid, 0)` reports gone,
 * ESRCH): its `.tmp-` folders are removed; if `dir` is missing (or empty, as `run`'s start-up check leaves
 * it) its `.old-` folder is renamed back to `dir` (the newest one, when there are several); other `.old-`
 * folders of dead writers are removed. Folders of live pids are left alone (a writer at work; also a dead
 * writer's pid reused by another process, which then leaks its folder until that pid is gone). Two
 * processes replacing the same folder at once are not supported.
 *
 * On an error (in `fill`, the fsyncs or the renames) the temp folder is removed, `dir` is left as it was
 * (renamed back if the second rename failed) and the error is rethrown. Only the removal of the old folder
 * after a successful swap is best-effort: what it leaves is removed by a later call.
 */
export function replaceFolder(dir: string, fill: (tmp: string) => void): void {
  const target = swapTarget(dir);
  mkdirSync(path.dirname(target), { recursive: true });
  recoverKilledSwap(target);
  if (existsEntry(target) && !statSync(target).isDirectory()) throw new Error(`${dir} is not a folder`);
  const n = counter++;
  const tmp = `${target}.tmp-${process.pid}-${n}`;
  const old = `${target}.old-${process.pid}-${n}`;
  mkdirSync(tmp);
  let moved = false;
  try {
    fill(tmp);
    syncTree(tmp);
    if (existsEntry(target)) {
      renameSync(target, old);
      moved = true;
    }
    renameSync(tmp, target);
  } catch (e) {
    try {
      if (moved && !existsEntry(target)) renameSync(old, target);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    throw e;
  }
  syncDir(path.dirname(target));
  // Best-effort: the new folder is in place; a later call removes what is left (its pid is gone by then).
  if (moved) succeeds(() => rmSync(old, { recursive: true, force: true, maxRetries: 2 }));
}

/**
 * Why replacing `dir` as a whole would be unsafe or fail where writing files into it works (undefined: it
 * is safe): it holds an entry `own` does not accept (replacing would delete it), it holds the current
 * working folder, it is a mount point (rename fails with EBUSY) or its parent is not writable.
 */
export function whyNotReplaceable(dir: string, own: (name: string) => boolean): string | undefined {
  const target = swapTarget(dir);
  if (!existsEntry(target) || !statSync(target).isDirectory()) return undefined;
  const foreign = readdirSync(target).filter((name) => !own(name));
  if (foreign.length > 0) return `${dir} holds ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}`;
  const cwd = path.relative(target, process.cwd());
  if (cwd === '' || (cwd !== '..' && !cwd.startsWith(`..${path.sep}`) && !path.isAbsolute(cwd))) return `${dir} holds the current folder`;
  const parent = path.dirname(target);
  if (statSync(parent).dev !== statSync(target).dev) return `${dir} is a mount point`;
  return succeeds(() => accessSync(parent, constants.W_OK)) ? undefined : `${parent} is not writable`;
}

/** The absolute path of the folder to replace, symbolic links resolved when it exists. */
function swapTarget(dir: string): string {
  const full = path.resolve(dir);
  try {
    return realpathSync(full);
  } catch {
    return full;
  }
}

/** True when `f` returns, false when it throws. */
function succeeds(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch {
    return false;
  }
}

const existsEntry = (p: string): boolean => succeeds(() => lstatSync(p));

/** True unless `pid` is certainly gone (ESRCH); EPERM means it lives under another user. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Cleans up after a writer killed during `replaceFolder(target)` (see there). */
function recoverKilledSwap(target: string): void {
  const parent = path.dirname(target);
  const prefix = `${path.basename(target)}.`;
  const dead = readdirSync(parent)
    .filter((name) => name.startsWith(prefix))
    .map((name) => ({ name, m: /^(tmp|old)-(\d+)-\d+$/.exec(name.slice(prefix.length)) }))
    .filter(({ m }) => m !== null && Number(m[2]) > 0 && !alive(Number(m[2])));
  const olds: string[] = [];
  for (const { name, m } of dead) {
    if (m?.[1] === 'old') olds.push(path.join(parent, name));
    else rmSync(path.join(parent, name), { recursive: true, force: true });
  }
  olds.sort((a, b) => statSync(b).ctimeMs - statSync(a).ctimeMs);
  if (olds.length > 0 && missingOrEmptyRemoved(target)) renameSync(olds.shift()!, target);
  for (const old of olds) rmSync(old, { recursive: true, force: true });
}

/** True when `p` does not exist, or was an empty folder and is now removed. */
const missingOrEmptyRemoved = (p: string): boolean => !existsEntry(p) || succeeds(() => rmdirSync(p));

/** fsyncs every file and folder under `p` (and `p`). */
function syncTree(p: string): void {
  for (const e of readdirSync(p, { withFileTypes: true })) {
    const sub = path.join(p, e.name);
    if (e.isDirectory()) syncTree(sub);
    else if (e.isFile()) syncFd(sub);
  }
  syncDir(p);
}

function syncFd(p: string): void {
  const fd = openSync(p, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsyncs a folder's entries; best-effort, as some file systems refuse fsync on a folder (EINVAL, EISDIR). */
function syncDir(p: string): void {
  succeeds(() => syncFd(p));
}
