/**
 * Failures grouped by what failed, so that ten seeds tripping the same invariant read as one finding:
 * failing runs with the same scenario, verdict, check and message shape (`messageShape`) form a group.
 * A group names its first failing seed (in the order of the runs), its smallest one (fewest fault events
 * in its plan, ties by lowest seed: the cheapest to replay and read) and uses the smallest as its example:
 * its message, its fault plan in words and its replay command stand for the group.
 *
 * The terminal summary (runner/summary.ts), the HTML report's Failures section and junit.xml all use it.
 */
import type { RunRow } from '../runner/results.ts';
import type { Scenario } from '../scenario/types.ts';
import { faultEventCount, runPlanWords } from './plan-words.ts';

/**
 * The shape of a failure message: the message with what changes from seed to seed replaced by
 * placeholders, so that messages of one bug compare equal. In this order:
 * - the whole words in `ids` (groupings pass the failure's node: `B committed ...`) -> `<id>`
 * - quoted text (`'C'`, `"x"`, `` `y` ``; an apostrophe inside a word is not a quote) -> `'<id>'`
 * - trace indexes `#3499` -> `#<i>`
 * - hex: UUIDs, `0x1f`, and hashes of 8+ hex digits with a digit and a letter -> `<hex>`
 * - times, a number with a unit (`4501.050 ms`, `5 s`, `300µs`, `2 min`) -> `<t>`
 * - any other number, also inside a word (`epoch 3`, `-2.5`, `t2`) -> `<n>`
 * Everything else (words, punctuation, the number of placeholders) must match for two messages to group.
 */
export function messageShape(msg: string, ids: readonly string[] = []): string {
  let s = msg;
  for (const id of ids) {
    if (id !== '') s = s.replace(new RegExp(`(?<!\\w)${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?!\\w)`, 'g'), '<id>');
  }
  return s
    .replace(/(?<!\w)(['"`])[^'"`\n]*\1(?!\w)/g, (_, q: string) => `${q}<id>${q}`)
    .replace(/#\d+/g, '#<i>')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<hex>')
    .replace(/\b0x[0-9a-f]+\b/gi, '<hex>')
    .replace(/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, '<hex>')
    .replace(/(?:(?<![\w-])-)?\d+(?:\.\d+)?\s?(?:ms|µs|us|ns|s|min|h)\b/g, '<t>')
    .replace(/(?:(?<![\w-])-)?\d+(?:\.\d+)?/g, '<n>');
}

/** Failing runs of one scenario that failed the same check the same way. */
export interface FailureGroup {
  scenario: string;
  verdict: Exclude<RunRow['verdict'], 'pass'>;
  check: string;
  /** The message shape every run of the group shares. */
  shape: string;
  /** The runs, in the order of the results file (scenario, seed). */
  runs: RunRow[];
  /** The first failing run (in the order of the runs). */
  first: RunRow;
  /** The run with the fewest fault events, ties by lowest seed: the group's example. */
  smallest: RunRow;
  /** Fault events of the smallest run's plan (undefined: its summary does not say). */
  smallestEvents: number | undefined;
  /** The smallest run's fault plan in words (a few lines; see plan-words.ts). */
  plan: string[];
}

/** Sorts runs with an unknown number of fault events after every known one. */
const eventsOf = (r: RunRow): number => faultEventCount(r.faultSummary) ?? Number.POSITIVE_INFINITY;

/**
 * Groups the failing runs of `runs` by (scenario, verdict, check, message shape), in the order their
 * first runs appear. With `scenarios`, each group's plan lists the example seed's fault events.
 */
export function failureGroups(runs: readonly RunRow[], scenarios?: ReadonlyMap<string, Scenario>): FailureGroup[] {
  const byKey = new Map<string, FailureGroup>();
  /** Fault events of each group's smallest run so far (read once per run, not once per comparison). */
  const least = new Map<FailureGroup, number>();
  for (const r of runs) {
    if (r.verdict === 'pass' || r.failure === undefined) continue;
    const f = r.failure;
    const shape = messageShape(f.message, f.node === undefined ? [] : [f.node]);
    const key = `${r.scenario}\u0000${r.verdict}\u0000${f.check}\u0000${shape}`;
    const g = byKey.get(key);
    const events = eventsOf(r);
    if (g === undefined) {
      const fresh: FailureGroup = { scenario: r.scenario, verdict: r.verdict, check: f.check, shape, runs: [r], first: r, smallest: r, smallestEvents: undefined, plan: [] };
      byKey.set(key, fresh);
      least.set(fresh, events);
      continue;
    }
    g.runs.push(r);
    const best = least.get(g)!;
    if (events < best || (events === best && r.seed < g.smallest.seed)) {
      g.smallest = r;
      least.set(g, events);
    }
  }
  const groups = [...byKey.values()];
  for (const g of groups) {
    g.smallestEvents = faultEventCount(g.smallest.faultSummary);
    g.plan = runPlanWords(g.smallest, scenarios?.get(g.scenario));
  }
  return groups;
}

/** The variants the runs of a group used, in first-seen order ('' for the default implementation left out). */
export function groupVariants(g: FailureGroup): string[] {
  return [...new Set(g.runs.map((r) => r.variant).filter((v) => v !== ''))];
}

/** `10 seeds` / `1 seed`. */
export const seedCount = (n: number): string => `${n} seed${n === 1 ? '' : 's'}`;

/** `first seed 0; smallest seed 4 (1 fault event)`: the two seeds a group names. */
export function groupSeeds(g: FailureGroup): string {
  const n = g.smallestEvents;
  const events = n === undefined ? '' : ` (${n === 0 ? 'no faults' : `${n} fault event${n === 1 ? '' : 's'}`})`;
  return `first seed ${g.first.seed}; smallest seed ${g.smallest.seed}${events}`;
}

/**
 * The seeds of a group, ascending, with runs of consecutive seeds as ranges: `0..9, 12, 15..17`; after
 * `max` items, `and N more`.
 */
export function seedList(runs: readonly RunRow[], max = 12): string {
  const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b);
  const items: string[] = [];
  let shown = 0;
  for (let k = 0; k < seeds.length && items.length < max; ) {
    let e = k;
    while (e + 1 < seeds.length && seeds[e + 1] === seeds[e]! + 1) e++;
    items.push(e === k ? String(seeds[k]) : e === k + 1 ? `${seeds[k]}, ${seeds[e]}` : `${seeds[k]}..${seeds[e]}`);
    shown += e - k + 1;
    k = e + 1;
  }
  return `${items.join(', ')}${shown < seeds.length ? ` and ${seeds.length - shown} more` : ''}`;
}
