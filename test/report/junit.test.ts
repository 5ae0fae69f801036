/** junit.xml stays well-formed XML whatever a failure message holds. */
import { describe, expect, it } from 'vitest';
import { junitXml } from '../../src/report/junit.ts';
import { esc } from '../../src/report/svg.ts';
import { emptyResults, type RunRow } from '../../src/runner/results.ts';

/** XML 1.0 `Char`: every character of a well-formed document matches it. */
const XML_CHARS = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

const failed = (message: string): RunRow => ({
  scenario: 'odd',
  seed: 1,
  variant: '',
  verdict: 'crash',
  events: 1,
  traceRecords: 1,
  simTimeUs: 0,
  wallMs: 1,
  traceHash: '0',
  faultSummary: 'no faults',
  failure: { kind: 'crash', check: 'exception', message, timeUs: 0, traceIndex: 0 },
  replay: 'npx syncbench replay odd --seed 1',
});

describe('junit.xml escaping', () => {
  it('escapes control characters that XML 1.0 cannot hold (terminal colours, NUL, lone surrogates)', () => {
    const file = emptyResults({ targets: ['odd'], from: 1, to: 1, variant: '', shards: ['1/1'] }, [], {});
    file.runs.push(failed('\u001b[31mred\u001b[0m & <b> "q" nul\u0000 bell\u0007 half\uD800 ok\u00e9\u{1F600}\ttab'));
    const xml = junitXml(file);
    expect(xml).toMatch(XML_CHARS);
    expect(xml).toContain('\\u001b[31mred\\u001b[0m &amp; &lt;b&gt; &quot;q&quot; nul\\u0000 bell\\u0007 half\\ud800 ok\u00e9\u{1F600}\ttab');
  });

  it('leaves valid text alone', () => {
    expect(esc('a\tb\nc é 😀')).toBe('a\tb\nc é 😀');
  });
});
