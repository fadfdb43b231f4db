// caplab playground: the policy engine runs in this page as WebAssembly
// (main.wasm, through the protocol of wasm/protocol). No framework and no
// third-party assets: once loaded, it works offline.
//
// This file is the wiring: the page's state, the editors, evaluation, and
// what each control does. Drawing lives in lib/: answer.js (the answer
// card), results.js (timeline and the selected event's cards), compare.js,
// livecard.js (the live org card of a share), finder.js (the lesson
// search), urlstate.js (the address).

import { h } from './lib/dom.js';
import { loadEngine, call, engineReady, engineSource, useBootAnswers, bootAnswersFor } from './lib/engine.js';
import { showProgress, showReady, showFailure, setEngineControls, firstBoot, fetchBoot, registerOffline } from './lib/boot.js';
import { applyPatch } from './lib/jsonpatch.js';
import { FormEditor, findField, formPart } from './lib/form.js';
import { JsonEditor, loadEditor } from './lib/jsoneditor.js';
import { encodeScenario, decodeScenario, redactSecrets } from './lib/share.js';
import { renderAnswer } from './lib/answer.js';
import { renderTimeline, renderDetail } from './lib/results.js';
import { renderCompare } from './lib/compare.js';
import { liveCard, newPKCE } from './lib/livecard.js';
import { Finder, buildIndex, byFlow, presetFlow } from './lib/finder.js';
import { settingLabel } from './lib/setup.js';
import { plural } from './lib/labels.js';
import { readLocation, writeLocation } from './lib/urlstate.js';

const $ = (sel) => document.querySelector(sel);
const pretty = (obj) => JSON.stringify(obj, null, 2) + '\n';
const DEBOUNCE_MS = 250;
const DEFAULT_PRESET = 'web-server-self-authorize';
// announceMs is how long a passing message stays; errors stay until dismissed.
const announceMs = 8000;

const state = {
  scenario: null, // the scenario object; the form edits it in place
  text: '', // the scenario's JSON text (what the engine evaluates)
  parses: true, // whether text is well-formed JSON
  result: null, // last successful result
  errors: [], // problems of the current text
  stale: false, // result is from an earlier text
  selected: 0,
  // selectNext is the event to select after the next evaluation: a number,
  // 'firstDenied' (a scenario that just opened), or null (keep).
  selectNext: 'firstDenied',
  tab: 'form',
  formStale: false,
  presets: [],
  catalog: { scopes: [], permissions: [], scopeLabels: {}, enums: {} },
  undo: null,
  applied: null, // {event, before, summary, where, patch}: the last Apply, shown where it was clicked
  focusKey: null, // the control to focus after the next render
  gen: 0,
  lastMs: 0,
  compare: null, // {text, source, result, diff, errors, selected}
  fixesPending: false,
  detailAfterPaint: false, // the first result: the detail waits for the first frame
  validText: '',
  // source is what the address names: a preset, a short link or a
  // fragment link; nothing for a scenario edited since.
  source: { preset: '', shareId: '', fragment: '' },
  shared: null, // the share this page holds: {id, url, issuer, mode, doc}
  finderIndex: null,
  booted: Promise.resolve(false), // settles once boot.<hash>.json's answers are in (true) or did not come (false)
};

// ---------------------------------------------------------------- editing

const form = new FormEditor($('#form-panel'), {
  catalog: state.catalog,
  onChange: () => {
    // The form is blocked (inert) while the JSON has a syntax error: it
    // would rewrite the JSON from the last valid scenario and lose what
    // was typed.
    if (!state.parses) return;
    state.text = pretty(state.scenario);
    state.parses = true;
    json.value = state.text;
    markCustom();
    renderLesson();
    scheduleEvaluate();
  },
});

// onJSONInput takes text typed in the JSON tab (or in Compare's A).
function onJSONInput(text) {
  state.text = text;
  try {
    state.scenario = JSON.parse(text);
    state.parses = true;
    state.formStale = true;
    renderLesson();
  } catch {
    state.parses = false;
  }
  blockForm();
  markCustom();
  scheduleEvaluate();
}

const json = new JsonEditor($('#json-panel'), { label: 'Scenario JSON', onInput: onJSONInput });

// blockForm makes the form inert while the JSON does not parse.
function blockForm() {
  $('#form-panel').inert = !state.parses;
}

function setScenario(obj, { keepSelection = false, deferForm = false, select = 'firstDenied' } = {}) {
  state.scenario = obj;
  state.text = pretty(obj);
  state.parses = true;
  blockForm();
  state.applied = null;
  json.value = state.text;
  if (deferForm) state.formStale = true;
  else {
    form.render(state.scenario);
    state.formStale = false;
  }
  state.selectNext = keepSelection ? null : select;
  renderLesson();
  evaluateNow();
}

