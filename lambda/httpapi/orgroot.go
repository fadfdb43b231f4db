package httpapi

import (
	"html/template"
	"net/http"
)

// The live org's root page: what a developer needs to point a client at
// it. It shows nothing secret (no consumer secrets, no passwords): the
// share link is what reads those.
var orgRootPage = template.Must(template.Must(pages.Clone()).Parse(`
{{define "orgroot"}}{{template "head" .}}
<h1>{{.Title}}</h1>
<p>A caplab live org: real OAuth endpoints whose every answer comes from the scenario's policies.</p>
<dl>
<dt>Issuer and instance URL</dt><dd><code>{{.Issuer}}</code></dd>
<dt>Discovery</dt><dd><a href="{{.Discovery}}"><code>{{.Discovery}}</code></a></dd>
<dt>Mode</dt><dd>{{.Mode}}</dd>
</dl>
<h2>Connected apps</h2>
<ul>{{range .Apps}}<li><strong>{{.Name}}</strong>: client_id <code>{{.ClientID}}</code>{{range .Callbacks}}<br>callback <code>{{.}}</code>{{end}}</li>{{end}}</ul>
{{template "foot" .}}{{end}}
`))

type orgRootApp struct {
	Name, ClientID string
	Callbacks      []string
}

// handleOrgRoot is GET / of a live org.
func (s *Server) handleOrgRoot(w http.ResponseWriter, r *http.Request) {
	o, ok := s.org(w, r)
	if !ok {
		return
	}
	apps := make([]orgRootApp, 0, len(o.sc.Apps))
	for i := range o.sc.Apps {
		a := &o.sc.Apps[i]
		apps = append(apps, orgRootApp{Name: a.Name, ClientID: a.ConsumerKey(), Callbacks: a.OAuth.CallbackURLs})
	}
	title := o.sc.Title
	if title == "" {
		title = "caplab live org"
	}
	pageHeaders(w)
	w.Header().Set("Content-Type", "text/html;charset=UTF-8")
	_ = orgRootPage.ExecuteTemplate(w, "orgroot", map[string]any{"Title": title, "Issuer": o.issuer(),
		"Discovery": o.issuer() + "/.well-known/openid-configuration", "Mode": o.mode, "Apps": apps})
}
