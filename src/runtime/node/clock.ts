/**
 * The real runtime's Clock and Random: Date.now, performance.now (monotonic since the env started), real
 * timers tracked so that close() cancels them all, and node:crypto randomness.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { Clock, Random, TimerId } from '../../impl/env.ts';
import { NEVER, type Life } from './life.ts';

/** Longest delay a Node timer accepts (about 24.8 days); longer ones would fire at once. */
export const TIMER_MS_MAX = 2_147_483_647;

/** Builds the clock of one env; its monotonic zero is the moment it is created. */
export function createClock(life: Life): Clock {
  const startMs = performance.now();
  const timers = new Map<TimerId, NodeJS.Timeout>();
  let nextId = 1;
  life.onClose(() => {
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
  });

  const arm = (fn: () => void, ms: number, repeat: boolean): TimerId => {
    if (typeof fn !== 'function') throw new TypeError('timer callback must be a function');
    const delay = checkDelay(ms);
    const id = nextId++;
    if (!life.live) return id;
    const fire = (): void => {
      if (!repeat) timers.delete(id);
      if (life.live) fn();
    };
    timers.set(id, repeat ? setInterval(fire, Math.max(1, delay)) : setTimeout(fire, delay));
    return id;
  };

  return {
    now: () => Date.now(),
    monotonic: () => performance.now() - startMs,
    sleep: (ms: number): Promise<void> => {
      const delay = checkDelay(ms);
      if (!life.live) return NEVER;
      return new Promise<void>((resolve) => void arm(resolve, delay, false));
    },
    setTimeout: (fn: () => void, ms: number) => arm(fn, ms, false),
    setInterval: (fn: () => void, ms: number) => arm(fn, ms, true),
    clearTimer: (id: TimerId): void => {
      const t = timers.get(id);
      if (t === undefined) return;
      clearTimeout(t); // clears intervals too
      timers.delete(id);
    },
  };
}

function checkDelay(ms: unknown): number {
  if (typeof ms !== 'number' || !(ms >= 0) || ms > TIMER_MS_MAX) {
    throw new RangeError(`timer delay must be a number of ms in [0, ${TIMER_MS_MAX}], got ${String(ms)}`);
  }
  return ms;
}

/** Largest range node:crypto's randomInt accepts. */
const RANDOM_INT_RANGE_MAX = 2 ** 48;

/** A uniform float in [0, 1) from 53 random bits. */
function float(): number {
  return Number(randomBytes(8).readBigUInt64BE() >> 11n) / 2 ** 53;
}

/** Builds the random source of one env (node:crypto; real runs are not seeded). */
export function createRandom(): Random {
  return {
    float,
    int: (n: number): number => {
      if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`random.int(n): n must be a safe integer >= 1, got ${String(n)}`);
      if (n === 1) return 0;
      return n <= RANDOM_INT_RANGE_MAX ? randomInt(0, n) : Math.floor(float() * n);
    },
    uuid: () => randomUUID(),
    bytes: (n: number): Uint8Array => {
      if (!Number.isInteger(n) || n < 0 || n > 65_536) throw new RangeError(`random.bytes(n): n must be an integer in [0, 65536], got ${String(n)}`);
      return new Uint8Array(randomBytes(n));
    },
  };
}
