// The form editor: Salesforce Setup's labels and options over the scenario
// object. Every control carries data-ptr, the JSON Pointer of the value it
// edits, so lint errors and trace "setting" links find their field; a
// setting that is absent points at the button that adds it. The values of
// every enumerated field come from the engine (info's enums); this file
// only holds Setup's labels for them.

import { h, newId } from './dom.js';
import { formatPointer, parsePointer, getAt } from './jsonpatch.js';

// Setup's words for enumerated values; a value the engine adds shows as is.
const VALUE_LABELS = {
  permittedUsers: { allSelfAuthorize: 'All users may self-authorize', adminApproved: 'Admin approved users are pre-authorized' },
  ipRelaxation: { enforce: 'Enforce IP restrictions', enforceRelaxRefresh: 'Enforce IP restrictions, but relax for refresh tokens',
    relaxForActivatedDevices: 'Relax IP restrictions for activated devices', relax: 'Relax IP restrictions' },
  highAssurance: { none: 'None', block: 'Block', raiseSessionLevel: 'Switch to high assurance' },
  type: { production: 'Production', sandbox: 'Sandbox', developer: 'Developer Edition', scratch: 'Scratch org' },
  distribution: { none: 'Not distributed (created in the org)', local: 'Local', managedPackage: 'Managed package', unmanagedPackage: 'Unmanaged package', packaged: 'Packaged' },
  kind: { connectedApp: 'Connected App', externalClientApp: 'External Client App' },
};
// The refresh token policy is one string ("expireAfter:30d"), checked by a
// custom rule rather than an enum: its kinds are listed here.
const REFRESH_POLICY = [['validUntilRevoked', 'Refresh token is valid until revoked'], ['immediatelyExpire', 'Immediately expire refresh token'],
  ['expireIfNotUsedFor', 'Expire refresh token if not used for N'], ['expireAfter', 'Expire refresh token after N']];
const PERMISSION_LABELS = {
  apiEnabled: 'API Enabled', apiOnlyUser: 'API Only User', approveUninstalledConnectedApps: 'Approve Uninstalled Connected Apps',
  useAnyApiClient: 'Use Any API Client', useAnyApiAuth: 'Use Any API Auth', manageConnectedApps: 'Manage Connected Apps',
  customizeApplication: 'Customize Application', modifyAllData: 'Modify All Data', manageUsers: 'Manage Users',
};
const EVENT_BOOLS = new Set(['pkce', 'immediate', 'loginAs', 'includeSessionId']);
const EVENT_FIELDS = {
  authorize: ['flow', 'user', 'host', 'redirectUri', 'scope', 'state', 'pkce', 'consent', 'loginAs', 'fromIp', 'clientId'],
  token: ['grant', 'use', 'user', 'host', 'clientSecret', 'codeVerifier', 'password', 'securityToken', 'aud', 'assertion', 'fromIp', 'clientId'],
  revoke: ['use', 'token'], api: ['use'], wait: ['for'], admin: ['action', 'user', 'permissionSet'],
  outboundMessage: ['user', 'sendAsUser', 'includeSessionId'], visualforceSession: ['user', 'context'],
  soapLogin: ['user', 'password', 'securityToken', 'fromIp', 'host'],
};
const EVENT_LABELS = {
  id: 'Event ID', do: 'Kind', org: 'Org', app: 'App', flow: 'Flow', user: 'User', host: 'Login host', redirectUri: 'redirect_uri', scope: 'scope',
  state: 'state', pkce: 'Send a PKCE code challenge', consent: 'User’s answer on the approval page', loginAs: 'Admin is logged in as the user (Login As)',
  fromIp: 'From IP address', clientId: 'client_id override', grant: 'grant_type', use: 'Uses the code/token of event', clientSecret: 'client_secret',
  codeVerifier: 'code_verifier', password: 'Password', securityToken: 'Security token', aud: 'JWT aud', assertion: 'JWT assertion', token: 'Token to revoke',
  for: 'Wait for', action: 'Admin action', permissionSet: 'Permission set', sendAsUser: 'Send as user', includeSessionId: 'Include Session ID',
  context: 'Page context', immediate: 'immediate=true', codeChallengeMethod: 'code_challenge_method',
};

// Pointer helpers over the live scenario object.
function setAt(root, ptr, value) {
  const parts = parsePointer(ptr);
  let cur = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const k = Array.isArray(cur) ? Number(parts[i]) : parts[i];
    if (cur[k] === undefined || cur[k] === null || typeof cur[k] !== 'object') cur[k] = /^\d+$/.test(parts[i + 1]) ? [] : {};
    cur = cur[k];
  }
  cur[Array.isArray(cur) ? Number(parts.at(-1)) : parts.at(-1)] = value;
}

