/** `syncbench list`: scenarios with their suites, suites, and weakened variants. */
import pc from 'picocolors';
import { readCatalogue } from '../scenario/catalogue.ts';
import { suitesOf } from '../scenario/registry.ts';
import { VARIANTS } from '../scenario/variants.ts';
import { loadAll, scenariosDir } from './usage.ts';

/** Prints the catalogue (JSON with --json: {scenarios: [{name, suites, description}], suites, variants}). */
export async function listCommand(o: Record<string, unknown>): Promise<void> {
  const dir = scenariosDir(o);
  const all = (readCatalogue(dir) ?? (await loadAll(dir)).map((l) => l.scenario)).map((scenario) => ({ scenario }));
  const suites = suitesOf(all);
  if (o.json) {
    const out = {
      scenarios: all.map(({ scenario: s }) => ({ name: s.name, suites: s.suites, description: s.description })),
      suites: [...suites.entries()].map(([name, scenarios]) => ({ name, scenarios })),
      variants: VARIANTS.map((v) => ({ name: v.name, area: v.area, description: v.description })),
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return;
  }
  const lines: string[] = [pc.bold('Scenarios')];
  const width = Math.max(...all.map((l) => l.scenario.name.length));
  for (const { scenario: s } of all) {
    lines.push(`  ${s.name.padEnd(width)}  ${pc.dim(`[${s.suites.join(', ')}]`)}`);
    lines.push(`  ${' '.repeat(width)}  ${s.description}`);
  }
  lines.push('', pc.bold('Suites'));
  for (const [name, names] of suites) lines.push(`  ${name.padEnd(10)} ${names.length} scenarios: ${names.join(', ')}`);
  lines.push('', pc.bold('Weakened variants') + pc.dim(' (--variant NAME; never the default)'));
  for (const v of VARIANTS) lines.push(`  ${v.name} ${pc.dim(`(${v.area})`)}\n      ${v.description}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
