import { readFile, writeFile as fsWriteFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvError, type Disk } from '../../src/impl/env.ts';
import { realPath } from '../../src/runtime/node/disk.ts';
import { EnvPool, staysPending, tempDir } from './helpers.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** The EnvError code a promise rejects with. */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof EnvError) return e.code;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('runtime disk', () => {
  const pool = new EnvPool();
  let dir: { path: string; remove: () => Promise<void> };
  let disk: Disk;

  beforeEach(async () => {
    dir = await tempDir();
    disk = (await pool.create({ nodeId: 'n1', dataDir: dir.path })).env.disk;
  });
  afterEach(async () => {
    await pool.closeAll();
    await dir.remove();
  });

  it('writes, reads, renames, lists, stats and unlinks files below the data directory', async () => {
    await disk.mkdir('/a/b');
    await disk.writeFile('/a/b/f', bytes('hello world'));
    expect(text(await disk.readFile('/a/b/f'))).toBe('hello world');
    expect(await readFile(join(dir.path, 'a', 'b', 'f'), 'utf8')).toBe('hello world');
    expect(text(await disk.read('/a/b/f', 6, 100))).toBe('world');
    await disk.write('/a/b/f', 0, bytes('J'));
    await disk.write('/a/b/f', 13, bytes('!'));
    const grown = await disk.readFile('/a/b/f');
    expect(grown.length).toBe(14);
    expect(text(grown.subarray(0, 11))).toBe('Jello world');
    expect([...grown.subarray(11, 13)]).toEqual([0, 0]);
    await disk.truncate('/a/b/f', 5);
    expect(await disk.stat('/a/b/f')).toEqual({ kind: 'file', size: 5 });
    await disk.rename('/a/b/f', '/a/g');
    expect(await disk.list('/a')).toEqual(['b', 'g']);
    expect(await disk.stat('/a/b')).toEqual({ kind: 'dir', size: 0 });
    expect(await disk.stat('/a/b/f')).toBeNull();
    await disk.unlink('/a/g');
    expect(await disk.list('/a')).toEqual(['b']);
  });

  it('write creates a missing file; rename replaces an existing target', async () => {
    await disk.write('/new', 2, bytes('xy'));
    expect([...(await disk.readFile('/new'))]).toEqual([0, 0, 120, 121]);
    await disk.writeFile('/old', bytes('old'));
    await disk.rename('/new', '/old');
    expect((await disk.readFile('/old')).length).toBe(4);
    expect(await disk.stat('/new')).toBeNull();
  });

  it('fsync and fsyncDir succeed on files and directories', async () => {
    await disk.mkdir('/d');
    await disk.writeFile('/d/f', bytes('x'));
    await disk.fsync('/d/f');
    await disk.fsyncDir('/d');
    await disk.fsyncDir('/');
    expect(await codeOf(disk.fsync('/d'))).toBe('EISDIR');
    expect(await codeOf(disk.fsyncDir('/d/f'))).toBe('ENOTDIR');
  });

  it('maps Node errors to Env error codes', async () => {
    await disk.mkdir('/d');
    await disk.writeFile('/d/f', bytes('x'));
    expect(await codeOf(disk.readFile('/missing'))).toBe('ENOENT');
    expect(await codeOf(disk.readFile('/d'))).toBe('EISDIR');
    expect(await codeOf(disk.writeFile('/nodir/f', bytes('x')))).toBe('ENOENT');
    expect(await codeOf(disk.writeFile('/d/f/g', bytes('x')))).toBe('ENOTDIR');
    expect(await codeOf(disk.list('/d/f'))).toBe('ENOTDIR');
    expect(await codeOf(disk.unlink('/d'))).toBe('EISDIR');
    expect(await codeOf(disk.rename('/d/f', '/nodir/g'))).toBe('ENOENT');
    expect(await codeOf(disk.truncate('/missing', 0))).toBe('ENOENT');
    expect(await codeOf(disk.stat('/d/f/g'))).toBe('ENOTDIR');
  });

  it('rejects paths that escape the data directory or touch the reserved .kv directory', async () => {
    await expect(disk.readFile('/../outside')).rejects.toThrow(/'\.\.' component: paths may not escape/);
    await expect(disk.writeFile('/a/../../x', bytes('x'))).rejects.toThrow(TypeError);
    await expect(disk.rename('/a', '/../x')).rejects.toThrow(/to '\/\.\.\/x'/);
    await expect(disk.readFile('relative')).rejects.toThrow(/must be absolute/);
    await expect(disk.readFile('/.kv/log')).rejects.toThrow(/reserved for the runtime/);
    expect(() => realPath('/root', '/a/./b')).toThrow(/'\.' component/);
    expect(realPath('/root', '/a/b')).toBe(join('/root', 'a', 'b'));
    expect(await disk.list('/')).toEqual([]); // .kv (kv log, incarnations) is hidden
  });

  it('argument errors name the field', async () => {
    await expect(disk.read('/f', -1, 1)).rejects.toThrow(/offset must be an integer/);
    await expect(disk.writeFile('/f', 'text' as unknown as Uint8Array)).rejects.toThrow(/data must be a Uint8Array/);
  });

  it('after close, operations never settle', async () => {
    await fsWriteFile(join(dir.path, 'f'), 'x');
    await pool.closeAll();
    expect(await staysPending(disk.readFile('/f'), 50)).toBe(true);
  });
});
