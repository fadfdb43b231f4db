// "Paste the error you got": a search over the lessons (presets), the
// rules their traces check and the Salesforce errors they end in. The
// index is computed in the page: each preset evaluated once by the engine.

import { h } from './dom.js';
import { FLOWS, flowOf, plural } from './labels.js';

// maxResults bounds the list: a pasted error matches a handful of lessons.
const maxResults = 8;

// presetFlow is the flow a preset teaches: its first denied event's, else
// its first request's.
export function presetFlow(doc, result) {
  const events = doc.events || [];
  // Without a result, the lesson's own expectations say which events it
  // denies.
  const denied = result ? (result.results || []).find((r) => r.outcome === 'denied' && flowOf(events[r.event]))
    : { event: events.findIndex((ev) => ev.expect && ev.expect.outcome === 'denied' && flowOf(ev)) };
  if (denied && denied.event >= 0) return flowOf(events[denied.event]);
  for (const ev of events) if (flowOf(ev)) return flowOf(ev);
  return 'Other';
}

// buildIndex evaluates each preset: its symptoms (the errors of its denied
// events) and the rules that decided them.
export function buildIndex(presets, call) {
  return presets.map((p) => {
    const doc = call('preset', { name: p.name }).result || {};
    const res = call('evaluate', { scenario: doc, noFixes: true });
    const results = res.ok ? res.result.results : [];
    const symptoms = [];
    const rules = new Map();
    for (const r of results) {
      for (const s of r.trace || []) {
        const prev = rules.get(s.rule);
        if (s.outcome === 'fail' && !prev?.failed) rules.set(s.rule, { doc: s.doc || '', failed: true, event: r.event });
        else if (!prev) rules.set(s.rule, { doc: s.doc || '', failed: false, event: -1 });
      }
      if (r.outcome === 'denied' && !symptoms.some((s) => s.error === r.error && s.desc === r.errorDescription)) {
        symptoms.push({ error: r.error, desc: r.errorDescription, event: r.event });
      }
    }
    return { ...p, flow: presetFlow(doc, res.ok ? res.result : null), symptoms, rules };
  });
}

// normalize reads a pasted error as words: URL-decoded, + as a space,
// punctuation as spaces, lower case.
export function normalize(q) {
  let s = String(q);
  try { s = decodeURIComponent(s.replace(/\+/g, ' ')); } catch { s = s.replace(/\+/g, ' '); }
  return s.toLowerCase().replace(/[^a-z0-9_.]+/g, ' ').replace(/\s+/g, ' ').trim();
}

const words = (s) => normalize(s).split(' ').filter((w) => w.length > 2);

// search ranks the lessons for a query: an error description or code it
// contains ranks highest, then rule names, then words of the title and
// lesson. Each hit says why it matched and which event to open.
export function search(index, query) {
  const q = normalize(query);
  if (q.length < 2) return [];
  const qWords = new Set(words(q));
  const hits = [];
  for (const p of index) {
    let score = 0, why = '', event = -1;
    for (const s of p.symptoms) {
      const desc = normalize(s.desc), code = normalize(s.error);
      let sc = 0;
      if (desc && q.includes(desc)) sc += 20;
      else if (desc && q.length >= 4 && desc.includes(q)) sc += 12;
      if (code && (` ${q} `).includes(` ${code} `)) sc += 10;
      else if (code && q.length >= 4 && code.includes(q)) sc += 6;
      if (sc > score) { score = sc; why = `${s.error}: ${s.desc}`; event = s.event; }
    }
    for (const [rule, r] of p.rules) {
      const name = normalize(rule);
      if (q.includes(name) || (q.length >= 4 && name.includes(q)) || (r.doc && normalize(r.doc).includes(q) && q.length >= 6)) {
        const sc = r.failed ? 8 : 3;
        if (sc > score) { score = sc; why = `rule ${rule}`; event = r.failed ? r.event : -1; }
      }
    }
    const text = new Set(words(`${p.name} ${p.title} ${p.lesson}`));
    let common = 0;
    for (const w of qWords) if (text.has(w)) common++;
    if (common && qWords.size) {
      const sc = (5 * common) / qWords.size;
      if (sc > score) { score = sc; why = 'words of the lesson'; event = -1; }
      else score += sc / 10; // a tie breaker among errors that match alike
    }
    if (score > 0) hits.push({ preset: p, score, why, event });
  }
  hits.sort((a, b) => b.score - a.score || a.preset.title.localeCompare(b.preset.title));
  return hits.slice(0, maxResults);
}

