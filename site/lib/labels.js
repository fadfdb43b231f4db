// Display names of the engine's result vocabulary.

export const OUTCOME_ICON = { pass: '✓', fail: '✗', skip: '–', info: 'i' };
export const ACTORS = { subscriberAdmin: 'Subscriber admin', isvDeveloper: 'ISV developer', user: 'User', client: 'Client developer' };
export const CHANNELS = {
  redirect: 'Redirect to the callback (query string)', redirectFragment: 'Redirect to the callback (URL fragment)', json: 'JSON body',
  errorPage: 'Salesforce error page', soapFault: 'SOAP fault', session: 'Session ID', none: 'No HTTP response',
};
export const MECHANISMS = { oauthToken: 'OAuth token through a Connected App', sessionId: 'Session ID without a Connected App', storedCredentials: 'Stored username, password and security token' };
export const RISKS = [
  ['auditable', 'Auditable', 'listed per app and user'],
  ['scopeLimited', 'Scope-limited', 'reducible to what the app needs'],
  ['timeLimited', 'Time-limited', 'expires on its own'],
  ['revocableWithoutPasswordChange', 'Revocable without a password change', ''],
  ['survivesPasswordChange', 'Survives a password change', ''],
];

export const plural = (n, word, words = word + 's') => `${n} ${n === 1 ? word : words}`;

export function eventLabel(ev, r) {
  const kind = ev ? (ev.flow || ev.grant || ev.action || ev.for || '') : '';
  return `${r ? r.do : (ev && ev.do) || '?'}${kind ? ' ' + kind : ''}`;
}

// FLOWS groups presets (and events) by the flow they teach, in this order.
export const FLOWS = ['Web server flow', 'User-agent flow', 'Refresh tokens', 'JWT and SAML bearer flows', 'Client credentials flow',
  'Device flow', 'Username-password flow', 'Token exchange', 'Session IDs and SOAP login()', 'Other'];

export function flowOf(ev) {
  if (!ev) return 'Other';
  switch (ev.do) {
    case 'authorize': return ev.flow === 'userAgent' ? 'User-agent flow' : 'Web server flow';
    case 'token':
      return {
        refresh_token: 'Refresh tokens', password: 'Username-password flow', jwt_bearer: 'JWT and SAML bearer flows', saml_bearer: 'JWT and SAML bearer flows',
        client_credentials: 'Client credentials flow', device: 'Device flow', token_exchange: 'Token exchange',
      }[ev.grant] || 'Web server flow';
    case 'soapLogin': case 'outboundMessage': case 'visualforceSession': return 'Session IDs and SOAP login()';
  }
  return null; // wait, admin, api, revoke: the flow of the events around them
}
