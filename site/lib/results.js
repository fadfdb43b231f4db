// The results pane below the answer card: the timeline of events and the
// selected event's response, verified fixes, trace, sequence and risk.
// Renderers only draw; what a click does comes in through `on`.

import { h } from './dom.js';
import { sequenceSVG } from './diagram.js';
import { ACTORS, CHANNELS, MECHANISMS, OUTCOME_ICON, RISKS, eventLabel, plural } from './labels.js';
import { stepPointer } from './setup.js';

export function card(title, ...body) {
  return h('section', { class: 'card' }, h('h3', {}, title), ...body);
}

// expectNote words an unmet expectation as the lesson's: a change that
// grants what the lesson denied is the point of playing with it, not an
// error. Null when the event matches its expectation or has none.
export function expectNote(r, ev) {
  if (!r.expect || r.expect.met) return null;
  const want = ev && ev.expect && ev.expect.outcome;
  if (want && want !== r.outcome) {
    return `The lesson expected ${want === 'denied' ? 'a denial' : 'a grant'}; your change ${r.outcome === 'granted' ? 'grants' : 'denies'} it.`;
  }
  return `The lesson expected something else: ${(r.expect.mismatches || []).join('; ')}.`;
}

// renderTimeline lists the events, one button each. keyPrefix keeps the
// buttons' focus keys apart when two timelines share the page (compare).
export function renderTimeline(list, res, scenario, selected, onSelect, { diverge = null, keyPrefix = 'ev' } = {}) {
  const events = (scenario && scenario.events) || [];
  list.replaceChildren(...res.results.map((r, i) => {
    const ev = events[r.event];
    const note = expectNote(r, ev);
    return h('li', { class: `ev ev-${r.outcome}` + (i === selected ? ' selected' : '') + (diverge === i ? ' diverge' : ''), dataset: { event: i, outcome: r.outcome } },
      h('button', { type: 'button', class: 'ev-btn', 'aria-pressed': String(i === selected), dataset: { focusKey: `${keyPrefix}-${i}` }, onclick: () => onSelect(i) },
        h('span', { class: 'ev-n' }, String(i + 1)),
        h('span', { class: 'ev-main' },
          h('span', { class: 'ev-title' }, r.id ? h('code', { class: 'ev-id' }, r.id) : null, eventLabel(ev, r), ev && ev.user ? h('span', { class: 'ev-user' }, ev.user) : null),
          // The code only: the description is in the answer card, once.
          r.outcome === 'denied' ? h('span', { class: 'ev-errline' }, h('code', { class: 'ev-error', title: r.errorDescription }, r.error)) : null),
        h('span', { class: 'ev-side' },
          h('span', { class: `badge ${r.outcome}` }, r.outcome),
          r.expect ? h('span', { class: 'expect ' + (r.expect.met ? 'met' : 'unmet'), title: note || 'matches its expectation' },
            r.expect.met ? 'as expected' : 'lesson differs') : null)));
  }));
}

// renderDetail draws the selected event's cards under the timeline.
export function renderDetail(root, r, scenario, view, on) {
  seqDraw.delete(root);
  if (!r) { root.replaceChildren(); return; }
  const ev = ((scenario && scenario.events) || [])[r.event] || {};
  const parts = [responseCard(r)];
  const appliedHere = view.applied && view.applied.event === r.event && view.applied.where === 'fixes';
  if (r.outcome === 'denied' || appliedHere) parts.push(fixesCard(r, view, on));
  parts.push(traceCard(r.trace || [], { fold: true, on, scenario, evIndex: r.event }));
  if (ev.do && ev.do !== 'wait') {
    const wrap = h('div', { class: 'seq-wrap' });
    // The card's inner width: the pane's, less the card's padding and border.
    const draw = (paneWidth) => wrap.replaceChildren(sequenceSVG(scenario, ev, r, paneWidth - 30));
    seqDraw.set(root, draw);
    if (paneWidths.has(root)) draw(paneWidths.get(root));
    parts.push(card('Sequence', wrap));
  }
  if (r.risk) parts.push(riskCard(r.risk));
  root.replaceChildren(ruler(root), ...parts);
}

