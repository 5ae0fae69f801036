/**
 * What the peer sync checks may see of a node and of the workload: the public handle API (structurally,
 * so src/model does not import src/impl) and the workload's record of acknowledged writes.
 */
import type { ScenarioContext } from '../../scenario/types.ts';

/** The part of a peer node's handle the checks read (a client's view). */
export interface PeerView {
  state(): string;
  digest(): string;
  get(resource: string, uuid: string): { ts: string; data: string | null } | undefined;
  /** Every record of a resource, tombstones included (data null). */
  records(resource: string): readonly ViewRecord[];
  resources(): readonly string[];
}

/** A record as the checks see it. */
export interface ViewRecord {
  uuid: string;
  writer: string;
  ts: string;
  data: string | null;
}

/** One write the workload saw acknowledged (its promise resolved: durable on the writer). */
export interface AckedWrite {
  node: string;
  resource: string;
  uuid: string;
  /** HLC of the change. */
  hlc: string;
  deleted: boolean;
}

const ACKED = 'peer.acked-writes';

/** The list of acknowledged writes in this run (created on first use). */
export function ackedWrites(ctx: ScenarioContext): AckedWrite[] {
  let a = ctx.shared.get(ACKED) as AckedWrite[] | undefined;
  if (a === undefined) ctx.shared.set(ACKED, (a = []));
  return a;
}

/**
 * What is wrong when a device serves `rec` (its `get`) for the acknowledged write `w`: null when it holds
 * that version or a newer one (a delete: a tombstone), else the message's tail naming the write.
 */
export function heldAcked(w: AckedWrite, rec: { ts: string; data: string | null } | undefined): string | null {
  if (w.deleted) return rec === undefined || rec.data !== null ? `delete of '${w.resource}' ${w.uuid} by ${w.node} at ${w.hlc} is ${rec === undefined ? 'missing' : 'alive again'}` : null;
  return rec === undefined || (rec.ts < w.hlc && rec.data !== null) ? `write of '${w.resource}' ${w.uuid} by ${w.node} at ${w.hlc} is lost (holds ${rec?.ts ?? 'nothing'})` : null;
}

/** The views of `nodes` when every one is up and ready, else null (liveness reports the others). */
export function readyViews(ctx: ScenarioContext, nodes: readonly string[]): [string, PeerView][] | null {
  const out: [string, PeerView][] = [];
  for (const id of nodes) {
    const h = ctx.handle<PeerView>(id);
    if (h === null || h.state() !== 'ready') return null;
    out.push([id, h]);
  }
  return out;
}

/** A record for messages. */
export const showRecord = (r: ViewRecord | undefined): string => (r === undefined ? 'nothing' : `${r.ts} by ${r.writer} ${r.data === null ? '(tombstone)' : JSON.stringify(r.data)}`);

/** The same record (uuid, writer, version, data or tombstone). */
export const sameRecord = (a: ViewRecord | undefined, b: ViewRecord | undefined): boolean =>
  a !== undefined && b !== undefined && a.uuid === b.uuid && a.writer === b.writer && a.ts === b.ts && a.data === b.data;