// markCustom: the scenario was edited, so no preset or link names it.
function markCustom() {
  const sel = $('#preset');
  if (sel.value !== '') sel.value = '';
  document.body.dataset.preset = '';
  state.applied = null;
  state.focusKey = null;
  state.source = { preset: '', shareId: state.source.shareId, fragment: '' };
  followLocation();
}

// followLocation writes the page's state into the address.
function followLocation() {
  if (!state.ready) return;
  writeLocation({ ...state.source, event: state.result && state.result.results.length ? state.selected + 1 : 0 });
}

let timer = 0;
function scheduleEvaluate() {
  clearTimeout(timer);
  $('#results').classList.add('pending');
  timer = setTimeout(evaluateNow, DEBOUNCE_MS);
}

function pickSelection(results) {
  const want = state.selectNext;
  state.selectNext = null;
  if (typeof want === 'number') return want;
  if (want === 'firstDenied') return Math.max(0, results.findIndex((r) => r.outcome === 'denied'));
  return state.selected;
}

// evaluateNow answers in two steps: the outcomes at once (without the fix
// search), then, right after the page has updated, the verified fixes of
// the denied events, which take many re-evaluations.
let fixToken = 0;
function evaluateNow() {
  clearTimeout(timer);
  $('#results').classList.remove('pending');
  const t0 = performance.now();
  const resp = call('evaluate', { scenario: state.text, noFixes: true });
  state.lastMs = performance.now() - t0;
  const token = ++fixToken;
  if (resp.ok) {
    state.result = resp.result;
    state.errors = [];
    state.stale = false;
    state.selected = Math.min(pickSelection(state.result.results), Math.max(0, state.result.results.length - 1));
    state.validText = state.text;
    state.fixesPending = state.result.results.some((r) => r.outcome === 'denied');
  } else {
    state.errors = resp.errors;
    state.stale = state.result !== null;
  }
  // Answers computed at build time come with their fixes: one drawing.
  const fixesNow = state.fixesPending && resp.answeredAtBuild && takeFixes(state.validText);
  if (state.fixesPending) {
    const text = state.validText;
    setTimeout(() => findFixes(token, text), 0);
  }
  renderErrors();
  renderResults();
  followLocation();
  if (state.compare) evaluateCompare();
  state.gen++;
  document.body.dataset.gen = String(state.gen);
  if (fixesNow) document.body.dataset.fixesGen = String(state.gen);
}

function findFixes(token, text) {
  if (token !== fixToken) return; // evaluated again since
  takeFixes(text);
  renderResults();
  document.body.dataset.fixesGen = String(state.gen);
}

// takeFixes adds the verified fixes of text's denied events to the
// result; false when nothing answers yet (the engine is still loading).
function takeFixes(text) {
  let resp;
  try {
    resp = call('fixes', { scenario: text });
  } catch {
    return false;
  }
  state.fixesPending = false;
  if (resp.ok) for (const f of resp.result) if (state.result.results[f.event]) Object.assign(state.result.results[f.event], { fixes: f.fixes, fixLimit: f.limit });
  return true;
}

// ---------------------------------------------------------------- tabs

function showTab(tab) {
  state.tab = tab;
  for (const b of document.querySelectorAll('[role=tab][data-tab]')) {
    const on = b.dataset.tab === tab;
    b.setAttribute('aria-selected', String(on));
    b.tabIndex = on ? 0 : -1;
  }
  $('#form-panel').hidden = tab !== 'form';
  $('#json-panel').hidden = tab !== 'json';
  $('#form-blocked').hidden = !(tab === 'form' && !state.parses);
  if (tab === 'form' && state.formStale && state.parses) {
    form.render(state.scenario);
    state.formStale = false;
    renderErrors();
  }
  if (tab === 'json') json.paint();
}

for (const b of document.querySelectorAll('[role=tab][data-tab]')) {
  b.addEventListener('click', () => showTab(b.dataset.tab));
  b.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const next = b.dataset.tab === 'form' ? 'json' : 'form';
    showTab(next);
    document.querySelector(`[role=tab][data-tab=${next}]`).focus();
  });
}

// focusSetting shows the field a trace step's setting points at: in the
// form when it has one, else at its line in the JSON tab.
function focusSetting(ptr) {
  if (state.parses) {
    if (state.formStale) { form.render(state.scenario); state.formStale = false; }
    const found = findField($('#form-panel'), ptr);
    if (found && found.exact) {
      showTab('form');
      const el = found.el;
      for (let d = el.closest('details'); d; d = d.parentElement.closest('details')) d.open = true;
      el.scrollIntoView({ block: 'center' });
      const target = el.matches('input,select,textarea,button') ? el : el.querySelector('input,select,textarea') || el;
      if (!target.matches('input,select,textarea,button,[tabindex]')) target.tabIndex = -1;
      target.focus({ preventScroll: true });
      flash(el.closest('.field, fieldset, .item') || el);
      return;
    }
  }
  showTab('json');
  json.revealPointer(ptr);
}

