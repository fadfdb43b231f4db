// Drives a caplab live org (rfc mode) with openid-client 6: discovery, the
// code flow with PKCE (logging in and approving through the HTML forms),
// RFC 9207 iss checks, the id token, userinfo, introspection, refresh and
// revocation. Usage: node openid-client.mjs ISSUER CLIENT_ID CLIENT_SECRET
// REDIRECT_URI USERNAME PASSWORD. Prints one JSON line; exits 1 on failure.
import * as client from 'openid-client'

const [issuer, clientId, clientSecret, redirectUri, username, password] = process.argv.slice(2)
if (!password) {
  console.error('usage: node openid-client.mjs ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI USERNAME PASSWORD')
  process.exit(2)
}

const fail = (msg) => { throw new Error(msg) }
const insecure = { execute: [client.allowInsecureRequests] }

// A minimal browser: cookies by name, manual redirects.
const jar = new Map()
const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
async function browse (url, init = {}) {
  const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers || {}), cookie: cookieHeader() } })
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';')
    const i = pair.indexOf('=')
    jar.set(pair.slice(0, i), pair.slice(i + 1))
  }
  return res
}
const csrfOf = (html) => (html.match(/name="csrf" value="([^"]+)"/) || fail('no csrf token in page'))[1]
const form = (fields) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() })

// login and approve, returning the callback URL the browser is sent to.
async function authorize (authUrl) {
  let res = await browse(authUrl)
  let html = await res.text()
  if (res.status !== 200 || !html.includes('name="password"')) fail(`login page: ${res.status}`)
  const action = new URL(authUrl)
  action.search = ''
  res = await browse(action, form({ csrf: csrfOf(html), username, password }))
  if (res.status !== 303) fail(`login POST answered ${res.status}, want 303`)
  res = await browse(new URL(res.headers.get('location'), authUrl))
  if (res.status === 302) return new URL(res.headers.get('location'))
  html = await res.text()
  if (!html.includes('name="decision"')) fail(`no approval page: ${res.status}`)
  res = await browse(action, form({ csrf: csrfOf(html), decision: 'allow' }))
  if (res.status !== 303) fail(`approval POST answered ${res.status}, want 303`)
  return new URL(res.headers.get('location'))
}

const out = {}
const config = await client.discovery(new URL(issuer), clientId, clientSecret, undefined, insecure)
const meta = config.serverMetadata()
if (!meta.supportsPKCE()) fail('server metadata does not advertise S256 PKCE')
out.issuer = meta.issuer

const verifier = client.randomPKCECodeVerifier()
const state = client.randomState()
const nonce = client.randomNonce()
const authUrl = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri, scope: 'openid api refresh_token', state, nonce,
  code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256'
})
const callback = await authorize(authUrl)
if (callback.searchParams.get('iss') !== meta.issuer) fail(`callback without the right iss: ${callback}`)

// A tampered iss is rejected by the client before any token request.
const tampered = new URL(callback)
tampered.searchParams.set('iss', 'https://evil.example')
try {
  await client.authorizationCodeGrant(config, tampered, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce })
  fail('a tampered iss was accepted')
} catch (e) {
  if (!/iss/i.test(String(e.message) + String(e.cause?.message ?? '') + JSON.stringify(e.cause ?? ''))) fail(`tampered iss: unexpected error ${e}`)
  out.tamperedIssRejected = true
}

const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce })
if (!tokens.access_token || !tokens.refresh_token || !tokens.id_token) fail('missing tokens')
if (typeof tokens.expires_in !== 'number') fail('no expires_in in rfc mode')
const claims = tokens.claims()
out.sub = claims.sub

const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub)
out.userinfo = info.preferred_username

const active = await client.tokenIntrospection(config, tokens.access_token)
if (active.active !== true) fail('access token not active')

const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token)
if (!refreshed.access_token || refreshed.access_token === tokens.access_token) fail('refresh gave no new access token')

await client.tokenRevocation(config, tokens.refresh_token)
for (const t of [tokens.access_token, refreshed.access_token, tokens.refresh_token]) {
  const r = await client.tokenIntrospection(config, t)
  if (r.active !== false) fail('token still active after revoking the refresh token')
}
// RFC 7009: revoking again (an invalid token) is still 200.
await client.tokenRevocation(config, tokens.refresh_token)
try {
  await client.fetchUserInfo(config, tokens.access_token, claims.sub)
  fail('userinfo accepted a revoked token')
} catch (e) {
  out.userinfoAfterRevoke = e.status ?? e.cause?.status ?? String(e)
}
out.ok = true
console.log(JSON.stringify(out))
