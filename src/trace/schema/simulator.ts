/**
 * Kinds the simulator writes (docs/trace-format.md, "Areas"): the run's header and end, node lifecycle,
 * power, the virtual disk and kv store, the network, the tab bus, the lock manager, and probes.
 */
import { TRACE_SCHEMA_VERSION } from '../../sim/trace.ts';
import { any, arrayOf, bool, count, int, kind, nullable, num, obj, oneOf, str, type JsonSchema, type KindSchemas } from './dsl.ts';

const verdict = oneOf('pass', 'correctness', 'liveness', 'crash');
/** A disk or kv fault as the medium applied it: `error:<code>`, `crash:before|after`, `pause:before|after`, `torn`, `bitflip`... */
const faultAction: JsonSchema = { type: 'string', pattern: '^(error:[A-Z]+|(crash|pause):(before|after)|[a-z]+)$' };
/** The link settings a `net.link` / `net.defaultLink` record carries (only those the call set). */
const linkFields = {
  lossRate: num,
  dupRate: num,
  reorderRate: num,
  latencyMs: num,
  jitterMs: num,
  tailMs: num,
  tailProbability: num,
};
/** A connection's record: `conn` and `seq`; a datagram's: `dgram`. */
const connOrDatagram = { oneOf: [{ required: ['conn'], not: { required: ['dgram'] } }, { required: ['dgram'], not: { required: ['conn'] } }] };

