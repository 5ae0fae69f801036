/**
 * The trace viewer: one self-contained HTML page (inline CSS and script, no network, no libraries) for one
 * run's trace records. One lane per node in a fixed order (laneOrder), a virtual-time axis with zoom and
 * compressed quiet stretches, messages as labelled arrows, faults as spans, each model instance's state as
 * a band under its node's lane, the failing record and its culprit marked and the page opened on them,
 * filters, a record panel and a legend. The page draws on a canvas only what is in view, so it stays
 * usable for tens of thousands of records.
 *
 * Used for `syncbench view <trace.jsonl>` (cli/view.ts) and for the report's failing seeds (write.ts writes
 * `timeline-<scenario>-<seed>.html` beside index.html).
 */
import { readFileSync } from 'node:fs';
import type { RunFn } from '../runner/isolated.ts';
import type { ModelSpec } from '../model/monitor.ts';
import type { TraceRecord } from '../sim/trace.ts';
import { BandRecorder, type ModelBand } from './viewer/bands.ts';
import { prepare, type PrepareInput, type ViewerData, type ViewerFailure } from './viewer/prepare.ts';
import { TraceWindow } from './viewer/window.ts';
import { esc } from './svg.ts';

export { BandRecorder, modelBands, type BandSpan, type ModelBand } from './viewer/bands.ts';
export { culpritOf, laneOrder, naturalCompare, type ViewerFailure } from './viewer/prepare.ts';
export { TraceWindow } from './viewer/window.ts';

/** What a viewer page shows. */
export interface ViewerInput {
  /** The page's heading (e.g. `election-leader-paused seed 0 [election-no-stepdown]`). */
  title: string;
  /** Trace records, oldest first (a whole trace or a window of one). */
  records: TraceRecord[];
  /** The run's failure: its record is marked, its culprit ringed and the page opens on it. */
  failure?: ViewerFailure | null;
  /** Model bands (modelBands, BandRecorder). */
  bands?: ModelBand[];
  /** The command that replays the run. */
  replay?: string;
  /** Lines shown under the title (what the page lacks and why). */
  notes?: string[];
  /** Lines shown as warnings (an incomplete trace, a differing hash). */
  warnings?: string[];
  /** Records of the run that are not in `records`: before the window (after its early faults) and after it. */
  leftOut?: { before: number; after: number; windowStart?: number };
}

/** Records a report's viewer page keeps: the last ones up to the failure (plus the early faults). */
export const VIEWER_REPORT_RECORDS = 10_000;

const ASSETS = new URL('./viewer/', import.meta.url);
let assets: { css: string; js: string } | null = null;
function pageAssets(): { css: string; js: string } {
  assets ??= { css: readFileSync(new URL('style.css', ASSETS), 'utf8'), js: readFileSync(new URL('client.js', ASSETS), 'utf8') };
  return assets;
}

/** Colours of record dots by kind area (the first segment of the kind); `*` for the implementation's own. */
export const AREA_COLOURS: Readonly<Record<string, string>> = {
  net: '#1a73e8',
  bus: '#00897b',
  disk: '#8e24aa',
  kv: '#6a1b9a',
  lock: '#5d4037',
  node: '#37474f',
  device: '#795548',
  fault: '#e37400',
  probe: '#c2185b',
  fact: '#9aa0a6',
  workload: '#0b8043',
  sim: '#000000',
  '*': '#3f51b5',
};

const AREA_WORDS: Readonly<Record<string, string>> = {
  net: 'network', bus: 'tab bus', disk: 'disk', kv: 'kv store', lock: 'locks', node: 'node lifecycle', device: 'device power',
  fault: 'fault injector', probe: 'probe', fact: 'evidence (fact.*)', workload: 'workload', sim: 'simulator', '*': "the implementation's own",
};

