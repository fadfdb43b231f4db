// The answer first: one card, above the timeline, with the selected event's
// verdict, the rule that decided it in Setup's words and the setting
// responsible, then the top verified fix with Apply and a link to the form
// control it changes. After an Apply, the card says what changed, in place.

import { h } from './dom.js';
import { ACTORS, CHANNELS, eventLabel, plural } from './labels.js';
import { appliedBanner, expectNote } from './results.js';
import { decidingStep, fixPointer, stepPointer } from './setup.js';

export function renderAnswer(root, r, scenario, view, on) {
  if (!r) { root.replaceChildren(); root.hidden = true; return; }
  root.hidden = false;
  const ev = ((scenario && scenario.events) || [])[r.event] || {};
  const head = h('div', { class: 'answer-head' },
    h('h2', { id: 'detail-title', tabindex: '-1' }, `Event ${r.event + 1}`, r.id ? h('code', {}, r.id) : null,
      h('span', { class: 'muted' }, eventLabel(ev, r), ev.user ? ` · ${ev.user}` : '')),
    h('div', { class: 'answer-meta' }, h('span', { class: `badge big ${r.outcome}`, id: 'verdict' }, r.outcome),
      r.httpStatus ? h('span', { class: 'chip' }, `HTTP ${r.httpStatus}`) : null,
      h('span', { class: 'chip channel-chip' }, CHANNELS[r.delivery] || r.delivery)));
  const parts = [head];
  const applied = view.applied && view.applied.event === r.event && view.applied.where === 'answer' ? view.applied : null;
  if (r.outcome === 'denied') {
    parts.push(h('p', { class: 'verdict' }, h('code', { class: 'verdict-error' }, r.error), ' ', h('span', { class: 'verdict-desc' }, r.errorDescription)));
    const step = decidingStep(r);
    if (step) parts.push(reason(step, scenario, r.event, on));
    parts.push(applied ? appliedBanner(applied, r, on) : topFix(r, view, on));
  } else {
    if (applied) parts.push(appliedBanner(applied, r, on));
    parts.push(grantedLine(r));
  }
  const note = expectNote(r, ev);
  if (note) parts.push(h('p', { class: 'lesson-note' }, note));
  root.replaceChildren(h('section', { class: `answer answer-${r.outcome}`, 'aria-labelledby': 'detail-title' }, ...parts));
}

function settingButton(ptr, on, cls = 'setting-link') {
  const named = on.settingLabel(ptr);
  return h('button', { type: 'button', class: cls, dataset: { ptr }, title: `Show ${ptr} in the form`, onclick: () => on.focusSetting(ptr) },
    named ? named.label : ptr);
}

function reason(step, scenario, evIndex, on) {
  const ptr = stepPointer(step, scenario, evIndex);
  return h('div', { class: 'reason' },
    h('h3', {}, 'Why'),
    h('p', { class: 'because', id: 'reason' }, step.because),
    h('p', { class: 'responsible' }, h('span', { class: 'k' }, 'Setting'), ' ', settingButton(ptr, on),
      step.doc ? h('a', { class: 'doc', href: step.doc, target: '_blank', rel: 'noopener noreferrer' }, 'Salesforce docs',
        h('span', { class: 'sr-only' }, ' (opens in a new tab)'), h('span', { 'aria-hidden': 'true' }, ' ↗')) : null));
}

function topFix(r, view, on) {
  if (view.fixesPending) return h('div', { class: 'top-fix pending' }, h('h3', {}, 'Fix'), h('p', { class: 'muted' }, 'Looking for the smallest change that makes this event succeed…'));
  const fixes = r.fixes || [];
  if (!fixes.length) {
    return h('div', { class: 'top-fix none' }, h('h3', {}, 'Fix'), h('p', { class: 'muted' },
      r.fixLimit ? `The fix search stopped early (${r.fixLimit.limit}).` : 'No single verified change makes this event succeed.'));
  }
  const f = fixes[0];
  const ptr = fixPointer(f);
  return h('div', { class: 'top-fix', id: 'top-fix' },
    h('h3', {}, 'Fix'),
    h('p', { class: 'fix-main' }, h('span', { class: 'chip actor' }, ACTORS[f.actor] || f.actor), ' ', h('span', { class: 'fix-summary' }, f.summary)),
    h('div', { class: 'fix-actions' },
      h('button', { type: 'button', class: 'btn primary apply', dataset: { fix: 0, focusKey: 'answer-apply' }, onclick: () => on.apply(f, 'answer') }, 'Apply'),
      ptr ? h('span', { class: 'fix-where' }, 'changes ', settingButton(ptr, on, 'setting-link fix-link')) : null,
      fixes.length > 1 ? h('a', { href: '#fixes', class: 'more-fixes' }, `${plural(fixes.length - 1, 'more verified fix', 'more verified fixes')}`) : null));
}

function grantedLine(r) {
  const iss = r.issued || {};
  const what = [['code', 'an authorization code'], ['accessToken', 'an access token'], ['refreshToken', 'a refresh token'], ['idToken', 'an ID token'], ['sessionId', 'a session ID']]
    .filter(([k]) => iss[k]).map(([, l]) => l);
  const text = what.length ? `Salesforce issues ${what.join(', ').replace(/, ([^,]*)$/, ' and $1')}` + (iss.scope ? ` with scope ${iss.scope}.` : '.') : 'Salesforce accepts the request.';
  return h('p', { class: 'granted-line' }, text);
}
