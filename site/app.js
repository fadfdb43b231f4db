// caplab playground: the policy engine runs in this page as WebAssembly
// (main.wasm, through the protocol of wasm/protocol). No framework and no
// third-party assets: once loaded, it works offline.

import { h } from './lib/dom.js';
import { loadEngine, call } from './lib/engine.js';
import { applyPatch } from './lib/jsonpatch.js';
import { FormEditor, findField } from './lib/form.js';
import { JsonEditor } from './lib/jsoneditor.js';
import { sequenceSVG } from './lib/diagram.js';
import { encodeScenario, decodeScenario, redactSecrets } from './lib/share.js';

const $ = (sel) => document.querySelector(sel);
const pretty = (obj) => JSON.stringify(obj, null, 2) + '\n';
const DEBOUNCE_MS = 250;
const DEFAULT_PRESET = 'web-server-self-authorize';

const state = {
  scenario: null, // the scenario object; the form edits it in place
  text: '', // the scenario's JSON text (what the engine evaluates)
  parses: true, // whether text is well-formed JSON
  result: null, // last successful result
  errors: [], // problems of the current text
  stale: false, // result is from an earlier text
  selected: 0,
  tab: 'form',
  formStale: false,
  presets: [],
  catalog: { scopes: [], permissions: [] },
  undo: null,
  gen: 0,
  lastMs: 0,
  compare: null, // {text, source, result, diff, errors, selected}
  fixesPending: false,
  validText: '',
};

// ---------------------------------------------------------------- editing

const form = new FormEditor($('#form-panel'), {
  catalog: state.catalog,
  onChange: () => {
    state.text = pretty(state.scenario);
    state.parses = true;
    json.value = state.text;
    markCustom();
    renderLesson();
    scheduleEvaluate();
  },
});

const json = new JsonEditor($('#json-panel'), {
  label: 'Scenario JSON',
  onInput: (text) => {
    state.text = text;
    try {
      state.scenario = JSON.parse(text);
      state.parses = true;
      state.formStale = true;
      renderLesson();
    } catch {
      state.parses = false;
    }
    markCustom();
    scheduleEvaluate();
  },
});

function setScenario(obj, { keepSelection = false, deferForm = false } = {}) {
  state.scenario = obj;
  state.text = pretty(obj);
  state.parses = true;
  json.value = state.text;
  if (deferForm) state.formStale = true;
  else {
    form.render(state.scenario);
    state.formStale = false;
  }
  if (!keepSelection) state.selected = 0;
  renderLesson();
  evaluateNow();
}

function markCustom() {
  const sel = $('#preset');
  if (sel.value !== '') sel.value = '';
  document.body.dataset.preset = '';
}

let timer = 0;
function scheduleEvaluate() {
  clearTimeout(timer);
  $('#results').classList.add('pending');
  timer = setTimeout(evaluateNow, DEBOUNCE_MS);
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
    state.selected = Math.min(state.selected, Math.max(0, state.result.results.length - 1));
    state.validText = state.text;
    state.fixesPending = state.result.results.some((r) => r.outcome === 'denied');
  } else {
    state.errors = resp.errors;
    state.stale = state.result !== null;
  }
  if (state.fixesPending) {
    const text = state.validText;
    setTimeout(() => findFixes(token, text), 0);
  }
  renderErrors();
  renderResults();
  if (state.compare) evaluateCompare();
  state.gen++;
  document.body.dataset.gen = String(state.gen);
}

