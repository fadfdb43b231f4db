// Compare: where two runs part (events and trace steps counted from 1, as
// the timelines are) and which settings differ between A and B.

import { h } from './dom.js';
import { eventLabel, plural } from './labels.js';
import { renderTimeline, traceCard } from './results.js';

// maxShownDifferences bounds the settings list: two unrelated presets
// differ in hundreds of values, and the first few say what matters.
const maxShownDifferences = 12;

function describe(s) {
  if (!s) return 'absent';
  return s.outcome === 'granted' ? `granted (${s.delivery})` : `denied with ${s.error} “${s.errorDescription}” (${s.delivery})`;
}

// summaryText is the diff in words, with 1-based event and step numbers.
export function summaryText(diff, a, b) {
  if (diff.same) return `Same answers: all ${plural(a.results.length, 'event')} answer alike.`;
  if (!diff.a || !diff.b) {
    return `A has ${plural(a.results.length, 'event')} and B has ${b.results.length}; the first ${diff.event} answer alike.`;
  }
  const r = a.results[diff.event];
  let s = `Event ${diff.event + 1} (${r.id ? r.id + ', ' : ''}${eventLabel(null, r)}) is ${describe(diff.a)} in A and ${describe(diff.b)} in B`;
  if (diff.stepA && diff.stepB) s += `; the runs part at trace step ${diff.step + 1}: ${diff.stepA.rule} ${diff.stepA.outcome} in A, ${diff.stepB.rule} ${diff.stepB.outcome} in B`;
  return s + '.';
}

const isObj = (v) => v !== null && typeof v === 'object';

// differences lists the JSON Pointers whose values differ between two
// scenarios, leaves first found first; title and lesson are not settings.
export function differences(a, b, path = '', out = []) {
  if (path === '/title' || path === '/lesson') return out;
  if (Array.isArray(a) && Array.isArray(b) && a.every((x) => !isObj(x)) && b.every((x) => !isObj(x))) {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ ptr: path, a, b });
    return out;
  }
  // A side without an object the other has: compare its leaves with nothing.
  if (a === undefined && isObj(b)) a = Array.isArray(b) ? [] : {};
  if (b === undefined && isObj(a)) b = Array.isArray(a) ? [] : {};
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = Array.isArray(a) ? [...Array(Math.max(a.length, b.length)).keys()].map(String) : [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) differences(a[k], b[k], `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
    return out;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ ptr: path, a, b });
  return out;
}

const show = (v) => (v === undefined ? 'not set' : typeof v === 'string' ? v : JSON.stringify(v));

export function renderCompare(els, { diff, a, b, scenarioA, scenarioB, selected }, on) {
  els.summary.className = 'diff-summary ' + (diff.same ? 'same' : 'differs');
  els.summary.replaceChildren(h('strong', {}, diff.same ? '' : 'First divergence: '), summaryText(diff, a, b));
  const diffs = scenarioA && scenarioB ? differences(scenarioA, scenarioB) : [];
  els.settings.replaceChildren(...(diffs.length ? [
    h('h3', {}, `${plural(diffs.length, 'setting differs', 'settings differ')} between A and B`),
    h('ul', { class: 'setting-diffs' }, diffs.slice(0, maxShownDifferences).map((d) => {
      const named = on.settingLabel(d.ptr);
      return h('li', {}, h('span', { class: 'diff-name' }, named && named.exact ? named.label : h('code', {}, d.ptr)), ': ',
        h('span', { class: 'diff-a' }, h('span', { class: 'sr-only' }, 'A '), show(d.a)), ' → ', h('span', { class: 'diff-b' }, h('span', { class: 'sr-only' }, 'B '), show(d.b)));
    })),
    diffs.length > maxShownDifferences ? h('p', { class: 'muted small' }, `and ${diffs.length - maxShownDifferences} more`) : '',
  ] : [h('p', { class: 'muted small' }, 'A and B have the same settings.')]));
  const diverge = diff.same ? null : diff.event;
  renderTimeline(els.aTimeline, a, scenarioA, selected, on.select, { diverge, keyPrefix: 'cmp-a' });
  renderTimeline(els.bTimeline, b, scenarioB, selected, on.select, { diverge, keyPrefix: 'cmp-b' });
  const step = selected === diff.event ? diff.step : null;
  els.aTrace.replaceChildren(a.results[selected] ? traceCard(a.results[selected].trace, { divergeStep: step }) : h('p', { class: 'muted' }, 'No such event in A.'));
  els.bTrace.replaceChildren(b.results[selected] ? traceCard(b.results[selected].trace, { divergeStep: step }) : h('p', { class: 'muted' }, 'No such event in B.'));
}
