// Sequence diagram of one event: lanes Browser, Client app, Salesforce (the
// login host) and, when the callback goes through one, the Relay, each only
// when an arrow uses it; each arrow carries the request or the response,
// its labels wrapped rather than cut. Drawn as SVG by the page.

const NS = 'http://www.w3.org/2000/svg';

function el(name, attrs = {}, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

const clip = (s, n) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

// usesRelay: caplab models the intermediate-redirect relay by its
// registered callback URL; a callback whose host or path names a relay.
export function relayURL(url) {
  try {
    const u = new URL(url);
    return /(^|[.-])relay([.-]|$)/.test(u.hostname) || /\/relay(\/|$)/.test(u.pathname);
  } catch { return false; }
}

function orgOf(scenario, ev) {
  const orgs = scenario.orgs || [];
  return orgs.find((o) => o.name === ev.org) || orgs[0] || {};
}

export function loginHost(scenario, ev) {
  const org = orgOf(scenario, ev);
  const label = org.myDomain || String(org.name || 'org').toLowerCase().replace(/[^a-z0-9]/g, '') || 'org';
  const sandbox = org.type === 'sandbox';
  let host = ev.host || (sandbox || org.type === 'scratch' ? 'test' : 'login');
  if (host === 'login') return 'login.salesforce.com';
  if (host === 'test') return 'test.salesforce.com';
  if (host === 'myDomain') return `${label}${sandbox ? '.sandbox' : ''}.my.salesforce.com`;
  try { return new URL(host).host; } catch { return host; }
}

function appOf(scenario, ev) {
  const apps = scenario.apps || [];
  return apps.find((a) => a.name === ev.app) || (apps.length === 1 ? apps[0] : null);
}

function query(params) {
  return Object.entries(params).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}=${v}`).join('&');
}

function pathOf(url) {
  try { const u = new URL(url); return u.pathname + u.search + u.hash; } catch { return url; }
}

// scenarioUsesRelay: any app of the scenario registers a relay callback.
export function scenarioUsesRelay(scenario) {
  return (scenario.apps || []).some((a) => ((a.oauth && a.oauth.callbackUrls) || []).some(relayURL));
}

// messages lists the arrows of one event: [from, to, title, detail].
export function messages(scenario, ev, res) {
  const app = appOf(scenario, ev);
  const appName = app ? app.name : 'client';
  const callback = ev.redirectUri ?? (app && app.oauth && (app.oauth.callbackUrls || [])[0]) ?? '';
  const viaRelay = relayURL(callback);
  const relay = viaRelay || scenarioUsesRelay(scenario);
  const status = res.httpStatus ? `${res.httpStatus} ` : '';
  const resp = res.response || {};
  // A denial's arrow names its error code; the answer card above gives the
  // description, once.
  const body = res.outcome === 'denied' ? `error ${res.error}` : resp.body || 'OK';
  const m = [];
  switch (ev.do) {
    case 'authorize': {
      const type = ev.flow === 'userAgent' ? 'token' : 'code';
      if (viaRelay) {
        m.push(['Browser', 'Relay', 'GET /relay/start', 'consumer org, destination, PKCE challenge']);
        m.push(['Relay', 'Browser', '302 to the org’s authorize endpoint', 'redirect_uri = the relay’s callback; state = opaque flow handle']);
      } else if (relay) {
        m.push(['Browser', 'Browser', 'the client bypasses the relay', 'its own redirect_uri']);
      }
      m.push(['Browser', 'Salesforce', 'GET /services/oauth2/authorize',
        query({ response_type: type, client_id: ev.clientId || `‹consumer key of ${appName}›`, redirect_uri: callback, scope: ev.scope, state: ev.state,
          code_challenge: ev.pkce ? '‹S256›' : undefined })]);
      const loggedIn = (res.trace || []).some((s) => /^(user\.|consent|app\.permittedUsers)/.test(s.rule) && s.outcome !== 'skip');
      if (loggedIn) {
        m.push(['Salesforce', 'Browser', '200 login page, then approval', ev.user ? `user ${ev.user}` : '']);
        m.push(['Browser', 'Salesforce', 'POST login; approval', ev.consent ? `decision=${ev.consent}` : 'approval remembered or pre-authorized']);
      }
      if (res.delivery === 'redirect' || res.delivery === 'redirectFragment') {
        const loc = resp.location || '';
        m.push(['Salesforce', 'Browser', `${status}Location`, loc]);
        if (viaRelay) {
          m.push(['Browser', 'Relay', `GET ${pathOf(loc).split(/[?#]/)[0] || '/'}`, pathOf(loc)]);
          m.push(['Relay', 'Browser', '302 to the consumer org’s destination', 'flow claimed once; issuer checked']);
          m.push(['Browser', 'Client app', 'GET destination', res.outcome === 'granted' ? `${type}, state and iss forwarded unchanged` : 'error forwarded']);
        } else {
          m.push(['Browser', 'Client app', `GET ${pathOf(loc)}`, res.delivery === 'redirectFragment' ? 'the fragment stays in the browser' : '']);
        }
      } else {
        m.push(['Salesforce', 'Browser', `${status}${res.delivery === 'errorPage' ? 'Salesforce error page' : res.delivery}`, body]);
      }
      break;
    }
    case 'token': {
      const grant = ev.grant || 'authorization_code';
      const wire = { jwt_bearer: 'urn:ietf:params:oauth:grant-type:jwt-bearer', device: 'device_code', token_exchange: 'urn:ietf:params:oauth:grant-type:token-exchange' }[grant] || grant;
      m.push(['Client app', 'Salesforce', 'POST /services/oauth2/token', query({ grant_type: wire, client_id: ev.clientId || `‹${appName}›`,
        client_secret: ev.clientSecret, code_verifier: ev.codeVerifier, username: grant === 'password' ? ev.user : undefined, password: ev.password,
        redirect_uri: grant === 'authorization_code' && viaRelay ? callback : undefined })]);
      m.push(['Salesforce', 'Client app', `${status}${res.delivery === 'json' ? 'application/json' : res.delivery}`, body]);
      break;
    }
    case 'revoke':
      m.push(['Client app', 'Salesforce', 'POST /services/oauth2/revoke', `token=‹${ev.token || 'access'} token of ${ev.use || 'the latest grant'}›`]);
      m.push(['Salesforce', 'Client app', `${status}`.trim() || 'response', body]);
      break;
    case 'api':
      m.push(['Client app', 'Salesforce', 'GET /services/data/', `Authorization: Bearer ‹${ev.use ? 'token of ' + ev.use : 'latest token'}›`]);
      m.push(['Salesforce', 'Client app', `${status}${res.delivery}`, body]);
      break;
    case 'soapLogin':
      m.push(['Client app', 'Salesforce', 'POST /services/Soap/u/ login()', `username=${ev.user || ''} password=‹${ev.password || 'correct'}›${ev.securityToken ? '+token' : ''}`]);
      m.push(['Salesforce', 'Client app', `${status}${res.delivery === 'soapFault' ? 'SOAP fault' : 'loginResponse'}`, body]);
      break;
    case 'outboundMessage':
      m.push(['Salesforce', 'Client app', 'POST outbound message (SOAP)', res.issued?.sessionId ? 'notification with SessionId' : 'notification without a session ID']);
      m.push(['Client app', 'Salesforce', '200 Ack', '']);
      break;
    case 'visualforceSession':
      m.push(['Browser', 'Salesforce', `GET ${ev.context === 'lightning' ? '/lightning/… (Lightning page)' : '/apex/… (Visualforce page)'}`, ev.user ? `as ${ev.user}` : '']);
      m.push(['Salesforce', 'Browser', `${status}page with {!$Api.Session_ID}`, body]);
      m.push(['Browser', 'Client app', 'page script calls out', res.issued?.sessionId ? 'with the session ID' : 'no usable session ID']);
      break;
    case 'admin':
      m.push(['Salesforce', 'Salesforce', `Setup: ${ev.action || 'change'}`, body]);
      break;
    case 'wait':
      m.push(['Salesforce', 'Salesforce', `time passes: ${ev.for || ''}`, '']);
      break;
  }
  return { messages: m, relay, host: loginHost(scenario, ev), appName };
}