function flash(el) {
  el.classList.remove('flash');
  void el.offsetWidth;
  el.classList.add('flash');
}

// highlightChanges marks what an applied fix changed, in the form (the
// fields stay marked until the next edit) and in the JSON.
function highlightChanges(patch) {
  const panel = $('#form-panel');
  for (const e of panel.querySelectorAll('.changed')) e.classList.remove('changed');
  const ptrs = patch.map((op) => op.path.replace(/\/-$/, ''));
  for (const ptr of ptrs) {
    const found = findField(panel, ptr);
    if (!found) continue;
    const el = found.el.closest('.field, fieldset, .item') || found.el;
    el.classList.add('changed');
    for (let d = el.closest('details'); d; d = d.parentElement.closest('details')) d.open = true;
    flash(el);
  }
  json.highlight?.(ptrs);
}

// labels names settings with the form's words. The visible form may be
// stale (the first result is drawn before it; the JSON tab edits); then
// the part of the form that holds the setting, drawn off the page once per
// text, answers.
const labels = {
  text: null,
  parts: new Map(), // formPart → an off-page root holding that part of the form
  of(ptr) {
    return state.formStale ? this.part(ptr) : settingLabel($('#form-panel'), ptr);
  },
  part(ptr) {
    if (this.text !== state.text) {
      this.parts.clear();
      this.text = state.text;
    }
    const key = formPart(ptr);
    let root = this.parts.get(key);
    if (!root) {
      root = document.createElement('div');
      root.append(...new FormEditor(root, { catalog: state.catalog, onChange: () => {} }).sectionsFor(structuredClone(state.scenario), ptr));
      this.parts.set(key, root);
    }
    return settingLabel(root, ptr);
  },
};

// ---------------------------------------------------------------- errors

function renderErrors() {
  json.setErrors(state.errors);
  $('#form-blocked').hidden = !(state.tab === 'form' && !state.parses);
  const panel = $('#form-panel');
  for (const e of panel.querySelectorAll('.field-error')) e.remove();
  for (const e of panel.querySelectorAll('[aria-invalid]')) { e.removeAttribute('aria-invalid'); e.removeAttribute('aria-errormessage'); }
  for (const e of panel.querySelectorAll('.invalid')) e.classList.remove('invalid');
  const loose = [];
  if (state.parses && !state.formStale) {
    state.errors.forEach((err, i) => {
      const found = err.path ? findField(panel, err.path) : null;
      if (!found) { loose.push(err); return; }
      const holder = found.el.closest('.field, fieldset, .item') || found.el;
      const id = `field-error-${i}`;
      holder.classList.add('invalid');
      holder.append(h('div', { class: 'field-error', id, role: 'alert' }, found.exact ? '' : h('code', {}, err.path, ' '), err.message));
      const control = found.el.matches('input,select,textarea') ? found.el : null;
      if (control) { control.setAttribute('aria-invalid', 'true'); control.setAttribute('aria-errormessage', id); }
    });
  } else loose.push(...state.errors);
  const box = panel.querySelector('.form-problems');
  if (box) {
    box.hidden = loose.length === 0;
    box.replaceChildren(h('strong', {}, `${loose.length} problem${loose.length === 1 ? '' : 's'} outside the form`),
      h('ul', {}, loose.map((e) => h('li', {}, h('button', { type: 'button', class: 'error-link', onclick: () => { showTab('json'); json.reveal(e); } },
        e.line ? `Line ${e.line}: ` : '', e.path ? h('code', {}, e.path, ' ') : null, e.message)))));
  }
}

// ---------------------------------------------------------------- results

// on is what the renderers' controls do.
const on = {
  apply: (fix, where) => applyFix(fix, where),
  undo: () => undo(),
  focusSetting: (ptr) => focusSetting(ptr),
  settingLabel: (ptr) => labels.of(ptr),
};

function selectEvent(i) {
  state.selected = i;
  state.focusKey = null;
  renderResults();
  followLocation();
}

// renderResults draws the results pane. Focus stays on the control it was
// on (the timeline row pressed with Enter, for one), or moves where the
// last action asked (state.focusKey).
function renderResults() {
  const results = $('#results');
  const active = document.activeElement;
  const keep = results.contains(active) ? active.dataset.focusKey : null;
  drawResults();
  // A requested focus waits for its control (an Apply button appears once
  // the fixes are found); a kept one is restored at once or not at all.
  const key = state.focusKey || keep;
  if (!key) return;
  const el = results.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
  if (el || key !== state.focusKey) state.focusKey = null;
  if (el && el !== document.activeElement) el.focus({ preventScroll: true });
}