function findFixes(token, text) {
  if (token !== fixToken) return; // evaluated again since
  const resp = call('fixes', { scenario: text });
  state.fixesPending = false;
  if (resp.ok) for (const f of resp.result) if (state.result.results[f.event]) Object.assign(state.result.results[f.event], { fixes: f.fixes, fixLimit: f.limit });
  renderDetail($('#detail'), state.result.results[state.selected], state.scenario);
  document.body.dataset.fixesGen = String(state.gen);
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
      const target = el.matches('input,select,textarea') ? el : el.querySelector('input,select,textarea') || el;
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

const OUTCOME_ICON = { pass: '✓', fail: '✗', skip: '–', info: 'i' };
const ACTORS = { subscriberAdmin: 'Subscriber admin', isvDeveloper: 'ISV developer', user: 'User', client: 'Client developer' };
const CHANNELS = {
  redirect: 'Redirect to the callback (query string)', redirectFragment: 'Redirect to the callback (URL fragment)', json: 'JSON body',
  errorPage: 'Salesforce error page', soapFault: 'SOAP fault', session: 'Session ID', none: 'No HTTP response',
};
const MECHANISMS = { oauthToken: 'OAuth token through a Connected App', sessionId: 'Session ID without a Connected App', storedCredentials: 'Stored username, password and security token' };
const RISKS = [
  ['auditable', 'Auditable', 'listed per app and user'],
  ['scopeLimited', 'Scope-limited', 'reducible to what the app needs'],
  ['timeLimited', 'Time-limited', 'expires on its own'],
  ['revocableWithoutPasswordChange', 'Revocable without a password change', ''],
  ['survivesPasswordChange', 'Survives a password change', ''],
];

function eventLabel(ev, r) {
  const kind = ev ? (ev.flow || ev.grant || ev.action || ev.for || '') : '';
  return `${r.do}${kind ? ' ' + kind : ''}`;
}

function renderResults() {
  const res = state.result;
  const status = $('#status');
  $('#results').classList.toggle('stale', state.stale);
  if (!res) {
    status.textContent = state.errors.length ? `The scenario has ${state.errors.length} problem${state.errors.length === 1 ? '' : 's'}; fix ${state.errors.length === 1 ? 'it' : 'them'} to see a result.` : '';
    status.className = 'status warn';
    $('#timeline').replaceChildren();
    $('#detail').replaceChildren();
    return;
  }
  const denied = res.results.filter((r) => r.outcome === 'denied').length;
  const unmet = res.results.filter((r) => r.expect && !r.expect.met).length;
  if (state.stale) {
    status.className = 'status warn';
    status.textContent = `The scenario has ${state.errors.length} problem${state.errors.length === 1 ? '' : 's'} (see the editor); showing the last valid result.`;
  } else {
    status.className = 'status';
    status.textContent = `${res.results.length} event${res.results.length === 1 ? '' : 's'}: ${res.results.length - denied} granted, ${denied} denied` +
      (unmet ? ` · ${unmet} expectation${unmet === 1 ? '' : 's'} not met` : '') + ` · evaluated in ${state.lastMs.toFixed(1)} ms`;
  }
  renderTimeline($('#timeline'), res, state.scenario, state.selected, (i) => { state.selected = i; renderResults(); }, null);
  renderDetail($('#detail'), res.results[state.selected], state.scenario);
}

function renderTimeline(list, res, scenario, selected, onSelect, diverge) {
  const events = (scenario && scenario.events) || [];
  list.replaceChildren(...res.results.map((r, i) => {
    const ev = events[r.event];
    const li = h('li', { class: `ev ev-${r.outcome}` + (i === selected ? ' selected' : '') + (diverge === i ? ' diverge' : ''), dataset: { event: i, outcome: r.outcome } },
      h('button', { type: 'button', class: 'ev-btn', 'aria-pressed': String(i === selected), onclick: () => onSelect(i) },
        h('span', { class: 'ev-n' }, String(i + 1)),
        h('span', { class: 'ev-main' },
          h('span', { class: 'ev-title' }, r.id ? h('code', { class: 'ev-id' }, r.id) : null, eventLabel(ev, r), ev && ev.user ? h('span', { class: 'ev-user' }, ev.user) : null),
          r.outcome === 'denied' ? h('span', { class: 'ev-errline' }, h('code', { class: 'ev-error' }, r.error), ' ', h('span', { class: 'ev-desc' }, r.errorDescription)) : null),
        h('span', { class: 'ev-side' },
          h('span', { class: `badge ${r.outcome}` }, r.outcome),
          r.expect ? h('span', { class: 'expect ' + (r.expect.met ? 'met' : 'unmet'), title: r.expect.met ? 'matches its expectation' : (r.expect.mismatches || []).join('\n') }, r.expect.met ? 'as expected' : 'unexpected') : null)));
    return li;
  }));
}

function card(title, ...body) {
  return h('section', { class: 'card' }, h('h3', {}, title), ...body);
}

function renderDetail(root, r, scenario) {
  if (!r) { root.replaceChildren(); return; }
  const ev = ((scenario && scenario.events) || [])[r.event] || {};
  const head = h('div', { class: 'detail-head' },
    h('h2', { id: 'detail-title' }, `Event ${r.event + 1}`, r.id ? h('code', {}, r.id) : null, h('span', { class: 'muted' }, eventLabel(ev, r))),
    h('div', { class: 'detail-meta' }, h('span', { class: `badge big ${r.outcome}` }, r.outcome),
      r.httpStatus ? h('span', { class: 'chip' }, `HTTP ${r.httpStatus}`) : null,
      h('span', { class: 'chip' }, CHANNELS[r.delivery] || r.delivery), r.at ? h('span', { class: 'chip muted' }, r.at.replace('T', ' ').replace('Z', ' UTC')) : null));
  const parts = [head];
  if (r.outcome === 'denied') parts.push(h('p', { class: 'denial' }, h('code', {}, r.error), ' ', r.errorDescription));
  if (r.expect && !r.expect.met) parts.push(h('div', { class: 'expect-box' }, h('strong', {}, 'Not as expected: '), (r.expect.mismatches || []).join('; ')));
  parts.push(responseCard(r));
  if (r.outcome === 'denied') parts.push(fixesCard(r));
  parts.push(traceCard(r.trace || [], null));
  if (ev.do && ev.do !== 'wait') parts.push(card('Sequence', h('div', { class: 'seq-wrap' }, sequenceSVG(scenario, ev, r))));
  if (r.risk) parts.push(riskCard(r.risk));
  root.replaceChildren(...parts);
}

function paramsTable(url) {
  let u;
  try { u = new URL(url); } catch { return null; }
  const params = [...new URLSearchParams(u.search), ...new URLSearchParams(u.hash.slice(1))];
  if (!params.length) return null;
  return h('table', { class: 'params' }, h('tbody', {}, params.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v)))));
}