// The sequence diagram wraps its labels to the width it gets. Reading the
// pane's width while drawing would lay the page out twice in one frame
// (about 100 ms on a phone-speed CPU), so a ResizeObserver reports it
// after layout: the first diagram is drawn there, before the frame is
// painted, and a resized pane redraws it. It watches a ruler (an
// empty, absolutely placed child as wide as the pane) whose size the
// diagram never changes: watching the pane itself would report the
// diagram's own height as a resize loop.
const paneWidths = new WeakMap(); // pane → its last width
const seqDraw = new WeakMap(); // pane → draws its diagram at a width
const rulers = new WeakMap(); // pane → its ruler
const widthObserver = new ResizeObserver((entries) => {
  for (const { target } of entries) {
    const pane = target.parentElement;
    if (!pane) continue;
    const w = target.clientWidth; // laid out already: no forced layout
    if (w === 0 || w === paneWidths.get(pane)) continue;
    paneWidths.set(pane, w);
    seqDraw.get(pane)?.(w);
  }
});
function ruler(pane) {
  let el = rulers.get(pane);
  if (!el) {
    el = h('div', { class: 'pane-ruler', 'aria-hidden': 'true' });
    rulers.set(pane, el);
    widthObserver.observe(el);
  }
  return el;
}

function paramsTable(url) {
  let u;
  try { u = new URL(url); } catch { return null; }
  const params = [...new URLSearchParams(u.search), ...new URLSearchParams(u.hash.slice(1))];
  if (!params.length) return null;
  return h('table', { class: 'params' }, h('tbody', {}, params.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v)))));
}

// responseCard shows the answer as it travels. A denial's raw response is
// folded: its error is in the answer card already.
function responseCard(r) {
  const resp = r.response || {};
  const raw = [];
  if (resp.location) {
    raw.push(h('div', { class: 'kv' }, h('span', { class: 'k' }, 'Location'), h('code', { class: 'location' }, resp.location)));
    const t = paramsTable(resp.location);
    if (t) raw.push(t);
  }
  if (resp.body) {
    let text = resp.body;
    if (r.delivery === 'json') { try { text = JSON.stringify(JSON.parse(resp.body), null, 2); } catch { /* as is */ } }
    if (r.delivery === 'errorPage') raw.push(h('div', { class: 'sf-error-page' }, h('div', { class: 'sf-error-title' }, 'Salesforce'), h('pre', {}, text)));
    else raw.push(h('pre', { class: 'body' }, text));
  }
  const body = [h('div', { class: 'channel' }, h('strong', {}, CHANNELS[r.delivery] || r.delivery), r.httpStatus ? ` · HTTP ${r.httpStatus}` : '')];
  if (!raw.length) body.push(h('p', { class: 'muted' }, r.outcome === 'granted' ? 'No body.' : 'No response body.'));
  else if (r.outcome === 'denied') body.push(h('details', { class: 'raw' }, h('summary', {}, 'Raw response'), ...raw));
  else body.push(...raw);
  const iss = r.issued || {};
  const chips = [['code', 'authorization code'], ['accessToken', 'access token'], ['refreshToken', 'refresh token'], ['idToken', 'ID token'], ['sessionId', 'session ID']]
    .filter(([k]) => iss[k]).map(([, l]) => h('span', { class: 'chip ok' }, l));
  if (chips.length || iss.scope) body.push(h('div', { class: 'issued' }, h('span', { class: 'k' }, 'Issued'), ...chips,
    iss.scope ? h('span', { class: 'chip' }, 'scope: ', iss.scope) : null, iss.expiresAt ? h('span', { class: 'chip muted' }, 'expires ', iss.expiresAt) : null));
  return card('Response', ...body);
}

// appliedBanner is the answer to an Apply, where it was clicked.
export function appliedBanner(applied, r, on) {
  return h('div', { class: 'applied', role: 'status', tabindex: '-1', dataset: { focusKey: `applied-${applied.where}` } },
    h('strong', { class: 'applied-change' }, `Event ${r.event + 1}: ${applied.before.toUpperCase()} → ${r.outcome.toUpperCase()}`),
    h('span', { class: 'applied-summary' }, applied.summary),
    h('button', { type: 'button', class: 'btn small undo', dataset: { focusKey: `undo-${applied.where}` }, onclick: on.undo }, 'Undo'));
}

