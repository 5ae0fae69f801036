/**
 * `npm run golden`: writes the golden traces (golden/), the conformance suite a port checks its reading of
 * the trace format and of the models against: small JSONL traces per model, passing and failing, each with
 * the verdict `check-trace` must give (golden/manifest.json).
 *
 * Each one is a run of a stock scenario (the real implementation, or a weakened variant for a failing
 * trace), recorded with `replay --trace`'s writer. A failing trace is cut where the run recorded its
 * failure (what follows cannot change a first failure) and ends with `sim.incomplete`; a passing one is
 * whole. The generator refuses a case whose live verdict is not the one the manifest promises, and one
 * that check-trace reads differently: the manifest is checked twice before it is written. The test
 * test/model/golden.test.ts keeps the committed files valid.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeAtomic } from '../runner/atomic.ts';
import { checkTargetFor } from '../scenario/areas.ts';
import { checkRecords } from '../scenario/check-records.ts';
import { loadScenarios } from '../scenario/registry.ts';
import { runScenario } from '../scenario/run.ts';
import type { Verdict } from '../scenario/types.ts';
import type { TraceRecord } from '../sim/trace.ts';

/** One golden trace. */
export interface GoldenCase {
  /** The model or check it is about (its folder). */
  model: string;
  /** File name without extension. */
  name: string;
  /** What check-trace is run against: an area, or a scenario name. */
  target: string;
  scenario: string;
  seed: number;
  variant: string;
  verdict: Verdict;
  /** The failing check (null for a pass). */
  check: string | null;
  /** What the trace shows, one sentence. */
  about: string;
}

/** The cases: per model a passing trace and failing ones (a weakened variant that the model catches). */
export const GOLDEN_CASES: readonly Omit<GoldenCase, 'verdict' | 'check'>[] = [
  { model: 'recovery', name: 'pass-crash-before-marker', target: 'storage', scenario: 'storage-crash-before-marker', seed: 0, variant: '', about: 'a crash before the marker rename; recovery rolls the commit back' },
  { model: 'recovery', name: 'fail-keep-pending', target: 'storage', scenario: 'storage-crash-before-marker', seed: 0, variant: 'storage-keep-pending', about: 'recovery finalizes commit 2 although its marker rename never happened' },
  { model: 'recovery', name: 'fail-rollback-durable', target: 'storage', scenario: 'storage-tombstone-across-finalize', seed: 0, variant: 'storage-rollback-durable', about: 'recovery rolls back a commit the durable marker holds' },
  { model: 'recovery', name: 'fail-done-misreports', target: 'storage', scenario: 'storage-crash-after-data-synced', seed: 0, variant: 'storage-done-misreports', about: 'recovery reports commit 2 while the durable commit point is 1' },
  { model: 'election', name: 'pass-two-tabs', target: 'election', scenario: 'election-two-tabs-same-instant', seed: 0, variant: '', about: 'two tabs start at once; one fences and leads' },
  { model: 'election', name: 'fail-no-fence', target: 'election', scenario: 'election-two-tabs-same-instant', seed: 0, variant: 'election-no-fence', about: 'a tab leads without its fence committed in the store' },
  { model: 'election', name: 'fail-no-stepdown', target: 'election', scenario: 'election-lock-stolen-mid-write', seed: 0, variant: 'election-no-stepdown', about: 'a deposed leader keeps writing after a higher epoch is known' },
  { model: 'ledger', name: 'fail-no-fencing', target: 'election', scenario: 'election-lock-stolen-mid-write', seed: 0, variant: 'election-no-fencing', about: "the store accepts a deposed leader's write of an older epoch" },
  { model: 'ledger', name: 'fail-relaxed-commits', target: 'election', scenario: 'election-two-tabs-same-instant', seed: 0, variant: 'election-relaxed-commits', about: 'writes acknowledged before their commit is durable' },
  { model: 'request', name: 'fail-retry-new-id', target: 'election', scenario: 'election-leader-paused', seed: 0, variant: 'election-retry-new-id', about: 'a forwarded write retried under a new request id applies twice' },
  { model: 'request', name: 'fail-no-request-ids', target: 'election', scenario: 'election-two-tabs-same-instant', seed: 0, variant: 'election-no-request-ids', about: 'forwarded writes carry no request ids' },
  { model: 'sync-status', name: 'pass-reconnect', target: 'client-server', scenario: 'cs-reconnect-local-changes', seed: 0, variant: '', about: 'clients write through a server outage; every status shown is true' },
  { model: 'sync-status', name: 'fail-green-on-open', target: 'client-server', scenario: 'cs-rebuilt-server', seed: 0, variant: 'cs-green-on-open', about: 'the light turns green when the connection opens, before the handshake' },
  { model: 'pending-count', name: 'fail-pending-from-sent', target: 'client-server', scenario: 'cs-reconnect-local-changes', seed: 0, variant: 'cs-pending-from-sent', about: 'pending counts what was sent, not what the server acknowledged' },
  { model: 'sync-job', name: 'pass-incremental', target: 'provider', scenario: 'provider-incremental', seed: 0, variant: '', about: 'a full sync, then incremental ones from the completed job\'s cursor' },
  { model: 'completed-work', name: 'fail-complete-early', target: 'provider', scenario: 'provider-incremental', seed: 0, variant: 'provider-complete-early', about: 'a job completes before its work is durable' },
  { model: 'sync-job', name: 'fail-cursor-early', target: 'provider', scenario: 'provider-incremental', seed: 0, variant: 'provider-cursor-early', about: 'the cursor is persisted before the work it covers is durable' },
];

