/** docs/provider-sync.md lists every provider scenario and every provider variant. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROVIDER_VARIANTS } from '../../src/impl/provider/variants.ts';
import { loadScenarios, SCENARIOS_DIR } from '../../src/scenario/registry.ts';

const doc = readFileSync(new URL('../../docs/provider-sync.md', import.meta.url), 'utf8');

describe('docs/provider-sync.md', () => {
  it('names every scenario of scenarios/provider in its Scenarios section', async () => {
    const section = /^## Scenarios\n([\s\S]*?)^## /m.exec(doc)?.[1] ?? '';
    const names = (await loadScenarios(path.join(SCENARIOS_DIR, 'provider'))).map((l) => l.scenario.name);
    expect(names.length).toBeGreaterThanOrEqual(10);
    expect(names.filter((n) => !section.includes(`\`${n}\``))).toEqual([]);
  });

  it('names every variant in its variants section', () => {
    const section = /^## Weakened variants[^\n]*\n([\s\S]*?)^## /m.exec(doc)?.[1] ?? '';
    expect(PROVIDER_VARIANTS.map((v) => v.name).filter((n) => !section.includes(`\`${n}\``))).toEqual([]);
  });
});
