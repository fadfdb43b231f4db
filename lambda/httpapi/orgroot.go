package httpapi

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
)

// The live org's root page: what a developer needs to point a client at
// it. Anyone who knows the issuer (every token response carries it) can
// read this page, and the issuer must not read the scenario's secrets (the
// share id does, the live org id does not: docs/security.md). So it shows
// what is public, the issuer, discovery, each app's client_id and
// callbacks, the usernames and a ready PKCE login link, and says where the
// rest is: client secrets and passwords are on the scenario's share link,
// whose page shows them in its "Try it with a real client" card.
var orgRootPage = template.Must(template.Must(pages.Clone()).Parse(`
{{define "orgroot"}}{{template "head" .}}
<h1>{{.Title}}</h1>
<p>A caplab live org: real OAuth endpoints whose every answer comes from the scenario's policies, decided by the same engine as the playground.</p>
<dl class="facts">
<dt>Issuer and instance URL</dt><dd><code>{{.Issuer}}</code></dd>
<dt>Discovery</dt><dd><a href="{{.Discovery}}"><code>{{.Discovery}}</code></a></dd>
<dt>Mode</dt><dd>{{.Mode}}{{if eq .Mode "rfc"}} (strict OAuth for generic clients){{else}} (answers as Salesforce does){{end}}; the share dialog's mode switch makes a live org in the other mode</dd>
</dl>
<h2>Connected apps</h2>
{{if .Apps}}<table>
<thead><tr><th scope="col">App</th><th scope="col">client_id</th><th scope="col">Callback URLs</th><th scope="col">Try it</th></tr></thead>
<tbody>{{range .Apps}}<tr><th scope="row">{{.Name}}</th><td><code>{{.ClientID}}</code></td>
<td>{{range .Callbacks}}<code>{{.}}</code><br>{{else}}none{{end}}</td>
<td>{{if .LoginURL}}<a class="btn btn-brand" href="{{.LoginURL}}">Open login page<span class="sr-only"> for {{.Name}}</span></a>{{else}}no callback URL{{end}}</td></tr>{{end}}</tbody>
</table>
<p class="note">The login links send a PKCE challenge for this <code>code_verifier</code>: <code>{{.Verifier}}</code> (new on each visit). Exchange the code the callback receives:</p>
<pre>curl -s {{.Issuer}}/services/oauth2/token \
  -d grant_type=authorization_code --data-urlencode code=PASTE_THE_CODE \
  -d client_id=THE_CLIENT_ID -d client_secret=THE_SECRET_FROM_THE_SHARE_LINK \
  --data-urlencode redirect_uri=THE_CALLBACK_URL -d code_verifier={{.Verifier}}</pre>
<p class="note">With jsforce, or the Salesforce CLI (whose callback, <code>http://localhost:1717/OauthRedirect</code>, must be among the app's callback URLs):</p>
<pre>const oauth2 = new jsforce.OAuth2({ loginUrl: '{{.Issuer}}', clientId: 'THE_CLIENT_ID',
  clientSecret: 'THE_SECRET_FROM_THE_SHARE_LINK', redirectUri: 'THE_CALLBACK_URL' });
await new jsforce.Connection({ oauth2 }).authorize('PASTE_THE_CODE', { code_verifier: '{{.Verifier}}' });

sf org login web --instance-url {{.Issuer}} --client-id THE_CLIENT_ID</pre>
{{else}}<p>The scenario has no connected app.</p>{{end}}
<h2>Users</h2>
{{if .Users}}<ul>{{range .Users}}<li><code>{{.Username}}</code>{{if $.ManyOrgs}} <span class="note">({{.Org}})</span>{{end}}</li>{{end}}</ul>{{else}}<p>The scenario has no users.</p>{{end}}
<p class="note">Anyone who knows this org's address can read this page, so it lists nothing secret: client secrets and passwords are on the scenario's share link (its page has a "Try it with a real client" card).</p>
{{template "foot" .}}{{end}}
`))

type orgRootApp struct {
	Name, ClientID string
	Callbacks      []string
	LoginURL       string // the authorize URL with a PKCE challenge, for the first callback
}

// handleOrgRoot is GET / of a live org.
func (s *Server) handleOrgRoot(w http.ResponseWriter, r *http.Request, o *liveOrg) {
	verifier := base64.RawURLEncoding.EncodeToString(randomBytes(32))
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	var apps []orgRootApp
	for _, a := range o.sc.LiveClient(false).Apps {
		app := orgRootApp{Name: a.Name, ClientID: a.ClientID, Callbacks: a.CallbackURLs}
		if len(a.CallbackURLs) > 0 {
			app.LoginURL = o.issuer() + authorizeEndpoint + "?" + url.Values{"response_type": {"code"}, "client_id": {a.ClientID},
				"redirect_uri": {a.CallbackURLs[0]}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}.Encode()
		}
		apps = append(apps, app)
	}
	title := o.sc.Title
	if title == "" {
		title = "caplab live org"
	}
	pageHeaders(w)
	w.Header().Set("Content-Type", "text/html;charset=UTF-8")
	_ = orgRootPage.ExecuteTemplate(w, "orgroot", withUsers(o, map[string]any{"Title": title, "Issuer": o.issuer(), "Wide": true,
		"Discovery": o.issuer() + "/.well-known/openid-configuration", "Mode": o.mode, "Apps": apps, "Verifier": verifier}))
}
