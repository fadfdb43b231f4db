package httpapi

import (
	"html/template"
	"net/http"
)

// The login, approval and error pages: plain HTML with inline style, no
// third-party assets, no scripts.
var pages = template.Must(template.New("pages").Parse(`
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}} | caplab live org</title>
<style>body{font:16px/1.4 system-ui,sans-serif;background:#f3f3f3;margin:0}main{max-width:26rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:.5rem;box-shadow:0 1px 4px #0002}
label{display:block;margin:.8rem 0 .2rem}input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;font:inherit}
button{margin-top:1rem;padding:.5rem 1.2rem;font:inherit;cursor:pointer}.err{color:#b00020}.note{color:#555;font-size:.85rem}code{background:#eee;padding:0 .2rem}</style>
</head><body><main>{{end}}
{{define "foot"}}<p class="note">caplab simulated org: synthetic data only.</p></main></body></html>{{end}}

{{define "login"}}{{template "head" .}}
<h1>Log in to {{.Org}}</h1>
{{if .Error}}<p class="err" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label for="username">Username</label><input type="text" id="username" name="username" autocomplete="username" value="{{.Username}}" required>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password">
<button type="submit">Log In</button>
</form>
{{template "foot" .}}{{end}}

{{define "consent"}}{{template "head" .}}
<h1>Allow Access?</h1>
<p><strong>{{.App}}</strong> is asking to access your data as <code>{{.Username}}</code>:</p>
<ul>{{range .Scopes}}<li>{{.}}</li>{{end}}</ul>
<form method="post" action="{{.Action}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<button type="submit" name="decision" value="deny">Deny</button>
<button type="submit" name="decision" value="allow">Allow</button>
</form>
{{template "foot" .}}{{end}}

{{define "error"}}{{template "head" .}}
<h1>{{.Title}}</h1>
<p>We can't authorize you because of an OAuth error.</p>
<p><code>error={{.Error}}</code></p>
<p><code>error_description={{.Description}}</code></p>
{{if .Body}}<pre>{{.Body}}</pre>{{end}}
{{template "foot" .}}{{end}}
`))

// pageHeaders are the headers of every authorization-endpoint response.
func pageHeaders(w http.ResponseWriter) {
	noStore(w)
	h := w.Header()
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
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
