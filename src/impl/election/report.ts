/**
 * The standard ElectionReporter: turns election steps into `election.*` trace records, the vocabulary the
 * reference model (src/model/election) reads. Third-party implementations use it too.
 */
import type { Tracer } from '../env.ts';
import type { ElectionReporter } from './types.ts';

/** Milliseconds to 3 decimals (keeps trace records short). */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** A reporter writing to `trace`. `seen` records only changes of the known leader (keeps the trace small). */
export function makeReporter(trace: Tracer): ElectionReporter {
  let lastSeen = '';
  return {
    campaign: (mode) => trace.emit('election.campaign', { mode }),
    lost: (reason) => trace.emit('election.lost', { reason }),
    acquired: (epoch, mode) => trace.emit('election.acquired', { epoch, mode }),
    leader: (epoch, validMs) => trace.emit('election.leader', validMs === undefined ? { epoch } : { epoch, validMs: round(validMs) }),
    renewed: (epoch, validMs) => trace.emit('election.renewed', { epoch, validMs: round(validMs) }),
    stepDown: (epoch, reason) => trace.emit('election.stepdown', { epoch, reason }),
    follower: (reason) => trace.emit('election.follower', { reason }),
    probe: (name) => trace.probe(name),
    seen: (holder, epoch) => {
      const key = `${holder}@${epoch}`;
      if (key === lastSeen) return;
      lastSeen = key;
      trace.emit('election.seen', { holder, epoch });
    },
  };
}
