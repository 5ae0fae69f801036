/**
 * A trace of one real run in the bench's own format (docs/trace-format.md), so that `syncbench check-trace`
 * reads it as it reads a simulator trace: one JSON Lines file shared by every env of the run, records
 * `{i, t, node, kind, data}` with `i` dense across the run and `t` the monotonic time in microseconds since
 * the run started (never going back). The file opens with the header `sim.begin {schemaVersion, scenario,
 * seed, variant, faults, nodes}` and `end()` closes it with `sim.converged` and `sim.end {verdict}`.
 *
 * The envs of the run (`createNodeEnv({ run })`) write into it: `node.start` / `node.crash` for their
 * lifecycle, the implementation's records, and the evidence of the block stores (`fact.store`, see
 * store-evidence.ts) that the models decide from. The harness adds its own records (`workload.*`) with
 * `emit`. Records are written synchronously, in call order, so a trace cut by a kill holds everything
 * up to it.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { DEFAULT_STORES, type StoreLocation } from '../../evidence/store.ts';

/** The trace format version this writer produces (TRACE_SCHEMA_VERSION of src/sim/trace.ts). */
export const RUN_TRACE_SCHEMA_VERSION = 1;

/** A node of the run, as the header names it (`check-trace <area>` builds its checks for these). */
export interface RunTraceNode {
  id: string;
  /** Device id: envs created with the same `device` share it (bus, locks, the stores' evidence). */
  device: string;
  /** Role an area check reads ('store', 'tab', 'client'...). */
  role: string;
}

/** Options of a RunTrace. */
export interface RunTraceOptions {
  /** File to write (created or truncated). */
  file: string;
  /** `sim.begin.scenario`, e.g. 'runtime-loopback-storage'. */
  scenario: string;
  /** The run's topology (`sim.begin.nodes`). */
  nodes: readonly RunTraceNode[];
  /** `sim.begin.seed` (a real run has none: default 0). */
  seed?: number;
  /** `sim.begin.variant`. Default ''. */
  variant?: string;
  /** `sim.begin.faults`. Default 'none' (the real runtime injects no faults). */
  faults?: string;
  /** Block stores whose `fact.store` and `fact.store-blocks` the envs write (default: file '/store' and kv 'store'; [] for none). */
  stores?: readonly StoreLocation[];
  /** Write peer sync's evidence too (`fact.peer.*`, `fact.clock`; peer-evidence.ts). Default false. */
  peer?: boolean;
}

/** One record as written. */
export interface RunTraceRecord {
  readonly i: number;
  readonly t: number;
  readonly node: string;
  readonly kind: string;
  readonly data: Record<string, unknown>;
}

/** The writer of one run's trace file. */
export class RunTrace {
  /** Path of the trace file. */
  readonly file: string;
  /** The run's topology, as the header names it. */
  readonly nodes: readonly RunTraceNode[];
  /** The block stores the envs of this run report evidence for. */
  readonly stores: readonly StoreLocation[];
  /** The envs write peer sync's evidence. */
  readonly peer: boolean;
  private fd: number | null;
  private next = 0;
  private lastT = 0;
  private startMs = performance.now();
  /** Evidence reads in order: a fact read later is written later (see `serial`). */
  private queue: Promise<void> = Promise.resolve();
  private ending: Promise<void> | null = null;

