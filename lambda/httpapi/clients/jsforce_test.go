package clients_test

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/caplab/caplab/policy"
)

// The fixtures' clients and users (testdata/acme.json, globex-new-org.json).
const (
	webKey, webSecret, webCallback = "caplab_web_app_key", "web-app-secret-1", "http://localhost:3000/oauth/callback"
	cliKey                         = "caplab_cli_key"
	jwtKeyID                       = "caplab_jwt_key"
	ccKey, ccSecret                = "caplab_cc_key", "cc-secret-1"
	ana, anaPassword, anaToken     = "ana@acme.test", "Ana-Pa55word-1", "AnaTok3n0001"
	integration                    = "integration@acme.test"
	gil, gilPassword, gilToken     = "gil@globex.test", "Gil-Pa55word-1", "GilTok3n0001"
	onOrgName                      = "Acme"
)

// jsforceDefaultVersion is the API version jsforce 3 uses unless told
// otherwise: its query, limits and describeGlobal go to this version.
const jsforceDefaultVersion = "50.0"

// TestJsforce drives two live orgs with jsforce 3 under Node 22 (one run of
// scripts/clients/jsforce.mjs, every case in it) and checks what jsforce
// returned for each case.
func TestJsforce(t *testing.T) {
	t.Parallel()
	tl := installedTools(t)
	keyPEM, certPEM := jwtKey(t)
	lo := startLiveOrgs(t)
	on := lo.share(fixture(t, "acme.json", map[string]func(map[string]any){"JWT Integration": withCertificate(certPEM)}))
	off := lo.share(fixture(t, "globex-new-org.json", nil))

	cfg := map[string]any{
		"orgOn":   map[string]string{"instanceUrl": on.instanceURL},
		"orgOff":  map[string]string{"instanceUrl": off.instanceURL},
		"user":    map[string]string{"username": ana, "password": anaPassword, "securityToken": anaToken},
		"offUser": map[string]string{"username": gil, "password": gilPassword, "securityToken": gilToken},
		"webApp":  map[string]string{"clientId": webKey, "clientSecret": webSecret, "redirectUri": webCallback},
		"pkceApp": map[string]string{"clientId": cliKey, "redirectUri": webCallback},
		"jwtApp":  map[string]string{"clientId": jwtKeyID, "username": integration, "privateKey": keyPEM},
		"ccApp":   map[string]string{"clientId": ccKey, "clientSecret": ccSecret},
	}
	in, _ := json.Marshal(cfg)
	env := []string{"PATH=" + filepath.Dir(tl.node) + ":/usr/bin:/bin", "HOME=" + t.TempDir(), "NO_COLOR=1"}
	start := time.Now()
	stdout, stderr, err := run(t, tl.scripts, env, string(in), tl.node, "jsforce.mjs")
	t.Logf("jsforce.mjs ran in %v", time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("node jsforce.mjs: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	var res map[string]json.RawMessage
	if err := json.Unmarshal([]byte(lastLine(stdout)), &res); err != nil {
		t.Fatalf("jsforce.mjs printed no JSON: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	var version string
	_ = json.Unmarshal(res["jsforceVersion"], &version)
	t.Logf("jsforce %s", version)

	anaIDs := on.idsOf(t, ana)
	intIDs := on.idsOf(t, integration)
	anaInfo := userInfo{ID: anaIDs.user, OrganizationID: anaIDs.org, URL: on.instanceURL + "/id/" + anaIDs.org + "/" + anaIDs.user}
	intInfo := userInfo{ID: intIDs.user, OrganizationID: intIDs.org, URL: on.instanceURL + "/id/" + intIDs.org + "/" + intIDs.user}

	// caseResult decodes one case's entry, failing the subtest on a
	// jsforce error.
	caseResult := func(t *testing.T, name string, v any) {
		t.Helper()
		raw, ok := res[name]
		if !ok {
			t.Fatalf("jsforce.mjs printed no %q entry", name)
		}
		var head struct {
			OK    bool `json:"ok"`
			Error *jsError
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			t.Fatal(err)
		}
		if !head.OK {
			t.Fatalf("jsforce failed: %s: %s\n%s", head.Error.Name, head.Error.Message, head.Error.Stack)
		}
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatal(err)
		}
	}
	checkSession := func(t *testing.T, got session, pkce bool) {
		t.Helper()
		if got.UserInfo != anaInfo {
			t.Errorf("userInfo = %+v; want %+v", got.UserInfo, anaInfo)
		}
		if got.InstanceURL != on.instanceURL {
			t.Errorf("instanceUrl = %q; want %q", got.InstanceURL, on.instanceURL)
		}
		if !got.AccessToken || !got.RefreshToken {
			t.Errorf("accessToken %v, refreshToken %v; want both (scope refresh_token)", got.AccessToken, got.RefreshToken)
		}
		if got.CodeChallenge != pkce {
			t.Errorf("code_challenge in the authorize URL: %v; want %v", got.CodeChallenge, pkce)
		}
	}

	t.Run("web server flow", func(t *testing.T) {
		var got session
		caseResult(t, "webServer", &got)
		checkSession(t, got, false)
	})
	t.Run("web server flow with PKCE (useVerifier, public client)", func(t *testing.T) {
		var got session
		caseResult(t, "webServerPkce", &got)
		checkSession(t, got, true)
		if got.CodeChallengeMethod != nil {
			t.Errorf("code_challenge_method = %q; jsforce sends none (taken as S256)", *got.CodeChallengeMethod)
		}
	})
	t.Run("refresh", func(t *testing.T) {
		var got struct {
			NewAccessToken bool   `json:"newAccessToken"`
			InstanceURL    string `json:"instanceUrl"`
			ID             string `json:"id"`
			Username       string `json:"username"`
		}
		caseResult(t, "refresh", &got)
		if !got.NewAccessToken || got.InstanceURL != on.instanceURL || got.ID != anaInfo.URL || got.Username != ana {
			t.Errorf("refreshToken: %+v; want a new access token, instance_url %q, id %q, identity of %s", got, on.instanceURL, anaInfo.URL, ana)
		}
	})
	t.Run("automatic refresh on 401", func(t *testing.T) {
		var got struct {
			RevokeStatus   int    `json:"revokeStatus"`
			Refreshed      bool   `json:"refreshed"`
			NewAccessToken bool   `json:"newAccessToken"`
			Username       string `json:"username"`
		}
		caseResult(t, "autoRefresh", &got)
		if got.RevokeStatus != 200 {
			t.Errorf("revoking the access token answered %d; want 200", got.RevokeStatus)
		}
		if !got.Refreshed || !got.NewAccessToken || got.Username != ana {
			t.Errorf("after a 401: %+v; want jsforce to refresh, emit the new token and retry as %s", got, ana)
		}
	})
	t.Run("revoke", func(t *testing.T) {
		var got struct {
			RefreshAfterRevoke  jsError `json:"refreshAfterRevoke"`
			IdentityAfterRevoke jsError `json:"identityAfterRevoke"`
		}
		caseResult(t, "revoke", &got)
		if want := (jsError{Name: policy.LiveErrInvalidGrant, Message: policy.LiveDescExpiredToken}); got.RefreshAfterRevoke != want {
			t.Errorf("refreshToken after revokeToken: %+v; want %+v", got.RefreshAfterRevoke, want)
		}
		want := jsError{Name: policy.LiveErrInvalidSessionID, Message: policy.LiveDescSessionExpired, ErrorCode: policy.LiveErrInvalidSessionID}
		if got.IdentityAfterRevoke != want {
			t.Errorf("GET the identity URL with the revoked grant's access token: %+v; want %+v", got.IdentityAfterRevoke, want)
		}
	})
	t.Run("identity", func(t *testing.T) {
		var got struct {
			ID             string `json:"id"`
			Username       string `json:"username"`
			UserID         string `json:"user_id"`
			OrganizationID string `json:"organization_id"`
		}
		caseResult(t, "identity", &got)
		if got.ID != anaInfo.URL || got.Username != ana || got.UserID != anaIDs.user || got.OrganizationID != anaIDs.org {
			t.Errorf("identity() = %+v; want id %q, username %q, user_id %q, organization_id %q", got, anaInfo.URL, ana, anaIDs.user, anaIDs.org)
		}
	})
	t.Run("query at jsforce's default version", func(t *testing.T) {
		var got struct {
			Version   string   `json:"version"`
			TotalSize int      `json:"totalSize"`
			Done      bool     `json:"done"`
			Records   []record `json:"records"`
		}
		caseResult(t, "query", &got)
		want := []record{{ID: anaIDs.org, Name: onOrgName}}
		if got.Version != jsforceDefaultVersion || got.TotalSize != 1 || !got.Done || !reflect.DeepEqual(got.Records, want) {
			t.Errorf("query at v%s: %+v; want v%s, one done record %+v", got.Version, got, jsforceDefaultVersion, want)
		}
	})
	t.Run("limits", func(t *testing.T) {
		var got struct {
			DailyAPIRequests *struct{ Max, Remaining int } `json:"DailyApiRequests"`
		}
		caseResult(t, "limits", &got)
		if l := got.DailyAPIRequests; l == nil || l.Max <= 0 || l.Remaining < 0 || l.Remaining > l.Max {
			t.Errorf("limits().DailyApiRequests = %+v; want Max > 0 and 0 <= Remaining <= Max", l)
		}
	})
	t.Run("describeGlobal", func(t *testing.T) {
		var got struct {
			Encoding string   `json:"encoding"`
			Sobjects []string `json:"sobjects"`
		}
		caseResult(t, "describeGlobal", &got)
		for _, name := range []string{"Organization", "User"} {
			if !slices.Contains(got.Sobjects, name) {
				t.Errorf("describeGlobal() sobjects %v lack %s", got.Sobjects, name)
			}
		}
		if got.Encoding != "UTF-8" {
			t.Errorf("describeGlobal() encoding %q; want UTF-8", got.Encoding)
		}
	})
	t.Run("SOAP login() where it is on, then a query", func(t *testing.T) {
		var got struct {
			UserInfo    userInfo `json:"userInfo"`
			InstanceURL string   `json:"instanceUrl"`
			Records     []record `json:"records"`
		}
		caseResult(t, "soapLoginOn", &got)
		if got.UserInfo != anaInfo || got.InstanceURL != on.instanceURL {
			t.Errorf("login(): userInfo %+v, instanceUrl %q; want %+v, %q", got.UserInfo, got.InstanceURL, anaInfo, on.instanceURL)
		}
		if want := []record{{ID: anaIDs.org, Name: onOrgName}}; !reflect.DeepEqual(got.Records, want) {
			t.Errorf("query with the login() session: %+v; want %+v", got.Records, want)
		}
	})
	t.Run("SOAP login() where it is off", func(t *testing.T) {
		var got struct {
			LoggedIn bool    `json:"loggedIn"`
			Error    jsError `json:"error"`
		}
		caseResult(t, "soapLoginOff", &got)
		// jsforce surfaces the fault's faultstring as the Error's message
		// ("CODE: description", as Salesforce writes it), nothing else.
		fault := engineFault(t, off, gil)
		if want := (jsError{Name: "Error", Message: fault.Error + ": " + fault.ErrorDescription}); got.LoggedIn || got.Error != want {
			t.Errorf("login() in an org created after Winter '26: loggedIn %v, error %+v; want %+v", got.LoggedIn, got.Error, want)
		}
	})
	t.Run("JWT bearer", func(t *testing.T) {
		var got grantSession
		caseResult(t, "jwtBearer", &got)
		if got.UserInfo != intInfo || got.InstanceURL != on.instanceURL || got.RefreshToken || got.Username != integration {
			t.Errorf("authorize(jwt-bearer): %+v; want userInfo %+v, instanceUrl %q, no refresh token, identity of %s", got, intInfo, on.instanceURL, integration)
		}
	})
	t.Run("client credentials", func(t *testing.T) {
		var got grantSession
		caseResult(t, "clientCredentials", &got)
		if got.UserInfo != intInfo || got.InstanceURL != on.instanceURL || got.RefreshToken || got.Username != integration {
			t.Errorf("authorize(client_credentials): %+v; want userInfo %+v (the run-as user), instanceUrl %q, no refresh token", got, intInfo, on.instanceURL)
		}
	})
}

// engineFault is the engine's answer to a correct SOAP login() by user.
func engineFault(t *testing.T, o liveOrg, user string) policy.EventResult {
	t.Helper()
	at, _ := time.Parse(time.RFC3339, o.sc.Now)
	res := policy.EvaluateLive(o.sc, nil, []policy.LiveStep{{At: at, Event: policy.Event{Do: "soapLogin", Org: o.sc.Orgs[0].Name, User: user, Password: "correct", SecurityToken: "correct"}}})
	if res[0].Outcome != policy.Denied || res[0].Error == "" {
		t.Fatalf("the engine grants login() in %s: %+v", o.sc.Orgs[0].Name, res[0])
	}
	return res[0]
}

// What jsforce returns, as jsforce.mjs prints it.
type (
	userInfo struct {
		ID             string `json:"id"`
		OrganizationID string `json:"organizationId"`
		URL            string `json:"url"`
	}
	session struct {
		UserInfo            userInfo `json:"userInfo"`
		InstanceURL         string   `json:"instanceUrl"`
		AccessToken         bool     `json:"accessToken"`
		RefreshToken        bool     `json:"refreshToken"`
		CodeChallenge       bool     `json:"codeChallenge"`
		CodeChallengeMethod *string  `json:"codeChallengeMethod"`
	}
	grantSession struct {
		UserInfo     userInfo `json:"userInfo"`
		InstanceURL  string   `json:"instanceUrl"`
		RefreshToken bool     `json:"refreshToken"`
		Username     string   `json:"username"`
	}
	record struct {
		ID   string `json:"Id"`
		Name string `json:"Name"`
	}
	jsError struct {
		Name      string `json:"name"`
		Message   string `json:"message"`
		ErrorCode string `json:"errorCode,omitempty"`
		Stack     string `json:"stack,omitempty"`
	}
)
