// Package clients_test drives live orgs with the real clients Salesforce
// developers use: jsforce 3 and the Salesforce CLI, both run by Node 22
// from the committed package-lock.json (npm ci installs them; nothing is
// downloaded at test time). Each test starts its own live orgs, each at the
// root of its own 127.0.0.1 origin, as `caplab serve` does.
package clients_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"maps"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caplab/caplab/lambda/httpapi"
	"github.com/caplab/caplab/lambda/store/memstore"
	"github.com/caplab/caplab/policy"
)

// liveOrgs is a caplab server whose live orgs each get a 127.0.0.1
// listener of their own (Config.AssignOrigin), served at its root.
type liveOrgs struct {
	t    *testing.T
	srv  *httpapi.Server
	base string // the main server: POST /api/scenarios

	mu        sync.Mutex
	listeners []*http.Server
}

func startLiveOrgs(t *testing.T) *liveOrgs {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	l := &liveOrgs{t: t}
	main := httptest.NewUnstartedServer(nil)
	l.base = "http://" + main.Listener.Addr().String()
	st := memstore.New()
	l.srv = httpapi.NewServer(httpapi.Config{BaseURL: l.base, SigningKey: key, NoRateLimits: true, AssignOrigin: l.assign}, st)
	main.Config.Handler = l.srv
	main.Start()
	t.Cleanup(func() {
		main.Close()
		l.mu.Lock()
		for _, s := range l.listeners {
			s.Close()
		}
		l.mu.Unlock()
		st.Close()
	})
	return l
}

// assign opens the new live org's listener, as `caplab serve` does.
func (l *liveOrgs) assign(_ context.Context, orgID string) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	origin := "http://" + ln.Addr().String()
	s := &http.Server{Handler: l.srv.OrgHandler(orgID, origin), ReadHeaderTimeout: 10 * time.Second}
	l.mu.Lock()
	l.listeners = append(l.listeners, s)
	l.mu.Unlock()
	go func() {
		if err := s.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			l.t.Errorf("live org listener: %v", err)
		}
	}()
	return origin, nil
}

// liveOrg is a shared scenario's live org: its instance URL (the root of
// its origin) and the decoded scenario, for expected ids.
type liveOrg struct {
	instanceURL string
	sc          *policy.Scenario
}

// share posts a scenario and returns its live org.
func (l *liveOrgs) share(doc []byte) liveOrg {
	l.t.Helper()
	resp, err := http.Post(l.base+"/api/scenarios", "application/json", bytes.NewReader(doc))
	if err != nil {
		l.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out struct{ Issuer string }
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &out) != nil {
		l.t.Fatalf("share: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(strings.TrimPrefix(out.Issuer, "http://"), "/") {
		l.t.Fatalf("issuer %q has a path; want the root of its own origin", out.Issuer)
	}
	sc, err := policy.Decode(doc)
	if err != nil {
		l.t.Fatal(err)
	}
	return liveOrg{instanceURL: out.Issuer, sc: sc}
}

// ids are a user's Salesforce ids in a live org.
type ids struct{ org, user string }

func (o liveOrg) idsOf(t *testing.T, username string) ids {
	t.Helper()
	for i := range o.sc.Orgs {
		org := &o.sc.Orgs[i]
		for j := range org.Users {
			if org.Users[j].Username == username {
				return ids{org: org.OrgID(), user: org.UserID(&org.Users[j])}
			}
		}
	}
	t.Fatalf("no user %s in the scenario", username)
	return ids{}
}

// fixture reads testdata/name (a scenario a developer can share as it is)
// and applies each app's edit to its oauth settings, by app name.
func fixture(t *testing.T, name string, edits map[string]func(oauth map[string]any)) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	apps, _ := doc["apps"].([]any)
	for _, a := range apps {
		app := a.(map[string]any)
		if edit := edits[app["name"].(string)]; edit != nil {
			edit(app["oauth"].(map[string]any))
			delete(edits, app["name"].(string))
		}
	}
	if len(edits) > 0 {
		t.Fatalf("%s: no apps named %v", name, slices.Collect(maps.Keys(edits)))
	}
	if b, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	return b
}

// Fixture edits.
func withCertificate(certPEM string) func(map[string]any) {
	return func(oauth map[string]any) { oauth["certificate"] = certPEM }
}

func withCallback(uri string) func(map[string]any) {
	return func(oauth map[string]any) { oauth["callbackUrls"] = append(oauth["callbackUrls"].([]any), uri) }
}

// jwtKey is a key and its self-signed certificate, the JWT bearer app's.
func jwtKey(t *testing.T) (keyPEM, certPEM string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "caplab clients test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk})),
		string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestDoubleSlashPaths: the Salesforce CLI keeps --instance-url as the URL
// parser writes it, "http://host/", and appends "/services/…" to it, so
// `sf org login access-token` sends "//services/data". Salesforce serves
// such paths; a redirect to the cleaned path (Go's ServeMux answers 301
// with a relative Location) breaks jsforce, which cannot follow it.
func TestDoubleSlashPaths(t *testing.T) {
	t.Parallel()
	lo := startLiveOrgs(t)
	on := lo.share(fixture(t, "acme.json", nil))
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, p := range []string{"//services/data", "//services/data/", "//.well-known//openid-configuration"} {
		resp, err := client.Get(on.instanceURL + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d (Location %q) %.200s; want 200 as for the single-slash path", p, resp.StatusCode, resp.Header.Get("Location"), body)
		}
	}
}