  constructor(options: RunTraceOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('RunTrace options must be an object');
    for (const field of ['file', 'scenario'] as const) {
      if (typeof options[field] !== 'string' || options[field] === '') throw new TypeError(`RunTrace ${field} must be a non-empty string`);
    }
    if (!Array.isArray(options.nodes) || options.nodes.length === 0) throw new TypeError('RunTrace nodes must be a non-empty list of {id, device, role}');
    const ids = new Set<string>();
    for (const [k, n] of options.nodes.entries()) {
      for (const f of ['id', 'device', 'role'] as const) {
        if (typeof n?.[f] !== 'string' || (f !== 'role' && n[f] === '')) throw new TypeError(`RunTrace nodes[${k}].${f} must be a string${f === 'role' ? '' : ' (non-empty)'}`);
      }
      if (ids.has(n.id)) throw new TypeError(`RunTrace nodes[${k}]: the id '${n.id}' is named twice`);
      ids.add(n.id);
    }
    this.file = options.file;
    this.nodes = options.nodes.map((n) => ({ id: n.id, device: n.device, role: n.role }));
    this.stores = options.stores ?? DEFAULT_STORES;
    this.peer = options.peer === true;
    this.fd = openSync(options.file, 'w');
    this.emit('sim', 'sim.begin', {
      schemaVersion: RUN_TRACE_SCHEMA_VERSION,
      scenario: options.scenario,
      seed: options.seed ?? 0,
      variant: options.variant ?? '',
      faults: options.faults ?? 'none',
      nodes: this.nodes,
    });
  }

  /** True once `end()` ran: later records are dropped. */
  get ended(): boolean {
    return this.fd === null;
  }

  /** Records written so far (the next record's `i`). */
  get count(): number {
    return this.next;
  }

  /** Microseconds since the run started, never less than the last record's `t`. */
  now(): number {
    const t = Math.max(this.lastT, Math.floor((performance.now() - this.startMs) * 1000));
    this.lastT = t;
    return t;
  }

  /** Writes one record now (dropped after `end()`); returns it, or null when dropped. */
  emit(node: string, kind: string, data: Record<string, unknown> = {}): RunTraceRecord | null {
    if (this.fd === null) return null;
    if (typeof node !== 'string' || node === '') throw new TypeError('trace node must be a non-empty string');
    if (typeof kind !== 'string' || kind === '') throw new TypeError('trace kind must be a non-empty string');
    if (this.next === 0) this.startMs = performance.now(); // the run starts with its header, at t = 0
    const rec: RunTraceRecord = { i: this.next, t: this.next === 0 ? 0 : this.now(), node, kind, data };
    const line = `${JSON.stringify(rec)}\n`; // throws before the counter moves when data is not JSON
    this.next++;
    writeSync(this.fd, line);
    return rec;
  }

  /**
   * Runs `fn` after every evidence read queued before it: reads of the real disk are asynchronous, and two
   * of them overlapping could write an older state after a newer one. Never rejects: an evidence read that
   * fails is recorded (`evidenceFailed`), it does not fail the implementation's operation.
   */
  serial(what: string, fn: () => Promise<void>): Promise<void> {
    const run = this.queue.then(fn).catch((e: unknown) => this.evidenceFailed(what, e));
    this.queue = run;
    return run;
  }

  /**
   * Records that evidence could not be read (`runtime.evidence-error {what, error}` on node 'sim'): the
   * fact it would have written is missing, which the checks notice (a claim without its evidence is
   * refused), never a silent pass.
   */
  evidenceFailed(what: string, e: unknown): void {
    this.emit('sim', 'runtime.evidence-error', { what, error: e instanceof Error ? e.message : String(e) });
  }

  /**
   * Ends the trace: waits for pending evidence reads, then writes `sim.converged` (unless `converged` is
   * false: the harness claims the system settled, so model instances in hot states fail liveness) and
   * `sim.end {verdict}`, and closes the file. Close the envs first: their records after this are dropped.
   */
  end(options: { verdict?: string; converged?: boolean } = {}): Promise<void> {
    this.ending ??= this.finish(options);
    return this.ending;
  }

  private async finish(options: { verdict?: string; converged?: boolean }): Promise<void> {
    await this.queue;
    if (options.converged !== false) this.emit('sim', 'sim.converged', {});
    this.emit('sim', 'sim.end', { verdict: options.verdict ?? 'pass' });
    const fd = this.fd;
    this.fd = null;
    if (fd !== null) closeSync(fd);
  }
}