// LANES are the diagram's columns, left to right; a diagram draws only
// those its arrows use (a JWT bearer request never involves a browser).
const LANES = ['Browser', 'Relay', 'Client app', 'Salesforce'];
const TITLE_CHAR_W = 7.2, DETAIL_CHAR_W = 6.7, LINE_H = 14, MAX_DETAIL_LINES = 6;

// wrap breaks text into lines of at most n characters, at spaces and URL
// separators where it can; nothing is cut but past MAX_DETAIL_LINES.
export function wrap(textIn, n, maxLines = MAX_DETAIL_LINES) {
  const width = Math.max(12, n);
  const tokens = String(textIn).split(/(?<=[\s&?,;])/);
  const lines = [];
  let cur = '';
  for (let tok of tokens) {
    while (tok.length > width) {
      if (cur) { lines.push(cur.trimEnd()); cur = ''; }
      lines.push(tok.slice(0, width));
      tok = tok.slice(width);
    }
    if ((cur + tok).trimEnd().length > width && cur) { lines.push(cur.trimEnd()); cur = ''; }
    cur += tok;
  }
  if (cur.trim()) lines.push(cur.trimEnd());
  if (lines.length > maxLines) return [...lines.slice(0, maxLines - 1), clip(lines.slice(maxLines - 1).join(''), width)];
  return lines;
}

