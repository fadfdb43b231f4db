// The browser step of a web-server login against a caplab live org, done
// over HTTP: open the authorize URL, post the login form (with its CSRF
// token), allow the app, and stop at the redirect to the client's callback.
//
// As a module: login(authUrl, {username, password}) returns the callback URL.
// As a program it is the Salesforce CLI's browser (see sf-browser in the Go
// test): node browser.mjs AUTH_URL logs in as $CAPLAB_USERNAME /
// $CAPLAB_PASSWORD, then visits the callback (the CLI's local server) and
// its success page, and writes what happened as JSON to $CAPLAB_BROWSER_RESULT.
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const fail = (msg) => { throw new Error(msg) }

// A minimal user agent: cookies by name, redirects not followed.
function userAgent () {
  const jar = new Map()
  return async function browse (url, init = {}) {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers || {}), ...(cookie ? { cookie } : {}) } })
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const i = pair.indexOf('=')
      jar.set(pair.slice(0, i), pair.slice(i + 1))
    }
    return res
  }
}

const csrfOf = (html) => (html.match(/name="csrf" value="([^"]+)"/) || fail('no csrf token in the page'))[1]
const form = (fields) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() })

// login logs in and approves, returning the callback URL the live org
// redirects the browser to (with code and state, or an error).
export async function login (authUrl, { username, password }) {
  const browse = userAgent()
  let res = await browse(authUrl)
  if (res.status === 302 || res.status === 303) return new URL(res.headers.get('location'), authUrl).href
  let html = await res.text()
  if (res.status !== 200 || !html.includes('name="password"')) fail(`authorize page answered ${res.status}: ${html.slice(0, 300)}`)
  const action = new URL(authUrl)
  action.search = ''
  res = await browse(action, form({ csrf: csrfOf(html), username, password }))
  if (res.status !== 303) fail(`login POST answered ${res.status}, want 303: ${(await res.text()).slice(0, 300)}`)
  res = await browse(new URL(res.headers.get('location'), authUrl))
  if (res.status === 302 || res.status === 303) return new URL(res.headers.get('location'), authUrl).href
  html = await res.text()
  if (!html.includes('name="decision"')) fail(`no approval page after login: ${res.status}: ${html.slice(0, 300)}`)
  res = await browse(action, form({ csrf: csrfOf(html), decision: 'allow' }))
  if (res.status !== 303) fail(`approval POST answered ${res.status}, want 303: ${(await res.text()).slice(0, 300)}`)
  return new URL(res.headers.get('location'), authUrl).href
}

// visitCallback is the browser arriving at a local client's callback: it
// follows the client's redirects on that same origin (the Salesforce CLI
// answers 303 to /OauthSuccess and finishes only once that page is read).
async function visitCallback (url) {
  const visited = []
  for (let i = 0; i < 5; i++) {
    const res = await fetch(url, { redirect: 'manual' })
    visited.push({ url: String(url), status: res.status })
    await res.arrayBuffer()
    const next = res.headers.get('location')
    if (!next || res.status < 300 || res.status > 399) return visited
    const u = new URL(next, url)
    if (u.origin !== new URL(url).origin) return visited
    url = u
  }
  return visited
}

async function main () {
  const out = { authUrl: process.argv[2] }
  try {
    const { CAPLAB_USERNAME: username, CAPLAB_PASSWORD: password } = process.env
    out.callback = await login(out.authUrl, { username, password })
    out.visited = await visitCallback(out.callback)
    out.ok = true
  } catch (e) {
    out.ok = false
    out.error = String(e?.stack || e)
  }
  if (process.env.CAPLAB_BROWSER_RESULT) writeFileSync(process.env.CAPLAB_BROWSER_RESULT, JSON.stringify(out))
  else console.log(JSON.stringify(out))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
