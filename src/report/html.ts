/**
 * The self-contained HTML report (index.html): no scripts or styles from the network. Sections (each with
 * an id for tools and tests): #summary, #failures (grouped: see groups.ts), #coverage (a state diagram per
 * model), #state-faults, #vacuity, #probes and #timelines (one per re-run failing seed, each with the id
 * `timeline-<scenario>-<seed>` the failures link to).
 *
 * Colours mean one thing: red marks failures only. What a sweep never reached (states, transitions,
 * probes, vacuous guards) is drawn in a neutral grey, dashed, and the legend says so. The page's only
 * script is inline: the copy buttons of the replay commands.
 */
import { probeSummary, type CoverageReport, type ModelReport } from '../runner/coverage.ts';
import type { ResultsFile, RunRow } from '../runner/results.ts';
import { failureAt, failureWhat, fmtDuration, totalsOf } from '../runner/summary.ts';
import type { Scenario } from '../scenario/types.ts';
import { stateDiagram } from './diagram.ts';
import { failureGroups, groupSeeds, groupVariants, seedCount, seedList, type FailureGroup } from './groups.ts';
import { esc } from './svg.ts';
import type { Timeline } from './timeline.ts';
import { timelineSvg } from './timeline-svg.ts';

/** Most failing seeds listed in the HTML (all of them are in results.json and junit.xml). */
export const HTML_FAILURES_MAX = 500;
/** Most seeds listed under one group of failures. */
export const HTML_GROUP_SEEDS_MAX = 100;
/** Most groups of failures listed in the HTML. */
export const HTML_GROUPS_MAX = 200;

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#202124;background:#fafafa}
header{background:#202124;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}header .meta{opacity:.8;font-size:13px}
main{padding:8px 24px 40px}section{background:#fff;border:1px solid #e0e0e0;border-radius:8px;padding:12px 18px;margin:16px 0}
h2{font-size:17px;margin:4px 0 10px}h3{font-size:15px;margin:14px 0 6px}
table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid #e0e0e0;padding:3px 8px;text-align:right;vertical-align:top}
th{background:#f1f3f4}td.l,th.l{text-align:left}.ok{color:#188038}.bad{color:#d93025;font-weight:600}
code{background:#f1f3f4;padding:1px 4px;border-radius:3px;font-size:12.5px}.scroll{overflow-x:auto;border:1px solid #eee;border-radius:6px;background:#fff}
svg text{font:12px system-ui,sans-serif}svg .elabel,svg .tick{font-size:10.5px;fill:#444}svg .scount{font-size:10.5px}svg .sname{font-weight:600}svg .lname{font-weight:600}
.legend span{display:inline-block;width:12px;height:12px;border-radius:3px;margin:0 4px -2px 10px}
td.cell0{color:#bbb}
svg.dense .elabel{display:none}svg.dense .transition:hover .elabel{display:inline}svg .transition:hover path{stroke-width:4}
details summary{cursor:pointer}
.never{color:#5f6368;font-style:italic}tr.never td{color:#5f6368;font-style:italic;border-style:dashed;border-color:#bdc1c6}
.legend span.swatch-never{background:#f1f3f4;border:1.5px dashed #80868b;box-sizing:border-box}
svg.diagram g.state.never rect{fill:#f1f3f4;stroke:#80868b;stroke-dasharray:5 4}svg.diagram g.state.never text{fill:#5f6368}
svg.diagram g.transition.never path{stroke:#9aa0a6}svg.diagram g.transition.never .elabel{fill:#80868b}
.group{border-left:4px solid #d93025;padding:2px 0 4px 12px;margin:14px 0}.group h3{margin:4px 0}.group p{margin:3px 0}
.group ul.plan{margin:2px 0 4px;padding-left:22px}.group ul.plan li{font-family:ui-monospace,monospace;font-size:12.5px}
.cmd{display:flex;align-items:center;gap:6px;max-width:100%;min-width:0}
.cmd code{display:block;white-space:nowrap;overflow-x:auto;min-width:0;padding:3px 6px}
button.copy{font:12px system-ui,sans-serif;padding:1px 8px;border:1px solid #dadce0;border-radius:4px;background:#fff;cursor:pointer;flex:none}
table.seeds{width:100%}td.nw{white-space:nowrap}table.seeds td.msg{min-width:18em}table.seeds .cmd{width:30em}`;

/**
 * The copy buttons: the clipboard API when the page may use it, otherwise (or when it refuses) the
 * command's text is selected and the browser's copy command tried, so Ctrl+C works in any case.
 */
const COPY_JS = `document.addEventListener('click',function(e){var b=e.target&&e.target.closest?e.target.closest('button.copy'):null;if(!b)return;var c=b.parentNode.querySelector('code');if(!c)return;var t=c.textContent;function done(w){b.textContent=w;setTimeout(function(){b.textContent='copy'},1500)}function select(){var r=document.createRange();r.selectNodeContents(c);var s=window.getSelection();s.removeAllRanges();s.addRange(r);var ok=false;try{ok=document.execCommand('copy')}catch(x){}done(ok?'copied':'selected')}if(navigator.clipboard&&navigator.clipboard.writeText){navigator.clipboard.writeText(t).then(function(){done('copied')},select)}else select()});`;

/** A command on one unbroken line (scrolls sideways when narrow) with a copy button. */
function commandBox(cmd: string): string {
  return `<div class="cmd"><code class="replay">${esc(cmd)}</code><button type="button" class="copy" title="copy the command">copy</button></div>`;
}

/** The id of a failing seed's timeline section: `timeline-<scenario>-<seed>`. */
export function timelineId(scenario: string, seed: number): string {
  return `timeline-${scenario}-${seed}`;
}

function statsLine(m: ModelReport): string {
  const pct = (a: number, b: number): string => (b === 0 ? '–' : `${Math.round((100 * a) / b)}%`);
  return `states ${m.statesReached}/${m.states.length} (${pct(m.statesReached, m.states.length)}), transitions ${m.transitionsReached}/${m.transitions.length} (${pct(m.transitionsReached, m.transitions.length)})`;
}

function summarySection(file: ResultsFile, wallMs: number | undefined): string {
  const rows = totalsOf(file.runs).map(
    (t) =>
      `<tr data-scenario="${esc(t.scenario)}"><td class="l">${esc(t.scenario)}</td><td>${t.seeds}</td><td class="ok">${t.passed}</td><td${t.failed.correctness ? ' class="bad"' : ''}>${t.failed.correctness}</td><td${t.failed.liveness ? ' class="bad"' : ''}>${t.failed.liveness}</td><td${t.failed.crash ? ' class="bad"' : ''}>${t.failed.crash}</td><td>${t.events}</td><td>${fmtDuration(t.simUs / 1000)}</td><td>${fmtDuration(t.wallMs)}</td></tr>`,
  );
  const failed = file.runs.filter((r) => r.verdict !== 'pass').length;
  const verdict = failed === 0 ? `<p class="ok">all ${file.runs.length} runs passed</p>` : `<p class="bad">${failed} of ${file.runs.length} runs failed</p>`;
  return `<section id="summary"><h2>Summary</h2>${verdict}<table><tr><th class="l">scenario</th><th>seeds</th><th>passed</th><th>correctness</th><th>liveness</th><th>crash</th><th>events</th><th>sim time</th><th>run time</th></tr>${rows.join('')}</table>${wallMs === undefined ? '' : `<p>wall time of the sweep: ${fmtDuration(wallMs)}</p>`}</section>`;
}

function coverageSection(cov: CoverageReport, diagrams?: ReadonlyMap<string, string>): string {
  const parts = [`<section id="coverage"><h2>Model coverage</h2><p class="legend">reach:<span class="swatch-never"></span>never reached (grey, dashed: no run of this sweep got there; not a failure)<span style="background:hsl(135,55%,74%)"></span>rare<span style="background:hsl(135,55%,33%)"></span>often. Red marks failures only.</p>`];
  if (cov.models.length === 0) parts.push('<p>No reference model watched these runs.</p>');
  for (const m of cov.models) {
    const never = [...m.states.filter((s) => s.count === 0).map((s) => `state <code>${esc(s.key)}</code>`), ...m.transitions.filter((t) => t.count === 0).map((t) => `transition <code>${esc(t.key.replace(/\|/g, ' → '))}</code>`)];
    parts.push(
      `<div class="model" data-model="${esc(m.name)}"><h3>${esc(m.name)} <small>${statsLine(m)}</small></h3><div class="scroll">${diagrams?.get(m.name) ?? stateDiagram(m)}</div>` +
        anywhereLine(m) +
        (never.length > 0 ? `<details class="never-list"><summary class="never">Never reached: ${never.length}</summary><ul>${never.map((n) => `<li>${n}</li>`).join('')}</ul></details>` : '<p class="ok">Every state and transition was reached.</p>') +
        (m.transitions.length > 24 && diagrams?.has(m.name) !== true ? '<p><small>Hover a transition for its event and count.</small></p>' : '') +
        (m.extra.length > 0 ? `<p>Reached but not in the model graph: ${m.extra.map((e) => `<code>${esc(e)}</code>`).join(', ')}</p>` : '') +
        '</div>',
    );
  }
  parts.push('</section>');
  return parts.join('');
}

/** The checks a model makes in every state ('*|EVENT|*'), which the diagram does not draw. */
function anywhereLine(m: ModelReport): string {
  const any = m.transitions.filter((t) => t.key.startsWith('*|'));
  if (any.length === 0) return '';
  return `<p>In every state: ${any.map((t) => `<code>${esc(t.key.split('|')[1]!)}</code> ${t.count === 0 ? '<span class="never">never</span>' : `×${t.count}`}`).join(', ')}</p>`;
}

function stateFaultSection(cov: CoverageReport): string {
  const parts = ['<section id="state-faults"><h2>Faults injected by model state</h2><p>Each cell: how many faults of that kind were injected while some instance of the model was in that state.</p>'];
  for (const m of cov.models) {
    const kinds = m.faultKinds;
    parts.push(`<h3>${esc(m.name)}</h3>`);
    if (kinds.length === 0) {
      parts.push('<p>No faults were injected while this model was watching.</p>');
      continue;
    }
    const head = `<tr><th class="l">state</th>${kinds.map((k) => `<th>${esc(k)}</th>`).join('')}</tr>`;
    const rows = m.states.map((s) => {
      const row = m.stateFaults[s.key] ?? {};
      return `<tr><td class="l">${esc(s.key)}</td>${kinds.map((k) => (row[k] ? `<td>${row[k]}</td>` : '<td class="cell0">·</td>')).join('')}</tr>`;
    });
    parts.push(`<table class="state-fault-table" data-model="${esc(m.name)}">${head}${rows.join('')}</table>`);
  }
  parts.push('</section>');
  return parts.join('');
}

/**
 * The probes the sweep's scenarios declare (Scenario.probes), hit or not; probes hit that no scenario of
 * the sweep declares are only counted (coverage.json lists them).
 */
function probeSection(cov: CoverageReport): string {
  const probes = cov.probes.filter((p) => p.declaredBy.length > 0);
  const others = cov.probes.length - probes.length;
  const otherLine = others === 0 ? '' : `<p class="probe-undeclared">${others} other probe${others === 1 ? ' was' : 's were'} hit that no scenario of this sweep declares (listed in coverage.json).</p>`;
  if (probes.length === 0) return `<section id="probes"><h2>Probes</h2><p>No probes were declared.</p>${otherLine}</section>`;
  const suites = [...new Set(probes.flatMap((p) => Object.keys(p.bySuite)))].sort();
  const rows = probes.map(
    (p) =>
      `<tr data-probe="${esc(p.name)}"${p.hits === 0 ? ' class="never"' : ''}><td class="l">${esc(p.name)}</td><td>${p.hits === 0 ? 'never' : p.hits}</td>${suites.map((s) => `<td>${p.bySuite[s] ?? '–'}</td>`).join('')}<td class="l">${p.declaredBy.map(esc).join(', ') || '–'}</td></tr>`,
  );
  const { declared, reached, never } = probeSummary(probes);
  const head =
    `<p class="probe-summary">${reached} of ${declared} declared probes reached` +
    `${never.length > 0 ? `; <span class="never">never reached: ${never.map(esc).join(', ')}</span>` : ''}.` +
    `${suites.length > 0 ? ` Suite columns count the hits in the scenarios of each suite this sweep ran.` : ''}</p>` +
    '<p class="legend"><span class="swatch-never"></span>never: no run of this sweep reached the probe (not a failure)</p>';
  return `<section id="probes"><h2>Probes</h2>${head}<table><tr><th class="l">probe</th><th>hits</th>${suites.map((s) => `<th>${esc(s)}</th>`).join('')}<th class="l">declared by</th></tr>${rows.join('')}</table>${otherLine}</section>`;
}

/** Guards and invariants that never decided anything in this sweep: a green result they did not check. */
function vacuitySection(cov: CoverageReport): string {
  const rows = [
    ...cov.models.flatMap((m) => m.guards.map((g) => ({ what: `model ${m.name}`, name: `guard ${g.key}`, count: g.count }))),
    ...cov.invariants.map((x) => ({ what: 'check', name: x.key, count: x.count })),
  ];
  if (rows.length === 0) return '';
  const vacuous = rows.filter((r) => r.count === 0);
  const head = vacuous.length === 0 ? '<p class="ok">Every guard and invariant decided something in this sweep.</p>' : `<p class="never">Vacuous in this sweep (never evaluated on real input): ${vacuous.length} of ${rows.length}.</p>`;
  const body = rows.map((r) => `<tr${r.count === 0 ? ' class="never"' : ''}><td class="l">${esc(r.what)}</td><td class="l">${esc(r.name)}</td><td>${r.count === 0 ? 'vacuous' : r.count}</td></tr>`);
  return `<section id="vacuity"><h2>Guards and invariants exercised</h2>${head}<details${vacuous.length > 0 ? ' open' : ''}><summary>all ${rows.length}</summary><table><tr><th class="l">where</th><th class="l">guard or invariant</th><th>evaluations</th></tr>${body.join('')}</table></details></section>`;
}

/** One failing seed of a group: when, its message, a link to its timeline (if drawn) and its replay command. */
function seedRow(r: RunRow, drawn: ReadonlySet<string>, variantColumn: boolean, viewers: readonly ViewerLink[]): string {
  const f = r.failure!;
  const id = timelineId(r.scenario, r.seed);
  const link = drawn.has(id) ? `<a href="#${esc(encodeURIComponent(id))}">timeline</a>${viewerLink(viewers, r)}` : '–';
  const variant = variantColumn ? `<td class="l nw">${esc(r.variant) || '–'}</td>` : '';
  return `<tr class="failure" data-scenario="${esc(r.scenario)}" data-seed="${r.seed}"><td>${r.seed}</td>${variant}<td class="nw">${(f.timeUs / 1000).toFixed(1)} ms</td><td class="l msg"><small>${esc(f.message)}</small></td><td class="l nw">${link}</td><td class="l">${commandBox(r.replay ?? '')}</td></tr>`;
}

/** One group of failures: what failed, how often, the example (smallest) seed with its plan and replay command, and its seeds. */
function groupBox(g: FailureGroup, drawn: ReadonlySet<string>, seedsMax: number, viewers: readonly ViewerLink[]): string {
  const ex = g.smallest;
  const exId = timelineId(ex.scenario, ex.seed);
  const variants = groupVariants(g);
  const mixed = new Set(g.runs.map((r) => r.variant)).size > 1;
  const listed = g.runs.slice(0, seedsMax);
  const more = g.runs.length > listed.length ? `<p>… and ${g.runs.length - listed.length} more seeds of this group in results.json and junit.xml.</p>` : '';
  const head = `<tr><th>seed</th>${mixed ? '<th class="l">variant</th>' : ''}<th>at</th><th class="l">message</th><th class="l">timeline</th><th class="l">replay</th></tr>`;
  const seeds = listed.length === 0 ? more : `<details class="seeds"><summary>${g.runs.length === 1 ? 'the seed' : `all ${seedCount(g.runs.length)}`}</summary><table class="seeds">${head}${listed.map((r) => seedRow(r, drawn, mixed, viewers)).join('')}</table>${more}</details>`;
  return (
    `<div class="group" data-scenario="${esc(g.scenario)}" data-check="${esc(g.check)}" data-runs="${g.runs.length}">` +
    `<h3><span class="bad">${esc(g.verdict)}</span> ${esc(g.scenario)}${variants.length > 0 ? ` [${esc(variants.join(', '))}]` : ''}: ${esc(failureWhat(ex))} <small>(${seedCount(g.runs.length)}: ${esc(seedList(g.runs))})</small></h3>` +
    `<p class="msg"><code>${esc(g.check)}</code>: ${esc(ex.failure!.message)}</p>` +
    `<p class="seeds-line">${esc(groupSeeds(g))}. Seed ${ex.seed}${mixed && ex.variant ? ` [${esc(ex.variant)}]` : ''} failed ${esc(failureAt(ex))}${drawn.has(exId) ? ` (<a href="#${esc(encodeURIComponent(exId))}">timeline</a>${viewerLink(viewers, ex)})` : ''}.</p>` +
    `<p>Faults of seed ${ex.seed}: ${esc(g.plan[0] ?? '')}</p>${g.plan.length > 1 ? `<ul class="plan">${g.plan.slice(1).map((l) => `<li>${esc(l)}</li>`).join('')}</ul>` : ''}` +
    commandBox(ex.replay ?? '') +
    seeds +
    '</div>'
  );
}

function failureSection(groups: readonly FailureGroup[], timelines: readonly Timeline[], viewers: readonly ViewerLink[]): string {
  if (groups.length === 0) return '<section id="failures"><h2>Failures</h2><p class="ok">None.</p></section>';
  const drawn = new Set(timelines.map((t) => timelineId(t.scenario, t.seed)));
  const runs = groups.reduce((n, g) => n + g.runs.length, 0);
  let budget = HTML_FAILURES_MAX;
  const boxes = groups.slice(0, HTML_GROUPS_MAX).map((g) => {
    const n = Math.min(HTML_GROUP_SEEDS_MAX, budget, g.runs.length);
    budget -= n;
    return groupBox(g, drawn, n, viewers);
  });
  const rest = groups.slice(HTML_GROUPS_MAX);
  const more = rest.length > 0 ? `<p>… and ${rest.length} more groups (${rest.reduce((n, g) => n + g.runs.length, 0)} runs) in results.json and junit.xml.</p>` : '';
  const intro = '<p>Runs that failed the same check of the same scenario with the same message, numbers, times, trace indexes, hashes and quoted names aside, form a group. Its example is its smallest seed (fewest fault events, then lowest seed): its message, its faults and its replay command.</p>';
  return `<section id="failures"><h2>Failures (${runs} runs in ${groups.length} ${groups.length === 1 ? 'group' : 'groups'})</h2>${intro}${boxes.join('')}${more}</section>`;
}

function timelineSection(timelines: readonly Timeline[], notes: readonly string[], viewers: readonly ViewerLink[]): string {
  if (timelines.length === 0 && notes.length === 0) return '';
  const parts = ['<section id="timelines"><h2>Timelines of failing seeds</h2><p>One lane per node; steps left to right in trace order; blue lines are messages (a send or bus post to its delivery), orange diamonds faults (also those from before the window, left of a dotted grey break), the red line the failing step (a dashed red ring: the last step of the node the failure names). Hover for details.</p>'];
  const ids = new Set<string>();
  for (const [k, tl] of timelines.entries()) {
    const f = tl.failing >= 0 ? tl.steps[tl.failing] : undefined;
    const page = viewers[k];
    // Two runs of one (scenario, seed) (variants, corpus plans) share the link: the first one gets the id.
    const id = timelineId(tl.scenario, tl.seed);
    const idAttr = ids.has(id) ? '' : ` id="${esc(id)}"`;
    ids.add(id);
    parts.push(
      `<div class="timeline-box"${idAttr} data-scenario="${esc(tl.scenario)}" data-seed="${tl.seed}"><h3>${esc(tl.scenario)} seed ${tl.seed}${page === undefined ? '' : ` <small><a class="viewer" href="${esc(encodeURI(page.file))}">open in the trace viewer</a> (time axis, zoom, model-state bands)</small>`}</h3>` +
        `<p>${tl.skipped > 0 ? `${tl.skipped} earlier records not shown${tl.windowStart > 0 ? ' (but the fault records among them)' : ''}; ` : ''}${tl.steps.length} records, ${tl.messages.length} messages${f ? `; failing step #${f.i} <code>${esc(f.kind)}</code> at ${(f.t / 1000).toFixed(3)} ms` : ''}</p>` +
        `<div class="scroll">${timelineSvg(tl)}</div></div>`,
    );
  }
  for (const n of notes) parts.push(`<p>${esc(n)}</p>`);
  parts.push('</section>');
  return parts.join('');
}

/** Inputs of the HTML page. */
export interface HtmlInput {
  file: ResultsFile;
  coverage: CoverageReport;
  timelines: readonly Timeline[];
  /** Why some timelines are missing. */
  notes?: readonly string[];
  wallMs?: number;
  /** State diagrams by model name (SVG, diagram-layout.ts's ELK layout); a model missing here is drawn by stateDiagram. */
  diagrams?: ReadonlyMap<string, string>;
  /** Scenarios by name: each group of failures then lists its example seed's fault events. */
  scenarios?: ReadonlyMap<string, Scenario>;
  /** The groups of failures, when already made (writeReport shares them with junit.xml). */
  groups?: readonly FailureGroup[];
  /** Trace viewer pages written next to index.html (`viewers[k]` belongs to `timelines[k]`). */
  viewers?: readonly ViewerLink[];
}

/** A trace viewer page of the report folder. */
export interface ViewerLink {
  scenario: string;
  seed: number;
  variant: string;
  /** File name relative to the report folder. */
  file: string;
}

/** The viewer page of a run, found by scenario, seed and variant. */
function viewerOf(viewers: readonly ViewerLink[], r: { scenario: string; seed: number; variant: string }): ViewerLink | undefined {
  return viewers.find((v) => v.scenario === r.scenario && v.seed === r.seed && v.variant === r.variant);
}

/** ' · <a>trace viewer</a>' for a run that has a viewer page, else ''. */
function viewerLink(viewers: readonly ViewerLink[], r: { scenario: string; seed: number; variant: string }): string {
  const v = viewerOf(viewers, r);
  return v === undefined ? '' : ` · <a class="viewer" href="${esc(encodeURI(v.file))}">trace viewer</a>`;
}

/** The whole index.html. */
export function reportHtml(i: HtmlInput): string {
  const m = i.file.meta;
  const groups = i.groups ?? failureGroups(i.file.runs, i.scenarios);
  const meta = `targets ${esc(m.targets.join(' '))} · seeds ${m.from}..${m.to} · shards ${esc(m.shards.join(', '))}${m.variant ? ` · variant ${esc(m.variant)}` : ''} · ${i.file.runs.length} runs${m.partial ? ' · PARTIAL (stopped early: interrupted or --fail-fast)' : ''}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>syncbench report</title><style>${CSS}</style></head><body><header><h1>syncbench report</h1><div class="meta">${meta}</div></header><main>${summarySection(i.file, i.wallMs)}${failureSection(groups, i.timelines, i.viewers ?? [])}${coverageSection(i.coverage, i.diagrams)}${stateFaultSection(i.coverage)}${vacuitySection(i.coverage)}${probeSection(i.coverage)}${timelineSection(i.timelines, i.notes ?? [], i.viewers ?? [])}</main><script>${COPY_JS}</script></body></html>\n`;
}