function textLines(x, y, lines, cls, anchor) {
  const t = el('text', { x, y, class: cls, 'text-anchor': anchor });
  lines.forEach((line, i) => t.append(el('tspan', { x, dy: i ? LINE_H : 0 }, line)));
  return t;
}

// width is the drawing's width in CSS pixels: the space it gets, so that
// on a phone the labels wrap instead of shrinking.
export function sequenceSVG(scenario, ev, res, width = 720) {
  const { messages: msgs, host, appName } = messages(scenario, ev, res);
  const used = new Set(msgs.flatMap(([from, to]) => [from, to]));
  const lanes = LANES.filter((l) => used.has(l));
  const sub = { Browser: 'user agent', 'Client app': appName, Salesforce: host, Relay: 'registered callback' };
  const W = Math.round(Math.min(720, Math.max(300, width))), laneW = W / Math.max(1, lanes.length), top = 56;
  const x = (lane) => laneW * lanes.indexOf(lane) + laneW / 2;
  // Each row is as tall as its wrapped labels.
  const rows = msgs.map(([from, to, title, detail], i) => {
    const self = from === to;
    const mid = self ? 0 : (x(from) + x(to)) / 2;
    const room = self ? W - x(from) - 56 : 2 * Math.min(mid, W - mid) - 8;
    const titles = wrap(`${i + 1}. ${title}`, Math.floor(room / TITLE_CHAR_W), 3);
    const details = detail ? wrap(detail, Math.floor(room / DETAIL_CHAR_W)) : [];
    return { from, to, title, detail, self, mid, titles, details, h: 26 + LINE_H * (titles.length + details.length) };
  });
  const H = top + rows.reduce((n, r) => n + r.h, 0) + 16;
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', class: 'seq',
    'aria-label': `Sequence of event ${res.event + 1}: ` + msgs.map(([f, t, title]) => `${f} to ${t}: ${title}`).join('; ') });
  const defs = el('defs');
  const marker = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '8', markerHeight: '8', orient: 'auto-start-reverse' });
  marker.append(el('path', { d: 'M0,0 L10,5 L0,10 z', class: 'seq-head' }));
  defs.append(marker);
  svg.append(defs);
  for (const lane of lanes) {
    const cx = x(lane);
    svg.append(el('line', { x1: cx, y1: 46, x2: cx, y2: H - 8, class: 'seq-life' }));
    svg.append(el('rect', { x: cx - laneW / 2 + 8, y: 4, width: laneW - 16, height: 40, rx: 6, class: `seq-lane seq-lane-${lane.replace(/ /g, '').toLowerCase()}` }));
    svg.append(el('text', { x: cx, y: 21, class: 'seq-lane-name' }, lane));
    svg.append(el('text', { x: cx, y: 36, class: 'seq-lane-sub' }, clip(sub[lane] || '', Math.floor(laneW / 7))));
  }
  let y0 = top;
  rows.forEach((row, i) => {
    const { from, to, titles, details } = row;
    const y = y0 + row.h - 14; // the arrow, under its labels
    const labelTop = y0 + 14;
    const g = el('g', { class: 'seq-msg' + (i === rows.length - 1 && from === 'Salesforce' ? ` seq-${res.outcome}` : '') });
    g.append(el('title', {}, `${i + 1}. ${from} → ${to}: ${row.title}${row.detail ? '\n' + row.detail : ''}`));
    if (row.self) {
      const cx = x(from);
      g.append(el('path', { d: `M${cx},${y - 14} h40 v16 h-38`, class: 'seq-arrow', 'marker-end': 'url(#arrow)' }));
      g.append(textLines(cx + 48, labelTop, titles, 'seq-title', 'start'));
      if (details.length) g.append(textLines(cx + 48, labelTop + LINE_H * titles.length, details, 'seq-detail', 'start'));
    } else {
      const x1 = x(from), x2 = x(to);
      const dir = Math.sign(x2 - x1);
      g.append(el('line', { x1, y1: y, x2: x2 - dir * 2, y2: y, class: 'seq-arrow' + (from === 'Salesforce' || (from === 'Relay' && to === 'Browser') ? ' seq-return' : ''), 'marker-end': 'url(#arrow)' }));
      g.append(textLines(row.mid, labelTop, titles, 'seq-title', 'middle'));
      if (details.length) g.append(textLines(row.mid, labelTop + LINE_H * titles.length, details, 'seq-detail', 'middle'));
    }
    svg.append(g);
    y0 += row.h;
  });
  return svg;
}