function deleteAt(root, ptr) {
  const parts = parsePointer(ptr);
  const chain = [root];
  for (const p of parts.slice(0, -1)) {
    const next = chain.at(-1)?.[p];
    if (next === undefined || next === null || typeof next !== 'object') return;
    chain.push(next);
  }
  delete chain.at(-1)[parts.at(-1)];
  // Drop objects the deletion left empty (settings, policies, oauth…).
  for (let i = chain.length - 1; i > 0; i--) {
    const obj = chain[i];
    if (Array.isArray(obj) || Object.keys(obj).length > 0) break;
    delete chain[i - 1][parts[i - 1]];
  }
}

// names are the scenario's app names and usernames, for the form's lists.
function names(s) {
  return {
    apps: (s.apps || []).map((a) => a.name).filter(Boolean),
    users: (s.orgs || []).flatMap((o) => (o.users || []).map((u) => u.username)).filter(Boolean),
  };
}

const appTitle = (app) => `Connected App · ${app.name || 'unnamed'}`;
const appSub = (app) => (app.kind === 'externalClientApp' ? 'External Client App' : 'defined in ' + (app.ownerOrg || '?'));

// An app's and an org's fieldsets, by the pointers under /apps/N or
// /orgs/N that each holds ('' holds the rest), in the form's order: the
// keys of appGroups and orgGroups.
const APP_PARTS = ['/policies', '/oauth', ''];
const ORG_PARTS = ['', '/settings', '/settings/passwordPolicy', '/settings/trustedIpRanges', '/installedApps', '/profiles',
  '/permissionSets', '/permissionSetGroups', '/users'];

// partOf is where ptr lives in the form: its top-level list, the item's
// index (an app, an org, an event), and the fieldset's prefix (the longest
// that matches).
function partOf(ptr) {
  const m = /^\/(apps|orgs|events)\/(\d+)(\/.*)?$/.exec(ptr);
  if (!m) return { top: /^\/([^/]*)/.exec(ptr)?.[1] ?? '', index: -1, prefix: '' };
  const rest = m[3] || '';
  let prefix = '';
  for (const p of { apps: APP_PARTS, orgs: ORG_PARTS, events: [] }[m[1]]) {
    if (p && (rest === p || rest.startsWith(p + '/')) && p.length > prefix.length) prefix = p;
  }
  return { top: m[1], index: Number(m[2]), prefix };
}

// formPart names the part of the form sectionsFor draws for ptr: pointers
// with the same name are drawn by the same part.
export function formPart(ptr) {
  const { top, index, prefix } = partOf(ptr);
  return `${top} ${index} ${prefix}`;
}

export class FormEditor {
  constructor(root, { onChange, catalog }) {
    this.root = root;
    this.onChange = onChange; // (structural: bool) => void
    this.catalog = catalog; // {scopes, permissions, scopeLabels, enums}
    this.scenario = null;
  }

  // options are the engine's values for an enumerated field (a pointer
  // pattern such as "/events/*/grant") with Setup's labels.
  options(pattern) {
    const key = pattern.slice(pattern.lastIndexOf('/') + 1);
    return ((this.catalog.enums || {})[pattern] || []).map((v) => [v, VALUE_LABELS[key]?.[v] || v]);
  }

  // render rebuilds the form, keeping the focused field and the open sections.
  render(scenario) {
    this.scenario = scenario;
    const active = document.activeElement;
    const focusPtr = this.root.contains(active) ? active.dataset.ptr : null;
    const focusVal = active?.dataset?.value;
    const wasOpen = new Map([...this.root.querySelectorAll('details[data-key]')].map((d) => [d.dataset.key, d.open]));
    const scroll = this.root.scrollTop;
    this.root.replaceChildren(h('div', { class: 'form-problems', hidden: true, role: 'alert' }), ...this.sections(scenario));
    for (const d of this.root.querySelectorAll('details[data-key]')) if (wasOpen.has(d.dataset.key)) d.open = wasOpen.get(d.dataset.key);
    this.root.scrollTop = scroll;
    if (focusPtr) {
      const sel = `[data-ptr="${CSS.escape(focusPtr)}"]` + (focusVal ? `[data-value="${CSS.escape(focusVal)}"]` : '');
      this.root.querySelector(sel)?.focus({ preventScroll: true });
    }
  }

  changed(structural = false) {
    if (structural) this.render(this.scenario);
    this.onChange(structural);
  }

  // ---- field builders ----

  field(label, control, hint, ptr) {
    const id = control.id || (control.id = newId());
    return h('div', { class: 'field', dataset: { field: ptr ?? control.dataset.ptr } },
      h('label', { for: id }, label), control, hint ? h('div', { class: 'hint' }, hint) : null);
  }

  text(label, ptr, { placeholder, hint, type = 'text', list, mono } = {}) {
    const v = getAt(this.scenario, ptr);
    const input = h('input', { type, value: v ?? '', placeholder, list, class: mono ? 'mono' : undefined, dataset: { ptr }, autocomplete: 'off', spellcheck: false });
    input.addEventListener('input', () => {
      if (input.value === '') deleteAt(this.scenario, ptr);
      else setAt(this.scenario, ptr, input.value);
      this.changed();
    });
    return this.field(label, input, hint);
  }

