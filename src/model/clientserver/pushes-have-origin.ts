/**
 * invariant:pushes-have-origin: every change the server's durable log holds under a client's site id is a
 * change that client made under that site id: its version became durable in the client's own change log
 * while the client's durable site id was that one. A change from nowhere is a bug every comparison of
 * replicas misses when it arrives with a plausible value: a Nuke and Resync that keeps the old change log
 * pushes the changes it just reported unsaved (or already saved) again under the new site id; a client that
 * logs the changes it pulled as its own pushes them back (an echo).
 *
 * Evidence: the clients' durable images (`fact.cs.client`: the durable site id after each commit, and the
 * versions of the change log that became durable in it) and the server's durable log (`fact.cs.server`
 * added entries `[seq, site, dbVersion, ...]`). A client's change is durable locally before it is pushed,
 * so its version is known when the server's commit is recorded. Entries of sites no client ever had (the
 * server's own operator writes, of any lineage) are not judged here (invariant:operator-writes-win).
 */
import type { TraceCheck } from '../check.ts';

const NAME = 'invariant:pushes-have-origin';

/** The check (one per scenario; `clients` are the client devices). */
export function pushesHaveOriginCheck(clients: readonly string[]): TraceCheck {
  return {
    name: NAME,
    onTrace: true,
    covers: [NAME],
    setup(ctx) {
      const devices = new Set(clients);
      /** Site id -> the versions its device made durable in its change log under that site id. */
      const made = new Map<string, Set<number>>();
      /** Site id -> the device that had it. */
      const owner = new Map<string, string>();
      ctx.trace.on('fact.cs.client', (r) => {
        const device = r.data.device as string;
        const site = r.data.site as string | null;
        if (site === null || !devices.has(device)) return;
        let versions = made.get(site);
        if (versions === undefined) {
          versions = new Set();
          made.set(site, versions);
          owner.set(site, device);
        }
        for (const v of r.data.local as number[]) versions.add(v);
      });
      ctx.trace.on('fact.cs.server', (r) => {
        for (const e of r.data.added as unknown[][]) {
          const versions = made.get(e[1] as string);
          if (versions === undefined) continue;
          ctx.exercised(NAME);
          const v = e[2] as number;
          if (versions.has(v)) continue;
          ctx.fail(
            'correctness',
            NAME,
            `the server's durable log holds ${String(e[3])}/${String(e[4])}/${String(e[5])} = ${JSON.stringify(e[6])} at seq ${String(e[0])} as version ${v} of ${owner.get(e[1] as string)}'s site ${(e[1] as string).slice(0, 8)}, a version that client never made durable under that site id (trace #${r.i})`,
          );
          return;
        }
      });
    },
  };
}
