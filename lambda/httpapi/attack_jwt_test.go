package httpapi_test

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/caplab/caplab/policy"
)

// JWT bearer assertions (caplab issues 11 and 13): the audience must be the
// login host, the live org or a declared Experience Cloud site; nbf and iat
// may not be in the future; an expired assertion answers "expired
// authorization code"; rfc mode also refuses an exp far ahead and a replay.

// jwtScenario pre-authorizes ana for the first app (no approval needed)
// and declares these Experience Cloud sites.
func jwtScenario(t *testing.T, sites ...any) []byte {
	return scenarioJSON(t, func(m map[string]any) {
		org := m["orgs"].([]any)[0].(map[string]any)
		if len(sites) > 0 {
			org["experienceSites"] = sites
		}
		org["profiles"].([]any)[0].(map[string]any)["connectedApps"] = []any{"Acme Sync"}
		m["apps"].([]any)[0].(map[string]any)["policies"] = map[string]any{"permittedUsers": "adminApproved"}
	})
}

// claims are a well-formed assertion's claims for ana, changed by set
// (a nil value deletes the claim).
func claims(set map[string]any) jwt.MapClaims {
	c := jwt.MapClaims{"iss": clientID, "sub": username, "aud": "https://login.salesforce.com", "exp": time.Now().Add(2 * time.Minute).Unix()}
	for k, v := range set {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func signClaims(t *testing.T, c jwt.MapClaims) string {
	t.Helper()
	key, _ := keys(t)
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// jwtBearer posts an assertion; it returns the status and the JSON body.
func jwtBearer(t *testing.T, e *env, assertion string) (int, map[string]any) {
	t.Helper()
	st, _, m := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}, "", "")
	return st, m
}

// originEvent is the engine event stored for the grant of an access
// token, as JSON (fields by their scenario names) and decoded.
func originEvent(t *testing.T, e *env, access string) (map[string]any, policy.Event) {
	t.Helper()
	g := e.grantOf(access)
	var m map[string]any
	var ev policy.Event
	if json.Unmarshal(g.Origin.Event, &m) != nil || json.Unmarshal(g.Origin.Event, &ev) != nil {
		t.Fatalf("stored event does not decode: %s", g.Origin.Event)
	}
	return m, ev
}

type audCase struct {
	name string
	aud  any    // nil: no aud claim
	want string // "" granted, else error_description
}

const badAud = "Audience validation failed"

func TestAttackJWTAudience(t *testing.T) {
	for _, mode := range []string{"salesforce", "rfc"} {
		e := newEnv(t, envOpt{mode: mode, scenario: jwtScenario(t)})
		checkAudiences(t, e, mode, []audCase{
			{"no aud", nil, badAud},
			{"empty aud", "", badAud},
			{"force.com host", "https://evil.force.com", badAud},
			{"my.site.com host the org does not declare", "https://acme.my.site.com", badAud},
			{"the engine's keyword as a literal", "correct", badAud},
			{"test host for a production org", "https://test.salesforce.com", badAud},
			{"My Domain", "https://acme.my.salesforce.com", badAud},
			{"login host", "https://login.salesforce.com", ""},
			{"login host in a list", []any{"https://evil.example", "https://login.salesforce.com"}, ""},
			{"the live org", e.issuer, ""},
			{"the live org's token endpoint", e.issuer + "/services/oauth2/token", ""},
		})
		// An Experience Cloud site counts once the scenario declares it.
		e = newEnv(t, envOpt{mode: mode, scenario: jwtScenario(t, "https://acme.my.site.com/partners")})
		checkAudiences(t, e, mode, []audCase{
			{"the declared Experience Cloud site", "https://acme.my.site.com/partners/", ""},
			{"the declared site's host without its path", "https://acme.my.site.com", badAud},
			{"another my.site.com host", "https://evil.my.site.com/partners", badAud},
		})
	}
}

// checkAudiences sends one assertion per case (each with its own jti).
func checkAudiences(t *testing.T, e *env, mode string, cases []audCase) {
	t.Helper()
	for _, tc := range cases {
		st, m := jwtBearer(t, e, signClaims(t, claims(map[string]any{"aud": tc.aud, "jti": mode + tc.name})))
		if tc.want == "" && st != 200 {
			t.Errorf("%s: %s: got %d %v; want 200", mode, tc.name, st, m)
		}
		if tc.want != "" && (st != 400 || m["error"] != "invalid_grant" || m["error_description"] != tc.want) {
			t.Errorf("%s: %s: got %d %v; want 400 invalid_grant %q", mode, tc.name, st, m, tc.want)
		}
	}
}

func TestAttackJWTLifetime(t *testing.T) {
	now := time.Now()
	for _, mode := range []string{"salesforce", "rfc"} {
		e := newEnv(t, envOpt{mode: mode, scenario: jwtScenario(t)})
		farExp := "invalid_grant assertion exp is more than 3 minutes ahead (RFC 7523 §3)"
		if mode == "salesforce" {
			// Salesforce accepts it: its own CLI (@salesforce/core) signs
			// exp = Date.now()+300, milliseconds read as seconds.
			farExp = ""
		}
		for _, tc := range []struct {
			name string
			set  map[string]any
			want string // "" granted, else "error error_description"
		}{
			{"exp ten years ahead", map[string]any{"exp": now.AddDate(10, 0, 0).Unix()}, farExp},
			{"exp as @salesforce/core signs it", map[string]any{"exp": now.UnixMilli() + 300}, farExp},
			{"exp passed", map[string]any{"exp": now.Add(-time.Minute).Unix()}, "invalid_grant expired authorization code"},
			{"no exp", map[string]any{"exp": nil}, "invalid_grant expired authorization code"},
			{"nbf ten minutes ahead", map[string]any{"nbf": now.Add(10 * time.Minute).Unix()}, "invalid_grant invalid assertion"},
			{"iat ten minutes ahead", map[string]any{"iat": now.Add(10 * time.Minute).Unix()}, "invalid_grant invalid assertion"},
			{"nbf and iat now", map[string]any{"nbf": now.Unix(), "iat": now.Unix()}, ""},
			{"exp three minutes ahead", map[string]any{"exp": now.Add(3 * time.Minute).Unix()}, ""},
		} {
			tc.set["jti"] = mode + tc.name
			st, m := jwtBearer(t, e, signClaims(t, claims(tc.set)))
			got := ""
			if st != 200 {
				got = str(m["error"]) + " " + str(m["error_description"])
			}
			if got != tc.want || (st != 200 && st != 400) {
				t.Errorf("%s: %s: got %d %q; want %q", mode, tc.name, st, got, tc.want)
			}
		}
	}
}

// rfc mode refuses an assertion presented twice (by jti, or the same bytes
// without one); Salesforce documents no replay check, so Salesforce mode
// accepts it and tells the engine, whose trace notes it.
func TestAttackJWTReplay(t *testing.T) {
	for _, mode := range []string{"rfc", "salesforce"} {
		e := newEnv(t, envOpt{mode: mode, scenario: jwtScenario(t)})
		noJTI := signClaims(t, claims(nil))
		withJTI := signClaims(t, claims(map[string]any{"jti": "once"}))
		sameJTI := signClaims(t, claims(map[string]any{"jti": "once", "exp": time.Now().Add(time.Minute).Unix()}))
		for _, tc := range []struct{ name, first, second string }{
			{"same assertion without jti", noJTI, noJTI},
			{"same assertion with jti", withJTI, withJTI},
			{"another assertion with a used jti", "", sameJTI},
		} {
			if tc.first != "" {
				if st, m := jwtBearer(t, e, tc.first); st != 200 {
					t.Fatalf("%s: %s: first use: got %d %v; want 200", mode, tc.name, st, m)
				}
			}
			st, m := jwtBearer(t, e, tc.second)
			switch mode {
			case "rfc":
				if st != 400 || m["error"] != "invalid_grant" || m["error_description"] != "assertion already used (jti replay, RFC 7523 §3)" {
					t.Errorf("%s: %s: replay: got %d %v; want 400 invalid_grant", mode, tc.name, st, m)
				}
			case "salesforce":
				if st != 200 {
					t.Fatalf("%s: %s: replay: got %d %v; want 200", mode, tc.name, st, m)
				}
				if ev, _ := originEvent(t, e, str(m["access_token"])); ev["assertionReplayed"] != true {
					t.Errorf("%s: %s: the engine was not told of the replay: %v", mode, tc.name, ev)
				}
			}
		}
	}
}

// The live org tells the engine the claims it read, so the trace explains
// the answer: a far exp, the aud and a replay.
func TestAttackJWTEventFields(t *testing.T) {
	e := newEnv(t, envOpt{scenario: jwtScenario(t)})
	st, m := jwtBearer(t, e, signClaims(t, claims(map[string]any{"exp": time.Now().AddDate(10, 0, 0).Unix()})))
	if st != 200 {
		t.Fatalf("got %d %v; want 200", st, m)
	}
	fields, ev := originEvent(t, e, str(m["access_token"]))
	d, err := time.ParseDuration(str(fields["assertionExpiresIn"]))
	if err != nil || d < 3649*24*time.Hour || fields["aud"] != "https://login.salesforce.com" || fields["assertion"] != "valid" {
		t.Fatalf("stored event %v; want exp about ten years ahead and the login host as aud", fields)
	}
	sc, err := policy.Decode(jwtScenario(t))
	if err != nil {
		t.Fatal(err)
	}
	res := policy.EvaluateLive(sc, nil, []policy.LiveStep{{At: time.Now(), Event: ev}})
	if !hasTraceStep(res[0], "jwt.lifetime", policy.StepInfo) {
		t.Errorf("the trace does not note the far exp:\n%+v", res[0].Trace)
	}
}

func hasTraceStep(r policy.EventResult, rule, outcome string) bool {
	for _, s := range r.Trace {
		if s.Rule == rule && s.Outcome == outcome {
			return true
		}
	}
	return false
}