function responseCard(r) {
  const resp = r.response || {};
  const body = [];
  body.push(h('div', { class: 'channel' }, h('strong', {}, CHANNELS[r.delivery] || r.delivery), r.httpStatus ? ` · HTTP ${r.httpStatus}` : ''));
  if (resp.location) {
    body.push(h('div', { class: 'kv' }, h('span', { class: 'k' }, 'Location'), h('code', { class: 'location' }, resp.location)));
    const t = paramsTable(resp.location);
    if (t) body.push(t);
  }
  if (resp.body) {
    let text = resp.body;
    if (r.delivery === 'json') { try { text = JSON.stringify(JSON.parse(resp.body), null, 2); } catch { /* as is */ } }
    if (r.delivery === 'errorPage') body.push(h('div', { class: 'sf-error-page' }, h('div', { class: 'sf-error-title' }, 'Salesforce'), h('pre', {}, text)));
    else body.push(h('pre', { class: 'body' }, text));
  }
  if (!resp.location && !resp.body) body.push(h('p', { class: 'muted' }, r.outcome === 'granted' ? 'No body.' : 'No response body.'));
  const iss = r.issued || {};
  const chips = [['code', 'authorization code'], ['accessToken', 'access token'], ['refreshToken', 'refresh token'], ['idToken', 'ID token'], ['sessionId', 'session ID']]
    .filter(([k]) => iss[k]).map(([, l]) => h('span', { class: 'chip ok' }, l));
  if (chips.length || iss.scope) body.push(h('div', { class: 'issued' }, h('span', { class: 'k' }, 'Issued'), ...chips,
    iss.scope ? h('span', { class: 'chip' }, 'scope: ', iss.scope) : null, iss.expiresAt ? h('span', { class: 'chip muted' }, 'expires ', iss.expiresAt) : null));
  return card('Response', ...body);
}

