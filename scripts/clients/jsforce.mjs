// Drives caplab live orgs with jsforce 3, the way Salesforce developers use
// it, and prints what jsforce returned as one JSON object: one entry per
// case, {ok: true, ...observations} or {ok: false, error}. The Go test
// (lambda/httpapi/clients) starts the live orgs and asserts every entry.
//
// Usage: node jsforce.mjs < config.json (see clientsConfig in the Go test).
// Needs Node 22 (jsforce 3's engines); never reaches beyond the live orgs.
import { createSign } from 'node:crypto'
import { readFileSync } from 'node:fs'
import jsforce from 'jsforce'
import { login } from './browser.mjs'

const cfg = JSON.parse(readFileSync(0, 'utf8'))
const on = cfg.orgOn.instanceUrl
const off = cfg.orgOff.instanceUrl
const user = cfg.user

const fail = (msg) => { throw new Error(msg) }

// errorOf is what jsforce surfaces of an error.
const errorOf = (e) => ({ name: e?.name, message: e?.message, errorCode: e?.errorCode })

// webLogin runs the web-server flow: the authorize URL jsforce builds, the
// browser step over HTTP, and conn.authorize(code).
async function webLogin ({ pkce = false } = {}) {
  const app = pkce ? cfg.pkceApp : cfg.webApp
  const oauth2 = new jsforce.OAuth2({
    loginUrl: on, clientId: app.clientId, redirectUri: app.redirectUri,
    ...(pkce ? { useVerifier: true } : { clientSecret: app.clientSecret })
  })
  const state = 'st-' + Math.random().toString(36).slice(2)
  const authUrl = new URL(oauth2.getAuthorizationUrl({ scope: 'api refresh_token id', state }))
  const callback = new URL(await login(authUrl.href, user))
  if (callback.origin + callback.pathname !== app.redirectUri) fail(`redirected to ${callback}, want ${app.redirectUri}`)
  if (callback.searchParams.get('state') !== state) fail(`callback state ${callback.searchParams.get('state')}, want ${state}`)
  const code = callback.searchParams.get('code') || fail(`no code in the callback: ${callback}`)
  const conn = new jsforce.Connection({ oauth2 })
  const userInfo = await conn.authorize(code)
  return { conn, oauth2, userInfo, authUrl }
}

const sessionOf = ({ conn, userInfo, authUrl }) => ({
  userInfo,
  instanceUrl: conn.instanceUrl,
  accessToken: Boolean(conn.accessToken),
  refreshToken: Boolean(conn.refreshToken),
  codeChallenge: authUrl.searchParams.has('code_challenge'),
  codeChallengeMethod: authUrl.searchParams.get('code_challenge_method')
})

// signedAssertion is a JWT bearer assertion signed with the app's key.
function signedAssertion ({ clientId, username, privateKey, aud }) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const input = b64({ alg: 'RS256', typ: 'JWT' }) + '.' + b64({ iss: clientId, sub: username, aud, exp: Math.floor(Date.now() / 1000) + 180 })
  return input + '.' + createSign('RSA-SHA256').update(input).sign(privateKey, 'base64url')
}

