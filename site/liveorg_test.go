package site_test

// The live org one click away: the share dialog's and /s/{id}'s "Try it
// with a real client" card, checked against the real HTTP API by walking
// the OAuth flow it describes, and the live org's own pages.

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/caplab/caplab/lambda/httpapi"
	"github.com/caplab/caplab/lambda/store/memstore"
	"github.com/caplab/caplab/policy"
)

// realServer serves the site and the HTTP API of caplab serve (live orgs
// under /o/{id} on the same origin) with the in-memory store.
func realServer(t testing.TB) string {
	t.Helper()
	ln := listen(t)
	base := "http://" + ln.Addr().String()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	startServer(t, ln, httpapi.New(httpapi.Config{BaseURL: base, SigningKey: key, Site: staticSite(), NoRateLimits: true}, memstore.New()))
	return base
}

// shownCard is what the card shows.
type shownCard struct {
	Issuer    string               `json:"issuer"`
	Discovery string               `json:"discovery"`
	Apps      map[string][2]string `json:"apps"`  // name → client_id, client_secret
	Users     map[string]string    `json:"users"` // username → password
	Login     string               `json:"login"`
	Snippets  map[string]string    `json:"snippets"`
	Mode      string               `json:"mode"`
}

const readCard = `(c => ({
	issuer: c.querySelectorAll('.live-facts dd code')[0]?.textContent ?? '',
	discovery: c.querySelectorAll('.live-facts dd code')[1]?.textContent ?? '',
	apps: Object.fromEntries([...c.querySelectorAll('.live-table')[0].querySelectorAll('tbody tr')].map(tr => [tr.querySelector('th').textContent, [...tr.querySelectorAll('td')].slice(0, 2).map(td => td.querySelector('code')?.textContent ?? '')])),
	users: Object.fromEntries([...(c.querySelectorAll('.live-table')[1]?.querySelectorAll('tbody tr') ?? [])].map(tr => [tr.querySelector('th').textContent, tr.querySelector('td code').textContent])),
	login: c.querySelector('.open-login')?.href ?? '',
	snippets: Object.fromEntries([...c.querySelectorAll('.snippet')].map(s => [s.querySelector('h4').textContent, s.querySelector('pre').textContent])),
	mode: c.querySelector('.mode-switch input:checked')?.value ?? '',
}))`