function fixesCard(r) {
  if (state.fixesPending) return card('Verified fixes', h('p', { class: 'muted' }, 'Looking for the smallest changes that make this event succeed…'));
  const fixes = r.fixes || [];
  // The engine's work budget can stop the search (limit names which limit).
  const stopped = r.fixLimit ? h('p', { class: 'muted small fix-limit' }, `Fix search stopped early (${r.fixLimit.limit}): ${r.fixLimit.message}`) : null;
  if (!fixes.length) return card('Fixes', stopped || h('p', { class: 'muted' }, 'No single verified change makes this event succeed.'));
  return card('Verified fixes', stopped, h('p', { class: 'muted small' }, 'Each was checked: applying it and re-evaluating grants this event.'),
    h('ol', { class: 'fixes' }, fixes.map((f, i) => h('li', { class: 'fix' },
      h('div', { class: 'fix-main' }, h('span', { class: 'chip actor' }, ACTORS[f.actor] || f.actor), h('span', { class: 'fix-summary' }, f.summary)),
      h('details', { class: 'patch' }, h('summary', {}, 'JSON Patch'), h('pre', {}, JSON.stringify(f.patch, null, 2))),
      h('button', { type: 'button', class: 'btn primary small apply', dataset: { fix: i }, onclick: () => applyFix(f) }, 'Apply')))));
}

function traceCard(trace, divergeStep) {
  return card('Trace', h('ol', { class: 'trace' }, trace.map((s, i) => h('li', { class: `step step-${s.outcome}` + (divergeStep === i ? ' diverge' : ''), dataset: { outcome: s.outcome } },
    h('span', { class: `step-badge ${s.outcome}`, title: s.outcome }, OUTCOME_ICON[s.outcome] || '?', h('span', { class: 'sr-only' }, ' ' + s.outcome)),
    h('div', { class: 'step-body' },
      h('div', { class: 'step-head' }, h('code', { class: 'rule' }, s.rule),
        s.setting ? h('button', { type: 'button', class: 'setting', title: 'Show this setting in the editor', onclick: () => focusSetting(s.setting) }, s.setting) : null,
        s.doc ? h('a', { class: 'doc', href: s.doc, target: '_blank', rel: 'noopener noreferrer' }, 'Salesforce docs', h('span', { 'aria-hidden': 'true' }, ' ↗')) : null),
      h('div', { class: 'because' }, s.because))))));
}

function riskCard(risk) {
  return card('Risk', h('div', { class: `risk risk-${risk.mechanism}` },
    h('div', { class: 'mechanism' }, MECHANISMS[risk.mechanism] || risk.mechanism),
    h('ul', { class: 'risk-list' }, RISKS.map(([k, label, note]) => h('li', { class: risk[k] ? 'yes' : 'no' },
      h('span', { class: 'risk-icon', 'aria-hidden': 'true' }, risk[k] ? '✓' : '✗'), h('span', {}, label, h('span', { class: 'sr-only' }, risk[k] ? ': yes' : ': no')),
      note ? h('span', { class: 'muted small' }, ' — ', note) : null))),
    risk.notes && risk.notes.length ? h('ul', { class: 'notes' }, risk.notes.map((n) => h('li', {}, n))) : null));
}

