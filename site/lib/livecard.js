// "Try it with a real client": what a developer needs to point a real
// OAuth client at the live org of a shared scenario. Shown in the share
// dialog and on /s/{id}, the two places that hold the share link, which is
// what reads the scenario's (synthetic) secrets; the live org's own root
// page shows the same without them.

import { h } from './dom.js';

function b64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// newPKCE is a fresh code_verifier and its S256 code_challenge.
export async function newPKCE() {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  return { verifier, challenge: b64url(digest), state: b64url(crypto.getRandomValues(new Uint8Array(9))) };
}

export function authorizeURL(issuer, app, pkce) {
  const u = new URL(issuer.replace(/\/$/, '') + '/services/oauth2/authorize');
  u.search = new URLSearchParams({ response_type: 'code', client_id: app.clientId, redirect_uri: app.callbackUrls[0] || '',
    code_challenge: pkce.challenge, code_challenge_method: 'S256', state: pkce.state }).toString();
  return u.href;
}

const shq = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
const js = (s) => JSON.stringify(String(s));

// snippets are ready-to-run clients for one app: curl, jsforce and the
// Salesforce CLI, each exchanging the code the login page sends back.
export function snippets(issuer, app, pkce) {
  const cb = app.callbackUrls[0] || 'https://your.app/callback';
  const secret = app.clientSecret ? `\n  -d client_secret=${shq(app.clientSecret)} \\` : '';
  return [
    ['curl', `# After "Open login page": log in, allow, and copy the code from the callback URL.
curl -s ${shq(issuer + '/services/oauth2/token')} \\
  -d grant_type=authorization_code \\
  --data-urlencode code=PASTE_THE_CODE \\
  -d client_id=${shq(app.clientId)} \\${secret}
  --data-urlencode redirect_uri=${shq(cb)} \\
  -d code_verifier=${shq(pkce.verifier)}`],
    ['jsforce', `import jsforce from 'jsforce';

const oauth2 = new jsforce.OAuth2({
  loginUrl: ${js(issuer)},
  clientId: ${js(app.clientId)},${app.clientSecret ? `\n  clientSecret: ${js(app.clientSecret)},` : ''}
  redirectUri: ${js(cb)},
});
const conn = new jsforce.Connection({ oauth2 });
// the code from the callback URL after "Open login page":
await conn.authorize('PASTE_THE_CODE', { code_verifier: ${js(pkce.verifier)} });
console.log(await conn.identity());`],
    ['Salesforce CLI', `# The CLI listens on http://localhost:1717/OauthRedirect: add it to the app's callback URLs.
sf org login web --instance-url ${issuer} --client-id ${app.clientId} --alias caplab
# Or with the access_token of the curl step:
SF_ACCESS_TOKEN=PASTE_THE_ACCESS_TOKEN sf org login access-token --instance-url ${issuer} --no-prompt --alias caplab`],
  ];
}

function copyButton(getText, label) {
  const b = h('button', { type: 'button', class: 'btn small copy', 'aria-label': `Copy ${label}` }, 'Copy');
  b.addEventListener('click', async () => {
    try { await navigator.clipboard.writeText(getText()); b.textContent = 'Copied'; } catch { b.textContent = 'Select and copy'; }
    setTimeout(() => { b.textContent = 'Copy'; }, 1500);
  });
  return b;
}

function value(v, label) {
  return h('span', { class: 'copyable' }, h('code', {}, v), copyButton(() => v, label));
}

