package httpapi_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/caplab/caplab/policy"
)

// PKCE code_verifier checks (caplab issues 11 and 13): RFC 7636 wants 43-128
// unreserved characters, which rfc mode enforces; Salesforce's own check is
// unknown, so Salesforce mode accepts and the trace says so. A verifier that
// does not match answers invalid_grant, as clients receive at run time.

// challengeFor is the S256 challenge of any verifier, well-formed or not.
func challengeFor(verifier string) url.Values {
	sum := sha256.Sum256([]byte(verifier))
	return url.Values{"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
}

func TestAttackPKCEVerifierShape(t *testing.T) {
	for _, tc := range []struct {
		name, verifier string
		rfcRefused     bool
	}{
		{"one character", "a", true},
		{"42 characters", strings.Repeat("a", 42), true},
		{"129 characters", strings.Repeat("a", 129), true},
		{"43 characters, one not unreserved", strings.Repeat("a", 42) + "!", true},
		{"43 unreserved characters", strings.Repeat("aZ9-._~", 6) + "a", false},
		{"128 characters", strings.Repeat("b", 128), false},
	} {
		for _, mode := range []string{"rfc", "salesforce"} {
			e := newEnv(t, envOpt{mode: mode})
			code := getCode(t, e, e.browser(), challengeFor(tc.verifier))
			st, _, m := exchange(t, e, code, tc.verifier, nil)
			if mode == "rfc" && tc.rfcRefused {
				if st != 400 || m["error"] != "invalid_grant" || !strings.Contains(str(m["error_description"]), "code_verifier") {
					t.Errorf("%s: %s: got %d %v; want 400 invalid_grant naming code_verifier", mode, tc.name, st, m)
				}
				continue
			}
			if st != 200 {
				t.Errorf("%s: %s: got %d %v; want 200", mode, tc.name, st, m)
			}
		}
	}
}

// In Salesforce mode the live org tells the engine the verifier's length,
// and the engine's trace notes that RFC 7636 would refuse it.
func TestAttackPKCEShortVerifierTraced(t *testing.T) {
	e := newEnv(t, envOpt{})
	code := getCode(t, e, e.browser(), challengeFor("a"))
	st, _, m := exchange(t, e, code, "a", nil)
	if st != 200 {
		t.Fatalf("got %d %v; want 200", st, m)
	}
	tok := readPayload(t, str(m["access_token"]))
	if len(tok.Chain) == 0 {
		t.Fatalf("the access token does not carry its redemption: %+v", tok)
	}
	g := e.grantOf(str(m["access_token"]))
	var auth, redeem policy.Event
	var fields map[string]any
	last := tok.Chain[len(tok.Chain)-1].Event
	if json.Unmarshal(g.Origin.Event, &auth) != nil || json.Unmarshal(last, &redeem) != nil || json.Unmarshal(last, &fields) != nil {
		t.Fatal("stored events do not decode")
	}
	if fields["codeVerifierLength"] != 1.0 {
		t.Fatalf("stored redemption %v; want codeVerifierLength 1", fields)
	}
	sc, err := policy.Decode(scenarioJSON(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	auth.ID = "a"
	redeem.Use = "a"
	res := policy.EvaluateLive(sc, nil, []policy.LiveStep{{At: g.Origin.At, Event: auth}, {At: time.Unix(0, tok.Chain[len(tok.Chain)-1].At), Event: redeem}})
	note := false
	for _, s := range res[1].Trace {
		note = note || s.Rule == "code.verifierLength" && strings.Contains(s.Because, "RFC 7636 requires 43-128") && strings.Contains(s.Because, "UNCONFIRMED")
	}
	if res[1].Outcome != policy.Granted || !note {
		t.Errorf("engine on the stored events: %s, trace %+v; want granted with a code.verifierLength note", res[1].Outcome, res[1].Trace)
	}
}

// A verifier that does not match: invalid_grant "invalid code verifier"
// (fact sheet §12), in both modes, and the code stays usable.
func TestAttackPKCEWrongVerifier(t *testing.T) {
	for _, mode := range []string{"rfc", "salesforce"} {
		e := newEnv(t, envOpt{mode: mode})
		v, params := pkce()
		code := getCode(t, e, e.browser(), params)
		other, _ := pkce()
		st, _, m := exchange(t, e, code, other, nil)
		if st != 400 || m["error"] != "invalid_grant" || m["error_description"] != "invalid code verifier" {
			t.Errorf("%s: wrong verifier: got %d %v; want 400 invalid_grant \"invalid code verifier\"", mode, st, m)
		}
		if st, _, m := exchange(t, e, code, v, nil); st != 200 {
			t.Errorf("%s: the right verifier after a wrong one: got %d %v; want 200", mode, st, m)
		}
	}
}
