package lambdamain_test

import (
	"bytes"
	"debug/elf"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/caplab/caplab/lambda/cmd/lambdamain"
	"github.com/caplab/caplab/lambda/lambdatest"
	"github.com/caplab/caplab/lambda/store/dynamostore"
)

// TestBuildArm64 builds every function the way infra/Makefile does and
// checks it is a static linux/arm64 ELF named bootstrap.
func TestBuildArm64(t *testing.T) {
	bins := lambdatest.BuildFunctions(t, "arm64", lambdatest.FunctionNames...)
	for _, name := range lambdatest.FunctionNames {
		t.Run(name, func(t *testing.T) {
			path := bins[name]
			if filepath.Base(path) != "bootstrap" {
				t.Fatalf("output %s is not named bootstrap", path)
			}
			f, err := elf.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Machine != elf.EM_AARCH64 || f.Class != elf.ELFCLASS64 {
				t.Fatalf("%s: machine %v class %v, want AARCH64 64-bit", path, f.Machine, f.Class)
			}
			for _, p := range f.Progs {
				if p.Type == elf.PT_INTERP {
					t.Fatalf("%s is dynamically linked (has an interpreter)", path)
				}
			}
			st, _ := os.Stat(path)
			t.Logf("%s bootstrap (linux/arm64): %d bytes (%.1f MiB)", name, st.Size(), float64(st.Size())/(1<<20))
		})
	}
}

// function is a built function binary running against a fake runtime API.
type function struct{ *lambdatest.Function }

// startFunction runs the host-arch build of fn (same source as the arm64
// one) against DynamoDB Local and the fakes, and waits for its init.
func startFunction(t *testing.T, bin string, env map[string]string) *function {
	t.Helper()
	return &function{lambdatest.StartFunction(t, bin, env)}
}