const cases = {
  async webServer () {
    return sessionOf(await webLogin())
  },

  async webServerPkce () {
    return sessionOf(await webLogin({ pkce: true }))
  },

  async refresh () {
    const { conn, oauth2 } = await webLogin()
    const res = await oauth2.refreshToken(conn.refreshToken)
    // The new token at the identity URL the refresh answered.
    const fresh = new jsforce.Connection({ instanceUrl: res.instance_url, accessToken: res.access_token })
    const id = await fresh.request(res.id)
    return { newAccessToken: res.access_token !== conn.accessToken, instanceUrl: res.instance_url, id: res.id, username: id.username }
  },

  // The access token alone is revoked (the refresh token lives on): the
  // next call gets 401, jsforce refreshes and retries.
  async autoRefresh () {
    const { conn } = await webLogin()
    const stale = conn.accessToken
    const revoke = await fetch(on + '/services/oauth2/revoke', {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: stale })
    })
    let refreshed = null
    conn.on('refresh', (accessToken) => { refreshed = accessToken })
    const id = await conn.identity()
    return { revokeStatus: revoke.status, refreshed: refreshed !== null, newAccessToken: refreshed !== null && refreshed !== stale && conn.accessToken === refreshed, username: id.username }
  },

  async revoke () {
    const { conn, oauth2 } = await webLogin()
    await oauth2.revokeToken(conn.refreshToken)
    const out = {}
    try {
      await oauth2.refreshToken(conn.refreshToken)
      out.refreshAfterRevoke = { ok: true }
    } catch (e) {
      out.refreshAfterRevoke = errorOf(e)
    }
    try {
      await new jsforce.Connection({ instanceUrl: conn.instanceUrl, accessToken: conn.accessToken }).request(conn.userInfo.url)
      out.identityAfterRevoke = { ok: true }
    } catch (e) {
      out.identityAfterRevoke = errorOf(e)
    }
    return out
  },

  async identity () {
    const { conn } = await webLogin()
    const id = await conn.identity()
    return { id: id.id, username: id.username, user_id: id.user_id, organization_id: id.organization_id, display_name: id.display_name }
  },

  async query () {
    const { conn } = await webLogin()
    const res = await conn.query('SELECT Id, Name FROM Organization')
    return { version: conn.version, totalSize: res.totalSize, done: res.done, records: res.records.map(({ Id, Name }) => ({ Id, Name })) }
  },

  async limits () {
    const { conn } = await webLogin()
    const res = await conn.limits()
    return { version: conn.version, DailyApiRequests: res.DailyApiRequests }
  },

  async describeGlobal () {
    const { conn } = await webLogin()
    const res = await conn.describeGlobal()
    return { version: conn.version, encoding: res.encoding, sobjects: res.sobjects.map((s) => s.name) }
  },

  // SOAP login() with no OAuth settings: username and password+token.
  async soapLoginOn () {
    const conn = new jsforce.Connection({ loginUrl: on })
    const userInfo = await conn.login(user.username, user.password + user.securityToken)
    const res = await conn.query('SELECT Id, Name FROM Organization')
    return { userInfo, instanceUrl: conn.instanceUrl, version: conn.version, records: res.records.map(({ Id, Name }) => ({ Id, Name })) }
  },

  async soapLoginOff () {
    const conn = new jsforce.Connection({ loginUrl: off })
    try {
      await conn.login(cfg.offUser.username, cfg.offUser.password + cfg.offUser.securityToken)
      return { loggedIn: true }
    } catch (e) {
      return { loggedIn: false, error: errorOf(e) }
    }
  },

  async jwtBearer () {
    const { clientId, username, privateKey } = cfg.jwtApp
    const conn = new jsforce.Connection({ oauth2: { loginUrl: on, clientId } })
    const assertion = signedAssertion({ clientId, username, privateKey, aud: on })
    const userInfo = await conn.authorize({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion })
    const id = await conn.identity()
    return { userInfo, instanceUrl: conn.instanceUrl, refreshToken: Boolean(conn.refreshToken), username: id.username }
  },

  async clientCredentials () {
    const { clientId, clientSecret } = cfg.ccApp
    const conn = new jsforce.Connection({ oauth2: { loginUrl: on, clientId, clientSecret } })
    const userInfo = await conn.authorize({ grant_type: 'client_credentials' })
    const id = await conn.identity()
    return { userInfo, instanceUrl: conn.instanceUrl, refreshToken: Boolean(conn.refreshToken), username: id.username }
  }
}

const only = process.argv.slice(2)
const out = { jsforceVersion: jsforce.VERSION, node: process.version }
for (const [name, run] of Object.entries(cases)) {
  if (only.length && !only.includes(name)) continue
  try {
    out[name] = { ok: true, ...(await run()) }
  } catch (e) {
    out[name] = { ok: false, error: { ...errorOf(e), stack: String(e?.stack || e) } }
  }
}
console.log(JSON.stringify(out))