function drawResults() {
  const res = state.result;
  const status = $('#status');
  $('#results').classList.toggle('stale', state.stale);
  if (!res) {
    status.textContent = state.errors.length ? `The scenario has ${state.errors.length} problem${state.errors.length === 1 ? '' : 's'}; fix ${state.errors.length === 1 ? 'it' : 'them'} to see a result.` : '';
    status.className = 'status warn';
    renderAnswer($('#answer'), null);
    $('#timeline').replaceChildren();
    drawDetail();
    return;
  }
  const denied = res.results.filter((r) => r.outcome === 'denied').length;
  if (state.stale) {
    status.className = 'status warn';
    status.textContent = `The scenario has ${state.errors.length} problem${state.errors.length === 1 ? '' : 's'} (see the editor); showing the last valid result.`;
  } else if (!res.results.length) {
    status.className = 'status';
    status.textContent = 'No events yet.';
  } else {
    status.className = 'status';
    status.replaceChildren(`${plural(res.results.length, 'event')}: ${res.results.length - denied} granted, ${denied} denied`,
      h('span', { class: 'timing' }, ` · evaluated in ${state.lastMs.toFixed(1)} ms`));
  }
  const view = { applied: state.applied, fixesPending: state.fixesPending };
  const r = res.results[state.selected];
  if (!res.results.length) emptyHint($('#answer'));
  else renderAnswer($('#answer'), r, state.scenario, view, on);
  renderTimeline($('#timeline'), res, state.scenario, state.selected, selectEvent);
  drawDetail();
}

// drawDetail draws the selected event's detail under the timeline. The
// first frame holds the answer and the timeline only; firstPaint draws
// the detail once that frame is painted.
function drawDetail() {
  const r = state.result && !state.detailAfterPaint ? state.result.results[state.selected] : null;
  renderDetail($('#detail'), r, state.scenario, { applied: state.applied, fixesPending: state.fixesPending }, on);
}

// emptyHint replaces a blank pane: what to add to see an answer.
function emptyHint(root) {
  root.hidden = false;
  const apps = (state.scenario && state.scenario.apps) || [];
  root.replaceChildren(h('section', { class: 'answer answer-empty', 'aria-labelledby': 'detail-title' },
    h('h2', { id: 'detail-title' }, 'Nothing to answer yet'),
    h('p', {}, apps.length ? 'This scenario has no events. Add a request to its timeline and Salesforce’s answer appears here.'
      : 'This scenario has no connected app and no events. Add a connected app, then a request to the timeline.'),
    h('div', { class: 'fix-actions' },
      apps.length ? null : h('button', { type: 'button', class: 'btn', onclick: () => focusSetting('/apps') }, 'Add a connected app'),
      h('button', { type: 'button', class: 'btn primary', onclick: () => focusSetting('/events') }, 'Add an event'))));
}

function applyFix(fix, where) {
  const before = state.result && state.result.results[state.selected];
  let next;
  try {
    next = applyPatch(state.scenario, fix.patch);
  } catch (e) {
    announce(`Could not apply the fix: ${e.message}`, true);
    return;
  }
  const fixIndex = before && before.fixes ? before.fixes.indexOf(fix) : 0;
  state.undo = { text: state.text, selected: state.selected, source: state.source, where, fixIndex };
  setScenario(next, { keepSelection: true });
  markCustom();
  state.applied = { event: state.selected, before: before ? before.outcome : 'denied', summary: fix.summary, where, patch: fix.patch };
  state.focusKey = `applied-${where}`;
  renderResults();
  highlightChanges(fix.patch);
}

function undo() {
  if (!state.undo) return;
  const { text, selected, source, where, fixIndex } = state.undo;
  state.undo = null;
  state.selected = selected;
  state.focusKey = where === 'answer' ? 'answer-apply' : `fix-${fixIndex}`;
  setScenario(JSON.parse(text), { keepSelection: true });
  state.source = source;
  if (source.preset) { $('#preset').value = source.preset; document.body.dataset.preset = source.preset; }
  followLocation();
  announce('Undone.');
}

// announce shows a short message; an error stays until dismissed.
function announce(msg, isError = false) {
  const el = $('#announce');
  el.className = 'announce' + (isError ? ' error' : '');
  el.replaceChildren(h('span', {}, msg), isError ? h('button', { type: 'button', class: 'link', onclick: () => { el.hidden = true; } }, 'Dismiss') : '');
  el.hidden = false;
  clearTimeout(announce.t);
  if (!isError) announce.t = setTimeout(() => { el.hidden = true; }, announceMs);
}

// showLoadError says, until dismissed, that the page could not open what
// its address names, and what it shows instead.
function showLoadError(msg) {
  const el = $('#load-error');
  const title = state.scenario && state.scenario.title;
  el.replaceChildren(h('strong', {}, msg), ' ', title ? `Showing the lesson “${title}” instead.` : '',
    ' ', h('button', { type: 'button', class: 'link', onclick: () => { el.hidden = true; } }, 'Dismiss'));
  el.hidden = false;
}

