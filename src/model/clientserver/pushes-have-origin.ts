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

const WRITTEN = 'invariant:pushes-were-written';

/**
 * invariant:pushes-were-written: every change the server's durable log holds under a client's site id
 * holds a value the user wrote at that client's device (the workload's own record: `workload.cs-write`
 * for a client, `workload.write` for a tab of a device with several tabs; values are unique per write).
 * A client that logs a change it pulled as its own (an echo: every operator or other client's change
 * pushed back under its site id) makes durable versions of its own, which pushes-have-origin accepts; only
 * the user's record tells that nobody wrote them there.
 *
 * Evidence: the workload's record, the devices of the nodes (`node.start`), the clients' durable site ids
 * (`fact.cs.client`) and the server's durable log (`fact.cs.server`). Judged only in runs whose workload
 * records its writes (a scenario that records none leaves this check vacuous, as the report says); a
 * change without a value (a delete) is not judged.
 */
export function pushesWereWrittenCheck(clients: readonly string[]): TraceCheck {
  return {
    name: WRITTEN,
    onTrace: true,
    covers: [WRITTEN],
    setup(ctx) {
      const devices = new Set(clients);
      const deviceOf = new Map<string, string>(); // node -> device
      /** Device -> the values the user wrote there. */
      const written = new Map<string, Set<string>>();
      let recorded = false;
      /** Site id -> its device. */
      const owner = new Map<string, string>();
      ctx.trace.on('node.start', (r) => void deviceOf.set(r.node, r.data.device as string));
      const note = (node: string, value: unknown): void => {
        if (typeof value !== 'string') return;
        recorded = true;
        const device = deviceOf.get(node) ?? node;
        let set = written.get(device);
        if (set === undefined) written.set(device, (set = new Set()));
        set.add(value);
      };
      ctx.trace.on('workload.cs-write', (r) => note(r.data.node as string, r.data.value));
      ctx.trace.on('workload.write', (r) => note(r.data.node as string, r.data.value));
      ctx.trace.on('fact.cs.client', (r) => {
        const site = r.data.site as string | null;
        const device = r.data.device as string;
        if (site !== null && devices.has(device) && !owner.has(site)) owner.set(site, device);
      });
      ctx.trace.on('fact.cs.server', (r) => {
        if (!recorded) return;
        for (const e of r.data.added as unknown[][]) {
          const device = owner.get(e[1] as string);
          const value = e[6];
          if (device === undefined || typeof value !== 'string') continue;
          ctx.exercised(WRITTEN);
          if (written.get(device)?.has(value) === true) continue;
          ctx.fail(
            'correctness',
            WRITTEN,
            `the server's durable log holds ${String(e[3])}/${String(e[4])}/${String(e[5])} = ${JSON.stringify(value)} at seq ${String(e[0])} under ${device}'s site ${(e[1] as string).slice(0, 8)}, a value the user never wrote at ${device} (trace #${r.i})`,
          );
          return;
        }
      });
    },
  };
}