  textarea(label, ptr, { rows = 3, hint, placeholder } = {}) {
    const ta = h('textarea', { rows, placeholder, dataset: { ptr }, spellcheck: false });
    ta.value = getAt(this.scenario, ptr) ?? '';
    ta.addEventListener('input', () => {
      if (ta.value === '') deleteAt(this.scenario, ptr);
      else setAt(this.scenario, ptr, ta.value);
      this.changed();
    });
    return this.field(label, ta, hint);
  }

  select(label, ptr, options, { hint, defaultLabel = 'Default', structural = false } = {}) {
    const v = getAt(this.scenario, ptr);
    const sel = h('select', { dataset: { ptr } },
      defaultLabel === null ? null : h('option', { value: '' }, defaultLabel),
      options.map(([val, lab]) => h('option', { value: val, selected: v === val }, lab)));
    if (v !== undefined && !options.some(([val]) => val === v)) sel.append(h('option', { value: v, selected: true }, String(v)));
    sel.addEventListener('change', () => {
      if (sel.value === '') deleteAt(this.scenario, ptr);
      else setAt(this.scenario, ptr, sel.value);
      this.changed(structural);
    });
    return this.field(label, sel, hint);
  }

  // check is a plain switch stored only when true (fields with omitempty).
  check(label, ptr, { hint, structural = false } = {}) {
    const box = h('input', { type: 'checkbox', checked: getAt(this.scenario, ptr) === true, dataset: { ptr } });
    box.addEventListener('change', () => {
      if (box.checked) setAt(this.scenario, ptr, true);
      else deleteAt(this.scenario, ptr);
      this.changed(structural);
    });
    const id = (box.id = newId());
    return h('div', { class: 'field check' }, box, h('label', { for: id }, label), hint ? h('div', { class: 'hint' }, hint) : null);
  }

  // tri is a switch whose absence means Salesforce's default.
  tri(label, ptr, { hint, defaultHint = 'Salesforce default' } = {}) {
    const v = getAt(this.scenario, ptr);
    const box = h('input', { type: 'checkbox', checked: v === true, dataset: { ptr } });
    box.indeterminate = v === undefined;
    const id = (box.id = newId());
    const reset = h('button', { type: 'button', class: 'link small', hidden: v === undefined, onclick: () => { deleteAt(this.scenario, ptr); this.changed(true); } }, 'use default');
    const tag = h('span', { class: 'default-tag', hidden: v !== undefined, title: 'Not set in the scenario: the engine applies ' + defaultHint.toLowerCase() }, defaultHint);
    box.addEventListener('change', () => {
      setAt(this.scenario, ptr, box.checked);
      reset.hidden = false;
      tag.hidden = true;
      this.changed();
    });
    return h('div', { class: 'field check' }, box, h('label', { for: id }, label), tag, reset, hint ? h('div', { class: 'hint' }, hint) : null);
  }

  lines(label, ptr, { hint, rows = 3, placeholder } = {}) {
    const ta = h('textarea', { rows, placeholder, dataset: { ptr }, spellcheck: false, class: 'mono' });
    ta.value = (getAt(this.scenario, ptr) || []).join('\n');
    ta.addEventListener('input', () => {
      const list = ta.value.split('\n').map((s) => s.trim()).filter(Boolean);
      if (list.length) setAt(this.scenario, ptr, list);
      else deleteAt(this.scenario, ptr);
      this.changed();
    });
    return this.field(label, ta, hint);
  }

  // set is a group of checkboxes over an array of names.
  set(legend, ptr, options, { hint, columns } = {}) {
    const cur = getAt(this.scenario, ptr) || [];
    const all = [...options.map((o) => (Array.isArray(o) ? o : [o, o])), ...cur.filter((v) => !options.some((o) => (Array.isArray(o) ? o[0] : o) === v)).map((v) => [v, v])];
    const fs = h('fieldset', { class: 'set' + (columns ? ' cols' : ''), dataset: { field: ptr } }, h('legend', {}, legend));
    if (all.length === 0) fs.append(h('div', { class: 'hint' }, 'none defined'));
    for (const [val, lab] of all) {
      const id = newId();
      const box = h('input', { type: 'checkbox', id, checked: cur.includes(val), dataset: { ptr, value: val } });
      box.addEventListener('change', () => {
        const list = (getAt(this.scenario, ptr) || []).filter((v) => v !== val);
        if (box.checked) {
          // keep the options' order
          const order = all.map(([v]) => v);
          list.push(val);
          list.sort((a, b) => order.indexOf(a) - order.indexOf(b));
        }
        if (list.length) setAt(this.scenario, ptr, list);
        else deleteAt(this.scenario, ptr);
        this.changed();
      });
      fs.append(h('span', { class: 'set-item' }, box, h('label', { for: id }, lab)));
    }
    if (hint) fs.append(h('div', { class: 'hint' }, hint));
    return fs;
  }