func (f *function) invoke(t *testing.T, event []byte) events.APIGatewayV2HTTPResponse {
	t.Helper()
	res, err := f.Invoke(event, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res.IsError {
		t.Fatalf("invocation error: %s", res.Body)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(res.Body, &resp); err != nil {
		t.Fatalf("response %s: %v", res.Body, err)
	}
	return resp
}

// withoutState drops the random relay handle from a Location.
func withoutState(loc string) string {
	u, err := url.Parse(loc)
	if err != nil || loc == "" {
		return loc
	}
	q := u.Query()
	q.Del("state")
	u.RawQuery = q.Encode()
	return u.String()
}

func body(t *testing.T, r events.APIGatewayV2HTTPResponse) []byte {
	if !r.IsBase64Encoded {
		return []byte(r.Body)
	}
	b, err := base64.StdEncoding.DecodeString(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixture is an API Gateway event from testdata with the live org id
// filled in and CloudFront's origin header added (the functions refuse
// requests without it).
func fixture(t *testing.T, name, id string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte("__ID__"), []byte(id))
	var ev map[string]any
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	ev["headers"].(map[string]any)["x-caplab-origin-verify"] = originVerify
	b, _ = json.Marshal(ev)
	return b
}

func withoutHeader(t *testing.T, event []byte, name string) []byte {
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		t.Fatal(err)
	}
	delete(ev["headers"].(map[string]any), name)
	b, _ := json.Marshal(ev)
	return b
}

// localAnswer replays an API Gateway event against the same handler
// served over httptest on 127.0.0.1 (what `caplab serve` would answer).
func localAnswer(t *testing.T, h http.Handler, event []byte) (int, http.Header, []byte) {
	t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(event, &ev); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	b := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, _ = base64.StdEncoding.DecodeString(ev.Body)
	}
	u := srv.URL + ev.RawPath
	if ev.RawQueryString != "" {
		u += "?" + ev.RawQueryString
	}
	req, _ := http.NewRequest(ev.RequestContext.HTTP.Method, u, bytes.NewReader(b))
	for k, v := range ev.Headers {
		if k != "host" && k != "content-length" {
			req.Header.Set(k, v)
		}
	}
	resp, err := lambdatest.LoopbackClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, rb
}

type oauthErr struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// TestInvokeThroughRuntimeAPI runs each function binary (host arch, same
// source as the arm64 build) under a fake Lambda runtime API with real API
// Gateway HTTP API v2 events, and checks its answers equal the local
// server's over the same handler, store and keys.
func TestInvokeThroughRuntimeAPI(t *testing.T) {
	d := lambdatest.SharedDynamoDBLocal(t)
	client := dynamoClient(d.Endpoint, nil)
	table := newTable(t, client)
	const base = "https://caplab.example.test"
	sm, ps := fakeAWS(t, base)
	env := functionEnv(table, d.Endpoint, sm, ps)
	_, secrets := testKeys(t)
	lenv := lambdamain.Env{Table: table, BaseURL: base, RelayCallbackURL: base + "/relay/callback"}
	st := dynamostore.New(client, table)
	relaySecrets := lambdamain.Secrets{RelayAdminKey: relayAdminKey, OriginVerify: originVerify}
	relayHandler, err := lambdamain.BuildRelay(lambdamain.Callback, lenv, relaySecrets, dynamostore.NewRelay(client, table), quietLogger())
	if err != nil {
		t.Fatal(err)
	}

	var names []string
	for _, fn := range lambdamain.Functions() {
		names = append(names, fn.Name)
	}
	bins := lambdatest.BuildFunctions(t, runtime.GOARCH, names...)
	fns := map[string]*function{}
	for _, fn := range lambdamain.Functions() {
		fns[fn.Name] = startFunction(t, bins[fn.Name], env)
		t.Logf("%s init (process start to first /next): %s", fn.Name, fns[fn.Name].InitTime.Round(100*time.Microsecond))
	}
	// Init: one SSM read (the base URL) per function; the secret's
	// current and previous versions for each live-org function, the
	// current one for the relay.
	if n := ps.Calls.Load(); n != int32(len(fns)) {
		t.Errorf("SSM calls = %d, want one per function init", n)
	}
	if n, want := sm.Calls.Load(), int32(2*(len(fns)-1)+1); n != want {
		t.Errorf("Secrets Manager calls = %d, want %d", n, want)
	}

	// Without CloudFront's origin header (a request to the raw API
	// Gateway URL), every function answers 403.
	for _, fn := range lambdamain.Functions() {
		ev := fixture(t, map[string]string{"api": "apigw-share.json", "token": "apigw-token.json", "authorize": "apigw-authorize.json", "callback": "apigw-relay-start.json"}[fn.Name], "")
		resp := fns[fn.Name].invoke(t, withoutHeader(t, ev, "x-caplab-origin-verify"))
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s without the origin header: %d %s; want 403", fn.Name, resp.StatusCode, body(t, resp))
		}
	}

	// api: share the scenario.
	resp := fns["api"].invoke(t, fixture(t, "apigw-share.json", ""))
	var shared struct{ ID, Issuer string }
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(body(t, resp), &shared) != nil || shared.ID == "" {
		t.Fatalf("share via Lambda: %d %s", resp.StatusCode, body(t, resp))
	}
	orgID, ok := strings.CutPrefix(shared.Issuer, base+"/o/")
	if !ok || orgID == shared.ID {
		t.Fatalf("issuer %q does not come from CAPLAB_BASE_URL (%s), or names the share id", shared.Issuer, base)
	}

	for _, tc := range []struct{ fn, fixture string }{
		{"token", "apigw-token.json"},
		{"token", "apigw-token-base64.json"},
		{"token", "apigw-token-basic-wrong.json"},
		{"authorize", "apigw-authorize.json"},
		{"api", "apigw-discovery.json"},
	} {
		t.Run(strings.TrimSuffix(tc.fixture, ".json"), func(t *testing.T) {
			fn := map[string]lambdamain.Function{"token": lambdamain.Token, "authorize": lambdamain.Authorize, "api": lambdamain.API}[tc.fn]
			ev := fixture(t, tc.fixture, orgID)
			got := fns[tc.fn].invoke(t, ev)
			lstatus, lheader, lbody := localAnswer(t, lambdamain.Build(fn, lenv, secrets, st, quietLogger()), ev)
			gbody := body(t, got)
			if got.StatusCode != lstatus {
				t.Fatalf("Lambda status %d, local %d\nLambda: %s\nlocal: %s", got.StatusCode, lstatus, gbody, lbody)
			}
			if ct := got.Headers["Content-Type"]; ct != lheader.Get("Content-Type") {
				t.Errorf("Content-Type: Lambda %q, local %q", ct, lheader.Get("Content-Type"))
			}
			if strings.HasPrefix(lheader.Get("Content-Type"), "application/json") {
				var a, b oauthErr
				json.Unmarshal(gbody, &a)
				json.Unmarshal(lbody, &b)
				if a != b {
					t.Fatalf("error body: Lambda %+v, local %+v", a, b)
				}
				if tc.fn == "token" && (a.Error == "" || got.StatusCode < 400) {
					t.Fatalf("token fixture should be refused: %d %s", got.StatusCode, gbody)
				}
				if tc.fixture == "apigw-discovery.json" && !bytes.Equal(gbody, lbody) {
					t.Fatalf("discovery differs:\nLambda: %s\nlocal: %s", gbody, lbody)
				}
			}
			if tc.fn == "token" && got.Headers["Cache-Control"] != "no-store" {
				t.Errorf("token response Cache-Control = %q", got.Headers["Cache-Control"])
			}
			t.Logf("%s → %d %s", tc.fixture, got.StatusCode, strings.TrimSpace(string(gbody[:min(len(gbody), 160)])))
		})
	}

	// callback (the relay): register a tenant, start a flow, refuse an
	// unknown callback; each answer as the local relay gives it.
	admin := bytes.ReplaceAll(fixture(t, "apigw-relay-admin-put.json", ""), []byte("__ADMIN_KEY__"), []byte(relayAdminKey))
	resp = fns["callback"].invoke(t, admin)
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		t.Fatalf("relay admin PUT via Lambda: %d %s", resp.StatusCode, body(t, resp))
	}
	for _, name := range []string{"apigw-relay-start.json", "apigw-relay-callback-unknown.json"} {
		ev := fixture(t, name, "")
		got := fns["callback"].invoke(t, ev)
		lstatus, lheader, lbody := localAnswer(t, relayHandler, ev)
		if got.StatusCode != lstatus || got.Headers["Content-Type"] != lheader.Get("Content-Type") {
			t.Fatalf("%s: Lambda %d %q, local %d %q\n%s\n%s", name, got.StatusCode, got.Headers["Content-Type"],
				lstatus, lheader.Get("Content-Type"), body(t, got), lbody)
		}
		if got.Headers["Referrer-Policy"] != "no-referrer" {
			t.Errorf("%s: Referrer-Policy = %q", name, got.Headers["Referrer-Policy"])
		}
		gl, ll := withoutState(got.Headers["Location"]), withoutState(lheader.Get("Location"))
		if gl != ll {
			t.Fatalf("%s: Location\nLambda %s\nlocal  %s", name, gl, ll)
		}
		t.Logf("%s → %d %s", name, got.StatusCode, gl)
	}

	// A function refuses a route that belongs to another one.
	resp = fns["api"].invoke(t, fixture(t, "apigw-token.json", orgID))
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("api function answered a token request: %d", resp.StatusCode)
	}
}
