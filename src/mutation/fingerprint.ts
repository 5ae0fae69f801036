/** The mutation judge's fingerprint: when it changes, results kept from earlier runs no longer hold. */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A digest of everything the judge's verdicts depend on besides the mutated implementation and the test files
 * Stryker itself diffs: the checks, models, evidence, simulator, scenario runner (all of `src/` but
 * `src/impl/`), the scenarios, the corpora, the judge's vitest config and the lockfile. Not the list of
 * equivalent mutants (`src/mutation/equivalent.json`): it changes the score, not a verdict.
 */
export function judgeFingerprint(root: string): string {
  const h = createHash('sha256');
  const add = (rel: string): void => {
    h.update(rel).update('\0').update(readFileSync(path.join(root, rel))).update('\0');
  };
  for (const dir of ['src', 'scenarios', 'corpus']) {
    const files = readdirSync(path.join(root, dir), { recursive: true })
      .map((f) => path.join(dir, String(f)))
      .filter((f) => !f.startsWith(`src${path.sep}impl${path.sep}`) && f !== path.join('src', 'mutation', 'equivalent.json') && /\.(ts|json)$/.test(f))
      .sort();
    for (const f of files) add(f);
  }
  for (const f of ['vitest.mutation.config.ts', 'package-lock.json']) if (existsSync(path.join(root, f))) add(f);
  return h.digest('hex');
}
