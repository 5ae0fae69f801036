// The trace viewer's script (inlined into each page by src/report/viewer.ts; plain browser JavaScript, no
// modules, no network). It reads the page data (#viewer-data, see ViewerData in prepare.ts), lays the
// records out on a virtual-time axis and draws on a canvas only what is in view: the canvas sticks to the
// left of the horizontal scroller while a spacer gives the scroll width.
(() => {
  'use strict';
  const D = JSON.parse(document.getElementById('viewer-data').textContent);
  const $ = (id) => document.getElementById(id);
  const cv = $('cv');
  const ctx = cv.getContext('2d');
  const scroller = $('scroller');
  const spacer = $('spacer');
  const tip = $('tip');
  const panel = $('panel-body');
  const ring = $('culprit-ring');

  const AXIS_H = 30;
  const DOT_ROW = 30;
  const DOT_Y = 20;
  const BAND_H = 13;
  const LANE_GAP = 5;
  /** Room before the first record and after the last: half the view, so any record can be centred. */
  let padL = 24;
  let padR = 80;
  /** A gap wider than this (px) is a quiet stretch when compressing. */
  const QUIET = 60;
  const MAX_PX = 4;
  /** Widest the uncompressed axis may get (browsers cap element sizes). */
  const MAX_W = 2e7;
  const FONT = '10px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

  const N = D.recs.length;
  const NL = D.lanes.length;
  const T = new Float64Array(N);
  const LN = new Int32Array(N);
  const KI = new Int32Array(N);
  for (let k = 0; k < N; k++) {
    const r = D.recs[k];
    T[k] = r[1];
    LN[k] = r[2];
    KI[k] = r[3];
  }
  const area = (kind) => kind.split('.')[0];
  const kindColour = D.kinds.map((k) => D.areaColours[area(k)] || D.areaColours['*']);
  const kindFault = D.kinds.map((k) => k.startsWith('fault.') && !['fault.arm', 'fault.miss', 'fault.end', 'fault.heal'].includes(k));
  const failure = D.failure;
  const culprit = failure ? failure.culprit : -1;
  const failLane = failure ? failure.lane : -1;
  const faultLane = D.lanes.indexOf('fault');

  /** Record index -> arrows (indexes into D.arrows) it starts or ends; fault span; lost send. */
  const arrowsOf = new Map();
  const push = (m, k, v) => (m.get(k) || m.set(k, []).get(k)).push(v);
  D.arrows.forEach((a, j) => {
    push(arrowsOf, a[0], j);
    push(arrowsOf, a[1], j);
  });
  const faultOf = new Map(D.faults.map((f, j) => [f[0], j]));
  const lostOf = new Map(D.lost.map((l, j) => [l[0], j]));

  /** Band rows per lane: one per instance, or one for all of a model's instances on a lane when there are more than 3. */
  const rowsOf = D.lanes.map(() => []);
  {
    const groups = new Map();
    D.bands.forEach((b, j) => push(groups, `${b[0]}\u0000${b[1]}`, j));
    for (const idx of groups.values()) {
      const b = D.bands[idx[0]];
      const lane = b[0];
      if (idx.length <= 3) {
        for (const j of idx) {
          const inst = D.bands[j][2];
          rowsOf[lane].push({ label: inst === D.lanes[lane] ? b[1] : `${b[1]} ${inst}`, bands: [j], agg: false });
        }
      } else rowsOf[lane].push({ label: `${b[1]} ×${idx.length}`, bands: idx, agg: true });
    }
  }
  // Faults with a duration get rows of their own in the fault lane: each in the first row free at its start.
  if (faultLane >= 0) {
    const ends = [];
    D.faults.forEach((f, j) => {
      if (f[1] === null) return;
      let r = ends.findIndex((e) => e <= T[f[0]]);
      if (r < 0) r = ends.length < 4 ? ends.length : ends.indexOf(Math.min(...ends));
      ends[r] = f[1];
      if (!rowsOf[faultLane][r]) rowsOf[faultLane][r] = { label: r === 0 ? 'faults' : '', bands: [], agg: false, faults: [] };
      rowsOf[faultLane][r].faults.push(j);
    });
  }

  // ---------------------------------------------------------------- state
  let px = 0.01;
  let spread = 8;
  let compress = $('compress').checked;
  const laneOn = new Uint8Array(NL).fill(1);
  const kindOk = new Uint8Array(D.kinds.length).fill(1);
  let fromUs = -Infinity;
  let toUs = Infinity;
  const vis = new Uint8Array(N);
  let list = new Int32Array(0);
  let G = 0;
  let gT = new Float64Array(0);
  let gX = new Float64Array(0);
  let gB = new Float64Array(0);
  let gS = new Int32Array(1);
  let gBreak = new Uint8Array(0);
  const recX = new Float64Array(N);
  let totalW = 0;
  let totalH = AXIS_H;
  const laneTop = new Float64Array(NL);
  const laneH = new Float64Array(NL);
  let selected = null;

  // ---------------------------------------------------------------- layout
  const labelEls = Array.from(document.querySelectorAll('#labels .lane-label'));
  labelEls.forEach((el, l) => {
    for (const row of rowsOf[l]) {
      const s = document.createElement('span');
      s.className = 'rows';
      s.textContent = row.label;
      el.appendChild(s);
    }
  });

  function layoutLanes() {
    let y = AXIS_H;
    for (let l = 0; l < NL; l++) {
      const el = labelEls[l];
      if (!laneOn[l]) {
        el.classList.add('hidden');
        laneH[l] = 0;
        laneTop[l] = y;
        continue;
      }
      el.classList.remove('hidden');
      laneTop[l] = y;
      laneH[l] = DOT_ROW + rowsOf[l].length * BAND_H + LANE_GAP;
      el.style.height = `${laneH[l]}px`;
      y += laneH[l];
    }
    totalH = y + 1;
  }
  const dotY = (l) => laneTop[l] + DOT_Y;
  const rowY = (l, r) => laneTop[l] + DOT_ROW + r * BAND_H;

  function applyFilters() {
    const keep = [];
    for (let k = 0; k < N; k++) {
      const ok = laneOn[LN[k]] && kindOk[KI[k]] && T[k] >= fromUs && T[k] <= toUs;
      vis[k] = ok ? 1 : 0;
      if (ok) keep.push(k);
    }
    list = Int32Array.from(keep);
    $('count').textContent = `${list.length} of ${N} records shown`;
  }

  /** The axis: one group per distinct time; records of one lane at the same time spread by `spread` px. */
  function build() {
    padL = Math.max(24, scroller.clientWidth / 2);
    padR = Math.max(80, scroller.clientWidth / 2);
    spread = Math.min(8, px * 60);
    const n = list.length;
    gT = new Float64Array(n);
    gX = new Float64Array(n);
    gB = new Float64Array(n);
    gS = new Int32Array(n + 1);
    gBreak = new Uint8Array(n);
    const cnt = new Int32Array(NL);
    let x = padL;
    let g = -1;
    let most = 0;
    for (let j = 0; j < n; j++) {
      const k = list[j];
      if (g < 0 || T[k] !== gT[g]) {
        if (g >= 0) {
          gB[g] = most * spread;
          cnt.fill(0);
          x = gX[g] + gB[g] + gap(T[k] - gT[g], g);
        }
        g++;
        gT[g] = T[k];
        gX[g] = x;
        gS[g] = j;
        most = 0;
      }
      const o = cnt[LN[k]]++;
      if (o > most) most = o;
      recX[k] = gX[g] + o * spread;
    }
    if (g >= 0) gB[g] = most * spread;
    G = g + 1;
    gS[G] = n;
    totalW = (G > 0 ? gX[G - 1] + gB[G - 1] : padL) + padR;
  }

  function gap(dt, g) {
    const w = dt * px;
    if (!compress || w <= QUIET) return w;
    const c = QUIET + 14 * Math.log2(w / QUIET);
    gBreak[g] = w / c >= 1.5 ? 1 : 0;
    return c;
  }

  /** Last index g with a[g] <= v (-1 when none), over the first G entries. */
  function lastLE(a, v) {
    let lo = 0;
    let hi = G - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid] <= v) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  /** x of virtual time t (µs). */
  function xAt(t) {
    if (G === 0) return padL;
    const g = lastLE(gT, t);
    if (g < 0) return gX[0] - Math.min((gT[0] - t) * px, padL);
    if (gT[g] === t) return gX[g];
    const a = gX[g] + gB[g];
    if (g === G - 1) return a + (t - gT[g]) * px;
    return a + ((gX[g + 1] - a) * (t - gT[g])) / (gT[g + 1] - gT[g]);
  }

  /** Virtual time at x. */
  function tAt(x) {
    if (G === 0) return 0;
    const g = lastLE(gX, x);
    if (g < 0) return gT[0];
    const a = gX[g] + gB[g];
    if (x <= a) return gT[g];
    if (g === G - 1) return gT[g] + (x - a) / px;
    return gT[g] + ((x - a) * (gT[g + 1] - gT[g])) / (gX[g + 1] - a);
  }

  /** First group whose records reach x or beyond. */
  function firstGroupFrom(x) {
    let lo = 0;
    let hi = G;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (gX[mid] + gB[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  function sizeSpacer() {
    spacer.style.width = `${Math.max(totalW, scroller.clientWidth)}px`;
    spacer.style.height = `${totalH}px`;
  }

  function span() {
    return G > 1 ? gT[G - 1] - gT[0] : 1;
  }
  function fitPx() {
    return Math.max(1e-9, (scroller.clientWidth - 100) / span());
  }
  function clampPx(v) {
    const lo = Math.min(fitPx() / 2, MAX_PX);
    const hi = Math.max(lo, Math.min(MAX_PX, MAX_W / span()));
    return Math.min(hi, Math.max(lo, v));
  }

  // ---------------------------------------------------------------- drawing
  let raf = 0;
  function redraw() {
    if (raf === 0) raf = requestAnimationFrame(draw);
  }
  const widths = new Map();
  function textW(s) {
    let w = widths.get(s);
    if (w === undefined) {
      w = ctx.measureText(s).width;
      if (widths.size < 5000) widths.set(s, w);
    }
    return w;
  }
  function fmtTick(t, step) {
    const dec = (v) => (v >= 1 ? 0 : Math.min(3, Math.ceil(-Math.log10(v) - 1e-9)));
    if (step >= 1e6) return `${(t / 1e6).toFixed(dec(step / 1e6))} s`;
    return `${(t / 1000).toFixed(dec(step / 1000))} ms`;
  }
  function fmtDur(us) {
    if (us >= 1e6) return `${(us / 1e6).toFixed(2)} s`;
    if (us >= 1000) return `${(us / 1000).toFixed(1)} ms`;
    return `${Math.round(us)} µs`;
  }
  function fmtT(us) {
    return `${(us / 1000).toFixed(3)} ms`;
  }
  function niceStep(us) {
    const p = Math.pow(10, Math.floor(Math.log10(Math.max(us, 1))));
    for (const m of [1, 2, 5, 10]) if (m * p >= us) return Math.max(1, m * p);
    return 10 * p;
  }

  function draw() {
    raf = 0;
    const w = scroller.clientWidth;
    const h = totalH;
    const dpr = window.devicePixelRatio || 1;
    if (cv.width !== Math.round(w * dpr) || cv.height !== Math.round(h * dpr)) {
      cv.width = Math.round(w * dpr);
      cv.height = Math.round(h * dpr);
      cv.style.width = `${w}px`;
      cv.style.height = `${h}px`;
    }
    const x0 = scroller.scrollLeft;
    const x1 = x0 + w;
    ctx.setTransform(dpr, 0, 0, dpr, -x0 * dpr, 0);
    ctx.clearRect(x0, 0, w, h);
    ctx.font = FONT;
    ctx.lineCap = 'butt';
    drawLanes(x0, w);
    drawAxis(x0, x1);
    drawFaults(x0, x1);
    drawBands(x0, x1);
    drawGap(x0, x1);
    drawArrows(x0, x1);
    drawLost(x0, x1);
    drawRecords(x0, x1);
    drawFailure(x0, x1);
    drawSelected();
  }

  function drawLanes(x0, w) {
    let alt = 0;
    for (let l = 0; l < NL; l++) {
      if (!laneOn[l]) continue;
      ctx.fillStyle = l === failLane ? '#fdf0ef' : alt++ % 2 ? '#fafafa' : '#ffffff';
      ctx.fillRect(x0, laneTop[l], w, laneH[l]);
      ctx.fillStyle = '#eeeeee';
      ctx.fillRect(x0, laneTop[l] + laneH[l] - 1, w, 1);
      ctx.fillStyle = l === failLane ? '#f6c6c2' : '#e3e3e3';
      ctx.fillRect(x0, dotY(l), w, 1);
      for (let r = 0; r < rowsOf[l].length; r++) {
        ctx.fillStyle = '#f1f3f4';
        ctx.fillRect(x0, rowY(l, r) + 1, w, BAND_H - 2);
      }
    }
  }

  function zigzag(x, y0, y1) {
    ctx.beginPath();
    let right = true;
    ctx.moveTo(x, y0);
    for (let y = y0; y < y1; y += 4) {
      ctx.lineTo(x + (right ? 3 : -3), Math.min(y + 4, y1));
      right = !right;
    }
    ctx.stroke();
  }

  function drawAxis(x0, x1) {
    ctx.fillStyle = '#f8f9fa';
    ctx.fillRect(x0, 0, x1 - x0, AXIS_H);
    ctx.fillStyle = '#dadce0';
    ctx.fillRect(x0, AXIS_H - 1, x1 - x0, 1);
    if (G === 0) return;
    const step = niceStep(90 / px);
    const ta = tAt(x0);
    const tb = tAt(x1);
    let lastX = -1e12;
    const g0 = Math.max(0, lastLE(gX, x0));
    const g1 = Math.min(G - 1, lastLE(gX, x1) + 1);
    ctx.textAlign = 'center';
    for (let g = g0; g <= g1; g++) {
      if (gBreak[g] && g + 1 < G) {
        const xa = gX[g] + gB[g];
        const xb = gX[g + 1];
        const mid = (xa + xb) / 2;
        ctx.strokeStyle = '#9aa0a6';
        ctx.lineWidth = 1;
        zigzag(mid - 3, AXIS_H, totalH);
        zigzag(mid + 3, AXIS_H, totalH);
        ctx.fillStyle = '#5f6368';
        ctx.fillText(`+${fmtDur(gT[g + 1] - gT[g])}`, mid, 24);
        lastX = mid + 30;
        // The time where the records resume, so the axis says where it is after every break.
        const xr = gX[g + 1];
        if (xr - mid >= 40 && xr >= x0 - 60 && xr <= x1 + 60) {
          ctx.fillStyle = '#9aa0a6';
          ctx.fillRect(xr, AXIS_H - 7, 1, 7);
          ctx.fillStyle = '#3c4043';
          ctx.fillText(fmtTick(gT[g + 1], 1), xr, 12);
          lastX = xr;
        }
        continue;
      }
      // Where ticks are sparse (compressed stretches, bursts), a group's own time is the label.
      if (gX[g] - lastX >= 150 && gX[g] >= x0 - 60) {
        ctx.fillStyle = '#9aa0a6';
        ctx.fillRect(gX[g], AXIS_H - 7, 1, 7);
        ctx.fillStyle = '#3c4043';
        ctx.fillText(fmtTick(gT[g], 1), gX[g], 12);
        lastX = gX[g];
      }
      const end = g + 1 < G ? gT[g + 1] : tb;
      for (let t = Math.ceil(Math.max(gT[g], ta) / step) * step; t < end && t <= tb; t += step) {
        const x = xAt(t);
        if (x - lastX < 70) continue;
        lastX = x;
        ctx.fillStyle = '#9aa0a6';
        ctx.fillRect(x, AXIS_H - 7, 1, 7);
        ctx.fillStyle = '#ececec';
        ctx.fillRect(x, AXIS_H, 1, totalH - AXIS_H);
        ctx.fillStyle = '#3c4043';
        ctx.fillText(fmtTick(t, step), x, 12);
      }
    }
    ctx.textAlign = 'left';
  }

  function drawFaults(x0, x1) {
    for (const f of D.faults) {
      const k = f[0];
      const xa = vis[k] ? recX[k] : xAt(T[k]);
      const xb = f[1] === null ? xa : xAt(f[1]);
      if (xb < x0 - 10 || xa > x1 + 10) continue;
      for (const l of f[2]) {
        if (!laneOn[l]) continue;
        if (f[1] === null) {
          ctx.strokeStyle = '#e37400';
          ctx.setLineDash([3, 3]);
          ctx.beginPath();
          ctx.moveTo(xa, laneTop[l]);
          ctx.lineTo(xa, laneTop[l] + laneH[l]);
          ctx.stroke();
          ctx.setLineDash([]);
        } else {
          ctx.fillStyle = 'rgba(242,153,0,0.13)';
          ctx.fillRect(xa, laneTop[l], Math.max(2, xb - xa), laneH[l] - 1);
        }
      }
    }
    if (faultLane < 0 || !laneOn[faultLane]) return;
    rowsOf[faultLane].forEach((row, r) => {
      if (!row.faults) return;
      const y = rowY(faultLane, r) + 1;
      for (const j of row.faults) {
        const f = D.faults[j];
        const xa = vis[f[0]] ? recX[f[0]] : xAt(T[f[0]]);
        const xb = xAt(f[1]);
        if (xb < x0 - 10 || xa > x1 + 10) continue;
        const wd = Math.max(2, xb - xa);
        ctx.fillStyle = 'rgba(242,153,0,0.35)';
        ctx.fillRect(xa, y, wd, BAND_H - 2);
        ctx.strokeStyle = '#e37400';
        ctx.strokeRect(xa + 0.5, y + 0.5, wd - 1, BAND_H - 3);
        const words = f[3] + (f[4] ? ' →' : '');
        const lx = Math.max(xa, x0) + 3;
        const room = Math.min(xb, x1) - lx - 2;
        if (room > 20) {
          ctx.save();
          ctx.beginPath();
          ctx.rect(lx, y, room, BAND_H - 2);
          ctx.clip();
          ctx.fillStyle = '#5f370e';
          ctx.fillText(words, lx, y + BAND_H - 4);
          ctx.restore();
        }
      }
    });
  }

  function drawBands(x0, x1) {
    for (let l = 0; l < NL; l++) {
      if (!laneOn[l]) continue;
      rowsOf[l].forEach((row, r) => {
        if (row.faults) return;
        const y = rowY(l, r);
        ctx.globalAlpha = row.agg ? 0.75 : 1;
        let lastEnd = -1e12;
        for (const j of row.bands) {
          const b = D.bands[j];
          const spans = b[3];
          for (let s = 0; s < spans.length; s++) {
            if (row.agg && s === spans.length - 1) continue;
            const sp = spans[s];
            const xa = xAt(sp[1]);
            const xb = xAt(sp[2]);
            if (xb < x0 || xa > x1) continue;
            // Many instances in one row, zoomed out: a sliver where one was just drawn adds nothing.
            if (row.agg && xb - xa < 1 && xa - lastEnd < 1) continue;
            lastEnd = xb;
            ctx.fillStyle = D.stateColours[sp[0]];
            ctx.fillRect(xa, y + 1, Math.max(1, xb - xa), BAND_H - 2);
            if (row.agg) continue;
            const name = D.states[sp[0]];
            const lx = Math.max(xa, x0) + 3;
            if (Math.min(xb, x1) - lx > textW(name) + 2) {
              ctx.fillStyle = '#202124';
              ctx.fillText(name, lx, y + BAND_H - 3);
            }
          }
          if (b[4] !== null) {
            const xs = xAt(b[4]);
            if (xs >= x0 - 10 && xs <= x1 + 10) {
              ctx.fillStyle = b[6] ? '#d93025' : '#9aa0a6';
              ctx.font = `bold ${FONT}`;
              ctx.fillText('✕', xs - 3, y + BAND_H - 2);
              ctx.font = FONT;
            }
          }
        }
        ctx.globalAlpha = 1;
      });
    }
  }

  function drawGap(x0, x1) {
    if (!D.gap || D.gap.rec < 0) return;
    const k = D.gap.rec;
    const x = (vis[k] ? recX[k] : xAt(T[k])) - 8;
    if (x < x0 - 10 || x > x1 + 10) return;
    ctx.strokeStyle = '#9aa0a6';
    ctx.lineWidth = 2;
    ctx.setLineDash([1, 3]);
    ctx.beginPath();
    ctx.moveTo(x, AXIS_H);
    ctx.lineTo(x, totalH);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.lineWidth = 1;
    ctx.fillStyle = '#5f6368';
    ctx.textAlign = 'right';
    ctx.fillText(`… ${D.gap.skipped} records left out`, x - 4, 24);
    ctx.textAlign = 'left';
  }

  function arrowColour(k) {
    const a = area(D.kinds[KI[k]]);
    return a === 'net' ? '#1a73e8' : a === 'bus' ? '#00897b' : '#5f6368';
  }

  /** Cells (20 x 12 px) taken by labels this frame: a label that would overlap one is not drawn. */
  let taken = new Set();
  function place(x, y, w) {
    const cy = Math.floor(y / 12);
    const a = Math.floor(x / 20);
    const b = Math.floor((x + w) / 20);
    for (let c = a; c <= b; c++) if (taken.has(c * 4096 + cy)) return false;
    for (let c = a; c <= b; c++) taken.add(c * 4096 + cy);
    return true;
  }

  function drawArrows(x0, x1) {
    taken = new Set();
    // One path per colour (and dash); an arrow within a pixel of the last one between the same lanes is skipped.
    const paths = new Map();
    const lastA = new Float64Array(NL * NL).fill(-1e12);
    const lastB = new Float64Array(NL * NL).fill(-1e12);
    const labels = [];
    for (const a of D.arrows) {
      const f = a[0];
      const t = a[1];
      if (!vis[f] || !vis[t]) continue;
      const xa = recX[f];
      const xb = recX[t];
      if (Math.max(xa, xb) < x0 - 20 || Math.min(xa, xb) > x1 + 20) continue;
      const pair = LN[f] * NL + LN[t];
      if (Math.abs(xa - lastA[pair]) < 1 && Math.abs(xb - lastB[pair]) < 1) continue;
      lastA[pair] = xa;
      lastB[pair] = xb;
      const ya = dotY(LN[f]);
      const yb = dotY(LN[t]);
      const c = arrowColour(f);
      const dashed = a[2].endsWith('(discarded)');
      const pk = `${c}${dashed ? '-' : ''}`;
      let p = paths.get(pk);
      if (p === undefined) paths.set(pk, (p = { c, dashed, lines: [], heads: [] }));
      const ang = Math.atan2(yb - ya, xb - xa);
      const ex = xb - Math.cos(ang) * 5;
      const ey = yb - Math.sin(ang) * 5;
      p.lines.push(xa + Math.cos(ang) * 4, ya + Math.sin(ang) * 4, ex, ey);
      p.heads.push(ex, ey, ang);
      const label = a[2];
      if (label !== '') {
        const tw = textW(label);
        const len = Math.hypot(xb - xa, yb - ya);
        const mx = (xa + xb) / 2;
        const my = (ya + yb) / 2;
        if (len > tw + 26 && place(mx - tw / 2 - 2, my - 6, tw + 4)) labels.push(label, mx, my, tw, c);
      }
    }
    // Heads are two short strokes each, in the same path: one stroke per colour (a filled triangle per
    // arrow made a path that took 100 ms to fill for 6,000 arrows).
    ctx.lineWidth = 1.3;
    ctx.globalAlpha = 0.7;
    for (const p of paths.values()) {
      ctx.strokeStyle = p.c;
      ctx.setLineDash(p.dashed ? [4, 3] : []);
      ctx.beginPath();
      for (let m = 0; m < p.lines.length; m += 4) {
        ctx.moveTo(p.lines[m], p.lines[m + 1]);
        ctx.lineTo(p.lines[m + 2], p.lines[m + 3]);
      }
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.lineWidth = 1.8;
      ctx.beginPath();
      for (let m = 0; m < p.heads.length; m += 3) {
        const ex = p.heads[m];
        const ey = p.heads[m + 1];
        const ang = p.heads[m + 2];
        ctx.moveTo(ex - 6 * Math.cos(ang - 0.45), ey - 6 * Math.sin(ang - 0.45));
        ctx.lineTo(ex, ey);
        ctx.lineTo(ex - 6 * Math.cos(ang + 0.45), ey - 6 * Math.sin(ang + 0.45));
      }
      ctx.stroke();
      ctx.lineWidth = 1.3;
    }
    ctx.globalAlpha = 1;
    ctx.lineWidth = 1;
    ctx.textAlign = 'center';
    for (let m = 0; m < labels.length; m += 5) {
      const tw = labels[m + 3];
      ctx.fillStyle = 'rgba(255,255,255,0.85)';
      ctx.fillRect(labels[m + 1] - tw / 2 - 2, labels[m + 2] - 8, tw + 4, 11);
      ctx.fillStyle = labels[m + 4];
      ctx.fillText(labels[m], labels[m + 1], labels[m + 2] + 1);
    }
    ctx.textAlign = 'left';
  }

  function drawLost(x0, x1) {
    for (const L of D.lost) {
      const f = L[0];
      if (!vis[f]) continue;
      const x = recX[f];
      if (x < x0 - 40 || x > x1 + 10) continue;
      const y = dotY(LN[f]);
      const ty = L[1] >= 0 && laneOn[L[1]] ? dotY(L[1]) : y - 16;
      const ex = x + 26;
      const ey = y + (ty - y) * 0.35;
      ctx.strokeStyle = '#5f6368';
      ctx.setLineDash([3, 2]);
      ctx.beginPath();
      ctx.moveTo(x + 4, y);
      ctx.lineTo(ex, ey);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = '#5f6368';
      ctx.fillText('✕', ex - 2, ey + 4);
    }
  }

  /** Distinct dot colours, and each kind's index among them (dots are drawn one path per colour). */
  const colours = [...new Set(kindColour)];
  const kindCi = kindColour.map((c) => colours.indexOf(c));

  function drawRecords(x0, x1) {
    const labelEnd = new Float64Array(NL).fill(-1e12);
    // Per lane and colour, where the last dot went: a dot within a pixel of it adds nothing (zoomed out).
    const lastX = new Float64Array(NL * colours.length).fill(-1e12);
    const dots = colours.map(() => []);
    const diamonds = [];
    const labels = [];
    const g0 = firstGroupFrom(x0 - 10);
    for (let g = g0; g < G && gX[g] <= x1 + 10; g++) {
      for (let j = gS[g]; j < gS[g + 1]; j++) {
        const k = list[j];
        const x = recX[k];
        const l = LN[k];
        const ki = KI[k];
        if (kindFault[ki]) diamonds.push(k);
        else {
          const slot = l * colours.length + kindCi[ki];
          if (x - lastX[slot] < 1) continue;
          lastX[slot] = x;
          dots[kindCi[ki]].push(x, dotY(l));
        }
        // A fault with a duration is labelled by its span; an instant one by its words.
        const fj = kindFault[ki] ? faultOf.get(k) : undefined;
        if (fj !== undefined && D.faults[fj][1] !== null) continue;
        if (x >= labelEnd[l] && x < x1) {
          const name = fj === undefined ? D.kinds[ki] : D.faults[fj][3];
          labels.push(name, x - 2, dotY(l) - 8);
          labelEnd[l] = x + textW(name) + 8;
        }
      }
    }
    // Dots one by one (one path of thousands of arcs is slow to fill); squares when the view is dense.
    const dense = dots.reduce((n, xy) => n + xy.length, 0) > 6000;
    dots.forEach((xy, c) => {
      ctx.fillStyle = colours[c];
      for (let m = 0; m < xy.length; m += 2) {
        if (dense) ctx.fillRect(xy[m] - 3, xy[m + 1] - 3, 6, 6);
        else {
          ctx.beginPath();
          ctx.arc(xy[m], xy[m + 1], 3.5, 0, 6.2832);
          ctx.fill();
        }
      }
    });
    for (const k of diamonds) {
      const x = recX[k];
      const y = dotY(LN[k]);
      ctx.fillStyle = kindColour[KI[k]];
      ctx.beginPath();
      ctx.moveTo(x, y - 6);
      ctx.lineTo(x + 6, y);
      ctx.lineTo(x, y + 6);
      ctx.lineTo(x - 6, y);
      ctx.closePath();
      ctx.fill();
    }
    ctx.fillStyle = '#5f6368';
    for (let m = 0; m < labels.length; m += 3) ctx.fillText(labels[m], labels[m + 1], labels[m + 2]);
  }

  function drawFailure(x0, x1) {
    if (!failure || failure.rec < 0) return;
    const k = failure.rec;
    const x = vis[k] ? recX[k] : xAt(T[k]);
    if (x < x0 - 100 || x > x1 + 100) return;
    ctx.fillStyle = '#d93025';
    ctx.fillRect(x - 1, AXIS_H, 2, totalH - AXIS_H);
    ctx.font = `bold ${FONT}`;
    ctx.fillText(`✕ ${failure.check}`, x + 4, AXIS_H + 10);
    ctx.font = FONT;
  }

  function drawSelected() {
    if (!selected || selected.rec === undefined) return;
    const k = selected.rec;
    if (!vis[k]) return;
    ctx.strokeStyle = '#1a73e8';
    ctx.lineWidth = 2.5;
    ctx.beginPath();
    ctx.arc(recX[k], dotY(LN[k]), 8, 0, 6.2832);
    ctx.stroke();
    ctx.lineWidth = 1;
  }

  function placeRing() {
    if (culprit < 0 || !vis[culprit]) {
      ring.style.display = 'none';
      return;
    }
    ring.style.display = 'block';
    ring.style.left = `${recX[culprit] - 10}px`;
    ring.style.top = `${dotY(LN[culprit]) - 10}px`;
  }

  // ---------------------------------------------------------------- hit testing, the panel, the tooltip
  function laneAt(y) {
    for (let l = 0; l < NL; l++) if (laneOn[l] && y >= laneTop[l] && y < laneTop[l] + laneH[l]) return l;
    return -1;
  }

  function hit(x, y) {
    const l = laneAt(y);
    if (l < 0) return null;
    const dy = y - laneTop[l];
    if (dy < DOT_ROW) {
      let best = -1;
      let bd = 9;
      const g0 = firstGroupFrom(x - 9);
      for (let g = g0; g < G && gX[g] <= x + 9; g++) {
        for (let j = gS[g]; j < gS[g + 1]; j++) {
          const k = list[j];
          if (LN[k] !== l) continue;
          const d = Math.abs(recX[k] - x);
          if (d < bd) {
            bd = d;
            best = k;
          }
        }
      }
      return best >= 0 ? { rec: best } : null;
    }
    const r = Math.floor((dy - DOT_ROW) / BAND_H);
    const row = rowsOf[l][r];
    if (!row) return null;
    if (row.faults) {
      for (const j of row.faults) {
        const f = D.faults[j];
        const xa = vis[f[0]] ? recX[f[0]] : xAt(T[f[0]]);
        if (x >= xa - 2 && x <= Math.max(xa + 2, xAt(f[1]))) return { rec: f[0] };
      }
      return null;
    }
    for (const j of row.bands) {
      const spans = D.bands[j][3];
      for (let s = 0; s < spans.length; s++) {
        if (row.agg && s === spans.length - 1) continue;
        if (x >= xAt(spans[s][1]) && x <= xAt(spans[s][2])) return { band: j, span: s };
      }
    }
    return null;
  }

  function recText(k) {
    const r = D.recs[k];
    return `#${r[0]}  ${fmtT(r[1])}  ${D.lanes[r[2]]}  ${D.kinds[r[3]]}`;
  }

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function jump(k, words) {
    const b = el('button', words, 'jump');
    b.type = 'button';
    b.addEventListener('click', () => {
      select({ rec: k });
      centre(k);
    });
    return b;
  }

  function showRecord(k) {
    const r = D.recs[k];
    panel.textContent = '';
    const h = el('h2', recText(k));
    if (k === culprit) h.appendChild(el('span', 'culprit', 'tag'));
    if (failure && k === failure.rec) h.appendChild(el('span', 'the failure', 'tag'));
    panel.appendChild(h);
    panel.appendChild(el('pre', JSON.stringify({ i: r[0], t: r[1], node: D.lanes[r[2]], kind: D.kinds[r[3]], data: r[4] }, null, 2)));
    for (const j of arrowsOf.get(k) || []) {
      const a = D.arrows[j];
      const other = a[0] === k ? a[1] : a[0];
      const dir = a[0] === k ? 'delivered' : 'sent';
      const dt = Math.abs(T[a[1]] - T[a[0]]);
      panel.appendChild(jump(other, `${dir}${a[2] ? ` (${a[2]})` : ''}: ${recText(other)}  (${fmtDur(dt)})`));
      panel.appendChild(el('br'));
    }
    if (lostOf.has(k)) panel.appendChild(el('p', 'Never delivered in this trace (dropped, lost with a crash, or still in flight at its end).'));
    if (faultOf.has(k)) {
      const f = D.faults[faultOf.get(k)];
      panel.appendChild(el('p', `Fault: ${f[3]}${f[1] === null ? '' : `, until ${fmtT(f[1])}${f[4] ? ' (past the end of the trace)' : ''}`}`));
    }
    if (k === culprit && failure) panel.appendChild(el('p', `${failure.check}: ${failure.message}`));
  }

  function showBand(j, s) {
    const b = D.bands[j];
    const sp = b[3][s];
    panel.textContent = '';
    panel.appendChild(el('h2', `model ${b[1]}, instance ${b[2]}`));
    panel.appendChild(el('p', `${D.states[sp[0]]} from ${fmtT(sp[1])} to ${fmtT(sp[2])} (${fmtDur(sp[2] - sp[1])})`));
    const seq = b[3].map((x) => `${fmtT(x[1])}  ${D.states[x[0]]}`).join('\n');
    panel.appendChild(el('pre', seq));
    if (b[4] !== null) panel.appendChild(el('p', `The model ${b[6] ? 'refused this instance\'s event and stopped' : 'stopped (another instance\'s event was refused)'} at ${fmtT(b[4])}: ${b[5]}`));
  }

  function select(s) {
    selected = s;
    if (s && s.rec !== undefined) showRecord(s.rec);
    else if (s && s.band !== undefined) showBand(s.band, s.span);
    redraw();
  }

  let tipRaf = 0;
  let tipEvent = null;
  function showTip() {
    tipRaf = 0;
    const e = tipEvent;
    const h = hit(e.offsetX + scroller.scrollLeft, e.offsetY);
    if (!h) {
      tip.style.display = 'none';
      return;
    }
    let text;
    if (h.rec !== undefined) {
      const data = JSON.stringify(D.recs[h.rec][4]);
      text = `${recText(h.rec)}\n${data.length > 300 ? `${data.slice(0, 300)}…` : data}`;
      if (faultOf.has(h.rec)) text += `\nfault: ${D.faults[faultOf.get(h.rec)][3]}`;
    } else {
      const b = D.bands[h.band];
      const sp = b[3][h.span];
      text = `${b[1]} ${b[2]}: ${D.states[sp[0]]}\n${fmtT(sp[1])} – ${fmtT(sp[2])}`;
    }
    tip.textContent = text;
    tip.style.display = 'block';
    tip.style.left = `${Math.min(e.clientX + 14, window.innerWidth - tip.offsetWidth - 8)}px`;
    tip.style.top = `${e.clientY + 14}px`;
  }

  // ---------------------------------------------------------------- zoom, focus, filters
  function centre(k) {
    if (!vis[k]) {
      $('filter-error').textContent = `record #${D.recs[k][0]} is hidden by the filters`;
      return;
    }
    scroller.scrollLeft = recX[k] - scroller.clientWidth / 2;
    const rect = scroller.getBoundingClientRect();
    const y = rect.top + dotY(LN[k]);
    if (y < 0 || y > window.innerHeight - 20) window.scrollBy(0, y - window.innerHeight / 2);
    redraw();
  }

  function relayout(anchorT, anchorX) {
    build();
    sizeSpacer();
    scroller.scrollLeft = xAt(anchorT) - anchorX;
    placeRing();
    redraw();
  }

  function setPx(v, anchorX) {
    const ax = anchorX === undefined ? scroller.clientWidth / 2 : anchorX;
    const t = tAt(scroller.scrollLeft + ax);
    px = clampPx(v);
    relayout(t, ax);
  }

  /** A zoom that spreads the records around record k: the median gap between their times is ~28 px. */
  function pxAround(k) {
    const j = list.indexOf(k);
    if (j < 0 || list.length < 2) return fitPx();
    const gaps = [];
    for (let a = Math.max(1, j - 60); a <= Math.min(list.length - 1, j + 15); a++) {
      const d = T[list[a]] - T[list[a - 1]];
      if (d > 0) gaps.push(d);
    }
    if (gaps.length === 0) return fitPx();
    gaps.sort((a, b) => a - b);
    return Math.max(fitPx(), 28 / gaps[gaps.length >> 1]);
  }

  function parseTime(v) {
    const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(s|ms|us|µs)?\s*$/.exec(v);
    if (m === null) return null;
    const unit = { s: 1e6, ms: 1000, us: 1, µs: 1 }[m[2] || 'ms'];
    return Math.round(Number(m[1]) * unit);
  }

  function readFilters() {
    const errs = [];
    const parts = $('f-kind').value.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const inc = parts.filter((p) => !p.startsWith('!'));
    const exc = parts.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
    D.kinds.forEach((kind, i) => {
      kindOk[i] = (inc.length === 0 || inc.some((p) => kind.startsWith(p))) && !exc.some((p) => p !== '' && kind.startsWith(p)) ? 1 : 0;
    });
    const time = (id, dflt) => {
      const input = $(id);
      if (input.value.trim() === '') {
        input.classList.remove('bad');
        return dflt;
      }
      const us = parseTime(input.value);
      input.classList.toggle('bad', us === null);
      if (us === null) errs.push(`'${input.value}' is not a time (4.1s, 4100ms, 4100000us, or ms)`);
      return us === null ? dflt : us;
    };
    fromUs = time('f-from', -Infinity);
    toUs = time('f-to', Infinity);
    $('filter-error').textContent = errs.join('; ');
  }

  function refilter() {
    const ax = scroller.clientWidth / 2;
    const t = tAt(scroller.scrollLeft + ax);
    readFilters();
    layoutLanes();
    applyFilters();
    px = clampPx(px);
    relayout(t, ax);
  }

  let filterTimer = 0;
  for (const id of ['f-kind', 'f-from', 'f-to']) {
    $(id).addEventListener('input', () => {
      clearTimeout(filterTimer);
      filterTimer = setTimeout(refilter, 250);
    });
  }
  for (const box of document.querySelectorAll('#f-lanes input[type=checkbox]')) {
    box.addEventListener('change', () => {
      laneOn[Number(box.dataset.lane)] = box.checked ? 1 : 0;
      refilter();
    });
  }
  $('compress').addEventListener('change', () => {
    const ax = scroller.clientWidth / 2;
    const t = tAt(scroller.scrollLeft + ax);
    compress = $('compress').checked;
    px = clampPx(px);
    relayout(t, ax);
  });
  $('zoom-in').addEventListener('click', () => setPx(px * 2));
  $('zoom-out').addEventListener('click', () => setPx(px / 2));
  $('zoom-fit').addEventListener('click', () => {
    px = clampPx(fitPx());
    relayout(G > 0 ? (gT[0] + gT[G - 1]) / 2 : 0, scroller.clientWidth / 2);
  });
  const goFailure = $('go-failure');
  const focusFailure = () => {
    const k = culprit >= 0 ? culprit : failure ? failure.rec : -1;
    if (k < 0) return;
    select({ rec: k });
    centre(k);
  };
  if (goFailure) goFailure.addEventListener('click', focusFailure);

  scroller.addEventListener('scroll', redraw, { passive: true });
  window.addEventListener('resize', () => {
    sizeSpacer();
    redraw();
  });
  cv.addEventListener(
    'wheel',
    (e) => {
      if (!e.ctrlKey && !e.metaKey) return;
      e.preventDefault();
      setPx(px * Math.exp(-e.deltaY * 0.002), e.offsetX);
    },
    { passive: false },
  );
  cv.addEventListener('mousemove', (e) => {
    tipEvent = e;
    if (tipRaf === 0) tipRaf = requestAnimationFrame(showTip);
  });
  cv.addEventListener('mouseleave', () => {
    tip.style.display = 'none';
  });
  cv.addEventListener('click', (e) => {
    const h = hit(e.offsetX + scroller.scrollLeft, e.offsetY);
    if (h) select(h);
  });
  document.addEventListener('keydown', (e) => {
    const t = e.target;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA')) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === '+' || e.key === '=') setPx(px * 2);
    else if (e.key === '-') setPx(px / 2);
    else if (e.key === '0') $('zoom-fit').click();
    else if (e.key === 'f') focusFailure();
  });

  // ---------------------------------------------------------------- start: open on the failure
  layoutLanes();
  applyFilters();
  const hash = /^#i=(\d+)$/.exec(location.hash);
  const byHash = hash === null ? -1 : D.recs.findIndex((r) => r[0] === Number(hash[1]));
  const focus = byHash >= 0 ? byHash : culprit >= 0 ? culprit : failure && failure.rec >= 0 ? failure.rec : 0;
  if (N > 0) {
    px = 0.01;
    build();
    px = clampPx(Math.min(1, pxAround(focus)));
    build();
    sizeSpacer();
    placeRing();
    if (byHash >= 0 || culprit >= 0 || (failure && failure.rec >= 0)) {
      select({ rec: focus });
      centre(focus);
    } else scroller.scrollLeft = padL - 40;
  } else sizeSpacer();
  draw();
  // For tools and tests: where a record is drawn, the view, and a synchronous redraw.
  window.syncbenchViewer = { xOf: (i) => recX[D.recs.findIndex((r) => r[0] === i)], scrollLeft: () => scroller.scrollLeft, zoom: () => px, draw };
})();
