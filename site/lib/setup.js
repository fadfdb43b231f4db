// Where a setting lives in Setup: the form's own labels name a JSON
// Pointer ("Connected App · Acme Sync › Permitted Users"), and a trace step
// or a fix is tied to the form control that changes it, present or not.

import { findField } from './form.js';

// decidingStep is the trace step that decided a denial: the failing one,
// else the last.
export function decidingStep(r) {
  const trace = r.trace || [];
  return trace.find((s) => s.outcome === 'fail') || (r.outcome === 'denied' ? trace.at(-1) : null) || null;
}

function indexByName(list, name) {
  const i = (list || []).findIndex((x) => x && x.name === name);
  return i >= 0 ? i : (list || []).length === 1 || !name ? 0 : -1;
}

// stepPointer is the setting a step points at; for the few rules that name
// none, the setting they read: the app's Permitted Users, the installed
// app's block switch, else the event itself (the token or code it uses).
export function stepPointer(step, scenario, evIndex) {
  if (step.setting) return step.setting;
  const ev = (scenario.events || [])[evIndex] || {};
  const app = indexByName(scenario.apps, ev.app);
  const org = indexByName(scenario.orgs, ev.org);
  switch (step.rule) {
    case 'app.permittedUsers':
      if (app >= 0) return `/apps/${app}/policies/permittedUsers`;
      break;
    case 'app.blocked': {
      const o = (scenario.orgs || [])[org];
      const appName = (scenario.apps || [])[app]?.name;
      const k = (o?.installedApps || []).findIndex((ia) => ia.app === appName);
      if (k >= 0) return `/orgs/${org}/installedApps/${k}/blocked`;
      if (org >= 0) return `/orgs/${org}/installedApps`;
      break;
    }
  }
  return `/events/${evIndex}` + (ev.use !== undefined ? '/use' : '');
}

// fixPointer is the form control a fix changes: its first operation's
// path, without a trailing "/-" (an append).
export function fixPointer(fix) {
  const op = (fix.patch || [])[0];
  return op ? op.path.replace(/\/-$/, '') : '';
}

const text = (el) => (el ? el.textContent.replace(/\s+/g, ' ').trim() : '');

function labelOf(el) {
  if (el.matches('input,select,textarea')) return text(el.closest('.field, .set-item')?.querySelector(`label[for="${CSS.escape(el.id)}"]`)) || el.getAttribute('aria-label') || '';
  if (el.matches('fieldset')) return text(el.querySelector(':scope > legend'));
  if (el.matches('.item')) return text(el.querySelector(':scope > .item-head strong'));
  if (el.matches('.field')) return text(el.querySelector('label'));
  if (el.matches('button')) return text(el).replace(/^\+\s*/, '');
  return '';
}

// settingLabel names a pointer's setting with the form's words: its
// section, the list item it is in, and its own label. Null when the form
// has nothing for it.
export function settingLabel(formRoot, ptr) {
  const found = formRoot && ptr ? findField(formRoot, ptr) : null;
  if (!found) return null;
  let el = found.el;
  // A set's checkboxes carry its pointer too: the set itself is the setting.
  const set = el.closest('fieldset.set');
  if (set && set.dataset.field === ptr) el = set;
  const parts = [text(el.closest('details.section')?.querySelector(':scope > summary > span'))];
  const item = el.closest('.item');
  if (item && item !== el) parts.push(labelOf(item));
  parts.push(labelOf(el));
  return { label: parts.filter(Boolean).filter((p, i, a) => a.indexOf(p) === i).join(' › '), exact: found.exact };
}