function applyFix(fix) {
  let next;
  try {
    next = applyPatch(state.scenario, fix.patch);
  } catch (e) {
    announce(`Could not apply the fix: ${e.message}`, true);
    return;
  }
  state.undo = { text: state.text, selected: state.selected };
  setScenario(next, { keepSelection: true });
  markCustom();
  const r = state.result && state.result.results[state.selected];
  announce(`Applied: ${fix.summary}.` + (r ? ` Event ${state.selected + 1} is now ${r.outcome}.` : ''), false, true);
}

function undo() {
  if (!state.undo) return;
  const { text, selected } = state.undo;
  state.undo = null;
  state.selected = selected;
  setScenario(JSON.parse(text), { keepSelection: true });
  announce('Undone.');
}

function announce(msg, isError = false, withUndo = false) {
  const el = $('#announce');
  el.className = 'announce' + (isError ? ' error' : '');
  el.replaceChildren(msg, withUndo ? h('button', { type: 'button', class: 'link', onclick: undo }, 'Undo') : null);
  el.hidden = false;
  clearTimeout(announce.t);
  announce.t = setTimeout(() => { el.hidden = true; }, 8000);
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
  more.hidden = !s.lesson || lesson.scrollHeight <= lesson.clientHeight + 2;
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
  state.undo = state.text ? { text: state.text, selected: state.selected } : null;
  setScenario(resp.result, opts);
  $('#preset').value = name;
  document.body.dataset.preset = name;
  return true;
}

$('#preset').addEventListener('change', (e) => {
  if (e.target.value) loadPreset(e.target.value);
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
  onInput: (text) => { json.value = text; json.ta.dispatchEvent(new Event('input')); },
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
  if (c.selected < 0 || c.selected >= Math.max(a.results.length, b.results.length)) c.selected = diff.same ? 0 : Math.min(diff.event, Math.max(a.results.length, b.results.length) - 1);
  summary.className = 'diff-summary ' + (diff.same ? 'same' : 'differs');
  summary.replaceChildren(h('strong', {}, diff.same ? 'Same answers. ' : 'First divergence: '), diff.summary);
  let bScenario = null;
  try { bScenario = JSON.parse(c.text); } catch { /* diff would have failed */ }
  const sel = (i) => { c.selected = i; evaluateCompare(); };
  const diverge = diff.same ? null : diff.event;
  renderTimeline($('#compare-a-timeline'), a, state.scenario, c.selected, sel, diverge);
  renderTimeline($('#compare-b-timeline'), b, bScenario, c.selected, sel, diverge);
  const step = c.selected === diff.event ? diff.step : null;
  $('#compare-a-trace').replaceChildren(a.results[c.selected] ? traceCard(a.results[c.selected].trace, step) : h('p', { class: 'muted' }, 'No such event in A.'));
  $('#compare-b-trace').replaceChildren(b.results[c.selected] ? traceCard(b.results[c.selected].trace, step) : h('p', { class: 'muted' }, 'No such event in B.'));
  document.body.dataset.compareGen = String((Number(document.body.dataset.compareGen) || 0) + 1);
}

// ---------------------------------------------------------------- share

async function share() {
  if (!state.parses) { announce('Fix the JSON before sharing.', true); return; }
  const { scenario, count } = redactSecrets(state.scenario);
  const fragment = `${location.origin}/#s=${await encodeScenario(scenario)}`;
  let link = fragment;
  try {
    const ctrl = new AbortController();
    const t = setTimeout(() => ctrl.abort(), 3000);
    const resp = await fetch('/api/scenarios', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(scenario), signal: ctrl.signal });
    clearTimeout(t);
    if (resp.status === 201 || resp.ok) {
      const body = await resp.json();
      if (body && typeof body.url === 'string' && body.url) link = new URL(body.url, location.origin).href;
    }
  } catch { /* no server: the fragment link it is */ }
  if (link === fragment) history.replaceState(null, '', fragment);
  const input = $('#share-link');
  input.value = link;
  $('#share-kind').textContent = link === fragment ? 'The scenario is in the link itself (compressed); nothing is stored on a server.' : 'A short link to a copy stored on this server.';
  $('#share-redacted').textContent = count ? `${count} secret${count === 1 ? ' was' : 's were'} replaced by placeholders (the outcomes stay the same).` : '';
  const dlg = $('#share-dialog');
  if (!dlg.open) dlg.showModal();
  input.focus();
  input.select();
  document.body.dataset.shared = link;
}

