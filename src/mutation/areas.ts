/**
 * The areas mutation testing scores: which implementation files are mutated, and which scenarios judge
 * each mutant (the area's own scenarios in the smoke and ci suites).
 */
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Scenario } from '../scenario/types.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** One area of the implementation. */
export interface MutationArea {
  name: string;
  /** Globs of the files to mutate (relative to the project root). */
  mutate: string[];
  /** Seeds per scenario the judge runs (0..seeds-1). */
  seeds: number;
  /** The name prefix of the area's scenarios (`cs-` for clientserver, else `<name>-`). */
  prefix: string;
  /** The scenario modules that define the judging scenarios. */
  scenarioFiles(): string[];
  /** True for scenarios that judge this area. */
  judges(s: Scenario): boolean;
  /**
   * The area's fast unit tests (files under test/, each well under a second): they judge what no scenario
   * can reach (option validation, error codes, the API's refusals). The slow scenario-sweeping test files
   * are left out: the scenario runs above are the same runs, and each surviving mutant re-runs every test
   * that covers it.
   */
  unitTests: readonly string[];
  /**
   * Other areas whose scenarios run this area's code in ways its own scenarios do not (the election runs
   * the block store's kv backend with fencing and request records): their smoke and ci scenarios judge too,
   * over `seeds` seeds.
   */
  alsoBy: readonly { scenarios: string; prefix: string; seeds: number }[];
}

/** The scenario modules of a folder under the project root. */
export const filesIn = (dir: string): string[] =>
  readdirSync(path.join(ROOT, dir))
    .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
    .map((f) => path.join(ROOT, dir, f));

/** True for the smoke and ci scenarios whose name starts with `prefix`. */
export const ofSuites = (prefix: string) => (s: Scenario): boolean => s.name.startsWith(prefix) && (s.suites.includes('smoke') || s.suites.includes('ci'));

/** Files never worth mutating: the weakened variants (broken on purpose), probe name lists, type-only files. */
const NOT_MUTATED = ['variants.ts', 'probes.ts', 'index.ts', 'types.ts'];

function area(
  name: string,
  scenarios: string,
  prefix: string,
  seeds: number,
  unitTests: readonly string[],
  alsoBy: MutationArea['alsoBy'] = [],
): MutationArea {
  return {
    name,
    unitTests,
    alsoBy,
    mutate: [`src/impl/${name}/**/*.ts`, ...NOT_MUTATED.map((f) => `!src/impl/${name}/**/${f}`)],
    seeds,
    prefix,
    scenarioFiles: () => filesIn(`scenarios/${scenarios}`),
    judges: ofSuites(prefix),
  };
}

/** Every area with a mutation score. */
export const MUTATION_AREAS: readonly MutationArea[] = [
  area('storage', 'storage', 'storage-', 3, [
    'test/storage/store.test.ts',
    'test/storage/api-errors.test.ts',
    'test/storage/checksums-and-rot.test.ts',
    'test/storage/autosync.test.ts',
    'test/storage/transient-reads.test.ts',
    'test/storage/multi-tab.test.ts',
    'test/storage/recovery-rewrite.test.ts',
    'test/storage/kv-integrity.test.ts',
  ], [{ scenarios: 'election', prefix: 'election-', seeds: 1 }]),
  area('election', 'election', 'election-', 4, ['test/election/fenced-store.test.ts', 'test/election/options.test.ts', 'test/election/conformance.test.ts', 'test/election/writer.test.ts']),
  area('peer', 'peer', 'peer-', 2, [
    'test/peer/records.test.ts',
    'test/peer/acks.test.ts',
    'test/peer/links.test.ts',
    'test/peer/hlc.test.ts',
    'test/peer/messages.test.ts',
    'test/peer/messages-fields.test.ts',
    'test/peer/options.test.ts',
    'test/peer/incremental.test.ts',
    'test/peer/resend.test.ts',
    // Slower (a few scenario runs, ~5 s), but the only judge of the metrics: it compares each counter with
    // the trace records of the same work.
    'test/peer/metrics.test.ts',
    // Fast (< 1 s each): a real node answering a scripted peer, local write refusals, recovery of the stored
    // state and storage retries, stored metrics snapshots, wire limits and refusal codes.
    'test/peer/live-receive.test.ts',
    'test/peer/local-writes.test.ts',
    'test/peer/stored-state.test.ts',
    'test/peer/metrics-decode.test.ts',
    'test/peer/wire-limits.test.ts',
  ]),
  area('demo', 'demo', 'demo-', 3, ['test/sim/demo-gossip.test.ts']),
  // Fast: the provider driven by a scripted client (listing, feed, expiry, errors) and option validation.
  area('provider', 'provider', 'provider-', 2, ['test/provider/server.test.ts', 'test/provider/queue.test.ts', 'test/provider/job-records.test.ts', 'test/provider/library-store.test.ts', 'test/provider/provider-library-seam.test.ts']),
  // Fast: message codecs, retry and status rules, and the server's durable store on its own; the rules no
  // scenario reaches: the durable log's format refusals at load, and the digest against its definition;
  // the server answering scripted sessions (a Push before or without a compatible handshake, an
  // undecodable message, the operator's writes, which no scenario check reads back); a Nuke with changes
  // pending on a ready connection (pushed there, on at the ACKs; the push timeout kept exactly); a tab's
  // fence (refused only to a lower epoch than recorded), which no scenario reaches with a higher record.
  area('clientserver', 'clientserver', 'cs-', 1, [
    'test/clientserver/units.test.ts',
    'test/clientserver/server-store.test.ts',
    'test/clientserver/server-log-format.test.ts',
    'test/clientserver/digest.test.ts',
    'test/clientserver/server-protocol.test.ts',
    'test/clientserver/nuke-push.test.ts',
    'test/clientserver/tab-fence.test.ts',
  ]),
];
