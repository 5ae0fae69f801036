/**
 * Options of a real-runtime env, validated once into settings with every field set. A bad option throws
 * a TypeError or RangeError naming the field.
 */
import type { KvDurability } from '../../impl/env.ts';
import type { NodeDevice } from './device.ts';
import { RunTrace } from './run-trace.ts';
import type { TraceRecord } from './tracer.ts';

/** Options of `createNodeEnv` (only nodeId and dataDir are required). */
export interface NodeEnvOptions {
  /** This node's id, which is also its network address. */
  nodeId: string;
  /** Directory holding this node's disk (Env paths map below it) and its kv log (`.kv/log`). Created if missing. */
  dataDir: string;
  /** Device shared with other envs of this process (bus and locks): a NodeDevice or a name. Default: nodeId. */
  device?: NodeDevice | string;
  /** TCP (and UDP) port on 127.0.0.1 to listen on; 0 picks a free one (see `NodeEnvHandle.port`). Default 0. */
  port?: number;
  /** Node id -> port of the peers this node may connect to; more can be added with `handle.setPeer`. */
  peers?: Readonly<Record<string, number>>;
  /** Incarnation reported to the implementation. Default: a counter kept in `.kv/`, +1 on every start. */
  incarnation?: number;
  /** Default durability of kv transactions. Default 'strict'. */
  kvDurability?: KvDurability;
  /** Kv log lines after which the log is rewritten as one snapshot. Default 10,000. */
  kvCompactLinesMax?: number;
  /** Default connect timeout, ms. Default 5,000. */
  connectTimeoutMs?: number;
  /** Largest encoded message on a connection, bytes; a bigger one resets the connection. Default 16 MiB. */
  messageBytesMax?: number;
  /** Messages buffered on a connection before its message handler is set. Default 10,000. */
  bufferLengthMax?: number;
  /** Receives every trace record (emits and probes). */
  trace?: (record: TraceRecord) => void;
  /** File to append trace records to, one JSON object per line. */
  traceFile?: string;
  /**
   * The run trace (bench format, shared by the envs of one run) to write this env's records, its
   * `node.start` / `node.crash` and its stores' `fact.store` evidence into. The node must be in its header.
   */
  run?: RunTrace;
}

/** Options with every field set. */
export interface NodeEnvSettings {
  readonly nodeId: string;
  readonly dataDir: string;
  readonly device: NodeDevice | string;
  readonly port: number;
  readonly peers: Readonly<Record<string, number>>;
  readonly incarnation: number | null;
  readonly kvDurability: KvDurability;
  readonly kvCompactLinesMax: number;
  readonly connectTimeoutMs: number;
  readonly messageBytesMax: number;
  readonly bufferLengthMax: number;
  readonly trace: ((record: TraceRecord) => void) | null;
  readonly traceFile: string | null;
  readonly run: RunTrace | null;
}

/** Validates `options` and fills in defaults. */
export function resolveOptions(options: NodeEnvOptions): NodeEnvSettings {
  if (options === null || typeof options !== 'object') throw new TypeError('createNodeEnv options must be an object');
  const nodeId = requireString('nodeId', options.nodeId);
  const dataDir = requireString('dataDir', options.dataDir);
  const peers = options.peers ?? {};
  for (const [id, port] of Object.entries(peers)) requirePort(`peers.${id}`, port, false);
  const durability = options.kvDurability ?? 'strict';
  if (durability !== 'strict' && durability !== 'relaxed') {
    throw new TypeError(`kvDurability must be 'strict' or 'relaxed', got ${String(durability)}`);
  }
  return {
    nodeId,
    dataDir,
    device: options.device ?? nodeId,
    port: requirePort('port', options.port ?? 0, true),
    peers: { ...peers },
    incarnation: options.incarnation === undefined ? null : requireInt('incarnation', options.incarnation, 0),
    kvDurability: durability,
    kvCompactLinesMax: requireInt('kvCompactLinesMax', options.kvCompactLinesMax ?? 10_000, 1),
    connectTimeoutMs: requireInt('connectTimeoutMs', options.connectTimeoutMs ?? 5_000, 1),
    messageBytesMax: requireInt('messageBytesMax', options.messageBytesMax ?? 16 * 1024 * 1024, 64),
    bufferLengthMax: requireInt('bufferLengthMax', options.bufferLengthMax ?? 10_000, 1),
    trace: options.trace ?? null,
    traceFile: options.traceFile === undefined ? null : requireString('traceFile', options.traceFile),
    run: requireRun(options.run),
  };
}

function requireRun(run: unknown): RunTrace | null {
  if (run === undefined) return null;
  if (!(run instanceof RunTrace)) throw new TypeError('run must be a RunTrace');
  return run;
}

function requireString(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${field} must be a non-empty string, got ${String(value)}`);
  return value;
}

/** Throws a RangeError naming `field` unless `value` is an integer >= min. */
export function requireInt(field: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${field} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/** Throws a RangeError naming `field` unless `value` is a TCP port (0 allowed when `zeroOk`). */
export function requirePort(field: string, value: unknown, zeroOk: boolean): number {
  const port = requireInt(field, value, zeroOk ? 0 : 1);
  if (port > 65_535) throw new RangeError(`${field} must be a port number <= 65535, got ${port}`);
  return port;
}
