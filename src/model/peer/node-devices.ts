/**
 * The device each peer node runs on, as the simulator placed it (shared by the live peer checks that read
 * the devices' kv stores: change-sent-durable, and the stream evidence of watermark-complete, ack-held and
 * log-pruned-after-acks).
 */
import type { ScenarioContext } from '../../scenario/types.ts';

/** Node id -> its device id, for `nodes`. */
export function nodeDevices(ctx: ScenarioContext, nodes: readonly string[]): Map<string, string> {
  return new Map(nodes.map((id) => [id, ctx.sim.node(id).deviceId] as const));
}
