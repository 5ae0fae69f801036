/** The demo gossip node's kinds (src/impl/demo/gossip.ts, docs/models.md "The demo's checks"): `demo.*`. */
import { count, kind, str, type KindSchemas } from './dsl.ts';

export const DEMO_KINDS: KindSchemas = {
  'demo.added': kind('an item added and durable', { item: str }),
  'demo.merged': kind('items from a peer merged and durable', { from: str, count: count }),
  'demo.merge-failed': kind('a merge failed', { error: str }),
  'demo.recovered': kind('the log read back at start', { items: count }),
  'demo.recover-failed': kind('reading the log back at start failed (it is retried)', { attempt: count, code: str }),
};