function renderLesson() {
  const s = state.scenario || {};
  if (renderLesson.last && renderLesson.last.title === s.title && renderLesson.last.lesson === s.lesson) return;
  renderLesson.last = { title: s.title, lesson: s.lesson };
  $('#scenario-title').textContent = s.title || 'Untitled scenario';
  $('#scenario-lesson').textContent = s.lesson || '';
  const lesson = $('#scenario-lesson');
  lesson.hidden = !s.lesson;
  lesson.classList.add('clamped');
  const more = $('#lesson-more');
  more.setAttribute('aria-expanded', 'false');
  more.textContent = 'Read the whole lesson';
  more.hidden = true;
  // Whether the clamped lesson overflows is known once the page is laid
  // out: asked before the frame's layout, not in the middle of drawing.
  if (s.lesson) requestAnimationFrame(() => { more.hidden = lesson.scrollHeight <= lesson.clientHeight + 2; });
}

$('#lesson-more').addEventListener('click', () => {
  const lesson = $('#scenario-lesson');
  const open = lesson.classList.toggle('clamped') === false;
  $('#lesson-more').setAttribute('aria-expanded', String(open));
  $('#lesson-more').textContent = open ? 'Show less' : 'Read the whole lesson';
});

// ---------------------------------------------------------------- presets

function loadPreset(name, opts) {
  const resp = call('preset', { name });
  if (!resp.ok) { announce(resp.errors[0].message, true); return false; }
  state.undo = null;
  setScenario(resp.result, opts);
  $('#preset').value = name;
  document.body.dataset.preset = name;
  state.source = { preset: name, shareId: '', fragment: '' };
  followLocation();
  return true;
}

$('#preset').addEventListener('change', (e) => {
  if (e.target.value) loadPreset(e.target.value);
});

// listPresets fills the pickers once the presets are known: from the
// build's boot.<hash>.json, else (it did not load) from the engine.
function listPresets() {
  let resp;
  try {
    resp = call('presets');
  } catch {
    return; // the engine is not running yet: engineRuns lists them
  }
  state.presets = resp.result;
  fillPresetPickers();
}

// fillPresetPickers lists the presets: grouped by the flow they teach and
// sorted by title in the picker, by title in compare's.
function fillPresetPickers() {
  const current = $('#preset').value || document.body.dataset.preset || '';
  const flows = byFlow(state.presets.map((p) => ({ ...p, flow: presetFlow(call('preset', { name: p.name }).result || {}, null) })));
  $('#preset').replaceChildren(h('option', { value: '' }, '(custom scenario)'),
    ...flows.map(([flow, list]) => h('optgroup', { label: flow }, list.map((p) => h('option', { value: p.name, title: p.lesson }, p.title || p.name)))));
  $('#preset').value = current;
  const sorted = [...state.presets].sort((a, b) => (a.title || a.name).localeCompare(b.title || b.name));
  $('#compare-source').replaceChildren(h('option', { value: '' }, '(edited)'), h('option', { value: '=' }, 'Copy of A'),
    ...sorted.map((p) => h('option', { value: p.name }, p.title || p.name)));
}

new Finder({
  input: $('#finder-input'),
  results: $('#finder-results'),
  getIndex: () => {
    if (!state.ready) return null;
    state.finderIndex ??= buildIndex(state.presets, call);
    return state.finderIndex;
  },
  open: (name, event) => {
    loadPreset(name, { select: event >= 0 ? event : 'firstDenied' });
    $('#results').focus({ preventScroll: true });
  },
});

// ---------------------------------------------------------------- compare

function openCompare(on) {
  const btn = $('#compare-toggle');
  btn.setAttribute('aria-pressed', String(on));
  $('#compare').hidden = !on;
  $('#workspace').hidden = on;
  if (on && !state.compare) {
    state.compare = { text: state.text, source: '', result: null, diff: null, errors: [], selected: -1 };
    compareB.value = state.text;
  }
  if (on) {
    compareA.value = state.text;
    evaluateCompare();
  }
}

const compareA = new JsonEditor($('#compare-a-json'), {
  label: 'Scenario A JSON',
  onInput: (text) => { json.value = text; onJSONInput(text); },
});
const compareB = new JsonEditor($('#compare-b-json'), {
  label: 'Scenario B JSON',
  onInput: (text) => { state.compare.text = text; $('#compare-source').value = ''; clearTimeout(compareB.t); compareB.t = setTimeout(evaluateCompare, DEBOUNCE_MS); },
});

$('#compare-toggle').addEventListener('click', () => openCompare($('#compare').hidden));
$('#compare-close').addEventListener('click', () => openCompare(false));
$('#compare-source').addEventListener('change', (e) => {
  const name = e.target.value;
  if (name === '') return;
  let text = state.text;
  if (name !== '=') {
    const resp = call('preset', { name });
    if (!resp.ok) return;
    text = pretty(resp.result);
  }
  state.compare.text = text;
  compareB.value = text;
  evaluateCompare();
});