  refreshPolicy(ptr) {
    const v = getAt(this.scenario, ptr) || '';
    const [kind, dur = ''] = v.split(':');
    const m = /^(\d+(?:\.\d+)?)(h|d|mo)$/.exec(dur);
    const sel = h('select', { dataset: { ptr } }, h('option', { value: '' }, 'Default: valid until revoked'),
      REFRESH_POLICY.map(([val, lab]) => h('option', { value: val, selected: kind === val }, lab)));
    const n = h('input', { type: 'text', inputmode: 'numeric', class: 'n', value: m ? m[1] : dur, 'aria-label': 'N', size: 4 });
    const unit = h('select', { 'aria-label': 'Unit' }, [['h', 'Hour(s)'], ['d', 'Day(s)'], ['mo', 'Month(s)']].map(([u, l]) => h('option', { value: u, selected: (m ? m[2] : 'd') === u }, l)),
      m || !dur ? null : h('option', { value: '', selected: true }, '(as written)'));
    const sync = () => {
      const needsN = sel.value === 'expireIfNotUsedFor' || sel.value === 'expireAfter';
      n.hidden = unit.hidden = !needsN;
      if (sel.value === '') deleteAt(this.scenario, ptr);
      else if (!needsN) setAt(this.scenario, ptr, sel.value);
      else setAt(this.scenario, ptr, `${sel.value}:${n.value || '1'}${unit.value}`);
    };
    const needsN = kind === 'expireIfNotUsedFor' || kind === 'expireAfter';
    n.hidden = unit.hidden = !needsN;
    for (const c of [sel, n, unit]) c.addEventListener(c === n ? 'input' : 'change', () => { sync(); this.changed(); });
    const id = (sel.id = newId());
    return h('div', { class: 'field', dataset: { field: ptr } }, h('label', { for: id }, 'Refresh Token Policy'), h('div', { class: 'inline' }, sel, n, unit));
  }

  policies(base, title) {
    const p = '/apps/*/policies';
    return h('fieldset', { class: 'group', dataset: { field: base } }, h('legend', {}, title),
      this.select('Permitted Users', base + '/permittedUsers', this.options(p + '/permittedUsers'), { defaultLabel: 'Default: All users may self-authorize' }),
      this.select('IP Relaxation', base + '/ipRelaxation', this.options(p + '/ipRelaxation'), { defaultLabel: 'Default: Enforce IP restrictions' }),
      this.refreshPolicy(base + '/refreshTokenPolicy'),
      this.text('Timeout Value', base + '/sessionTimeout', { placeholder: 'org default, e.g. 2h', hint: 'Session policy; durations like 15m, 2h, 1d' }),
      this.select('High assurance session required', base + '/highAssurance', this.options(p + '/highAssurance'), { defaultLabel: 'Default: None' }));
  }

  section(key, title, body, { open = true, sub } = {}) {
    return h('details', { class: 'section', open, dataset: { key } }, h('summary', {}, h('span', {}, title), sub ? h('span', { class: 'sub' }, sub) : null), ...body);
  }

  listItem(title, ptr, body, onRemove) {
    return h('div', { class: 'item', dataset: { field: ptr } },
      h('div', { class: 'item-head' }, h('strong', {}, title), h('button', { type: 'button', class: 'link small danger', 'aria-label': `Remove ${title}`, onclick: onRemove }, 'Remove')),
      ...body);
  }

  // addButton adds an item to the list at ptr: a trace step or a fix that
  // names the absent list lands here.
  addButton(label, fn, ptr) {
    return h('button', { type: 'button', class: 'btn small add', dataset: ptr ? { ptr } : undefined, onclick: fn }, '+ ', label);
  }

  arrayPush(ptr, value) {
    const arr = getAt(this.scenario, ptr);
    if (Array.isArray(arr)) arr.push(value);
    else setAt(this.scenario, ptr, [value]);
    this.changed(true);
  }

  arrayRemove(ptr, i) {
    const arr = getAt(this.scenario, ptr);
    arr.splice(i, 1);
    if (arr.length === 0) deleteAt(this.scenario, ptr);
    this.changed(true);
  }

  // ---- sections ----

  // sections lists the whole form: the scenario, each app, the add row,
  // each org, the timeline.
  sections(s) {
    const out = [];
    if (!(s.apps || []).length && !(s.events || []).length) {
      out.push(h('p', { class: 'form-hint' }, 'An empty scenario: add a connected app and an org’s users below, then a timeline event to see what Salesforce answers.'));
    }
    const { apps, users } = names(s);
    out.push(this.scenarioSection(s, users));
    (s.apps || []).forEach((app, i) => out.push(this.appSection(app, i)));
    out.push(this.addRow(s));
    (s.orgs || []).forEach((org, i) => out.push(this.orgSection(org, i, apps)));
    out.push(this.eventsSection(s, apps, users));
    return out;
  }