function fixesCard(r, view, on) {
  if (view.applied && view.applied.event === r.event && view.applied.where === 'fixes') {
    return h('section', { class: 'card', id: 'fixes' }, h('h3', {}, 'Verified fixes'), appliedBanner(view.applied, r, on));
  }
  if (view.fixesPending) return card('Verified fixes', h('p', { class: 'muted' }, 'Looking for the smallest changes that make this event succeed…'));
  const fixes = r.fixes || [];
  // The engine's work budget can stop the search (limit names which limit).
  const stopped = r.fixLimit ? h('p', { class: 'muted small fix-limit' }, `Fix search stopped early (${r.fixLimit.limit}): ${r.fixLimit.message}`) : null;
  if (!fixes.length) return card('Fixes', stopped || h('p', { class: 'muted' }, 'No single verified change makes this event succeed.'));
  return h('section', { class: 'card', id: 'fixes' }, h('h3', {}, 'Verified fixes'), stopped,
    h('p', { class: 'muted small' }, 'Each was checked: applying it and re-evaluating grants this event.'),
    h('ol', { class: 'fixes' }, fixes.map((f, i) => h('li', { class: 'fix' },
      h('div', { class: 'fix-main' }, h('span', { class: 'chip actor' }, ACTORS[f.actor] || f.actor), h('span', { class: 'fix-summary' }, f.summary)),
      h('details', { class: 'patch' }, h('summary', {}, 'JSON Patch'), h('pre', {}, JSON.stringify(f.patch, null, 2))),
      h('button', { type: 'button', class: 'btn primary small apply', dataset: { fix: i, focusKey: `fix-${i}` }, onclick: () => on.apply(f, 'fixes') }, 'Apply')))));
}

function stepItem(s, i, { divergeStep, on, scenario, evIndex }) {
  const ptr = on && scenario ? stepPointer(s, scenario, evIndex) : s.setting;
  const label = ptr && on ? on.settingLabel(ptr) : null;
  return h('li', { class: `step step-${s.outcome}` + (divergeStep === i ? ' diverge' : ''), dataset: { outcome: s.outcome, rule: s.rule } },
    h('span', { class: `step-badge ${s.outcome}`, title: s.outcome }, h('span', { 'aria-hidden': 'true' }, OUTCOME_ICON[s.outcome] || '?'), h('span', { class: 'sr-only' }, s.outcome)),
    h('div', { class: 'step-body' },
      h('div', { class: 'step-head' }, h('code', { class: 'rule' }, s.rule),
        ptr && on ? h('button', { type: 'button', class: 'setting', title: `Show ${ptr} in the editor`, dataset: { ptr }, onclick: () => on.focusSetting(ptr) }, label ? label.label : ptr)
          : s.setting ? h('code', { class: 'setting-ptr' }, s.setting) : null,
        s.doc ? h('a', { class: 'doc', href: s.doc, target: '_blank', rel: 'noopener noreferrer' }, 'Salesforce docs', h('span', { class: 'sr-only' }, ' (opens in a new tab)'), h('span', { 'aria-hidden': 'true' }, ' ↗')) : null),
      h('div', { class: 'because' }, s.because)));
}

// traceCard lists the rules checked. Folded, the passing and skipped
// checks collapse into one line and the steps that decided stay open.
export function traceCard(trace, { fold = false, divergeStep = null, on = null, scenario = null, evIndex = 0 } = {}) {
  const opts = { divergeStep, on, scenario, evIndex };
  if (!fold) return card('Trace', h('ol', { class: 'trace' }, trace.map((s, i) => stepItem(s, i, opts))));
  const quiet = trace.filter((s) => s.outcome === 'pass' || s.outcome === 'skip');
  const passed = quiet.filter((s) => s.outcome === 'pass').length, skipped = quiet.length - passed;
  const loud = trace.map((s, i) => [s, i]).filter(([s]) => s.outcome !== 'pass' && s.outcome !== 'skip');
  const summary = [passed ? `${plural(passed, 'check')} passed` : '', skipped ? `${skipped} not applicable` : ''].filter(Boolean).join(', ');
  return card('Trace',
    quiet.length ? h('details', { class: 'passed' }, h('summary', {}, h('span', { class: 'step-badge pass', 'aria-hidden': 'true' }, '✓'), h('span', { class: 'passed-text' }, summary)),
      h('ol', { class: 'trace' }, trace.map((s, i) => [s, i]).filter(([s]) => s.outcome === 'pass' || s.outcome === 'skip').map(([s, i]) => stepItem(s, i, opts)))) : null,
    loud.length ? h('ol', { class: 'trace decided' }, loud.map(([s, i]) => stepItem(s, i, opts))) : null);
}

function riskCard(risk) {
  return card('Risk', h('div', { class: `risk risk-${risk.mechanism}` },
    h('div', { class: 'mechanism' }, MECHANISMS[risk.mechanism] || risk.mechanism),
    h('ul', { class: 'risk-list' }, RISKS.map(([k, label, note]) => h('li', { class: risk[k] ? 'yes' : 'no' },
      h('span', { class: 'risk-icon', 'aria-hidden': 'true' }, risk[k] ? '✓' : '✗'), h('span', {}, label, h('span', { class: 'sr-only' }, risk[k] ? ': yes' : ': no')),
      note ? h('span', { class: 'muted small' }, ' — ', note) : null))),
    risk.notes && risk.notes.length ? h('ul', { class: 'notes' }, risk.notes.map((n) => h('li', {}, n))) : null));
}
