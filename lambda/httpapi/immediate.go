package httpapi

import (
	"html/template"
	"net/http"
	"net/url"

	"github.com/caplab/caplab/policy"
)

// immediate=true asks Salesforce not to show a login page; to a visitor who
// is not logged in it answers at once, redirecting to the callback with
// immediate_unsuccessful. Anyone can share a scenario with any callback, so
// the live org never sends a visitor who has not logged in to it off-site:
// it shows that answer, with the exact Location Salesforce would send, and
// a link the visitor may follow (a normal navigation of theirs, to a URL
// the scenario registered).

var immediatePages = template.Must(template.Must(pages.Clone()).Parse(`
{{define "immediate"}}{{template "head" .}}
<h1>Not logged in</h1>
<p>The app asked Salesforce not to show a login page (<code>immediate=true</code>), and you are not logged in to {{.Org}}, so Salesforce answers at once with an error:</p>
<p><code>error={{.Error}}</code></p>
<p><code>error_description={{.Description}}</code></p>
<p>Salesforce would redirect your browser to the app's callback:</p>
<pre>{{.Location}}</pre>
{{if .Link}}<p><a href="{{.Link}}" rel="noreferrer">Continue to the app</a></p>
{{else}}<p class="note">This callback's scheme can't be a link here; copy the address if you want to follow it.</p>{{end}}
{{template "foot" .}}{{end}}
`))

// immediatePage shows the immediate_unsuccessful answer to a visitor who
// has not logged in, instead of redirecting them.
func (s *Server) immediatePage(w http.ResponseWriter, o *liveOrg, p authParams) {
	loc := s.errorLocation(o, p, p.redirectURI, "", policy.LiveErrImmediate, policy.LiveDescImmediate)
	orgName := "the org"
	if org := o.sc.HomeOrg(o.sc.AppByConsumerKey(p.clientID)); org != nil {
		orgName = org.Name
	}
	pageHeaders(w)
	w.Header().Set("Content-Type", "text/html;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_ = immediatePages.ExecuteTemplate(w, "immediate", map[string]any{"Title": "Not logged in", "Org": orgName,
		"Error": policy.LiveErrImmediate, "Description": policy.LiveDescImmediate, "Location": loc, "Link": linkTarget(loc)})
}

// scriptSchemes are URL schemes a link must never carry: they run or embed
// content in the page's origin instead of navigating to the app. Callbacks
// may use any scheme (native apps register their own, as myapp://cb).
var scriptSchemes = map[string]bool{"javascript": true, "vbscript": true, "data": true, "blob": true, "filesystem": true, "file": true, "about": true}

// linkTarget is the callback URL as a link's href, or "" when its scheme
// must not be linked. html/template would turn any scheme but http, https
// and mailto into "#ZgotmplZ", hence template.URL after the check.
func linkTarget(loc string) template.URL {
	u, err := url.Parse(loc)
	if err != nil || u.Scheme == "" || scriptSchemes[u.Scheme] {
		return ""
	}
	return template.URL(loc)
}