  // sectionsFor is the part of the form that holds ptr (with the add row,
  // where an absent app or org lands): what naming one setting needs,
  // drawn in a fraction of the time of the whole form.
  sectionsFor(s, ptr) {
    this.scenario = s;
    const { apps, users } = names(s);
    const { top, index: i, prefix } = partOf(ptr);
    const app = top === 'apps' ? (s.apps || [])[i] : undefined;
    const org = top === 'orgs' ? (s.orgs || [])[i] : undefined;
    if (app) return [this.section(`app-${i}`, appTitle(app), [this.appGroups(app, i)[prefix]()], { sub: appSub(app) }), this.addRow(s)];
    if (org) return [this.section(`org-${i}`, `Org · ${org.name || 'unnamed'}`, [this.orgGroups(org, i, apps)[prefix]()], { sub: org.type || 'production' }), this.addRow(s)];
    if (top === 'events') return [this.eventsSection(s, apps, users, (s.events || [])[i] ? i : null)];
    if (top === 'apps' || top === 'orgs') return [this.addRow(s)];
    return [this.scenarioSection(s, users)];
  }

  scenarioSection(s, users) {
    return this.section('scenario', 'Scenario: title, clock, lesson', [
      h('datalist', { id: 'usernames' }, users.map((u) => h('option', { value: u }))),
      this.text('Title', '/title'),
      this.text('Simulated clock at the first event', '/now', { placeholder: '2026-03-01T09:00:00Z', mono: true, hint: 'RFC 3339; each org’s creation date decides the release defaults' }),
      this.textarea('Lesson', '/lesson', { rows: 3 }),
    ], { open: false });
  }

  appSection(app, i) {
    return this.section(`app-${i}`, appTitle(app), [...Object.values(this.appGroups(app, i)).map((build) => build()),
      h('div', { class: 'item-actions' }, h('button', { type: 'button', class: 'link small danger', onclick: () => this.arrayRemove('/apps', i) },
        'Remove this app', h('span', { class: 'sr-only' }, ` (${app.name || i + 1})`)))], { sub: appSub(app) });
  }

  // appGroups build an app's fieldsets, by the prefix of APP_PARTS each holds.
  appGroups(app, i) {
    const b = formatPointer(['apps', i]);
    return {
      '/policies': () => this.policies(b + '/policies', 'OAuth Policies (Manage → Edit Policies)'),
      '/oauth': () => h('fieldset', { class: 'group' }, h('legend', {}, 'API (Enable OAuth Settings)'),
        this.lines('Callback URL', b + '/oauth/callbackUrls', { hint: 'One URL per line', placeholder: 'https://app.example.com/oauth/callback' }),
        this.set('Selected OAuth Scopes', b + '/oauth/scopes', this.catalog.scopes.map((sc) => [sc, (this.catalog.scopeLabels || {})[sc] || sc]), { columns: true }),
        this.tri('Require Secret for Web Server Flow', b + '/oauth/requireSecretForWebServerFlow', { defaultHint: 'Default: on' }),
        this.tri('Require Secret for Refresh Token Flow', b + '/oauth/requireSecretForRefreshTokenFlow', { defaultHint: 'Default: on' }),
        this.check('Require Proof Key for Code Exchange (PKCE) Extension for Supported Authorization Flows', b + '/oauth/requirePkce'),
        this.check('Enable Client Credentials Flow', b + '/oauth/clientCredentials/enabled', { structural: true }),
        app.oauth?.clientCredentials?.enabled ? this.text('Run As', b + '/oauth/clientCredentials/runAs', { list: 'usernames', hint: 'The user the client credentials flow runs as' }) : null,
        this.check('Enable for Device Flow', b + '/oauth/deviceFlow'),
        this.check('Enable Token Exchange Flow', b + '/oauth/tokenExchange'),
        this.check('Enable Refresh Token Rotation', b + '/oauth/refreshTokenRotation'),
        this.text('Consumer Key', b + '/oauth/consumerKey', { mono: true, hint: 'Leave empty for a generated one' }),
        this.text('Consumer Secret', b + '/oauth/consumerSecret', { mono: true }),
        this.textarea('Use digital signatures (certificate)', b + '/oauth/certificate', { rows: 2, placeholder: '-----BEGIN CERTIFICATE-----' })),
      '': () => h('fieldset', { class: 'group' }, h('legend', {}, 'Basic Information'),
        this.text('Connected App Name', b + '/name'),
        this.select('Kind', b + '/kind', this.options('/apps/*/kind'), { defaultLabel: 'Connected App (default)' }),
        this.text('Defined in org', b + '/ownerOrg', { hint: 'The org where the app is created; it may be outside this scenario (an ISV’s org)' }),
        this.select('Distribution', b + '/distribution', this.options('/apps/*/distribution'), { defaultLabel: 'Default: not distributed' }),
        this.text('App ID (0Ci…)', b + '/appId', { mono: true })),
    };
  }

  addRow(s) {
    const firstOrg = (s.orgs || [])[0]?.name;
    return h('div', { class: 'inline add-row', dataset: { field: '/apps' } },
      this.addButton('Add connected app', () => this.arrayPush('/apps', {
        name: `Connected App ${(s.apps || []).length + 1}`, ...(firstOrg ? { ownerOrg: firstOrg } : {}),
        oauth: { callbackUrls: ['https://app.example.com/oauth/callback'], scopes: ['api', 'refresh_token'] },
      }), '/apps'),
      this.addButton('Add org', () => this.arrayPush('/orgs', { name: `Org ${(s.orgs || []).length + 1}` }), '/orgs'));
  }

