import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The determinism lint rules must fire on real-world calls in src/impl and src/model, and stay quiet
// elsewhere (the simulator itself may use them).
const eslint = new ESLint({ cwd: process.cwd() });

async function messages(code: string, filePath: string): Promise<string[]> {
  const [res] = await eslint.lintText(code, { filePath });
  return res!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

const offenders: [string, string][] = [
  ['Date.now()', 'Date'],
  ['new Date()', 'Date'],
  ['Math.random()', 'Math.random'],
  ['performance.now()', 'performance'],
  ['setTimeout(() => {}, 1)', 'setTimeout'],
  ['setInterval(() => {}, 1)', 'setInterval'],
  ['setImmediate(() => {})', 'setImmediate'],
  ['queueMicrotask(() => {})', 'queueMicrotask'],
  ['crypto.randomUUID()', 'crypto'],
  ['globalThis.crypto.getRandomValues(new Uint8Array(4))', 'crypto'],
  ["import { readFileSync } from 'node:fs'; readFileSync('x')", 'node:fs'],
  ["import net from 'node:net'; net.connect(1)", 'node:net'],
  ["import http from 'node:http'; http.get('x')", 'node:http'],
  ["import { setTimeout as s } from 'node:timers'; s(() => {}, 1)", 'node:timers'],
  ["import { Worker } from 'node:worker_threads'; new Worker('x')", 'node:worker_threads'],
  ["import { randomBytes } from 'node:crypto'; randomBytes(4)", 'node:crypto'],
];

describe('determinism lint', () => {
  for (const dir of ['src/impl', 'src/model']) {
    for (const [code, name] of offenders) {
      it(`flags ${name} in ${dir}: ${code}`, async () => {
        const msgs = await messages(`${code};\n`, `${dir}/sample.ts`);
        expect(msgs.length).toBeGreaterThan(0);
        expect(msgs.join('\n')).toContain(name);
      });
    }
  }

  it('keeps src/impl from importing the simulator and src/model from importing the implementation', async () => {
    expect((await messages("import { Simulation } from '../sim/simulation.ts'; void Simulation;\n", 'src/impl/sample.ts')).join()).toContain('src/impl imports only src/impl');
    expect((await messages("import { x } from '../impl/env.ts'; void x;\n", 'src/model/sample.ts')).join()).toContain('src/model never imports src/impl');
  });

  it('keeps every layer importing one way: sim and runtime only the seam, models only the trace', async () => {
    expect((await messages("import { x } from '../model/check.ts'; void x;\n", 'src/sim/sample.ts')).join()).toContain('src/sim imports only src/sim and src/impl');
    expect((await messages("import { x } from '../../sim/disk/kv.ts'; void x;\n", 'src/runtime/node/sample.ts')).join()).toContain('src/runtime imports only src/runtime, src/impl');
    expect((await messages("import { Simulation } from '../sim/simulation.ts'; void Simulation;\n", 'src/model/sample.ts')).join()).toContain('src/model reads the trace');
    expect(await messages("import { KvTable } from '../../impl/seam/kv-table.ts'; void KvTable;\n", 'src/runtime/node/sample.ts')).toEqual([]);
    expect(await messages("import type { TraceRecord } from '../sim/trace.ts'; export type R = TraceRecord;\n", 'src/model/sample.ts')).toEqual([]);
    expect((await messages("import { stockScenarios } from '../scenario/implementations.ts'; void stockScenarios;\n", 'src/model/sample.ts')).join()).toContain('src/model imports only types from src/scenario');
    expect(await messages("import type { Check } from '../../scenario/types.ts'; export type C = Check;\n", 'src/model/peer/sample.ts')).toEqual([]);
  });

  it('allows the same calls in the simulator and passes clean implementation code', async () => {
    expect(await messages('Date.now(); Math.random();\n', 'src/sim/sample.ts')).toEqual([]);
    expect(await messages("import type { Env } from './env.ts';\nexport const f = (env: Env): number => env.clock.now();\n", 'src/impl/sample.ts')).toEqual([]);
  });
});
