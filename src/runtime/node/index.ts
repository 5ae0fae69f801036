/**
 * The real Node.js runtime adapter: the Env of src/impl/env.ts on node:fs, node:net, node:dgram,
 * node:crypto and real timers. See docs/runtime.md.
 */
export { createNodeEnv, type NodeEnvHandle } from './env.ts';
export type { NodeEnvOptions } from './options.ts';
export { NodeDevice } from './device.ts';
export type { TraceRecord } from './tracer.ts';
export { RunTrace, RUN_TRACE_SCHEMA_VERSION, type RunTraceNode, type RunTraceOptions, type RunTraceRecord } from './run-trace.ts';
export { encodeValue, decodeValue } from './codec.ts';
export { LOOPBACK } from './net.ts';
