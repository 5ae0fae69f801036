/** What the examples' scenarios share (not a scenario module: the loader skips names starting with '_'). */
import type { ScenarioContext } from '../src/scenario/types.ts';

/**
 * Runs `fn` with node `id`'s handle as an event of that node (a user's click or keystroke in that page):
 * the library's timers and globals are then the node's own. Nothing while the node is down or starting.
 */
export function inNode<T>(ctx: ScenarioContext, id: string, fn: (handle: T) => void): void {
  const node = ctx.sim.node(id);
  if (node.status === 'down') return;
  node.after(node.incarnation, 0, () => {
    const handle = ctx.handle<T>(id);
    if (handle !== null) fn(handle);
  });
}