  orgSection(org, i, apps) {
    return this.section(`org-${i}`, `Org · ${org.name || 'unnamed'}`, Object.values(this.orgGroups(org, i, apps)).map((build) => build()), { sub: org.type || 'production' });
  }

  // orgGroups build an org's fieldsets, by the prefix of ORG_PARTS each holds.
  orgGroups(org, i, apps) {
    const b = formatPointer(['orgs', i]);
    const profiles = (org.profiles || []).map((p) => p.name).filter(Boolean);
    const permsets = (org.permissionSets || []).map((p) => p.name).filter(Boolean);
    const groups = (org.permissionSetGroups || []).map((g) => g.name).filter(Boolean);
    const perms = this.catalog.permissions.map((p) => [p, PERMISSION_LABELS[p] || p]);
    return {
      '': () => h('fieldset', { class: 'group' }, h('legend', {}, 'Company Information'),
        this.text('Org name', b + '/name'),
        this.select('Org type', b + '/type', this.options('/orgs/*/type'), { defaultLabel: 'Default: production' }),
        this.text('My Domain', b + '/myDomain', { hint: 'acme → acme.my.salesforce.com' }),
        this.text('Created', b + '/createdAt', { type: 'date', hint: 'Drives release-dependent defaults' }),
        this.text('Org ID (00D…)', b + '/id', { mono: true }),
        this.text('Default Time Zone (UTC offset)', b + '/timeZone', { mono: true, placeholder: '-08:00', hint: 'Login hours are read in it; omitted: UTC' })),
      '/settings': () => h('fieldset', { class: 'group', dataset: { field: b + '/settings' } }, h('legend', {}, 'OAuth and OpenID Connect Settings'),
        this.tri('Allow OAuth Username-Password Flows', b + '/settings/allowUsernamePasswordFlows', { defaultHint: 'Default for creation date' }),
        this.tri('Allow OAuth User-Agent Flows', b + '/settings/allowUserAgentFlows', { defaultHint: 'Default for creation date' }),
        this.tri('Require Proof Key for Code Exchange (PKCE) Extension for Supported Authorization Flows', b + '/settings/requirePkce', { defaultHint: 'Default: off' }),
        this.tri('API Access Control: for admin-approved users, limit API access to only allowed connected apps', b + '/settings/apiAccessControl', { defaultHint: 'Default: off' }),
        this.tri('Enable SOAP API login()', b + '/settings/soapApiLogin', { defaultHint: 'Default for creation date' }),
        this.tri('SOAP API login() requires Use Any API Auth', b + '/settings/soapLoginRequiresUseAnyApiAuth', { defaultHint: 'Default for creation date' }),
        this.text('Session Settings: Timeout Value', b + '/settings/sessionTimeout', { placeholder: '2h' })),
      '/settings/passwordPolicy': () => h('fieldset', { class: 'group', dataset: { field: b + '/settings/passwordPolicy' } }, h('legend', {}, 'Password Policies'),
        this.select('Maximum invalid login attempts', b + '/settings/passwordPolicy/maxInvalidLoginAttempts',
          this.options('/orgs/*/settings/passwordPolicy/maxInvalidLoginAttempts').map(([v]) => [v, v === 'noLimit' ? 'No limit' : v]), { defaultLabel: 'Default: 10' }),
        this.select('Lockout effective period', b + '/settings/passwordPolicy/lockoutPeriod',
          this.options('/orgs/*/settings/passwordPolicy/lockoutPeriod').map(([v]) => [v, v === 'forever' ? 'Forever (must be reset by admin)' : v.replace('m', ' minutes')]), { defaultLabel: 'Default: 15 minutes' })),
      '/settings/trustedIpRanges': () => h('fieldset', { class: 'group', dataset: { field: b + '/settings/trustedIpRanges' } }, h('legend', {}, 'Network Access'),
        this.ipRanges(b + '/settings/trustedIpRanges', (org.settings || {}).trustedIpRanges || [], 'Trusted IP Ranges')),
      '/installedApps': () => h('fieldset', { class: 'group', dataset: { field: b + '/installedApps' } }, h('legend', {}, 'Connected Apps installed in this org'),
        ...(org.installedApps || []).map((ia, k) => {
          const p = `${b}/installedApps/${k}`;
          return this.listItem(`Installed: ${ia.app || '?'}`, p, [
            this.select('Connected App', p + '/app', apps.map((a) => [a, a]), { defaultLabel: null, structural: true }),
            this.check('Blocked (Connected Apps OAuth Usage → Block)', p + '/blocked'),
            this.policies(p + '/policies', 'Edit Policies'),
          ], () => this.arrayRemove(b + '/installedApps', k));
        }),
        apps.length ? null : h('div', { class: 'hint' }, 'Add a connected app first (above the orgs).'),
        this.addButton('Install a connected app', () => this.arrayPush(b + '/installedApps', { app: apps[0] || '' }), b + '/installedApps')),
      '/profiles': () => h('fieldset', { class: 'group' }, h('legend', {}, 'Profiles'),
        ...(org.profiles || []).map((p, k) => {
          const pp = `${b}/profiles/${k}`;
          return this.listItem(`Profile: ${p.name || '?'}`, pp, [
            this.text('Profile Name', pp + '/name'),
            this.set('Administrative Permissions', pp + '/permissions', perms, { columns: true }),
            this.set('Connected App Access', pp + '/connectedApps', apps),
            this.ipRanges(pp + '/loginIpRanges', p.loginIpRanges || []),
            this.loginHours(pp + '/loginHours'),
            this.text('Session Timeout', pp + '/sessionTimeout', { placeholder: 'org default' }),
          ], () => this.arrayRemove(b + '/profiles', k));
        }),
        this.addButton('Add profile', () => this.arrayPush(b + '/profiles', { name: `Profile ${(org.profiles || []).length + 1}`, permissions: ['apiEnabled'] }), b + '/profiles')),
      '/permissionSets': () => h('fieldset', { class: 'group' }, h('legend', {}, 'Permission Sets'),
        ...(org.permissionSets || []).map((p, k) => {
          const pp = `${b}/permissionSets/${k}`;
          return this.listItem(`Permission set: ${p.name || '?'}`, pp, [
            this.text('Label', pp + '/name'),
            this.set('System Permissions', pp + '/permissions', perms, { columns: true }),
            this.set('Assigned Connected Apps', pp + '/connectedApps', apps),
          ], () => this.arrayRemove(b + '/permissionSets', k));
        }),
        this.addButton('Add permission set', () => this.arrayPush(b + '/permissionSets', { name: `Permission Set ${(org.permissionSets || []).length + 1}` }), b + '/permissionSets')),
      '/permissionSetGroups': () => h('fieldset', { class: 'group', dataset: { field: b + '/permissionSetGroups' } }, h('legend', {}, 'Permission Set Groups'),
        ...(org.permissionSetGroups || []).map((g, k) => {
          const gp = `${b}/permissionSetGroups/${k}`;
          return this.listItem(`Permission set group: ${g.name || '?'}`, gp, [
            this.text('Label', gp + '/name'),
            this.set('Permission Sets in Group', gp + '/permissionSets', permsets),
            this.set('Muting permission set: muted permissions', gp + '/mutingPermissionSet/permissions', perms, { columns: true }),
            this.set('Muting permission set: muted connected apps', gp + '/mutingPermissionSet/connectedApps', apps),
          ], () => this.arrayRemove(b + '/permissionSetGroups', k));
        }),
        this.addButton('Add permission set group', () => this.arrayPush(b + '/permissionSetGroups', { name: `Group ${(org.permissionSetGroups || []).length + 1}` }), b + '/permissionSetGroups')),
      '/users': () => h('fieldset', { class: 'group' }, h('legend', {}, 'Users'),
        ...(org.users || []).map((u, k) => {
          const up = `${b}/users/${k}`;
          return this.listItem(`User: ${u.username || '?'}`, up, [
            this.text('Username', up + '/username'),
            this.select('Profile', up + '/profile', profiles.map((p) => [p, p]), { defaultLabel: '(no profile)' }),
            this.set('Permission Set Assignments', up + '/permissionSets', permsets),
            groups.length || (u.permissionSetGroups || []).length ? this.set('Permission Set Group Assignments', up + '/permissionSetGroups', groups) : null,
            this.tri('Active', up + '/active', { defaultHint: 'Default: active' }),
            this.tri('Has a password', up + '/hasPassword', { defaultHint: 'Default: yes', hint: 'Users created without a password (e.g. by SSO provisioning) cannot approve an app' }),
            this.text('Password', up + '/password', { mono: true, hint: 'Events send correct, wrong, missing or a literal compared with this' }),
            this.text('Security token', up + '/securityToken', { mono: true }),
            this.check('Frozen (Users → Freeze)', up + '/frozen'),
            this.set('Approved apps (remembered consent)', up + '/approvedApps', apps),
          ], () => this.arrayRemove(b + '/users', k));
        }),
        this.addButton('Add user', () => this.arrayPush(b + '/users', { username: `user${(org.users || []).length + 1}@${(org.myDomain || 'example')}.test`, profile: profiles[0] }), b + '/users')),
    };
  }

