/**
 * The fault atlas: what every fault kind models in the real world, which subsystem it acts on, and its
 * parameters with units. Data only; reports print it (`formatAtlas`). Parameter names match the schema
 * (schema.ts); a test keeps the two in step.
 */
import type { FaultKind } from './plan.ts';

/** Where a fault acts. */
export type FaultSubsystem = 'process' | 'network' | 'clock' | 'disk';

/** One row of the atlas. */
export interface AtlasEntry {
  kind: FaultKind;
  subsystem: FaultSubsystem;
  /** What it models in the real world. */
  models: string;
  /** Parameter name -> meaning with its unit. */
  params: Readonly<Record<string, string>>;
}

/** Parameters every event has (exactly one of them). */
export const TIMING_PARAMS: Readonly<Record<string, string>> = {
  atMs: 'when: virtual ms since the start of the run',
  trigger: 'when: { node, area, op, nth, target? } the nth matching operation of a node',
};

/** Every fault kind, in FAULT_KINDS order. */
export const FAULT_ATLAS: readonly AtlasEntry[] = [
  {
    kind: 'crash',
    subsystem: 'process',
    models: 'process kill, OOM, tab closed mid-await; with power loss: machine reset losing unsynced writes',
    params: {
      node: 'node id',
      powerLoss: 'boolean: the whole device loses power',
      restartAfterMs: 'ms until the crashed node(s) restart',
      when: "'before' | 'after' the triggering operation takes effect",
    },
  },
  { kind: 'restart', subsystem: 'process', models: 'a process started again (recovery runs)', params: { node: 'node id' } },
  {
    kind: 'pause',
    subsystem: 'process',
    models: 'frozen background tab, GC pause, SIGSTOP, laptop lid closed; triggered: frozen at an exact operation',
    params: {
      node: 'node id',
      durationMs: 'ms frozen',
      when: "'after' (default) the triggering operation took effect, before the node hears back | 'before' it takes effect",
    },
  },
  { kind: 'resume', subsystem: 'process', models: 'a frozen tab or process thawed', params: { node: 'node id' } },
  {
    kind: 'partition',
    subsystem: 'network',
    models: 'split brain, firewall rule, asymmetric routing (oneWay)',
    params: { a: 'node ids', b: 'node ids', oneWay: 'boolean: only a -> b is cut', durationMs: 'ms until it heals' },
  },
  {
    kind: 'isolate',
    subsystem: 'network',
    models: 'a peer drops off the network (offline device) and rejoins',
    params: { node: 'node id', durationMs: 'ms offline' },
  },
  {
    kind: 'clog',
    subsystem: 'network',
    models: 'a congested or stalled direction: messages held, not lost',
    params: { from: 'node id', to: 'node id', durationMs: 'ms until released' },
  },
  {
    kind: 'stall',
    subsystem: 'network',
    models: 'a TCP connection that hangs both ways without closing',
    params: { a: 'node id', b: 'node id', durationMs: 'ms stalled' },
  },
  {
    kind: 'resetConnections',
    subsystem: 'network',
    models: 'RST from a middlebox, NAT timeout, server restart of sockets',
    params: { a: 'node id', b: 'node id (optional: only connections with b)' },
  },
  {
    kind: 'linkFaults',
    subsystem: 'network',
    models: 'lossy Wi-Fi, mobile links, long-tail latency, duplicating or reordering paths',
    params: {
      from: 'node id (optional)',
      to: 'node id (optional)',
      lossRate: 'probability per datagram',
      dupRate: 'probability per datagram',
      reorderRate: 'probability per datagram',
      latencyMs: 'ms fixed latency',
      jitterMs: 'ms mean of the exponential part',
      tailProbability: 'probability per message of a tail spike',
      tailMs: 'ms mean of a tail spike',
      durationMs: 'ms until the links are restored',
    },
  },
  {
    kind: 'clockJump',
    subsystem: 'clock',
    models: 'NTP step, user changing the time, VM resume: wall clock steps (monotonic does not)',
    params: { node: 'node id', deltaMs: 'ms, negative steps back' },
  },
  {
    kind: 'clockDrift',
    subsystem: 'clock',
    models: 'a crystal running fast or slow; timers fire early or late',
    params: { node: 'node id', driftPpm: 'parts per million, positive runs fast', durationMs: 'ms (optional)' },
  },
  {
    kind: 'diskError',
    subsystem: 'disk',
    models: 'EIO from a failing disk, ENOSPC / quota exceeded (also IndexedDB QuotaExceededError via kv)',
    params: {
      node: 'node id',
      area: "'disk' | 'kv'",
      op: "operation name or '*'",
      code: "'EIO' | 'ENOSPC'",
      nth: 'count: the nth matching operation after the fault starts',
      probability: 'probability per matching operation',
      durationMs: 'ms armed (optional: until healed)',
    },
  },
  {
    kind: 'fsyncFail',
    subsystem: 'disk',
    models: 'fsync returning EIO (fsyncgate): the data may or may not be durable',
    params: {
      node: 'node id',
      nth: 'count of fsync/fsyncDir',
      probability: 'probability per fsync',
      durationMs: 'ms armed (optional)',
    },
  },
  {
    kind: 'tornWrite',
    subsystem: 'disk',
    models: 'power cut in the middle of a multi-sector write: a sector-granular prefix lands',
    params: { node: 'node id', nth: 'count of writes after the fault starts' },
  },
  {
    kind: 'bitFlip',
    subsystem: 'disk',
    models: 'bit rot or a bad cable: a read returns one flipped bit; the stored data is intact',
    params: {
      node: 'node id',
      nth: 'count of reads',
      probability: 'probability per read',
      durationMs: 'ms armed (optional)',
    },
  },
  {
    kind: 'corrupt',
    subsystem: 'disk',
    models: 'damage at rest: bit rot, a lost or misdirected sector, a truncated file; every later read and restart sees it',
    params: {
      node: 'node id (its device is damaged)',
      area: "'disk' (a durable file) | 'kv' (a durable value)",
      path: "file path or kv store name; a trailing '*' makes it a prefix (default: any)",
      mode: "'flip' one bit (default) | 'zero' one sector | 'truncate' the tail at a sector boundary (disk)",
    },
  },
  {
    kind: 'taskDelay',
    subsystem: 'process',
    models:
      "a browser running a tab's other task sources first: a BroadcastChannel message or a Web Locks callback (a steal's AbortError) handled late, after IndexedDB results and timers",
    params: {
      node: 'node id',
      source: "'bus' | 'lock' (optional: both)",
      delayMs: 'ms each task of the source waits once the tab could run it',
      durationMs: 'ms during which delivered tasks are late',
    },
  },
];

/** The atlas as text: one line per kind, its parameters indented below. */
export function formatAtlas(): string {
  const lines: string[] = [];
  for (const e of FAULT_ATLAS) {
    lines.push(`${e.kind} [${e.subsystem}]: ${e.models}`);
    for (const [name, meaning] of Object.entries(e.params)) lines.push(`    ${name}: ${meaning}`);
  }
  return lines.join('\n');
}
