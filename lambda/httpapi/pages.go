package httpapi

import (
	"html/template"
	"net/http"
)

// The login, approval and error pages: plain HTML with inline style, no
// third-party assets, no scripts, laid out as Salesforce's (a centred card
// on a grey page, the brand blue for the main button), with a favicon as a
// data: URL. Every page lists nothing secret.
var pages = template.Must(template.New("pages").Parse(`
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}} | caplab live org</title>
<link rel="icon" href="` + faviconURL + `">
<style>` + pageCSS + `</style>
</head><body><div class="page">
<header class="brand">` + cloudSVG + `<span>caplab live org</span></header>
<main{{if .Wide}} class="wide"{{end}}>{{end}}
{{define "foot"}}</main>
<footer><p>A caplab simulated org: synthetic data only, not Salesforce.</p></footer>
</div></body></html>{{end}}

{{define "login"}}{{template "head" .}}
<h1>Log in to {{.Org}}</h1>
{{if .Error}}<p class="err" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label for="username">Username</label><input type="text" id="username" name="username" autocomplete="username" value="{{.Username}}" list="org-users" required>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password">
<button type="submit" class="btn btn-brand btn-block">Log In</button>
</form>
{{if .Users}}<section class="users" aria-labelledby="users-title">
<h2 id="users-title">Users of this org</h2>
<ul>{{range .Users}}<li><code>{{.Username}}</code>{{if $.ManyOrgs}} <span class="note">({{.Org}})</span>{{end}}</li>{{end}}</ul>
<datalist id="org-users">{{range .Users}}<option value="{{.Username}}">{{end}}</datalist>
<p class="note">Their passwords are on the scenario’s share link.</p>
</section>{{end}}
{{template "foot" .}}{{end}}

{{define "consent"}}{{template "head" .}}
<h1>Allow Access?</h1>
<p><strong>{{.App}}</strong> is asking to:</p>
<ul class="scopes">{{range .Scopes}}<li>{{.}}</li>{{end}}</ul>
<p>Do you want to allow access for <strong>{{.Username}}</strong>?</p>
<form method="post" action="{{.Action}}" class="actions">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<button type="submit" name="decision" value="deny" class="btn">Deny</button>
<button type="submit" name="decision" value="allow" class="btn btn-brand">Allow</button>
</form>
{{template "foot" .}}{{end}}

{{define "error"}}{{template "head" .}}
<h1>{{.Title}}</h1>
<p>We can't authorize you because of an OAuth error. For more information, contact your Salesforce administrator.</p>
<dl class="facts">
<dt>error</dt><dd><code>{{.Error}}</code></dd>
<dt>error_description</dt><dd><code>{{.Description}}</code></dd>
</dl>
{{if .Body}}<pre>{{.Body}}</pre>{{end}}
{{template "foot" .}}{{end}}
`))

// pageCSS styles every page: Salesforce's grey page, white card, brand blue.
const pageCSS = `*{box-sizing:border-box}
body{margin:0;font:15px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#181818;background:#f3f3f3}
.page{min-height:100vh;display:flex;flex-direction:column;align-items:center;padding:2.5rem 1rem}
.brand{display:flex;gap:.6rem;align-items:center;margin-bottom:1.5rem;color:#032d60;font-weight:700;font-size:1.25rem}
main{width:100%;max-width:26rem;background:#fff;border:1px solid #dddbda;border-radius:.25rem;padding:1.5rem 1.75rem;box-shadow:0 2px 2px rgba(0,0,0,.08)}
main.wide{max-width:52rem}
h1{font-size:1.5rem;font-weight:400;margin:0 0 1rem;line-height:1.25}
h2{font-size:1rem;margin:1.5rem 0 .5rem}
label{display:block;margin:.9rem 0 .3rem;color:#444;font-size:.875rem}
input[type=text],input[type=password]{width:100%;padding:.7rem .75rem;font:inherit;border:1px solid #8c8c8c;border-radius:.25rem}
input:focus,.btn:focus,a:focus{outline:3px solid #1b96ff;outline-offset:1px}
.btn{display:inline-block;padding:.55rem 1.2rem;border-radius:.25rem;font:inherit;cursor:pointer;border:1px solid #8c8c8c;background:#fff;color:#0b5cab;text-decoration:none}
.btn-brand{background:#0b5cab;border-color:#0b5cab;color:#fff}
.btn-block{display:block;width:100%;margin-top:1.25rem;padding:.75rem;font-size:1rem}
.actions{display:flex;justify-content:flex-end;gap:.5rem;margin-top:1.25rem}
.err{color:#8e030f;background:#fef1ee;border:1px solid #ba0517;border-radius:.25rem;padding:.5rem .75rem}
.note{color:#5c5c5c;font-size:.8125rem}
a{color:#0b5cab}
code{background:#f3f3f3;padding:0 .25rem;border-radius:2px;font-size:.875em;overflow-wrap:anywhere}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f3f3f3;padding:.75rem;border-radius:.25rem;font-size:.8125rem}
.scopes li,.users li{margin:.25rem 0}
.users{border-top:1px solid #dddbda;margin-top:1.5rem}
.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.35rem 1rem}
.facts dt{color:#5c5c5c;font-size:.875rem}
.facts dd{margin:0;min-width:0}
table{border-collapse:collapse;width:100%;font-size:.875rem}
th,td{text-align:left;vertical-align:top;padding:.4rem .6rem .4rem 0;border-top:1px solid #e5e5e5}
footer{margin-top:1.5rem;color:#5c5c5c;font-size:.75rem;text-align:center}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}`