  // loginHours are a profile's Login Hours: a start and an end per day; a
  // day left empty has no restriction.
  loginHours(ptr) {
    const days = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
    return h('fieldset', { class: 'set', dataset: { field: ptr } }, h('legend', {}, 'Login Hours'),
      days.map((d) => h('div', { class: 'inline range', dataset: { field: `${ptr}/${d}` } },
        this.text(`${d[0].toUpperCase()}${d.slice(1)} start`, `${ptr}/${d}/start`, { mono: true, placeholder: '08:00' }),
        this.text(`${d[0].toUpperCase()}${d.slice(1)} end`, `${ptr}/${d}/end`, { mono: true, placeholder: '18:00' }))),
      h('div', { class: 'hint' }, 'HH:MM in the org’s time zone; a day whose start equals its end allows no login.'));
  }

  ipRanges(ptr, ranges, legend = 'Login IP Ranges') {
    const fs = h('fieldset', { class: 'set', dataset: { field: ptr } }, h('legend', {}, legend));
    ranges.forEach((r, i) => {
      const p = `${ptr}/${i}`;
      fs.append(h('div', { class: 'inline range' },
        this.text('Start IP', p + '/start', { mono: true }), this.text('End IP', p + '/end', { mono: true }),
        h('button', { type: 'button', class: 'link small danger', onclick: () => this.arrayRemove(ptr, i) }, 'Remove')));
    });
    fs.append(this.addButton('Add range', () => this.arrayPush(ptr, { start: '198.51.100.0', end: '198.51.100.255' })));
    return fs;
  }