/** Colours of model states that mean the same in every model; other states get one of PALETTE by name. */
const STATE_COLOURS: Readonly<Record<string, string>> = {
  down: '#dadce0', crashed: '#bdc1c6', closed: '#e8eaed', idle: '#e8eaed', uninitialized: '#e8eaed',
  leader: '#fbc02d', follower: '#aecbfa', candidate: '#d7aefb', queued: '#e1bee7', fencing: '#fdd663', steppingDown: '#ffcc80',
  recovering: '#fdd663', reloading: '#ffe082', dirty: '#c5e1a5', writing: '#a7ffeb', synced: '#b9f6ca', markerWriting: '#80deea',
  committed: '#a5d6a7', uncertain: '#ffe0b2', stalled: '#ffab91', fenced: '#cfd8dc',
  forwarded: '#aecbfa', applied: '#b9f6ca', acknowledged: '#a5d6a7', failed: '#ffab91', unknown: '#ffe0b2', orphaned: '#e1bee7',
  backfilling: '#aecbfa', paused: '#ffe0b2', catchingUp: '#d7aefb', bufferApplied: '#80deea', ready: '#a5d6a7',
};
const PALETTE = ['#aecbfa', '#ccff90', '#fdcfe8', '#d7aefb', '#a7ffeb', '#fff475', '#fbbc04', '#cbf0f8', '#e6c9a8', '#e8eaed', '#f28b82', '#b2dfdb'];

/** The colour of a model state (nested keys by their top state). */
export function stateColour(state: string): string {
  const top = state.split(/[.,]/)[0]!;
  const fixed = STATE_COLOURS[top];
  if (fixed !== undefined) return fixed;
  let h = 0;
  for (const c of top) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length]!;
}

/** The file name of a run's viewer page in a report folder. */
export function viewerFileName(scenario: string, seed: number): string {
  return `timeline-${scenario.replace(/[^A-Za-z0-9._-]/g, '_')}-${seed}.html`;
}

/** The legend: every mark the page draws, with what it means. */
function legendHtml(d: ViewerData): string {
  const dot = (c: string): string => `<svg width="14" height="14"><circle cx="7" cy="7" r="4.5" fill="${c}"/></svg>`;
  const areas = new Set(d.kinds.map((k) => (AREA_COLOURS[k.split('.')[0]!] === undefined ? '*' : k.split('.')[0]!)));
  const items: string[] = [];
  for (const a of Object.keys(AREA_COLOURS)) if (areas.has(a)) items.push(`<li>${dot(AREA_COLOURS[a]!)} ${esc(a === '*' ? 'other kinds' : `${a}.*`)}: ${esc(AREA_WORDS[a]!)}</li>`);
  const marks = [
    ['<svg width="34" height="14"><line x1="2" y1="7" x2="28" y2="7" stroke="#1a73e8" stroke-width="1.4"/><path d="M28,3 L33,7 L28,11 z" fill="#1a73e8"/></svg>', 'message: a send (net.send, bus.post) to its delivery, labelled by message type (blue: network, teal: tab bus)'],
    ['<svg width="34" height="14"><line x1="2" y1="7" x2="24" y2="7" stroke="#5f6368" stroke-dasharray="3 2"/><text x="25" y="11" font-size="11" fill="#5f6368">✕</text></svg>', 'a send never delivered in this trace (dropped, lost with a crash, or still in flight)'],
    ['<svg width="34" height="14"><rect x="1" y="2" width="32" height="10" fill="#f29900" fill-opacity=".35" stroke="#e37400"/></svg>', 'fault with a duration (on the fault lane: its words; shaded on the lanes it hit)'],
    ['<svg width="34" height="14"><path d="M17,1 l6,6 l-6,6 l-6,-6 z" fill="#e37400"/></svg>', 'an instant fault (crash, clock jump, reset...), dashed across the lanes it hit'],
    ['<svg width="34" height="14"><path d="M13,0 l4,4 l-4,3 l4,3 l-4,4" stroke="#80868b" fill="none"/><path d="M19,0 l4,4 l-4,3 l4,3 l-4,4" stroke="#80868b" fill="none"/></svg>', 'a quiet stretch drawn short ("compress quiet stretches"); its length is written on the axis'],
    ['<svg width="34" height="14"><line x1="17" y1="0" x2="17" y2="14" stroke="#d93025" stroke-width="2"/></svg>', 'the failure (the sim.failure record)'],
    ['<svg width="34" height="14"><circle cx="17" cy="7" r="6" fill="none" stroke="#d93025" stroke-width="2.5"/></svg>', "the culprit: the record the failure names; its node's lane is marked ⚠ and tinted"],
    ['<svg width="34" height="14"><circle cx="17" cy="7" r="6" fill="none" stroke="#1a73e8" stroke-width="2.5"/></svg>', 'the record selected (its fields are in the panel)'],
    ['<svg width="34" height="14"><line x1="17" y1="0" x2="17" y2="14" stroke="#9aa0a6" stroke-width="2" stroke-dasharray="1 3"/></svg>', 'records left out of this window (only fault records are kept from before it)'],
    ['<svg width="34" height="14"><text x="12" y="12" font-size="12" fill="#d93025">✕</text></svg>', 'on a model band: the model refused a record there and stopped (its state is frozen after it)'],
  ];
  for (const [svg, words] of marks) items.push(`<li>${svg} ${esc(words!)}</li>`);
  const byModel = new Map<string, Set<string>>();
  for (const b of d.bands) {
    const s = byModel.get(b[1]) ?? new Set<string>();
    for (const sp of b[3]) s.add(d.states[sp[0]]!);
    byModel.set(b[1], s);
  }
  const models = [...byModel].map(
    ([m, states]) =>
      `<li><b>${esc(m)}</b>: ${[...states].map((s) => `<span class="sw" style="background:${stateColour(s)}"></span>${esc(s)}`).join(' ')}</li>`,
  );
  const bandWords =
    models.length === 0
      ? ''
      : `<h3>Model bands</h3><p>Under each node's lane, one row per model instance living on it (its state over time, one colour per state name in every model, so two tabs both <code>leader</code> show the same colour at once); a model with more than 3 instances on a node (one per request) is one row showing only the states its instances passed through (not the one each ended in).</p><ul>${models.join('')}</ul>`;
  return `<section id="legend"><h2>Legend</h2><ul class="marks">${items.join('')}</ul>${bandWords}<p class="help">Zoom: the buttons, <kbd>+</kbd>/<kbd>-</kbd>, or <kbd>Ctrl</kbd>+wheel at the pointer; scroll sideways with <kbd>Shift</kbd>+wheel or the scroll bar; <kbd>f</kbd> goes to the failure. Click a record (or a band, a fault) for its fields. Filters: kind prefixes separated by commas (<code>net.,bus.</code>; <code>!fact.</code> hides a prefix), a time window in the units replay prints (<code>4.1s</code>, <code>4100ms</code>, <code>4100000us</code>, a bare number is ms), and the lanes. Lanes: the nodes sorted by name (<code>tab2</code> before <code>tab10</code>), then workload, fault, sim — the same order for every seed. Link to a record with <code>#i=N</code>.</p></section>`;
}

