package clients_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// cliEnv is the Salesforce CLI's whole environment (nothing inherited): a
// home of its own, the generic keychain (a file in that home), and every
// switch that would reach beyond 127.0.0.1 off: autoupdate, the npm
// registry version check, telemetry.
func cliEnv(home, nodeDir string, extra ...string) []string {
	return append([]string{
		"HOME=" + home,
		"PATH=" + nodeDir + ":/usr/bin:/bin",
		"TERM=dumb",
		"NO_COLOR=1",
		"SF_DISABLE_AUTOUPDATE=true",     // @oclif/plugin-update's background `sf update`
		"SF_AUTOUPDATE_DISABLE=true",     // the same, as @salesforce/cli names it
		"SF_SKIP_NEW_VERSION_CHECK=true", // @oclif/plugin-warn-if-update-available's registry fetch
		"SF_DISABLE_TELEMETRY=true",
		"SFDX_DISABLE_TELEMETRY=true",
		"SF_USE_GENERIC_UNIX_KEYCHAIN=true", // no libsecret: the key lives in ~/.sfdx
		"SFDX_USE_GENERIC_UNIX_KEYCHAIN=true",
	}, extra...)
}

// cliResult is the CLI's --json output.
type cliResult struct {
	Status  int             `json:"status"`
	Result  json.RawMessage `json:"result"`
	Name    string          `json:"name"`
	Message string          `json:"message"`
}

// TestSalesforceCLI logs the Salesforce CLI into a live org with
// `sf org login web` (the browser step driven over HTTP by a BROWSER the
// CLI's `open` runs) and `sf org login access-token`, then uses it with
// `sf org display` and `sf data query`.
func TestSalesforceCLI(t *testing.T) {
	t.Parallel()
	tl := installedTools(t)
	lo := startLiveOrgs(t)
	// The CLI's OAuth callback server listens on localhost:1717 unless the
	// project names another port (oauthLocalPort): a free one, so the test
	// does not need 1717 free. The app allows both callbacks.
	port := freePort(t)
	cliCallback := fmt.Sprintf("http://localhost:%d/OauthRedirect", port)
	on := lo.share(fixture(t, "acme.json", map[string]func(map[string]any){"Salesforce CLI": withCallback(cliCallback)}))
	anaIDs := on.idsOf(t, ana)

	home := t.TempDir()
	project := filepath.Join(home, "project")
	writeFile(t, filepath.Join(project, "force-app", ".keep"), "", 0o644)
	writeFile(t, filepath.Join(project, "sfdx-project.json"),
		fmt.Sprintf(`{"packageDirectories":[{"path":"force-app","default":true}],"oauthLocalPort":%d}`, port), 0o644)
	// The CLI opens the authorize URL with `open`, whose xdg-open runs
	// $BROWSER URL. This one returns at once, as a browser launcher does,
	// and does the browser's part over HTTP in the background.
	browserResult := filepath.Join(home, "browser.json")
	browserLog := filepath.Join(home, "browser.log")
	shim := filepath.Join(home, "bin", "browser")
	writeFile(t, shim, "#!/bin/sh\n\"$CAPLAB_NODE\" \"$CAPLAB_BROWSER_JS\" \"$1\" </dev/null >>\"$CAPLAB_BROWSER_LOG\" 2>&1 &\n", 0o755)
	env := cliEnv(home, filepath.Dir(tl.node),
		"BROWSER="+shim,
		"CAPLAB_NODE="+tl.node,
		"CAPLAB_BROWSER_JS="+filepath.Join(tl.scripts, "browser.mjs"),
		"CAPLAB_BROWSER_RESULT="+browserResult,
		"CAPLAB_BROWSER_LOG="+browserLog,
		"CAPLAB_USERNAME="+ana,
		"CAPLAB_PASSWORD="+anaPassword,
	)

	sf := func(t *testing.T, env []string, stdin string, args ...string) json.RawMessage {
		t.Helper()
		start := time.Now()
		stdout, stderr, err := run(t, project, env, stdin, tl.node, append([]string{tl.sfRun}, args...)...)
		t.Logf("sf %s: %v", strings.Join(args[:2], " "), time.Since(start).Round(time.Millisecond))
		var res cliResult
		if jerr := json.Unmarshal([]byte(jsonDoc(stdout)), &res); err != nil || jerr != nil || res.Status != 0 {
			t.Fatalf("sf %s: %v (status %d %s: %s)\nstdout:\n%s\nstderr:\n%s\nCLI log:\n%s", strings.Join(args, " "), err, res.Status, res.Name, res.Message, stdout, stderr, cliLog(home))
		}
		return res.Result
	}

	loggedIn := t.Run("sf org login web", func(t *testing.T) {
		// --client-id makes the CLI ask for the app's secret: an empty line
		// for this public client (PKCE, no secret required).
		res := sf(t, env, "\n", "org", "login", "web", "--instance-url", on.instanceURL, "--client-id", cliKey, "--alias", "live", "--json")
		var got struct{ Username, OrgID, InstanceURL, LoginURL, ClientID string }
		decode(t, res, &got)
		// instanceUrl is the token response's; loginUrl is --instance-url
		// as the CLI's URL parser writes it, with a slash.
		want := struct{ Username, OrgID, InstanceURL, LoginURL, ClientID string }{ana, anaIDs.org, on.instanceURL, on.instanceURL + "/", cliKey}
		if got != want {
			t.Errorf("sf org login web: %+v; want %+v", got, want)
		}
		var b struct {
			OK       bool
			Error    string
			Callback string
			Visited  []struct {
				URL    string
				Status int
			}
		}
		if raw, err := os.ReadFile(browserResult); err != nil || json.Unmarshal(raw, &b) != nil || !b.OK {
			log, _ := os.ReadFile(browserLog)
			t.Fatalf("browser step: %v %s\n%s", err, b.Error, log)
		}
		if !strings.HasPrefix(b.Callback, cliCallback+"?") {
			t.Errorf("the live org sent the browser to %q; want the CLI's callback %s", b.Callback, cliCallback)
		}
		if n := len(b.Visited); n == 0 || !strings.HasSuffix(b.Visited[n-1].URL, "/OauthSuccess") || b.Visited[n-1].Status != http.StatusOK {
			t.Errorf("the browser's visits to the CLI: %+v; want them to end at /OauthSuccess, 200", b.Visited)
		}
	})

	needLogin := func(t *testing.T) {
		t.Helper()
		if !loggedIn {
			t.Fatal("needs the org alias live, which sf org login web (failed above) creates")
		}
	}
	t.Run("sf org display", func(t *testing.T) {
		needLogin(t)
		res := sf(t, env, "", "org", "display", "--target-org", "live", "--json")
		var got struct{ ID, InstanceURL, Username, ClientID, ConnectedStatus, Alias, AccessToken string }
		decode(t, res, &got)
		if got.ID != anaIDs.org || got.InstanceURL != on.instanceURL || got.Username != ana || got.ClientID != cliKey ||
			got.ConnectedStatus != "Connected" || got.Alias != "live" {
			t.Errorf("sf org display: %+v; want id %s, instanceUrl %s, username %s, clientId %s, Connected, alias live", got, anaIDs.org, on.instanceURL, ana, cliKey)
		}
		// org display redacts the token; org auth show-access-token shows it.
		if !strings.HasPrefix(got.AccessToken, "[REDACTED]") {
			t.Errorf("sf org display accessToken %q; want it redacted", got.AccessToken)
		}
		res = sf(t, env, "", "org", "auth", "show-access-token", "--target-org", "live", "--json")
		var tok struct{ AccessToken string }
		decode(t, res, &tok)
		if shape := accessTokenShape(anaIDs.org); !shape.MatchString(tok.AccessToken) {
			t.Errorf("access token %q; want Salesforce's shape %s", tok.AccessToken, shape)
		}
	})

	t.Run("sf data query", func(t *testing.T) {
		needLogin(t)
		res := sf(t, env, "", "data", "query", "--query", "SELECT Id, Name FROM Organization", "--target-org", "live", "--json")
		var got struct {
			TotalSize int
			Done      bool
			Records   []record
		}
		decode(t, res, &got)
		if got.TotalSize != 1 || !got.Done || len(got.Records) != 1 || got.Records[0] != (record{ID: anaIDs.org, Name: onOrgName}) {
			t.Errorf("sf data query: %+v; want one record {Id %s Name %s}", got, anaIDs.org, onOrgName)
		}
	})

	t.Run("sf org login access-token", func(t *testing.T) {
		// An access token from elsewhere: the client credentials app's,
		// whose run-as user is the integration user.
		token := clientCredentialsToken(t, on.instanceURL)
		intIDs := on.idsOf(t, integration)
		res := sf(t, append(env, "SF_ACCESS_TOKEN="+token), "", "org", "login", "access-token", "--instance-url", on.instanceURL, "--no-prompt", "--alias", "tok", "--json")
		var got struct{ Username, OrgID, InstanceURL string }
		decode(t, res, &got)
		// The CLI keeps --instance-url as its URL parser writes it, with a
		// slash, and appends "/services/…" to it (see TestDoubleSlashPaths).
		if want := (struct{ Username, OrgID, InstanceURL string }{integration, intIDs.org, on.instanceURL + "/"}); got != want {
			t.Errorf("sf org login access-token: %+v; want %+v", got, want)
		}
		res = sf(t, env, "", "org", "display", "--target-org", "tok", "--json")
		var shown struct{ Username, InstanceURL, ConnectedStatus string }
		decode(t, res, &shown)
		if shown.Username != integration || shown.InstanceURL != on.instanceURL+"/" || shown.ConnectedStatus != "Connected" {
			t.Errorf("sf org display --target-org tok: %+v; want %s at %s/, Connected", shown, integration, on.instanceURL)
		}
	})
}

