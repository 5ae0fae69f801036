/**
 * The durable backfill checkpoints of each device over time (`fact.peer.store`, read from the simulator's
 * kv image), as the backfill checks look them up at a send time.
 */
import type { TraceContext } from '../check.ts';

import type { D } from './record-fields.ts';
import { countAtMost } from '../sorted.ts';

export interface Entry {
  ts: string | null;
  uuid: string | null;
  done: boolean;
}

export type Checkpoint = Record<string, Entry> | null;

/** The durable checkpoints of one device over time (fact.peer.store), to look up the one at a send time. */
class DurableHistory {
  private readonly times: number[] = [];
  private readonly values: Checkpoint[] = [];
  private readonly inits: boolean[] = [];
  init = false;

  add(t: number, cp: Checkpoint, init: boolean): void {
    this.times.push(t);
    this.values.push(cp);
    this.inits.push(init);
    this.init = init;
  }

  /** The checkpoint durable at time `t` (the last fact at or before it). */
  at(t: number): Checkpoint {
    const i = this.indexAt(t);
    return i < 0 ? null : this.values[i]!;
  }

  /** True when `init` was durable at time `t` (the last fact at or before it said so). */
  initAt(t: number): boolean {
    const i = this.indexAt(t);
    return i >= 0 && this.inits[i]!;
  }

  /** Index of the last fact at or before `t` (-1: none). */
  private indexAt(t: number): number {
    return countAtMost(this.times, t) - 1;
  }

  get now(): Checkpoint {
    return this.values.length === 0 ? null : this.values[this.values.length - 1]!;
  }
}

/** Per device durable history, fed from fact.peer.store (device ids are node ids for peers). */
export function durableHistories(ctx: TraceContext, members: ReadonlySet<string>): Map<string, DurableHistory> {
  const out = new Map<string, DurableHistory>();
  ctx.trace.on('fact.peer.store', (r) => {
    const d = r.data as D;
    const device = d.device as string;
    if (!members.has(device)) return;
    let h = out.get(device);
    if (h === undefined) out.set(device, (h = new DurableHistory()));
    h.add(r.t, d.checkpoint as Checkpoint, d.init === true);
  });
  return out;
}