// liveCard builds the card. live is the engine's "live" answer for the
// scenario the server holds; onMode(mode) shares again in another mode.
export function liveCard({ issuer, mode, live, pkce, onMode, idPrefix = 'live' }) {
  const issuerURL = issuer.replace(/\/$/, '');
  const apps = live.apps;
  const usable = apps.filter((a) => a.callbackUrls.length);
  const main = usable[0] || apps[0];
  const snippetBox = h('div', { class: 'snippets' });
  const loginLink = h('a', { class: 'btn primary open-login', target: '_blank', rel: 'noopener', id: `${idPrefix}-open-login` }, 'Open login page',
    h('span', { class: 'sr-only' }, ' (opens in a new tab)'));
  const showApp = (app) => {
    loginLink.hidden = !app || !app.callbackUrls.length;
    if (app && app.callbackUrls.length) loginLink.href = authorizeURL(issuerURL, app, pkce);
    snippetBox.replaceChildren(...(app ? snippets(issuerURL, app, pkce) : []).map(([name, code], i) => {
      const id = `${idPrefix}-snippet-${i}`;
      return h('div', { class: 'snippet' }, h('div', { class: 'snippet-head' }, h('h4', { id }, name), copyButton(() => code, `the ${name} snippet`)),
        h('pre', { 'aria-labelledby': id, tabindex: '0' }, code));
    }));
  };
  const picker = usable.length > 1 ? h('select', { id: `${idPrefix}-app`, onchange: (e) => showApp(apps.find((a) => a.name === e.target.value)) },
    usable.map((a) => h('option', { value: a.name }, a.name))) : null;
  const modeName = `${idPrefix}-mode`;
  const modeSwitch = h('fieldset', { class: 'mode-switch' }, h('legend', {}, 'Live org mode'),
    [['salesforce', 'Salesforce', 'answers as Salesforce does'], ['rfc', 'RFC', 'strict OAuth for generic clients: expires_in, RFC 7009 revocation, 401 invalid_client']].map(([v, label, hint]) => {
      const id = `${modeName}-${v}`;
      return h('span', { class: 'mode-option' }, h('input', { type: 'radio', name: modeName, id, value: v, checked: mode === v, onchange: () => onMode && onMode(v) }),
        h('label', { for: id }, h('strong', {}, label), ` — ${hint}`));
    }));
  const card = h('section', { class: 'live-card', 'aria-labelledby': `${idPrefix}-title` },
    h('h3', { id: `${idPrefix}-title` }, 'Try it with a real client'),
    h('p', { class: 'muted small' }, 'This scenario is a live org: real OAuth endpoints whose every answer comes from the same engine. The values below are the shared copy’s synthetic ones.'),
    modeSwitch,
    h('dl', { class: 'live-facts' },
      h('dt', {}, 'Issuer and instance URL'), h('dd', {}, value(issuerURL, 'the issuer')),
      h('dt', {}, 'Discovery'), h('dd', {}, value(issuerURL + '/.well-known/openid-configuration', 'the discovery URL'))),
    h('h4', {}, 'Connected apps'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'live-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'App'), h('th', { scope: 'col' }, 'client_id'), h('th', { scope: 'col' }, 'client_secret'), h('th', { scope: 'col' }, 'Callback URLs'))),
      h('tbody', {}, apps.map((a) => h('tr', {}, h('th', { scope: 'row' }, a.name), h('td', {}, value(a.clientId, `${a.name}’s client_id`)),
        h('td', {}, a.clientSecret ? value(a.clientSecret, `${a.name}’s client_secret`) : '—'),
        h('td', {}, a.callbackUrls.length ? a.callbackUrls.map((u) => h('code', { class: 'cb' }, u)) : h('span', { class: 'muted' }, 'none')))))))
  ,
    h('h4', {}, 'Users'),
    live.users.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'live-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Username'), h('th', { scope: 'col' }, 'Password'), h('th', { scope: 'col' }, 'Org'))),
      h('tbody', {}, live.users.map((u) => h('tr', {}, h('th', { scope: 'row' }, h('code', {}, u.username)), h('td', {}, value(u.password, `${u.username}’s password`)), h('td', {}, u.org))))))
      : h('p', { class: 'muted' }, 'The scenario has no users: add one to log in.'),
    h('div', { class: 'live-actions' }, picker ? h('label', { for: picker.id }, 'App ') : null, picker, loginLink),
    snippetBox);
  showApp(main);
  return card;
}