/** Folder of the golden traces. */
export const GOLDEN_DIR = 'golden';

async function main(): Promise<void> {
  const scenarios = (await loadScenarios('scenarios')).map((l) => l.scenario);
  rmSync(GOLDEN_DIR, { recursive: true, force: true });
  const manifest: GoldenCase[] = [];
  for (const c of GOLDEN_CASES) {
    const s = scenarios.find((x) => x.name === c.scenario);
    if (s === undefined) throw new Error(`golden ${c.model}/${c.name}: no scenario ${c.scenario}`);
    const lines: string[] = [];
    const r = await runScenario(s, c.seed, { variant: c.variant, traceSink: (l) => lines.push(l) });
    let keep = lines;
    if (r.failure !== null) {
      // Every record before sim.failure (the live checks had read them all when the failure was found),
      // then sim.incomplete saying why the trace stops.
      const cut = lines.findIndex((l) => l.includes('"kind":"sim.failure"'));
      keep = lines.slice(0, cut);
      const last = JSON.parse(keep.at(-1)!) as TraceRecord;
      keep.push(JSON.stringify({ i: last.i + 1, t: last.t, node: 'sim', kind: 'sim.incomplete', data: { reason: 'golden trace: cut after the first failure' } }));
    }
    const records = keep.map((l) => JSON.parse(l) as TraceRecord);
    const target = checkTargetFor(c.target, records[0]!.data, scenarios);
    if (target === null) throw new Error(`golden ${c.model}/${c.name}: no area or scenario '${c.target}'`);
    const offline = await checkRecords(records, target);
    const live = `${r.verdict} ${r.failure?.check ?? ''}`;
    const off = `${offline.verdict} ${offline.failure?.check ?? ''}`;
    if (live !== off) throw new Error(`golden ${c.model}/${c.name}: the live run gave '${live}' but check-trace ${c.target} reads '${off}' (${offline.failure?.message ?? ''})`);
    if ((c.variant === '') !== (r.verdict === 'pass')) throw new Error(`golden ${c.model}/${c.name}: expected ${c.variant === '' ? 'a pass' : 'a failure'}, the run gave '${live}' (${r.failure?.message ?? ''})`);
    const file = path.join(GOLDEN_DIR, c.model, `${c.name}.jsonl`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${keep.join('\n')}\n`);
    manifest.push({ ...c, verdict: r.verdict, check: r.failure?.check ?? null });
    process.stdout.write(`${file}: ${keep.length} records, ${live.trim()}\n`);
  }
  writeAtomic(path.join(GOLDEN_DIR, 'manifest.json'), `${JSON.stringify({ schemaVersion: 1, cases: manifest }, null, 2)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