// storedScenario reads a share as the page's server holds it.
func storedScenario(t testing.TB, base, link string) (*policy.Scenario, http.Header) {
	t.Helper()
	id := strings.TrimPrefix(strings.SplitN(link, "#", 2)[0], base+"/s/")
	resp, err := http.Get(base + "/api/scenarios/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/scenarios/%s: %d %s", id, resp.StatusCode, body)
	}
	s, err := policy.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	return s, resp.Header
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// browserClient keeps the live org's cookies and stops at every redirect.
func browserClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func fetch(t testing.TB, c *http.Client, method, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestLiveOrgCard: the share dialog shows a live org card whose values are
// the live org's: logging in with its login link and a password it lists,
// allowing, and exchanging the code as its curl snippet does, gets a token.
// Its mode switch makes an rfc live org; /s/{id} shows the same card.
func TestLiveOrgCard(t *testing.T) {
	base := realServer(t)
	p := openAt(t, base, "/?preset=web-server-self-authorize", desktop)
	p.setField("/apps/0/oauth/consumerSecret", "s3cret-of-the-app")
	p.do(chromedp.Click(chromedp.ID("share")))
	p.poll(`document.querySelector('#share-dialog').open && !document.querySelector('#live-card').hidden`, "the live org card")
	card := eval[shownCard](p, readCard+`(document.querySelector('#live-card'))`)
	link := eval[string](p, `document.querySelector('#share-link').value`)
	sc, hdr := storedScenario(t, base, link)
	want := sc.LiveClient(true)
	if card.Issuer != hdr.Get("Caplab-Issuer") || card.Discovery != card.Issuer+"/.well-known/openid-configuration" || card.Mode != "salesforce" {
		t.Errorf("card issuer %q, discovery %q, mode %q; want the share's issuer %q and salesforce", card.Issuer, card.Discovery, card.Mode, hdr.Get("Caplab-Issuer"))
	}
	for _, a := range want.Apps {
		if got := card.Apps[a.Name]; got != [2]string{a.ClientID, a.ClientSecret} {
			t.Errorf("card app %s: client_id, secret %q; want %q", a.Name, got, [2]string{a.ClientID, a.ClientSecret})
		}
	}
	for _, u := range want.Users {
		if got := card.Users[u.Username]; got != u.Password {
			t.Errorf("card user %s: password %q; want %q", u.Username, got, u.Password)
		}
	}
	for _, name := range []string{"curl", "jsforce", "Salesforce CLI"} {
		if !strings.Contains(card.Snippets[name], card.Issuer) {
			t.Errorf("the %s snippet does not name the issuer: %q", name, card.Snippets[name])
		}
	}

	// The flow the card describes, as a browser and then curl would run it.
	c := browserClient()
	resp, loginPage := fetch(t, c, http.MethodGet, card.Login, nil)
	user := want.Users[0]
	if resp.StatusCode != http.StatusOK || !strings.Contains(loginPage, user.Username) {
		t.Fatalf("the card's login link answers %d; want the login page listing %s:\n%s", resp.StatusCode, user.Username, loginPage)
	}
	m := csrfField.FindStringSubmatch(loginPage)
	if m == nil {
		t.Fatalf("no CSRF field on the login page:\n%s", loginPage)
	}
	authURL := card.Issuer + "/services/oauth2/authorize"
	resp, _ = fetch(t, c, http.MethodPost, authURL, url.Values{"csrf": {m[1]}, "username": {user.Username}, "password": {card.Users[user.Username]}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logging in with the card's password answers %d; want 303", resp.StatusCode)
	}
	next, _ := url.Parse(authURL)
	next, _ = next.Parse(resp.Header.Get("Location"))
	resp, page := fetch(t, c, http.MethodGet, next.String(), nil)
	if m = csrfField.FindStringSubmatch(page); m != nil && strings.Contains(page, `value="allow"`) {
		if !strings.Contains(page, "Manage user data via APIs (api)") {
			t.Errorf("the approval page does not name the api scope as Setup does:\n%s", page)
		}
		resp, _ = fetch(t, c, http.MethodPost, authURL, url.Values{"csrf": {m[1]}, "decision": {"allow"}})
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := loc.Query().Get("code")
	if resp.StatusCode/100 != 3 || code == "" {
		t.Fatalf("after login and approval the live org answers %d, Location %q; want a redirect with a code", resp.StatusCode, loc)
	}
	verifier := regexp.MustCompile(`code_verifier='([^']+)'`).FindStringSubmatch(card.Snippets["curl"])
	if verifier == nil {
		t.Fatalf("no code_verifier in the curl snippet: %q", card.Snippets["curl"])
	}
	app := want.Apps[0]
	resp, tok := fetch(t, http.DefaultClient, http.MethodPost, card.Issuer+"/services/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"client_id": {card.Apps[app.Name][0]}, "client_secret": {card.Apps[app.Name][1]}, "redirect_uri": {app.CallbackURLs[0]}, "code_verifier": {verifier[1]}})
	var token struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal([]byte(tok), &token); resp.StatusCode != http.StatusOK || token.AccessToken == "" {
		t.Fatalf("the curl snippet's exchange answers %d %s; want an access token", resp.StatusCode, tok)
	}

	// The mode switch: another live org, in rfc mode.
	p.do(chromedp.Click(chromedp.CSS(`#live-card .mode-switch input[value="rfc"]`)))
	p.poll(fmt.Sprintf(`document.querySelector('#share-link').value !== %q && document.querySelector('#live-card .mode-switch input:checked')?.value === 'rfc'`, link), "the rfc live org")
	rfcLink := eval[string](p, `document.querySelector('#share-link').value`)
	if _, h := storedScenario(t, base, rfcLink); h.Get("Caplab-Mode") != "rfc" {
		t.Errorf("after the mode switch the share %s is in mode %q; want rfc", rfcLink, h.Get("Caplab-Mode"))
	}

	// /s/{id}: the same card, one click away.
	q := openAt(t, base, strings.TrimPrefix(link, base), desktop)
	q.do(chromedp.Click(chromedp.ID("live-open")))
	q.poll(`document.querySelector('#share-dialog').open && !document.querySelector('#live-card').hidden`, "the card on /s/{id}")
	if got := eval[shownCard](q, readCard+`(document.querySelector('#live-card'))`); got.Issuer != card.Issuer || got.Users[user.Username] != card.Users[user.Username] {
		t.Errorf("/s/{id} shows issuer %q and %s's password %q; want %q and %q", got.Issuer, user.Username, got.Users[user.Username], card.Issuer, card.Users[user.Username])
	}
}

// TestOrgRootPage: the live org's root page shows what a client needs and
// that is public, and none of the scenario's secrets: the issuer is in
// every token response, and only the share link reads secrets.
func TestOrgRootPage(t *testing.T) {
	base := realServer(t)
	doc, _ := policy.Preset("web-server-self-authorize")
	var s map[string]any
	json.Unmarshal(doc, &s)
	s["apps"].([]any)[0].(map[string]any)["oauth"].(map[string]any)["consumerSecret"] = "app-secret-7"
	s["orgs"].([]any)[0].(map[string]any)["users"].([]any)[0].(map[string]any)["password"] = "user-password-7"
	body, _ := json.Marshal(s)
	resp, err := http.Post(base+"/api/scenarios", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	var shared struct{ Issuer string }
	json.NewDecoder(resp.Body).Decode(&shared)
	resp.Body.Close()
	sc, _ := policy.Decode(body)
	resp, root := fetch(t, http.DefaultClient, http.MethodGet, shared.Issuer+"/", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s/ answers %d", shared.Issuer, resp.StatusCode)
	}
	for _, a := range sc.LiveClient(false).Apps {
		if !strings.Contains(root, a.ClientID) {
			t.Errorf("the root page does not show %s's client_id %s", a.Name, a.ClientID)
		}
	}
	for _, u := range sc.LiveClient(false).Users {
		if !strings.Contains(root, u.Username) {
			t.Errorf("the root page does not list user %s", u.Username)
		}
	}
	for _, secret := range []string{"app-secret-7", "user-password-7"} {
		if strings.Contains(root, secret) {
			t.Errorf("the root page, public to whoever knows the issuer, shows the secret %q", secret)
		}
	}
	if !strings.Contains(root, "code_challenge=") || !strings.Contains(root, "share link") {
		t.Errorf("the root page has no ready login link or does not say where the secrets are:\n%s", root)
	}
}

// keyOrder lists a JSON document's object keys, each with its path, in
// the order they are written.
func keyOrder(t testing.TB, doc string) []string {
	t.Helper()
	var out []string
	var walk func(dec *json.Decoder, path string)
	walk = func(dec *json.Decoder, path string) {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("not JSON: %v", err)
		}
		switch tok {
		case json.Delim('{'):
			for dec.More() {
				k, _ := dec.Token()
				p := path + "/" + k.(string)
				out = append(out, p)
				walk(dec, p)
			}
			dec.Token()
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				walk(dec, fmt.Sprint(path, "/", i))
			}
			dec.Token()
		}
	}
	walk(json.NewDecoder(strings.NewReader(doc)), "")
	return out
}

// TestShortLinkOrderAndEvent: a short link opens on the event the sender
// had selected, with the scenario's keys in the sender's order.
func TestShortLinkOrderAndEvent(t *testing.T) {
	base := realServer(t)
	p := openAt(t, base, "/?preset=refresh-token-rotation-reuse", desktop)
	// The sender's own order: the document's top-level keys reversed.
	var top map[string]json.RawMessage
	json.Unmarshal(p.scenarioJSON(), &top)
	keys := slices.Sorted(maps.Keys(top))
	slices.Reverse(keys)
	var b strings.Builder
	b.WriteString("{")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%q:%s", k, top[k])
	}
	b.WriteString("}")
	p.act("the sender's JSON", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector('#json-panel').jsonEditor.ready().then(e => { e.cm.replaceAll(%q); })`, b.String()), chromedp.EvalAwaitPromise))
	p.selectEvent(2)
	p.do(chromedp.KeyEvent("s", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	p.poll(`document.querySelector('#share-dialog').open && document.querySelector('#share-link').value !== ''`, "the share dialog")
	link := eval[string](p, `document.querySelector('#share-link').value`)
	if !strings.HasSuffix(link, "#event=3") {
		t.Errorf("short link %q; want it to end with #event=3, the selected event", link)
	}
	sent := eval[string](p, `window.__caplab.text()`)
	q := openAt(t, base, strings.TrimPrefix(link, base), desktop)
	if got := eval[string](q, `document.querySelector('#timeline li.selected')?.dataset.event ?? ''`); got != "2" {
		t.Errorf("the link opens on event %s; want event 3", got)
	}
	got, want := keyOrder(t, eval[string](q, `window.__caplab.text()`)), keyOrder(t, sent)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("the shared scenario's keys come in another order:\n got %v\nwant %v", got, want)
	}
}