function evaluateCompare() {
  const c = state.compare;
  if (!c || $('#compare').hidden) return;
  if (compareA.value !== state.text) compareA.value = state.text;
  const resp = call('diff', { a: state.text, b: c.text });
  const errA = [], errB = [];
  if (!resp.ok) {
    for (const e of resp.errors) {
      if (e.path.startsWith('/a')) errA.push({ ...e, path: e.path.slice(2) });
      else if (e.path.startsWith('/b')) errB.push({ ...e, path: e.path.slice(2) });
    }
  }
  compareA.setErrors(errA);
  compareB.setErrors(errB);
  const summary = $('#compare-summary');
  if (!resp.ok) {
    summary.className = 'diff-summary warn';
    summary.textContent = `Fix the problems in ${[errA.length ? 'A' : '', errB.length ? 'B' : ''].filter(Boolean).join(' and ')} to compare.`;
    return;
  }
  const { diff, a, b } = resp.result;
  c.diff = diff;
  const n = Math.max(a.results.length, b.results.length);
  if (c.selected < 0 || c.selected >= n) c.selected = diff.same ? 0 : Math.min(diff.event, n - 1);
  let scenarioB = null;
  try { scenarioB = JSON.parse(c.text); } catch { /* diff would have failed */ }
  renderCompare({
    summary, settings: $('#compare-settings'), aTimeline: $('#compare-a-timeline'), bTimeline: $('#compare-b-timeline'),
    aTrace: $('#compare-a-trace'), bTrace: $('#compare-b-trace'),
  }, { diff, a, b, scenarioA: state.scenario, scenarioB, selected: c.selected }, {
    settingLabel: (ptr) => labels.of(ptr),
    select: (i) => {
      const key = document.activeElement?.dataset?.focusKey;
      c.selected = i;
      evaluateCompare();
      if (key) $(`#compare [data-focus-key="${CSS.escape(key)}"]`)?.focus();
    },
  });
  document.body.dataset.compareGen = String((Number(document.body.dataset.compareGen) || 0) + 1);
}

// ---------------------------------------------------------------- share

// postShare stores a copy on the server (caplab serve, the deployment):
// {id, url, issuer, mode}, or null when there is no server to answer.
async function postShare(scenario, mode) {
  try {
    const ctrl = new AbortController();
    const t = setTimeout(() => ctrl.abort(), 3000);
    const resp = await fetch(`/api/scenarios${mode && mode !== 'salesforce' ? `?mode=${mode}` : ''}`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(scenario), signal: ctrl.signal,
    });
    clearTimeout(t);
    if (resp.status !== 201 && !resp.ok) {
      const body = await resp.json().catch(() => null);
      return body && body.message ? { refused: body.message } : null;
    }
    const body = await resp.json();
    return body && typeof body.url === 'string' && body.url ? body : null;
  } catch {
    return null; // no server: the fragment link it is
  }
}

// liveSection draws the live org card of a share in the dialog.
async function liveSection(shared, onMode) {
  const box = $('#live-card');
  const live = call('live', { scenario: shared.doc });
  if (!live.ok || !shared.issuer) { box.hidden = true; box.replaceChildren(); return; }
  box.replaceChildren(liveCard({ issuer: shared.issuer, mode: shared.mode || 'salesforce', live: live.result, pkce: await newPKCE(), onMode }));
  box.hidden = false;
}

function linkWithEvent(url) {
  const n = state.result && state.result.results.length ? state.selected + 1 : 0;
  return n ? `${url}#event=${n}` : url;
}

async function share(mode = 'salesforce') {
  if (!state.parses) { announce('Fix the JSON before sharing.', true); return; }
  const { scenario, count } = redactSecrets(state.scenario);
  const data = await encodeScenario(scenario);
  const event = state.result && state.result.results.length ? state.selected + 1 : 0;
  const fragment = `${location.origin}/#s=${data}` + (event ? `&event=${event}` : '');
  const stored = await postShare(scenario, mode);
  let link = fragment;
  if (stored && !stored.refused) {
    link = linkWithEvent(new URL(stored.url, location.origin).href);
    state.shared = { id: stored.id, url: link, issuer: stored.issuer, mode: stored.mode || mode, doc: scenario };
  } else {
    state.shared = null;
    state.source = { preset: '', shareId: '', fragment: data };
    followLocation();
  }
  const input = $('#share-link');
  input.value = link;
  $('#share-kind').textContent = link === fragment ? 'The scenario is in the link itself (compressed); nothing is stored on a server.'
    : 'A short link to a copy stored on this server; it opens on the selected event.';
  $('#share-redacted').textContent = [count ? `${count} secret${count === 1 ? ' was' : 's were'} replaced by placeholders (the outcomes stay the same).` : '',
    stored && stored.refused ? `The server refused to store it: ${stored.refused}` : ''].filter(Boolean).join(' ');
  if (state.shared) await liveSection(state.shared, (m) => share(m));
  else { $('#live-card').hidden = true; $('#live-card').replaceChildren(); }
  openShareDialog();
  input.focus();
  input.select();
  document.body.dataset.shared = link;
}