// cloudSVG is the pages' mark: a cloud, drawn inline (no image request).
const cloudSVG = `<svg width="40" height="28" viewBox="0 0 40 28" aria-hidden="true" focusable="false"><path fill="#0b5cab" d="M16.5 3.2A8 8 0 0 1 29 5.6a7 7 0 0 1 9.5 6.6A7.6 7.6 0 0 1 31 19.8c-.7 0-1.4-.1-2-.3a6.3 6.3 0 0 1-8.6 2.5 7.2 7.2 0 0 1-13.4-.8A6.6 6.6 0 0 1 2 14.6a6.6 6.6 0 0 1 9.4-6 6.9 6.9 0 0 1 5.1-5.4z"/></svg>`

// faviconURL is the pages' favicon, the same cloud (pageHeaders' CSP
// allows data: images for it).
const faviconURL = `data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 40 28'%3E%3Cpath fill='%230b5cab' d='M16.5 3.2A8 8 0 0 1 29 5.6a7 7 0 0 1 9.5 6.6A7.6 7.6 0 0 1 31 19.8c-.7 0-1.4-.1-2-.3a6.3 6.3 0 0 1-8.6 2.5 7.2 7.2 0 0 1-13.4-.8A6.6 6.6 0 0 1 2 14.6a6.6 6.6 0 0 1 9.4-6 6.9 6.9 0 0 1 5.1-5.4z'/%3E%3C/svg%3E`

// loginUser is a user the login page lists: usernames are not secret
// (every token's identity URL names its user); passwords are only on the
// share link.
type loginUser struct{ Org, Username string }

// withUsers adds the live org's users to a login page's data, as the
// README promises: the page lists them (and offers them to the username
// field), with their org's name when there are several.
func withUsers(o *liveOrg, data map[string]any) map[string]any {
	var users []loginUser
	for _, u := range o.sc.LiveClient(false).Users {
		users = append(users, loginUser{Org: u.Org, Username: u.Username})
	}
	data["Users"], data["ManyOrgs"] = users, len(o.sc.Orgs) > 1
	return data
}

// pageCSP lets a page use its own <style> and its data: favicon, nothing
// else: no script, no frame, no other request.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'"

// pageHeaders are the headers of every authorization-endpoint response.
func pageHeaders(w http.ResponseWriter) {
	noStore(w)
	h := w.Header()
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", pageCSP)
}

func renderPage(w http.ResponseWriter, status int, name string, data map[string]any) {
	pageHeaders(w)
	w.Header().Set("Content-Type", "text/html;charset=UTF-8")
	w.WriteHeader(status)
	_ = pages.ExecuteTemplate(w, name, data)
}

// errorPage shows an OAuth error on the org's own page: never a redirect.
func errorPage(w http.ResponseWriter, status int, code, desc, body string) {
	if status < 200 || status == http.StatusFound || status == http.StatusSeeOther {
		status = http.StatusOK
	}
	title := "OAuth Error"
	if code == "Insufficient Privileges" {
		title = code
	}
	renderPage(w, status, "error", map[string]any{"Title": title, "Error": code, "Description": desc, "Body": body})
}
