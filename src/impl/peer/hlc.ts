/**
 * Hybrid logical clock (HLC): physical milliseconds, a counter and the device id.
 *
 * - Total order: (physicalMs, counter, device), compared in that order.
 * - Strictly increasing per device: `tick()` never returns a value <= any value it returned or observed,
 *   even when the wall clock steps back (the physical part then stays and the counter grows).
 * - Updated on every receive (`observe`): the local clock moves past the remote one, so a receive is
 *   ordered after its send.
 * - A remote HLC further ahead of the local wall clock than `maxDriftMs` is rejected (`HlcDriftError`).
 * - String form `PPPPPPPPPPPPPPP-CCCCCC-device` (fixed-width decimal, so strings sort like HLCs) parses
 *   back exactly with `parseHlc`.
 */

/** One HLC timestamp. */
export interface Hlc {
  readonly physicalMs: number;
  readonly counter: number;
  readonly device: string;
}

/** Digits of the physical part in the string form (ms up to year ~33000). */
const PHYSICAL_DIGITS = 15;
/** Digits of the counter in the string form. */
const COUNTER_DIGITS = 6;
/** Largest counter value; the clock waits for the wall clock past this (throws, as a bound). */
export const HLC_COUNTER_MAX = 999_999;

const HLC_RE = /^(\d{15})-(\d{6})-([A-Za-z0-9_.:/-]+)$/;

/** A remote HLC was too far ahead of the local wall clock. */
export class HlcDriftError extends Error {
  override name = 'HlcDriftError';
  constructor(
    readonly remote: string,
    readonly aheadMs: number,
    readonly maxDriftMs: number,
  ) {
    super(`remote HLC ${remote} is ${aheadMs} ms ahead of the local clock (max drift ${maxDriftMs} ms)`);
  }
}

/** Compares two HLCs: negative, zero or positive. */
export function compareHlc(a: Hlc, b: Hlc): number {
  if (a.physicalMs !== b.physicalMs) return a.physicalMs - b.physicalMs;
  if (a.counter !== b.counter) return a.counter - b.counter;
  return a.device < b.device ? -1 : a.device > b.device ? 1 : 0;
}

/** The sortable string form of an HLC. */
export function formatHlc(h: Hlc): string {
  return `${String(h.physicalMs).padStart(PHYSICAL_DIGITS, '0')}-${String(h.counter).padStart(COUNTER_DIGITS, '0')}-${h.device}`;
}

/** Parses the string form; throws a RangeError naming the input when it is not an HLC. */
export function parseHlc(s: string): Hlc {
  const m = HLC_RE.exec(s);
  if (m === null) throw new RangeError(`'${s}' is not an HLC (expected ${PHYSICAL_DIGITS} digits-${COUNTER_DIGITS} digits-device)`);
  return { physicalMs: Number(m[1]), counter: Number(m[2]), device: m[3]! };
}

/** True when `s` is a well-formed HLC string. */
export function isHlcString(s: unknown): s is string {
  return typeof s === 'string' && HLC_RE.test(s);
}

/**
 * The HLC seam (PeerOptions.hlc): what the peer node asks of its hybrid logical clock. A plugged-in clock
 * (another HLC library, a port's) is checked by the same trace checks as the built-in one:
 * invariant:hlc (every commit's timestamp above the previous one and above every change applied before:
 * `peer.commit`, `peer.applied`, `peer.catchup.batch`) and invariant:hlc-drift (a remote timestamp is
 * rejected exactly when it leads the device's true wall clock, fact.clock, by more than maxDriftMs).
 */
export interface HybridClock {
  /** The device id the timestamps carry. */
  readonly device: string;
  /** The bound `observe` enforces, ms. */
  readonly maxDriftMs: number;
  /** The latest value issued or observed, without advancing. */
  peek(): Hlc;
  /** A new timestamp, greater than everything issued or observed before. */
  tick(): Hlc;
  /** Moves past a remote timestamp; throws HlcDriftError (changing nothing) when it leads the wall clock by more than maxDriftMs. */
  observe(remote: Hlc): void;
  /** Raises the clock to at least `floor` (recovery: the largest timestamp found on disk). */
  restoreFloor(floor: Hlc): void;
}

/** Builds a device's clock: `wallMs` reads the device's wall clock (env.clock.now). */
export type HybridClockFactory = (device: string, wallMs: () => number, maxDriftMs: number) => HybridClock;

/** The HLC clock of one device (the built-in HybridClock). */
export class HlcClock implements HybridClock {
  private physicalMs = 0;
  private counter = 0;

  /**
   * `driftFromHlc`: the weakened variant 'peer-drift-own-hlc' measures a remote's lead from the local HLC
   * (max of wall clock and HLC) instead of the wall clock.
   */
  constructor(
    readonly device: string,
    private readonly wallMs: () => number,
    readonly maxDriftMs: number,
    private readonly driftFromHlc = false,
  ) {
    if (!(maxDriftMs > 0)) throw new RangeError(`maxDriftMs must be > 0, got ${maxDriftMs}`);
  }

  /** The latest value issued or observed (without advancing). */
  peek(): Hlc {
    return { physicalMs: this.physicalMs, counter: this.counter, device: this.device };
  }

  /** Issues a new timestamp, greater than everything issued or observed before. */
  tick(): Hlc {
    const wall = this.wallMs();
    if (wall > this.physicalMs) {
      this.physicalMs = wall;
      this.counter = 0;
    } else {
      this.bumpCounter();
    }
    return this.peek();
  }

  /** Moves the clock past a remote timestamp; throws HlcDriftError (and changes nothing) if it is too far ahead. */
  observe(remote: Hlc): void {
    const wall = this.wallMs();
    const ahead = remote.physicalMs - (this.driftFromHlc ? Math.max(wall, this.physicalMs) : wall);
    if (ahead > this.maxDriftMs) throw new HlcDriftError(formatHlc(remote), ahead, this.maxDriftMs);
    if (remote.physicalMs > this.physicalMs) {
      this.physicalMs = remote.physicalMs;
      this.counter = remote.counter;
    } else if (remote.physicalMs === this.physicalMs && remote.counter > this.counter) {
      this.counter = remote.counter;
    }
  }

  /** Raises the clock to at least `floor` (recovery: the largest timestamp found on disk). */
  restoreFloor(floor: Hlc): void {
    if (floor.physicalMs > this.physicalMs || (floor.physicalMs === this.physicalMs && floor.counter > this.counter)) {
      this.physicalMs = floor.physicalMs;
      this.counter = floor.counter;
    }
  }

  private bumpCounter(): void {
    if (this.counter >= HLC_COUNTER_MAX) {
      // Bounded: borrow the next millisecond rather than overflow the fixed-width counter.
      this.physicalMs += 1;
      this.counter = 0;
      return;
    }
    this.counter += 1;
  }
}
