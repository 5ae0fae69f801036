/**
 * Rare paths the demo gossip marks with probes ("sometimes" assertions). The demo scenarios declare this
 * list, so the coverage report shows each with its hit count and flags the ones a sweep never reached.
 * Every `trace.probe('...')` literal under src/impl/demo must be listed here (test/report/probes.test.ts).
 */
export const DEMO_PROBES = [
  'demo.corrupt-log-line', // recovery skipped corrupt (torn) lines of the item log
  'demo.recover-retried', // a disk error during start-up recovery; the node retries from scratch
  'demo.merge-failed', // storing received items failed; the next anti-entropy round resends them
] as const;