// bySymptom groups the lessons by the error they end in, each group sorted
// by title; lessons without a denial come last.
export function bySymptom(index) {
  const groups = new Map();
  for (const p of index) {
    const keys = p.symptoms.length ? p.symptoms.map((s) => s.error) : ['No denial'];
    for (const k of new Set(keys)) {
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k).push({ preset: p, event: p.symptoms.find((s) => s.error === k)?.event ?? -1 });
    }
  }
  for (const list of groups.values()) list.sort((a, b) => a.preset.title.localeCompare(b.preset.title));
  return [...groups.entries()].sort(([a], [b]) => (a === 'No denial') - (b === 'No denial') || a.localeCompare(b));
}

// byFlow groups presets by flow, in FLOWS order, each sorted by title.
export function byFlow(index) {
  return FLOWS.map((f) => [f, index.filter((p) => p.flow === f).sort((a, b) => a.title.localeCompare(b.title))]).filter(([, list]) => list.length);
}

// Finder wires the search box: input, result list and what opening a hit
// does (open(name, event)).
export class Finder {
  constructor({ input, results, getIndex, open }) {
    Object.assign(this, { input, results, getIndex, open });
    input.addEventListener('input', () => this.show());
    input.addEventListener('focus', () => this.show());
    input.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown') { e.preventDefault(); this.results.querySelector('button')?.focus(); }
      if (e.key === 'Escape') this.close();
      if (e.key === 'Enter') { e.preventDefault(); this.results.querySelector('button')?.click(); }
    });
    results.addEventListener('keydown', (e) => {
      const buttons = [...this.results.querySelectorAll('button')];
      const i = buttons.indexOf(document.activeElement);
      if (e.key === 'ArrowDown' && i >= 0) { e.preventDefault(); buttons[Math.min(i + 1, buttons.length - 1)].focus(); }
      if (e.key === 'ArrowUp' && i >= 0) { e.preventDefault(); (i === 0 ? this.input : buttons[i - 1]).focus(); }
      if (e.key === 'Escape') { this.close(); this.input.focus(); }
    });
    document.addEventListener('click', (e) => { if (!this.input.closest('.finder').contains(e.target)) this.close(); });
  }

  close() {
    this.results.hidden = true;
  }

  item(p, event, why) {
    return h('li', {}, h('button', { type: 'button', class: 'finder-hit', dataset: { preset: p.name, event: event >= 0 ? event + 1 : '' },
      onclick: () => { this.close(); this.open(p.name, event); } },
    h('span', { class: 'hit-title' }, p.title), why ? h('span', { class: 'hit-why' }, why + (event >= 0 ? ` · event ${event + 1}` : '')) : null));
  }

  show() {
    const index = this.getIndex();
    if (!index) return;
    const q = this.input.value;
    let body;
    if (normalize(q).length < 2) {
      body = [h('p', { class: 'finder-status', role: 'status' }, `${plural(index.length, 'lesson')}, by the error they end in`),
        ...bySymptom(index).map(([sym, list]) => h('div', { class: 'finder-group' }, h('h3', {}, sym),
          h('ul', {}, list.map(({ preset, event }) => this.item(preset, event, '')))))];
    } else {
      const hits = search(index, q);
      body = [h('p', { class: 'finder-status', role: 'status' }, hits.length ? `${plural(hits.length, 'lesson')} match` : 'No lesson matches; try the error code alone (e.g. invalid_grant).'),
        h('ul', {}, hits.map((hit) => this.item(hit.preset, hit.event, hit.why)))];
    }
    this.results.replaceChildren(...body);
    this.results.hidden = false;
  }
}