$('#share').addEventListener('click', share);
$('#share-copy').addEventListener('click', async () => {
  const input = $('#share-link');
  try { await navigator.clipboard.writeText(input.value); $('#share-copy').textContent = 'Copied'; } catch { input.select(); document.execCommand?.('copy'); }
  setTimeout(() => { $('#share-copy').textContent = 'Copy'; }, 1500);
});
$('#share-close').addEventListener('click', () => $('#share-dialog').close());

async function initialScenario() {
  const m = /^\/s\/([A-Za-z0-9_-]{1,128})\/?$/.exec(location.pathname);
  if (m) {
    const resp = await fetch(`/api/scenarios/${m[1]}`, { headers: { Accept: 'application/json' } });
    if (!resp.ok) throw new Error(`shared scenario ${m[1]} not found (HTTP ${resp.status})`);
    const body = await resp.json();
    return body && body.schemaVersion === undefined && body.scenario ? body.scenario : body;
  }
  const f = /^#s=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (f) return decodeScenario(f[1]);
  return null;
}

// ---------------------------------------------------------------- keys

document.addEventListener('keydown', (e) => {
  if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
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
  focusSetting,
};

// nextPaint resolves after the browser has painted what is rendered now.
const nextPaint = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));

async function start() {
  const initial = initialScenario().catch((e) => ({ error: e }));
  try {
    await loadEngine(new URL('main.wasm', import.meta.url).href);
  } catch (e) {
    document.body.dataset.state = 'error';
    $('#status').className = 'status warn';
    $('#status').textContent = `The engine did not load: ${e.message}`;
    return;
  }
  const engineReadyMs = performance.now();
  // The first result comes first: the form, which needs the engine's
  // catalog of scopes and permissions, and the preset list follow.
  const got = await initial;
  if (got && !got.error) {
    setScenario(got, { deferForm: true });
    markCustom();
  } else if (!loadPreset(DEFAULT_PRESET, { deferForm: true })) {
    setScenario({ schemaVersion: 1, orgs: [{ name: 'Acme' }], events: [] }, { deferForm: true });
  }
  const firstEvaluateMs = state.lastMs;
  await nextPaint();
  window.__caplabFirstResultMs = performance.now();
  window.__caplabTimings = { engineReadyMs, firstEvaluateMs, firstResultMs: window.__caplabFirstResultMs };

  const info = call('info').result;
  state.catalog.scopes = info.scopes;
  state.catalog.permissions = info.permissions;
  $('#engine-version').textContent = `engine ${info.engineVersion} · protocol ${info.protocol}`;
  state.presets = call('presets').result;
  const current = $('#preset').value || document.body.dataset.preset || '';
  $('#preset').replaceChildren(h('option', { value: '' }, '(custom scenario)'),
    ...state.presets.map((p) => h('option', { value: p.name, title: p.lesson }, p.title || p.name)));
  $('#preset').value = current;
  $('#compare-source').replaceChildren(h('option', { value: '' }, '(edited)'), h('option', { value: '=' }, 'Copy of A'),
    ...state.presets.map((p) => h('option', { value: p.name }, p.title || p.name)));
  if (got && got.error) announce(`Could not open the shared scenario: ${got.error.message}`, true);
  if (state.parses) {
    form.render(state.scenario);
    state.formStale = false;
    renderErrors();
  }
  state.undo = null;
  document.body.dataset.state = 'ready';
}

start();