function openShareDialog() {
  const dlg = $('#share-dialog');
  if (!dlg.open) dlg.showModal();
}

// showStoredShare opens the dialog on the share this page was opened from
// (/s/{id}): its link and its live org.
async function showStoredShare() {
  const s = state.shared;
  if (!s) return;
  $('#share-link').value = linkWithEvent(s.url);
  $('#share-kind').textContent = 'This page’s short link: the live org below runs the scenario as it was shared.';
  $('#share-redacted').textContent = '';
  await liveSection(s, async (mode) => {
    // Another mode is another live org: share the stored copy again.
    const stored = await postShare(s.doc, mode);
    if (!stored || stored.refused) { announce('The server did not create a live org in that mode.', true); return; }
    state.shared = { id: stored.id, url: new URL(stored.url, location.origin).href, issuer: stored.issuer, mode: stored.mode || mode, doc: s.doc };
    await showStoredShare();
  });
  openShareDialog();
  $('#share-link').focus();
}

$('#share').addEventListener('click', () => share());
$('#live-open').addEventListener('click', showStoredShare);
$('#share-copy').addEventListener('click', async () => {
  const input = $('#share-link');
  try { await navigator.clipboard.writeText(input.value); $('#share-copy').textContent = 'Copied'; } catch { input.select(); document.execCommand?.('copy'); }
  setTimeout(() => { $('#share-copy').textContent = 'Copy'; }, 1500);
});
$('#share-close').addEventListener('click', () => $('#share-dialog').close());

// initialScenario is the scenario the address names: a short link's
// stored copy (with its live org), or a fragment link's.
async function initialScenario() {
  const loc = readLocation();
  if (loc.shareId) {
    const resp = await fetch(`/api/scenarios/${loc.shareId}`, { headers: { Accept: 'application/json' } });
    if (!resp.ok) {
      const body = await resp.json().catch(() => null);
      throw new Error(`Could not open the shared scenario ${loc.shareId}: ${body && body.message ? body.message : `HTTP ${resp.status}`}.`);
    }
    const body = await resp.json();
    const doc = body && body.schemaVersion === undefined && body.scenario ? body.scenario : body;
    state.shared = { id: loc.shareId, url: `${location.origin}/s/${loc.shareId}`, issuer: resp.headers.get('Caplab-Issuer') || '',
      mode: resp.headers.get('Caplab-Mode') || 'salesforce', doc: structuredClone(doc) }; // the form edits doc in place
    state.source = { preset: '', shareId: loc.shareId, fragment: '' };
    $('#live-open').hidden = !state.shared.issuer;
    return doc;
  }
  if (loc.fragment) {
    state.source = { preset: '', shareId: '', fragment: loc.fragment };
    return decodeScenario(loc.fragment);
  }
  return null;
}

// ---------------------------------------------------------------- keys

document.addEventListener('keydown', (e) => {
  if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
  if (!engineReady()) { if (e.key === 'Enter' || e.key === 's' || e.key === 'S') e.preventDefault(); return; }
  if (e.key === 'Enter') {
    e.preventDefault();
    if (state.compare && !$('#compare').hidden) evaluateCompare();
    evaluateNow();
    announce('Evaluated.');
  } else if (e.key === 's' || e.key === 'S') {
    e.preventDefault();
    share();
  }
});
$('#evaluate').addEventListener('click', () => { evaluateNow(); announce('Evaluated.'); });

// ---------------------------------------------------------------- start

window.__caplab = {
  get gen() { return state.gen; },
  scenario: () => structuredClone(state.scenario),
  text: () => state.text,
  focusSetting,
  // labelsOf names a setting twice, for the tests: from the form on the
  // page and from the part of the form drawn off the page alone.
  labelsOf: (ptr) => ({ form: settingLabel($('#form-panel'), ptr), part: labels.part(ptr) }),
};

// nextPaint resolves after the browser has painted what is rendered now.
const nextPaint = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));

