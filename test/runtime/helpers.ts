/**
 * Helpers of the runtime tests: temporary data directories and bounded waits (a failure never hangs).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { createNodeEnv, type NodeEnvHandle, type NodeEnvOptions } from '../../src/runtime/node/index.ts';

/** A fresh temporary directory and its cleanup. */
export async function tempDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'syncbench-runtime-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Rejects with a message naming `what` when `p` does not settle within `ms`. */
export function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `cond` every 10 ms; rejects naming `what` when it is still false after `ms`. */
export async function waitFor(ms: number, what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** True when `p` has not settled after `ms` (for "never settles" checks). */
export async function staysPending(p: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((r) => setTimeout(r, ms));
  return !settled;
}

/** Envs created by a test, closed by `closeAll` (in afterEach). */
export class EnvPool {
  private readonly handles: NodeEnvHandle[] = [];

  /** Creates an env and remembers it. */
  async create(options: NodeEnvOptions): Promise<NodeEnvHandle> {
    const h = await within(5000, `createNodeEnv(${options.nodeId})`, createNodeEnv(options));
    this.handles.push(h);
    return h;
  }

  /** Closes every env created (closing twice is harmless). */
  async closeAll(): Promise<void> {
    await Promise.all(this.handles.splice(0).map((h) => within(5000, 'close', h.close())));
  }
}

/**
 * Installs hooks giving each test of the calling suite a fresh temporary directory (`dir()`) and closing
 * the envs of `pool` (then removing the directory) after it.
 */
export function perTestDir(): { pool: EnvPool; dir: () => string } {
  const pool = new EnvPool();
  let current: { path: string; remove: () => Promise<void> } | null = null;
  beforeEach(async () => {
    current = await tempDir();
  });
  afterEach(async () => {
    await pool.closeAll();
    await current?.remove();
    current = null;
  });
  return {
    pool,
    dir: () => {
      if (current === null) throw new Error('perTestDir: dir() is only set while a test runs');
      return current.path;
    },
  };
}