// accessTokenShape is a Salesforce access token of the org: its 15-character
// id, "!", then the opaque part (URL-safe characters).
func accessTokenShape(orgID string) *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(orgID[:15]) + `![-0-9A-Za-z._]{20,}$`)
}

// clientCredentialsToken gets an access token from the live org's token
// endpoint with the client credentials app.
func clientCredentialsToken(t *testing.T, instanceURL string) string {
	t.Helper()
	resp, err := http.PostForm(instanceURL+"/services/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {ccKey}, "client_secret": {ccSecret}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK || tok.AccessToken == "" {
		t.Fatalf("client credentials: %d %v", resp.StatusCode, err)
	}
	return tok.AccessToken
}

// freePort is a loopback port nothing listens on (for the CLI's callback server).
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func writeFile(t *testing.T, name, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// jsonDoc is the --json document that ends the CLI's stdout (a prompt's
// text and terminal codes may come before it).
func jsonDoc(stdout string) string {
	stdout = strings.TrimSpace(stdout)
	for i := range stdout {
		if stdout[i] == '{' && json.Valid([]byte(stdout[i:])) {
			return stdout[i:]
		}
	}
	return stdout
}

func decode(t *testing.T, raw json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
}

// cliLog is the end of the CLI's log files, for failure messages.
func cliLog(home string) string {
	files, _ := filepath.Glob(filepath.Join(home, ".sf", "sf-*.log"))
	var b strings.Builder
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if len(data) > 6000 {
			data = data[len(data)-6000:]
		}
		b.Write(data)
	}
	return b.String()
}