// start shows the first result as soon as it can: for a preset (the
// default, or the lesson the address names), from the answers computed at
// build time (boot.<hash>.json), painted while the engine still downloads;
// for a shared scenario, from the engine. The toolbar and the editors stay
// disabled until the engine runs; a failed load shows why, with Retry.
async function start() {
  setEngineControls(false);
  const opening = { loc: readLocation(), got: null, shown: false };
  const initial = initialScenario().catch((e) => ({ error: e }));
  // The engine downloads at once, but compiles after a first result from
  // the build's answers is painted: both need the main thread.
  let painted;
  const paintedOrNot = new Promise((resolve) => { painted = resolve; });
  if (opening.loc.shareId || opening.loc.fragment) painted();
  // The default preset's answers are in the page: its first result is drawn
  // in the page's first frame, before any request. Every other preset's
  // come with boot.<hash>.json.
  const first = firstBoot();
  if (first) useBootAnswers(first);
  state.booted = fetchBoot().then((boot) => { if (boot) useBootAnswers(boot); return !!boot; });
  const engine = startEngine(false, paintedOrNot);
  opening.got = await initial;
  const name = opening.loc.preset || DEFAULT_PRESET;
  if (!(opening.got && !opening.got.error) && (await bootAnswersFor(name) || (await state.booted && await bootAnswersFor(name)))) {
    opening.shown = await firstPaint(opening, 'build');
  }
  painted();
  if (!await engine) {
    showFailure(lastLoadError, () => retryEngine(opening));
    return;
  }
  await engineRuns(opening);
}

let lastLoadError = null;
let engineReadyMs = 0;

// startEngine loads the engine with progress; false when it failed.
async function startEngine(retry, compileAfter = null) {
  try {
    await loadEngine({ ...engineSource(), onProgress: showProgress, retry, compileAfter });
    engineReadyMs = performance.now();
    return true;
  } catch (e) {
    lastLoadError = e;
    return false;
  }
}

async function retryEngine(opening) {
  if (await startEngine(true)) await engineRuns(opening);
  else showFailure(lastLoadError, () => retryEngine(opening));
}

// firstPaint opens the scenario the address names (or the default
// preset) and paints its answer card and timeline in one frame, then the
// event's detail and the form; the preset lists follow boot.<hash>.json.
// from says who answers: "build" (the page's and boot.<hash>.json's
// answers: false when a question is not answered there, and the engine
// paints instead) or "engine".
async function firstPaint({ loc, got }, from) {
  performance.mark(`first-paint-${from}`);
  state.detailAfterPaint = true;
  const select = loc.event ? loc.event - 1 : 'firstDenied';
  let loadError = got && got.error ? got.error.message : '';
  try {
    // The form's words for scopes and permissions name the settings in
    // the first result too.
    const info = call('info').result;
    Object.assign(state.catalog, { scopes: info.scopes, permissions: info.permissions, scopeLabels: info.scopeLabels, enums: info.enums });
    $('#engine-version').textContent = `engine ${info.engineVersion} · protocol ${info.protocol}`;
    // The form itself is drawn after the first result (below).
    if (got && !got.error) {
      const source = state.source;
      setScenario(got, { deferForm: true, select });
      markCustom();
      state.source = source;
    } else if (loc.preset && !loadError && loadPreset(loc.preset, { deferForm: true, select })) {
      // the lesson the address names
    } else {
      if (loc.preset && !loadError) loadError = `There is no lesson named “${loc.preset}”.`;
      if (!loadPreset(DEFAULT_PRESET, { deferForm: true })) setScenario({ schemaVersion: 1, orgs: [{ name: 'Acme' }], events: [] }, { deferForm: true });
    }
  } catch (e) {
    state.detailAfterPaint = false;
    if (from === 'build') return false;
    throw e;
  }
  const firstEvaluateMs = state.lastMs;
  performance.mark('first-render');
  await nextPaint();
  window.__caplabFirstResultMs = performance.now();
  window.__caplabTimings = { firstResultFrom: from, firstEvaluateMs, firstResultMs: window.__caplabFirstResultMs };
  document.body.dataset.firstResult = from;
  state.detailAfterPaint = false;
  drawDetail();

  // The pickers list every preset once boot.<hash>.json is in (or, if it
  // does not come, once the engine runs: engineRuns); nothing waits for it.
  state.booted.then(() => { if (!state.presets.length) listPresets(); });
  if (loadError) showLoadError(loadError);
  if (state.parses) {
    form.render(state.scenario);
    state.formStale = false;
    renderErrors();
  }
  return true;
}

// engineRuns finishes the start once the engine answers: the first result
// if it is not painted yet, then the controls.
async function engineRuns(opening) {
  if (!opening.shown) opening.shown = await firstPaint(opening, 'engine');
  if (!state.presets.length) listPresets();
  window.__caplabTimings.engineReadyMs = engineReadyMs;
  state.undo = null;
  state.ready = true;
  followLocation();
  showReady();
  document.body.dataset.state = 'ready';
  // Then, without delaying any of that: the editor's code, and the service
  // worker that keeps the page for a reload without a network.
  setTimeout(() => {
    loadEditor().catch(() => {});
    registerOffline();
  }, 0);
}

start();