  // eventsSection is the timeline: every event and the add buttons, or
  // (only, an index) that one event alone, to name one of its settings.
  eventsSection(s, apps, users, only = null) {
    const events = s.events || [];
    const lists = { apps, users, ids: events.map((e) => e.id).filter(Boolean), orgs: (s.orgs || []).map((o) => o.name) };
    const shown = only === null ? events.map((_, i) => i) : [only];
    const body = shown.map((i) => this.eventItem(s, i, lists));
    if (only === null) {
      body.push(h('div', { class: 'inline' },
        this.addButton('Add authorize', () => this.arrayPush('/events', { do: 'authorize', flow: 'webServer', user: users[0] }), '/events'),
        this.addButton('Add token', () => this.arrayPush('/events', { do: 'token', grant: 'authorization_code' })),
        this.addButton('Add wait', () => this.arrayPush('/events', { do: 'wait', for: '1h' }))));
    }
    return this.section('events', 'Timeline events', body, { sub: `${events.length} event${events.length === 1 ? '' : 's'}` });
  }

  eventItem(s, i, lists) {
    const ev = s.events[i];
    const b = `/events/${i}`;
    const keys = ['id', 'do', ...(EVENT_FIELDS[ev.do] || [])];
    if ((s.orgs || []).length > 1 || ev.org) keys.push('org');
    if (lists.apps.length > 1 || ev.app) keys.push('app');
    for (const k of Object.keys(ev)) if (!keys.includes(k) && typeof ev[k] !== 'object') keys.push(k);
    const fields = keys.map((k) => this.eventField(b, k, ev, lists));
    const extra = Object.keys(ev).filter((k) => typeof ev[k] === 'object' && ev[k] !== null);
    return this.listItem(`${i + 1}. ${ev.id ? ev.id + ' · ' : ''}${ev.do || '?'}${ev.flow ? ' ' + ev.flow : ev.grant ? ' ' + ev.grant : ev.action ? ' ' + ev.action : ''}`, b,
      [h('div', { class: 'event-grid' }, fields), extra.length ? h('div', { class: 'hint' }, `Also set in the JSON tab: ${extra.join(', ')}`) : null],
      () => this.arrayRemove('/events', i));
  }

  eventField(b, k, ev, lists) {
    const ptr = `${b}/${k}`;
    const label = EVENT_LABELS[k] || k;
    if (EVENT_BOOLS.has(k)) return this.tri(label, ptr, { defaultHint: 'not sent' });
    const values = (this.catalog.enums || {})[`/events/*/${k}`];
    if (values) return this.select(label, ptr, values.map((v) => [v, v]), { defaultLabel: k === 'do' ? null : '(default)', structural: k === 'do' });
    const list = { user: 'usernames', sendAsUser: 'usernames' }[k];
    if (k === 'app' && lists.apps.length) return this.select(label, ptr, lists.apps.map((a) => [a, a]), { defaultLabel: '(the only app)' });
    if (k === 'org' && lists.orgs.length) return this.select(label, ptr, lists.orgs.map((a) => [a, a]), { defaultLabel: '(the only org)' });
    if (k === 'use') return this.select(label, ptr, lists.ids.filter((id) => id !== ev.id).map((a) => [a, a]), { defaultLabel: '(the latest)' });
    const credential = ['clientSecret', 'codeVerifier', 'password', 'securityToken'].includes(k);
    return this.text(label, ptr, { list, mono: true, placeholder: credential ? 'correct | wrong | missing | literal' : k === 'host' ? 'login | test | myDomain | https://…' : undefined });
  }
}

// findField returns the form control for a pointer, or for its nearest
// ancestor that has one.
export function findField(root, ptr) {
  let p = ptr;
  for (;;) {
    const e = root.querySelector(`[data-ptr="${CSS.escape(p)}"]`) || root.querySelector(`[data-field="${CSS.escape(p)}"]`);
    if (e) return { el: e, exact: p === ptr };
    if (!p) return null;
    p = p.slice(0, p.lastIndexOf('/'));
  }
}