/** The HTML of a viewer page (self-contained; see the file comment). */
export function viewerHtml(input: ViewerInput): string {
  const d = prepare(input as PrepareInput);
  const { css, js } = pageAssets();
  const failure = d.failure;
  const culprit = failure !== null && failure.culprit >= 0 ? d.recs[failure.culprit]![0] : null;
  const failRec = failure !== null && failure.rec >= 0 ? d.recs[failure.rec]![0] : null;
  const failLane = failure !== null && failure.lane >= 0 ? d.lanes[failure.lane]! : null;
  const focus = culprit ?? failRec;
  const attrs = [
    `data-records="${d.recs.length}"`,
    culprit === null ? '' : `data-culprit="${culprit}"`,
    failRec === null ? '' : `data-failure="${failRec}"`,
    failLane === null ? '' : `data-failing-lane="${esc(failLane)}"`,
    focus === null ? '' : `data-focus="${focus}"`,
  ].filter((a) => a !== '');
  const labels = d.lanes
    .map((n) => `<div class="lane-label${n === failLane ? ' culprit' : ''}" data-lane="${esc(n)}" title="${esc(n)}"><span class="name">${n === failLane ? '⚠ ' : ''}${esc(n)}</span></div>`)
    .join('');
  const laneBoxes = d.lanes.map((n, l) => `<label><input type="checkbox" data-lane="${l}" checked> ${esc(n)}</label>`).join(' ');
  const failureBox =
    failure === null
      ? ''
      : `<div class="failure"><b>${esc(failure.check)}</b>: ${esc(failure.message)} <button type="button" id="go-failure">go to the failure</button></div>`;
  const lines = [
    ...d.warnings.map((w) => `<div class="banner warn">${esc(w)}</div>`),
    ...d.notes.map((n) => `<div class="banner note">${esc(n)}</div>`),
  ].join('');
  const replay = d.replay === '' ? '' : `<div class="replay">replay: <code>${esc(d.replay)}</code></div>`;
  const data = JSON.stringify({ ...d, areaColours: AREA_COLOURS, stateColours: d.states.map(stateColour) }).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(d.title)} · syncbench trace</title><style>${css}</style></head>
