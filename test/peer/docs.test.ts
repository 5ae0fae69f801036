/** docs/peer-sync.md lists every peer scenario (peer-swarm-hard and peer-kv-errors were once missing). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarios, SCENARIOS_DIR } from '../../src/scenario/registry.ts';

describe('docs/peer-sync.md', () => {
  it('names every scenario of scenarios/peer in its Scenarios section', async () => {
    const doc = readFileSync(new URL('../../docs/peer-sync.md', import.meta.url), 'utf8');
    const section = /^## Scenarios\n([\s\S]*?)^## /m.exec(doc)?.[1] ?? '';
    const dir = path.join(SCENARIOS_DIR, 'peer');
    const names = (await loadScenarios(dir)).map((l) => l.scenario.name);
    expect(names.length).toBeGreaterThanOrEqual(16);
    expect(names.filter((n) => !section.includes(`\`${n}\``))).toEqual([]);
  });
});