export const SIMULATOR_KINDS: KindSchemas = {
  'sim.begin': kind(
    "the trace's header, always record #0: the format's version, the run's scenario, seed, variant, fault plan summary and topology (node ids, devices, roles: what check-trace builds an area's checks for)",
    { schemaVersion: { const: TRACE_SCHEMA_VERSION }, scenario: str, seed: int, variant: str, faults: str, nodes: arrayOf(obj({ id: str, device: str, role: str })) },
  ),
  'sim.failure': kind('the first failure of the run (it stops the run)', { kind: verdict, check: str, message: str }),
  'sim.converged': kind('the liveness condition held after healing'),
  'sim.end': kind('the last record of a complete trace', { verdict }),
  'sim.incomplete': kind('ends a `replay --trace` file that was cut short, and why', { reason: str }),

  'node.start': kind('a node process started (incarnation from 0)', { incarnation: count, device: str }),
  'node.crash': kind('a node process crashed', { incarnation: count, powerLoss: bool }),
  'node.stop': kind('a node process was stopped', { incarnation: count, powerLoss: bool }),
  'node.pause': kind('a node was frozen'),
  'node.resume': kind('a frozen node resumed'),
  'device.powerloss': kind('a device lost power (node `sim`)', { device: str }),

  'disk.write': kind('a write at an offset', { path: str, off: count, len: count }),
  'disk.writeFile': kind('a whole-file write', { path: str, len: count }),
  'disk.truncate': kind('a truncate', { path: str, len: count }),
  'disk.fsync': kind('a file fsync', { path: str }),
  'disk.fsyncDir': kind('a directory fsync', { path: str }),
  'disk.mkdir': kind('a directory created', { path: str }),
  'disk.rename': kind('a rename', { from: str, to: str }),
  'disk.unlink': kind('a file removed', { path: str }),
  'disk.error': kind('a disk call failed on its own (no such file...)', { op: str, path: str, code: str }),
  'disk.fault': kind('an injected disk fault took effect', { op: str, path: str, action: faultAction }),
  'disk.powerloss': kind("how a power loss settled the device's pending disk operations (node `sim`)", {
    device: str,
    pending: count,
    landed: count,
    lost: count,
    torn: count,
  }),
  'disk.corrupt': kind('damage at rest to a durable file (node `sim`)', { device: str, path: str, len: count }),

  'kv.commit': kind('a kv transaction committed', {
    tx: count,
    stores: arrayOf(str),
    puts: count,
    deletes: count,
    durability: oneOf('strict', 'relaxed'),
  }),
  'kv.abort': kind("a kv transaction aborted: 'error', 'abort', 'crash' or an error code", { tx: count, reason: str }),
  'kv.durable': kind('relaxed commits up to tx `upTo` became durable (node `sim`)', { device: str, upTo: count }),
  'kv.fault': kind('an injected kv fault took effect', { tx: count, op: oneOf('commit', 'get', 'keys'), action: faultAction }),
  'kv.powerloss': kind('what a power loss took of the relaxed commits (node `sim`)', { device: str, lost: count, kept: count, lostFrom: nullable(count) }),
  'kv.corrupt': kind('damage at rest to a durable kv value (node `sim`)', { device: str, store: str, key: any }),
  'kv.held': kind(
    'a node froze with unfinished kv transactions (right after its `node.pause`): their ids, the stores their scopes take, and those a readwrite one takes; conflicting transactions of other nodes wait until it resumes',
    { txs: arrayOf(count), stores: arrayOf(str), readwrite: arrayOf(str) },
  ),

  'net.listen': kind('a node listens for connections'),
  'net.connect': kind('a connection attempt', { conn: str, from: str, to: str }),
  'net.accept': kind('the server accepted a connection', { conn: str, from: str, to: str }),
  'net.established': kind('the client saw its connection established', { conn: str, to: str }),
  'net.refused': kind('a connection attempt refused', { conn: str, to: str }),
  'net.timeout': kind('a connection attempt timed out', { conn: str, to: str }),
  'net.send': {
    ...kind('a message sent on a connection (`conn`, `seq`) or as a datagram (`dgram`)', { to: str }, { conn: str, seq: count, dgram: count, type: str, bytes: count }),
    ...connOrDatagram,
  },
  'net.deliver': {
    ...kind('a message delivered from a connection (`conn`, `seq`) or a datagram (`dgram`)', { from: str }, { conn: str, seq: count, dgram: count, type: str }),
    ...connOrDatagram,
  },
  'net.drop': {
    ...kind('a message dropped (closed, down, loss, partition, reset, clog-overflow...); `count` messages at once when a connection ends', { reason: str }, { conn: str, seq: count, dgram: count, count }),
    ...connOrDatagram,
  },
  'net.dup': kind('a datagram duplicated', { dgram: count, to: str }),
  'net.close': kind('a connection end closed', { conn: str, reason: oneOf('closed', 'reset') }, { local: bool }),
  'net.datagram-drop': kind('the real runtime dropped a datagram: no port known for its address, or not a well-formed datagram', { why: str }, { to: str }),
  'runtime.start': kind("the real runtime started a node's env (its run trace, docs/runtime.md)", { incarnation: count, port: count }),
  'runtime.evidence-error': kind("the real runtime's run trace could not read back its evidence (node `sim`)", { what: str, error: str }),
  'net.reset': kind(
    'a connection reset (`protocol`, with `why`: the real runtime found the stream unusable, a framing error)',
    { conn: str, reason: oneOf('crash', 'fault', 'timeout', 'abandoned', 'protocol') },
    { why: str },
  ),
  'net.partition': kind('a partition between groups `a` and `b`', { id: count, a: arrayOf(str), b: arrayOf(str), oneWay: bool }),
  'net.heal': kind('a partition healed', { id: count }),
  'net.isolate': kind('a node cut off from every other', { node: str }),
  'net.rejoin': kind('an isolated node reconnected', { node: str }),
  'net.link': kind('settings of one link changed (only those set)', { from: str, to: str }, linkFields),
  'net.defaultLink': kind('default link settings changed (only those set)', {}, linkFields),
  'net.clog': kind('a link holds its messages', { from: str, to: str }),
  'net.unclog': kind('a clogged link releases its messages', { from: str, to: str }),
  'net.stall': kind('both directions between `a` and `b` stall for `ms`', { a: str, b: str, ms: num }),
  'net.resetConnections': kind("connections of `a` (to `b`, when given) reset", { a: str }, { b: str }),

  'bus.post': kind('a tab posted on the bus; `to`: number of receiving tabs', { channel: str, msg: count, to: count }, { type: str }),
  'bus.deliver': kind('the bus delivered a post to a tab', { channel: str, msg: count, from: str }, { type: str }),
  'bus.discard': kind('a post discarded: the receiver unsubscribed', { channel: str, msg: count, from: str }, { type: str }),
  'bus.drop': kind('a post dropped by an injected fault', { channel: str, code: str }, { type: str }),

  'lock.request': kind('a tab requested a lock', { name: str, mode: oneOf('exclusive'), ifAvailable: bool, steal: bool }),
  'lock.grant': kind('a lock granted', { name: str }),
  'lock.release': kind('a lock released', { name: str, reason: oneOf('settled', 'crash', 'stolen') }),
  'lock.denied': kind('an ifAvailable request found the lock held', { name: str }),
  'lock.abort': kind('a queued request withdrawn by its AbortSignal', { name: str }),

  probe: kind('a rare path was reached ("sometimes" assertion)', { name: { type: 'string', pattern: '^[a-z][a-z0-9-]*(\\.[a-z][a-zA-Z0-9-]*)+$' } }),
};
