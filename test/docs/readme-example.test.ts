/**
 * The README's "Writing a scenario" example is complete and true: copied out of the README into a folder of
 * its own (with the package.json such a folder needs), it loads, is listed, and passes a sweep.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureOutput } from '../capture.ts';
import { main } from '../../src/cli/main.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
// Inside the repository (so the example's '../../src/...' imports resolve), outside scenarios/.
const DIR = path.join(ROOT, `.doc-example-${process.pid}`);

/** The first ```ts block of the README's "Writing a scenario" section. */
function readmeExample(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.indexOf('## Writing a scenario');
  const start = readme.indexOf('```ts\n', section);
  const end = readme.indexOf('```', start + 6);
  expect(section).toBeGreaterThan(0);
  expect(start).toBeGreaterThan(section);
  return readme.slice(start + 6, end);
}

const io = captureOutput();
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

describe("README 'Writing a scenario'", () => {
  it('the example, saved as the README says with a package.json beside it, is listed and passes', async () => {
    mkdirSync(path.join(DIR, 'mine'), { recursive: true });
    writeFileSync(path.join(DIR, 'package.json'), '{"type": "module"}\n');
    writeFileSync(path.join(DIR, 'mine', 'partition-heal.ts'), readmeExample());
    expect(await main(['list', '--scenarios-dir', DIR])).toBe(0);
    expect(io.out()).toContain('mine-partition-heal');
    io.clear();
    expect(await main(['run', 'mine-partition-heal', '--scenarios-dir', DIR, '--seeds', '0..3', '--no-report'])).toBe(0);
    expect(io.out()).toMatch(/mine-partition-heal +4 +4 +0 +0 +0/);
  });
});