<body ${attrs.join(' ')}>
<header><h1>${esc(d.title)}</h1>${lines}${failureBox}${replay}
<div id="toolbar"><span class="group"><button type="button" id="zoom-out" title="zoom out (-)">−</button><button type="button" id="zoom-in" title="zoom in (+)">+</button><button type="button" id="zoom-fit" title="the whole trace in view">fit</button></span>
<label title="draw long stretches without records short, with a break mark"><input type="checkbox" id="compress" checked> compress quiet stretches</label>
<input id="f-kind" type="text" placeholder="kinds: net.,bus. or !fact." size="22" spellcheck="false">
<input id="f-from" type="text" placeholder="from (4.1s)" size="9" spellcheck="false"><input id="f-to" type="text" placeholder="to (4200ms)" size="9" spellcheck="false">
<details id="f-lanes"><summary>lanes</summary><div class="menu">${laneBoxes}</div></details>
<span id="count"></span><span id="filter-error"></span></div></header>
<div id="main"><div id="labels"><div class="axis-gap">${d.recs.length} records</div>${labels}</div>
<div id="scroller"><div id="spacer"><canvas id="cv"></canvas><div id="culprit-ring" class="culprit-marker" title="the culprit record"></div></div></div>
<aside id="panel"><div id="panel-body"><p class="hint">Click a record, a band or a fault to see its fields.</p></div></aside></div>
<div id="tip"></div>
${legendHtml(d)}
<script type="application/json" id="viewer-data">${data}</script>
<script>${js}</script>
</body></html>
`;
}

/** A failed run's failure as a page marks it: the culprit from its details when the check named one. */
export function viewerFailure(f: { traceIndex: number; node?: string; check: string; message: string; details?: Record<string, unknown> } | undefined): ViewerFailure | null {
  if (f === undefined) return null;
  const out: ViewerFailure = { traceIndex: f.traceIndex, check: f.check, message: f.message };
  if (f.node !== undefined) out.node = f.node;
  const c = f.details?.traceIndex;
  if (typeof c === 'number') out.culprit = c;
  return out;
}

const KIND = /"kind":"((?:[^"\\]|\\.)*)"/;

/**
 * Captures what a viewer page needs while a failed run is re-run (the report's timelines): `tap(run)`
 * gives a run function that also feeds every trace line to a bounded window (TraceWindow) and to the
 * scenario's models (BandRecorder: only the records they read are parsed).
 */
export class ViewerCapture {
  private readonly window: TraceWindow;
  private readonly bands: BandRecorder;

  constructor(models: readonly ModelSpec[], failureAt = Infinity, max = VIEWER_REPORT_RECORDS) {
    this.window = new TraceWindow(max, failureAt);
    this.bands = new BandRecorder(models);
  }

  /** `run` with its trace lines also captured here (the caller's own trace sink still gets them). */
  tap(run: RunFn): RunFn {
    return (scenario, seed, options = {}) => {
      const sink = options.traceSink;
      return run(scenario, seed, {
        ...options,
        traceSink: (line) => {
          sink?.(line);
          this.line(line);
        },
      });
    };
  }

  /** Takes one trace line. */
  line(line: string): void {
    const kind = KIND.exec(line)?.[1];
    this.window.add(line, kind);
    if (kind !== undefined && this.bands.wants(kind)) {
      const r = JSON.parse(line) as TraceRecord;
      this.bands.onRecord(r);
    }
  }

  /** The viewer input for what was captured. */
  input(base: Omit<ViewerInput, 'records' | 'bands' | 'leftOut'>): ViewerInput {
    const w = this.window.result();
    const end = w.records.at(-1)?.t ?? 0;
    // Bands start where the window does (its early fault records aside).
    const from = w.before > 0 ? (w.records.find((r) => r.i >= w.windowStart)?.t ?? 0) : 0;
    return { ...base, records: w.records, bands: this.bands.bands(end, from), leftOut: { before: w.before, after: w.after, windowStart: w.windowStart } };
  }
}
