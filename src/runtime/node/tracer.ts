/**
 * The real runtime's Tracer: records go to a callback and/or a JSONL file; probes are counted.
 * Real runs are not reproducible, so the records carry wall-clock and monotonic time instead of feeding a
 * trace hash.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Tracer } from '../../impl/env.ts';
import type { Life } from './life.ts';
import type { RunTrace } from './run-trace.ts';

/**
 * Namespaces of the bench's trace that only the runtime and the harness write into a run trace
 * (docs/trace-format.md): an implementation emitting `fact.store` could forge the evidence the checks trust.
 */
const RESERVED_KINDS = ['sim', 'fact', 'fault', 'node', 'device'];

/** One trace record of a real run. */
export interface TraceRecord {
  /** Wall-clock time, ms since the Unix epoch. */
  readonly timeMs: number;
  /** Monotonic time since the env started, ms. */
  readonly monoMs: number;
  /** The node that emitted it. */
  readonly node: string;
  /** 'area.kind' as passed to `emit`, or 'probe' for probes. */
  readonly kind: string;
  /** The fields passed to `emit` (for probes: `{ name }`). */
  readonly data: Record<string, unknown>;
}

/** A Tracer plus the counts of the probes it saw. */
export interface RuntimeTracer extends Tracer {
  /** Probe name -> times reached, for this env. */
  readonly probes: ReadonlyMap<string, number>;
}

/**
 * Builds the tracer of one env; the file stream (if any) is closed when the env closes. `run`: the run
 * trace it also writes into (bench format), which refuses the kinds of reserved namespaces.
 */
export function createTracer(
  life: Life,
  node: string,
  monotonic: () => number,
  sink: ((record: TraceRecord) => void) | null,
  file: string | null,
  run: RunTrace | null = null,
): RuntimeTracer {
  const probes = new Map<string, number>();
  const stream: WriteStream | null = file === null ? null : createWriteStream(file, { flags: 'a' });
  if (stream !== null) {
    stream.on('error', () => {}); // a broken trace file must not crash the node; close() reports nothing
    life.onClose(() => new Promise<void>((resolve) => stream.end(resolve)));
  }
  const write = (kind: string, data: Record<string, unknown>): void => {
    if (!life.live || (sink === null && stream === null && run === null)) return;
    run?.emit(node, kind, data);
    if (sink === null && stream === null) return;
    const record: TraceRecord = { timeMs: Date.now(), monoMs: monotonic(), node, kind, data };
    sink?.(record);
    stream?.write(`${JSON.stringify(record)}\n`);
  };
  return {
    probes,
    emit(kind: string, data: Record<string, unknown> = {}): void {
      if (typeof kind !== 'string' || kind === '') throw new TypeError('trace kind must be a non-empty string');
      if (run !== null && RESERVED_KINDS.some((p) => kind === p || kind.startsWith(`${p}.`))) {
        throw new TypeError(`trace kind '${kind}' is in a namespace of the run trace's harness (${RESERVED_KINDS.join(', ')})`);
      }
      write(kind, data);
    },
    probe(name: string): void {
      if (typeof name !== 'string' || name === '') throw new TypeError('probe name must be a non-empty string');
      if (!life.live) return;
      probes.set(name, (probes.get(name) ?? 0) + 1);
      write('probe', { name });
    },
  };
}
