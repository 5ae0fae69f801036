/**
 * The request model (write forwarding) as a monitor spec. Instance `<tab>#<value>`: a write the workload
 * issued at a tab (workload values are unique in a run; node ids never contain '#').
 *
 * - workload.result {node, value, ok, seq, code, definite} -> ACK, FAIL (definite) or FAIL_UNKNOWN;
 *   workload.lost {node, value} -> LOST (the tab died, its caller too);
 * - fact.bus.request {from, id, reqId, value} -> SEND; fact.bus.reply {to, ok: true, seq, value} -> REPLY
 *   (a failed attempt's reply decides nothing: it did not apply, and a retry follows);
 * - fact.request {reqId, commit, epoch, result: {value}} -> APPLY, for the tab that issued the request: a
 *   request id is `<tab>.<incarnation>.<n>` (docs/election.md, "Porting notes").
 *
 * Only records that can change a decision become events (a step costs several µs): a re-sent attempt
 * under the request id already seen, or an ok reply naming the seq already checked, decides nothing new.
 * `map` remembers those per run, keyed by the monitor's `world`.
 */
import type { ModelSpec, ModelTarget, MonitorWorld } from '../monitor.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import { REQUEST_HOT_STATES, REQUEST_REASONS, requestMachine, type RequestModelEvent } from './request-machine.ts';

/** Trace kinds the request model reads. */
export const REQUEST_MODEL_KINDS: readonly string[] = ['workload.result', 'workload.lost', 'fact.bus.request', 'fact.bus.reply', 'fact.request'];

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const numOrNull = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/** The tab that issued request `reqId` (`<tab>.<incarnation>.<n>`), or null when it is not of that form. */
export function issuerOf(reqId: string): string | null {
  const n = reqId.lastIndexOf('.');
  const inc = n > 0 ? reqId.lastIndexOf('.', n - 1) : -1;
  return inc > 0 ? reqId.slice(0, inc) : null;
}


function workloadEvent(rec: TraceRecord): RequestModelEvent | null {
  const d = rec.data;
  switch (rec.kind) {
    case 'workload.lost':
      return { type: 'LOST' };
    case 'workload.result':
      if (d.ok === true) return { type: 'ACK', seq: numOrNull(d.seq) };
      return { type: d.definite === true ? 'FAIL' : 'FAIL_UNKNOWN', code: String(d.code) };
    default:
      return null;
  }
}

/** What `map` remembers in one run: per write, the request id of its attempts and the seq of its ok replies. */
interface Seen {
  sent: Map<string, string>;
  replied: Map<string, number | null>;
}

/** Model spec of the per-write request machine; `tabs` limits it to writes issued at these tabs. */
export function requestModel(tabs?: readonly string[]): ModelSpec {
  const only = tabs === undefined ? null : new Set(tabs);
  /**
   * The instance of a write of `value` at `tab`, or null when either is unknown or the tab is not one of
   * `tabs` (the part of `<tab>#<value>` before its first '#', as `nodeOf` reads it).
   */
  const target = (tab: string | null, value: string | null, event: RequestModelEvent): ModelTarget | null => {
    if (tab === null || value === null) return null;
    if (only !== null && !only.has(tab.includes('#') ? tab.slice(0, tab.indexOf('#')) : tab)) return null;
    return { instance: `${tab}#${value}`, event };
  };
  const runs = new WeakMap<MonitorWorld, Seen>();
  // The last run's memory (a monitor maps its records one after another: one lookup per run, not per record).
  let lastWorld: MonitorWorld | null = null;
  let lastSeen: Seen | null = null;
  /** True when `key` for `instance` was seen with this `value` already (and remembers it). */
  const repeated = <V>(world: MonitorWorld, which: keyof Seen, instance: string, value: V): boolean => {
    let seen = world === lastWorld ? lastSeen : runs.get(world);
    if (seen === undefined || seen === null) runs.set(world, (seen = { sent: new Map(), replied: new Map() }));
    lastWorld = world;
    lastSeen = seen;
    const m = seen[which] as Map<string, V>;
    if (m.has(instance) && m.get(instance) === value) return true;
    m.set(instance, value);
    return false;
  };
  return {
    name: 'request',
    machine: requestMachine,
    kinds: REQUEST_MODEL_KINDS,
    // workload.result: a success carries seq, a failure carries code and definite.
    // fact.bus.reply:dedup: traces recorded before the recorder reported it (the check then has nothing to judge).
    optional: ['workload.result:seq', 'workload.result:code', 'workload.result:definite', 'fact.bus.reply:dedup'],
    reasons: REQUEST_REASONS,
    facts: ['fact.bus.request', 'fact.bus.reply', 'fact.request'],
    hot: REQUEST_HOT_STATES,
    nodeOf: (instance) => instance.slice(0, instance.indexOf('#')),
    map(rec: TraceRecord, world: MonitorWorld): ModelTarget | null {
      const d = rec.data;
      let t: ModelTarget | null;
      switch (rec.kind) {
        case 'fact.bus.request':
          t = target(str(d.from), str(d.value), { type: 'SEND', id: String(d.id), reqId: str(d.reqId), msg: Number(d.msg) });
          break;
        case 'fact.bus.reply':
          // A failed attempt decides nothing (it did not apply; a retry follows): only ok replies are checked.
          if (d.ok !== true) return null;
          t = target(str(d.to), str(d.value), {
            type: 'REPLY',
            ok: d.ok === true,
            seq: numOrNull(d.seq),
            code: str(d.code),
            msg: Number(d.msg),
            from: String(d.from),
            dedup: typeof d.dedup === 'boolean' ? d.dedup : null,
          });
          break;
        case 'fact.request': {
          const reqId = String(d.reqId);
          const value = str((d.result as { value?: unknown } | null)?.value);
          const issuer = issuerOf(reqId);
          const by = String(d.node);
          t = target(issuer, value, { type: 'APPLY', reqId, commit: Number(d.commit), epoch: Number(d.epoch), by, foreign: by !== issuer });
          break;
        }
        default: {
          const event = workloadEvent(rec);
          t = event === null ? null : target(str(d.node), str(d.value), event);
        }
      }
      if (t === null) return null;
      if (t.event.type === 'SEND' && repeated(world, 'sent', t.instance, `${t.event.id}\u0000${String(t.event.reqId)}`)) return null;
      // A repeated ok reply naming the same seq decides nothing new, unless it says it applied the write.
      if (t.event.type === 'REPLY' && t.event.dedup !== false && repeated(world, 'replied', t.instance, t.event.seq)) return null;
      return t;
    },
  };
}
