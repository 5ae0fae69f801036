/**
 * `fact.bus.*`: what the tab bus carried of the election's wire protocol (docs/election.md, "Single writer
 * and forwarding"), read from the simulator's bus, never from the implementation's trace.
 *
 *   fact.bus.request {device, msg, from, id, reqId, value}          a forwarded write was posted
 *   fact.bus.reply   {device, msg, from, to, id, ok, seq, code, dedup, value}  a reply was posted
 *   fact.bus.leader  {device, msg, node, from, epoch}                 `node` received an announcement
 *   (all on node 'sim'; `msg` is the bus's post number, as in 'bus.post' / 'bus.deliver')
 *
 * - request: channel 'election.req', `{type:'fwd', id, reqId, from, key, value}`; `from` is the posting
 *   tab (the bus's truth, not the message's field); `reqId` null when the message carries none.
 * - reply: channel 'election.reply', `{type:'reply', id, to, ok, seq?, code?, dedup?}`; `seq` / `code` /
 *   `dedup` null when absent; `value`: the value of the forwarded write with this `id` as the bus carried it (null if the bus
 *   never carried a request with that id).
 * - leader: a `{type:'leader' | 'heartbeat', holder, epoch}` on channel 'election' handed to `node` (emitted
 *   right before its handlers run): from then on the tab knows `epoch`.
 * Posts are reported when they took effect (a post dropped by a fault is not), right after 'bus.post'.
 * Messages that do not match the format are not reported.
 */
import type { BusEvent } from '../sim/tabs/bus.ts';
import type { Simulation } from '../sim/simulation.ts';
import type { EvidenceRecorder } from './types.ts';

/** Channel names of the election's wire protocol. */
export const ELECTION_BUS_CHANNELS = { announce: 'election', request: 'election.req', reply: 'election.reply' } as const;

type Msg = Record<string, unknown>;
const asMsg = (v: unknown): Msg | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Msg) : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const numOrNull = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/** Records `fact.bus.request`, `fact.bus.reply` and `fact.bus.leader` on every device. */
export function electionBusEvidence(): EvidenceRecorder {
  return {
    name: 'election-bus',
    produces: ['fact.bus.request', 'fact.bus.reply', 'fact.bus.leader'],
    install(sim: Simulation) {
      for (const device of sim.devices.values()) {
        /** Request id -> value of the forwarded write, as the bus carried it. */
        const valueOf = new Map<string, string>();
        device.bus.observe({
          posted(e: BusEvent) {
            const m = asMsg(e.message);
            if (m === null) return;
            if (e.channel === ELECTION_BUS_CHANNELS.request && m.type === 'fwd') {
              const id = str(m.id);
              const value = str(m.value);
              if (id === null || value === null) return;
              valueOf.set(id, value);
              sim.trace.emit('sim', 'fact.bus.request', { device: device.id, msg: e.msg, from: e.from, id, reqId: str(m.reqId), value });
            } else if (e.channel === ELECTION_BUS_CHANNELS.reply && m.type === 'reply') {
              const id = str(m.id);
              if (id === null || typeof m.ok !== 'boolean') return;
              sim.trace.emit('sim', 'fact.bus.reply', {
                device: device.id,
                msg: e.msg,
                from: e.from,
                to: str(m.to),
                id,
                ok: m.ok,
                seq: numOrNull(m.seq),
                code: str(m.code),
                dedup: typeof m.dedup === 'boolean' ? m.dedup : null,
                value: valueOf.get(id) ?? null,
              });
            }
          },
          delivered(e: BusEvent & { node: string }) {
            if (e.channel !== ELECTION_BUS_CHANNELS.announce) return;
            const m = asMsg(e.message);
            if (m === null || (m.type !== 'leader' && m.type !== 'heartbeat') || typeof m.epoch !== 'number' || typeof m.holder !== 'string') return;
            sim.trace.emit('sim', 'fact.bus.leader', { device: device.id, msg: e.msg, node: e.node, from: e.from, epoch: m.epoch });
          },
        });
      }
    },
  };
}
