/**
 * invariant:writer-channels: the single writer's messages travel on their documented channels. Evidence:
 * the bus's own `bus.post` records.
 */
import { ELECTION_BUS_CHANNELS } from '../../evidence/election-bus.ts';
import type { TraceCheck } from '../check.ts';

/** The bus channel each message type of the single writer must travel on (docs/election.md, wire format). */
const WRITER_CHANNELS: Readonly<Record<string, string>> = { fwd: ELECTION_BUS_CHANNELS.request, reply: ELECTION_BUS_CHANNELS.reply };

/**
 * invariant:writer-channels: the single writer's messages travel on their documented channels (a forwarded
 * write `fwd` on 'election.req', a `reply` on 'election.reply'). The request model's evidence
 * (fact.bus.request, fact.bus.reply) is decoded from those channels: a writer that renamed one would still
 * work, since both ends use the same name, but would blind the model. The election's own channel belongs to
 * the (pluggable) election and is not checked. Evidence: the bus's own `bus.post` records.
 */
export const writerChannels: TraceCheck = {
  onTrace: true,
  name: 'invariant:writer-channels',
  covers: ['invariant:writer-channels'],
  setup(ctx) {
    ctx.trace.on('bus.post', (rec) => {
      const want = typeof rec.data.type === 'string' ? WRITER_CHANNELS[rec.data.type] : undefined;
      if (want === undefined) return;
      ctx.exercised(this.name);
      if (rec.data.channel !== want) ctx.fail('correctness', this.name, `${rec.node} posted a '${String(rec.data.type)}' message on channel '${String(rec.data.channel)}', not on '${want}'`, { traceIndex: rec.i });
    });
  },
};
