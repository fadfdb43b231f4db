package infra

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/caplab/caplab/infra/deploy"
	"github.com/caplab/caplab/infra/smoke"
	"github.com/caplab/caplab/lambda/cmd/lambdamain"
	"github.com/caplab/caplab/lambda/lambdatest"
)

// stack is the template's runtime, stood in for on 127.0.0.1: the built
// bootstraps under the Lambda runtime API with the environment the
// template gives them, the HTTP API emulator with the template's routes,
// the CloudFront stand-in with the template's behaviors, functions and
// policies, DynamoDB Local for the table, and moto for Secrets Manager,
// SSM and S3. What CloudFormation itself would do (create the resources,
// call the custom resource, update the functions) the test does.
type stack struct {
	t       *testing.T
	r       *resolver
	c       clients
	bins    map[string]string
	testEnv map[string]string
	fns     map[string]*lambdatest.Function
	api     *lambdatest.HTTPAPI
	base    string // the public URL (the CloudFront stand-in)
	bucket  string
	distID  string
	keys    map[string]any // the custom resource's Data
	ddbOps  *opCounter     // DynamoDB calls of the functions
}

// opCounter is a reverse proxy in front of DynamoDB Local that counts
// the functions' calls by operation (the README's cost per flow).
type opCounter struct {
	mu  sync.Mutex
	ops map[string]int
	h   http.Handler
}

func newOpCounter(t *testing.T, endpoint string) (*opCounter, string) {
	u, _ := url.Parse(endpoint)
	c := &opCounter{ops: map[string]int{}, h: httputil.NewSingleHostReverseProxy(u)}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return c, srv.URL
}

func (c *opCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.ops[strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")]++
	c.mu.Unlock()
	c.h.ServeHTTP(w, r)
}

// take returns the counts so far and starts again.
func (c *opCounter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.ops
	c.ops = map[string]int{}
	return out
}

const standInStack = "caplab-standin"

func startStack(t *testing.T) *stack {
	tmpl := loadTemplate(t)
	moto := lambdatest.SharedMoto(t)
	ddbl := lambdatest.SharedDynamoDBLocal(t)
	s := &stack{t: t, c: motoClients(moto.Endpoint), r: newResolver(tmpl, standInStack, nil), bucket: standInStack + "-site"}

	// CloudFront's listener first: its URL is the public base URL.
	edge := httptest.NewUnstartedServer(nil)
	s.base = "http://" + edge.Listener.Addr().String()

	// The resources the functions need, as the stack would create them.
	table := lambdatest.NewTable(t, lambdatest.DynamoClient(ddbl.Endpoint, nil), "caplab-stack")
	secret := func(name string) string {
		out, err := s.c.sm.CreateSecret(t.Context(), &secretsmanager.CreateSecretInput{Name: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.ARN)
	}
	createBucket(t, s.c, s.bucket)
	var distDomain string
	s.distID, distDomain = motoDistribution(t, s.c, s.bucket)
	for k, v := range map[string]string{"Table": table, "LiveOrgSecret": secret(standInStack + "-live"), "RelaySecret": secret(standInStack + "-relay"),
		"SiteBucket": s.bucket, "HttpApi": "emu0000001", "Distribution": s.distID, "SiteOAC": "oac"} {
		s.r.refs[k] = v
	}
	for k, v := range map[string]string{"Distribution.DomainName": distDomain, "SiteBucket.RegionalDomainName": s.bucket + ".s3.us-east-1.amazonaws.com",
		"SiteBucket.Arn": "arn:aws:s3:::" + s.bucket, "SiteOAC.Id": "oac", "Table.Arn": "arn:aws:dynamodb:us-east-1:123456789012:table/" + table,
		"KeygenFunction.Arn": "arn:aws:lambda:us-east-1:123456789012:function:" + standInStack + "-keygen"} {
		s.r.attrs[k] = v
	}
	// BaseUrlParameter: the template's name; its value would be
	// https://<CloudFront domain>, here the stand-in's URL.
	name, err := s.r.value(get(tmpl.Props("BaseUrlParameter"), "Name"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.c.ssm.PutParameter(t.Context(), &ssm.PutParameterInput{Name: aws.String(name.(string)), Value: aws.String(s.base), Type: ssmtypes.ParameterTypeString}); err != nil {
		t.Fatal(err)
	}

	s.bins = lambdatest.BuildFunctions(t, runtime.GOARCH, lambdatest.FunctionNames...)
	var ddbURL string
	s.ddbOps, ddbURL = newOpCounter(t, ddbl.Endpoint)
	s.testEnv = map[string]string{lambdamain.EnvDynamoEndpoint: ddbURL, lambdamain.EnvSSMEndpoint: moto.Endpoint, lambdamain.EnvSecretsEndpoint: moto.Endpoint}

	// Keys, the custom resource, created as CloudFormation would.
	s.keys = s.customResource("Create", nil)
	s.r.attrs["Keys.LiveOrgVersion"], s.r.attrs["Keys.RelayVersion"] = fmt.Sprint(s.keys["LiveOrgVersion"]), fmt.Sprint(s.keys["RelayVersion"])

	s.fns = s.startFunctions()
	routes, err := tmpl.HTTPAPIRoutes()
	if err != nil {
		t.Fatal(err)
	}
	inv := map[string]lambdatest.Invoker{}
	for k, f := range s.fns {
		inv[k] = f
	}
	s.api = lambdatest.StartHTTPAPI(t, routes, inv)
	edge.Config.Handler = newCloudFront(t, s.r, "Distribution", map[string]http.Handler{"api": s.api, "site": s3Origin{s.c.s3, s.bucket}}, s.dynamicRef)
	edge.Start()
	t.Cleanup(edge.Close)
	return s
}

// function starts one function with the template's environment.
func (s *stack) function(logical, name string) *lambdatest.Function {
	env, err := s.r.env(logical)
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range s.testEnv {
		env[k] = v
	}
	return lambdatest.StartFunction(s.t, s.bins[name], env)
}

func (s *stack) startFunctions() map[string]*lambdatest.Function {
	fns := map[string]*lambdatest.Function{}
	for _, fn := range lambdamain.Functions() {
		fns[fn.Logical] = s.function(fn.Logical, fn.Name)
	}
	return fns
}

// customResource sends the Keys resource a CloudFormation request
// through the keygen function and returns the Data of its SUCCESS answer.
func (s *stack) customResource(kind string, old map[string]any) map[string]any {
	t := s.t
	props, err := s.r.value(s.r.tmpl.Props("Keys"))
	if err != nil {
		t.Fatal(err)
	}
	answers := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		answers <- b
	}))
	defer srv.Close()
	ev := map[string]any{"RequestType": kind, "ResponseURL": srv.URL + "/cfn-response", "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/" + standInStack + "/1",
		"RequestId": fmt.Sprintf("req-%d", time.Now().UnixNano()), "ResourceType": "Custom::CaplabKeys", "LogicalResourceId": "Keys",
		"ServiceToken": s.r.attrs["KeygenFunction.Arn"], "ResourceProperties": props}
	if kind != "Create" {
		ev["PhysicalResourceId"] = "caplab-keys"
		ev["OldResourceProperties"] = old
	}
	b, _ := json.Marshal(ev)
	keygen := s.function("KeygenFunction", "keygen")
	defer keygen.Stop()
	if res, err := keygen.Invoke(b, 60*time.Second); err != nil || res.IsError {
		t.Fatalf("keygen invocation: %v %s", err, res.Body)
	}
	var answer struct {
		Status, Reason, PhysicalResourceId string
		Data                               map[string]any
	}
	select {
	case a := <-answers:
		json.Unmarshal(a, &answer)
	case <-time.After(10 * time.Second):
		t.Fatal("keygen sent CloudFormation no answer")
	}
	if answer.Status != "SUCCESS" || answer.PhysicalResourceId != "caplab-keys" {
		t.Fatalf("keygen %s: %s %s (%s)", kind, answer.Status, answer.Reason, answer.PhysicalResourceId)
	}
	return answer.Data
}

// dynamicRef resolves {{resolve:secretsmanager:ARN:SecretString:key}}.
func (s *stack) dynamicRef(v string) (string, error) {
	inner, ok := strings.CutPrefix(v, "{{resolve:secretsmanager:")
	if !ok {
		return v, nil
	}
	inner = strings.TrimSuffix(inner, "}}")
	i := strings.Index(inner, ":SecretString:")
	if i < 0 {
		return "", fmt.Errorf("dynamic reference %q: want …:SecretString:key", v)
	}
	out, err := s.c.sm.GetSecretValue(s.t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(inner[:i])})
	if err != nil {
		return "", err
	}
	var m map[string]string
	json.Unmarshal([]byte(aws.ToString(out.SecretString)), &m)
	key := inner[i+len(":SecretString:"):]
	if m[key] == "" {
		return "", fmt.Errorf("secret %s has no %s", inner[:i], key)
	}
	return m[key], nil
}

func (s *stack) relayAdminKey() string {
	var k lambdamain.RelayKeys
	if _, err := lambdamain.GetSecretJSON(s.t.Context(), s.c.sm, s.r.refs["RelaySecret"], "AWSCURRENT", &k); err != nil {
		s.t.Fatal(err)
	}
	return k.AdminKey
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func (s *stack) get(path string, h map[string]string) (*http.Response, []byte) {
	req, _ := http.NewRequest("GET", s.base+path, nil)
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := lambdatest.LoopbackClient().Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// TestStackStandIn: `make deploy` on a fresh account, without AWS. The
// keys come from the custom resource, the base URL from the stack's
// parameter (no placeholder, no second deploy), the site from the
// publisher; the smoke test then runs its whole flow through CloudFront
// and API Gateway to the bootstraps, the raw API URL is refused, and a
// key rotation keeps the previous key published.
func TestStackStandIn(t *testing.T) {
	s := startStack(t)
	ctx := t.Context()

	rep, err := deploy.Publish(ctx, s.c.s3, s.c.cf, s.bucket, s.distID, fakeSiteBuild(t, playground), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("published %d objects, invalidation %s of %v", len(rep.Uploaded), rep.InvalidationID, rep.InvalidationPaths)

	t.Run("site", func(t *testing.T) {
		for _, tc := range []struct {
			path, acceptEncoding, encoding, cacheControl string
		}{
			{"/", "gzip, br", "br", deploy.RevalidateCacheControl},
			{"/s/anything", "gzip", "gzip", deploy.RevalidateCacheControl},
			{"/app.ABCDEFGH.js", "br", "br", deploy.ImmutableCacheControl},
			{"/app.ABCDEFGH.js", "", "", deploy.ImmutableCacheControl},
			{"/style.IJKLMNOP.css", "br", "", deploy.ImmutableCacheControl}, // no smaller copy: the file itself
			{"/logo.QRSTUVWX.png", "br", "", deploy.ImmutableCacheControl},
		} {
			h := map[string]string{"Accept-Encoding": tc.acceptEncoding}
			if tc.acceptEncoding == "" {
				h["Accept-Encoding"] = "identity"
			}
			resp, body := s.get(tc.path, h)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != tc.encoding || resp.Header.Get("Cache-Control") != tc.cacheControl {
				t.Errorf("%s (Accept-Encoding %q): %d, Content-Encoding %q, Cache-Control %q; want 200, %q, %q", tc.path, tc.acceptEncoding,
					resp.StatusCode, resp.Header.Get("Content-Encoding"), resp.Header.Get("Cache-Control"), tc.encoding, tc.cacheControl)
				continue
			}
			if tc.encoding == "br" {
				if body, err = io.ReadAll(brotli.NewReader(bytes.NewReader(body))); err != nil {
					t.Errorf("%s: not brotli: %v", tc.path, err)
				}
			}
			if strings.HasSuffix(tc.path, ".js") && !strings.Contains(string(body), "console.log('caplab')") {
				t.Errorf("%s: body %.60q", tc.path, body)
			}
			if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("Vary") != "Accept-Encoding" {
				t.Errorf("%s: no site headers (X-Frame-Options %q, Vary %q)", tc.path, resp.Header.Get("X-Frame-Options"), resp.Header.Get("Vary"))
			}
		}
		if resp, _ := s.get("/README.md", nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET /README.md: %d; want 403 (never published)", resp.StatusCode)
		}
	})

	t.Run("smoke", func(t *testing.T) {
		s.ddbOps.take()
		err := smoke.Run(ctx, smoke.Config{URL: s.base, APIEndpoint: s.api.URL, RelayAdminKey: s.relayAdminKey(),
			Client: lambdatest.LoopbackClient(), Log: testLog{t}})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("DynamoDB calls of one smoke run (cost estimate): %v", s.ddbOps.take())
		var n int
		var total time.Duration
		for name, f := range s.fns {
			out := f.Output()
			for _, line := range strings.Split(out, "\n") {
				var rec struct {
					Msg      string
					Duration time.Duration
				}
				if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "request" {
					n, total = n+1, total+rec.Duration
				}
			}
			if !strings.Contains(out, `"msg":"request"`) || !strings.Contains(out, `"requestId":"req-`) || !strings.Contains(out, `"apiRequestId":"EMU`) {
				t.Errorf("%s logged no request line with both request ids:\n%.2000s", name, out)
			}
		}
		if n > 0 {
			t.Logf("%d requests, mean handler time %s (this machine, DynamoDB Local)", n, (total / time.Duration(n)).Round(time.Millisecond/10))
		}
	})

	t.Run("rotation", func(t *testing.T) {
		issuer := s.share(t)
		_, before := s.get(strings.TrimPrefix(issuer, s.base)+"/id/keys", nil)
		kids := keyIDs(t, before)
		if len(kids) != 1 {
			t.Fatalf("before rotation: keys %v; want one", kids)
		}
		oldEnv, _ := s.r.env("TokenFunction")

		// sam deploy --parameter-overrides SigningKeyGeneration=2
		oldProps, _ := s.r.value(s.r.tmpl.Props("Keys"))
		s.r.params["SigningKeyGeneration"] = float64(2)
		keys := s.customResource("Update", oldProps.(map[string]any))
		if keys["LiveOrgVersion"] == s.keys["LiveOrgVersion"] || keys["RelayVersion"] != s.keys["RelayVersion"] {
			t.Fatalf("versions after rotation %v, before %v; want a new live-org version only", keys, s.keys)
		}
		s.r.attrs["Keys.LiveOrgVersion"] = fmt.Sprint(keys["LiveOrgVersion"])
		newEnv, _ := s.r.env("TokenFunction")
		if newEnv[lambdamain.EnvSecretVersion] == oldEnv[lambdamain.EnvSecretVersion] {
			t.Fatal("the functions' configuration did not change: warm environments would keep the old key")
		}
		// CloudFormation updates the functions: new execution environments.
		for logical, f := range s.startFunctions() {
			s.fns[logical].Stop()
			s.fns[logical] = f
			s.api.SetFunction(logical, f)
		}
		_, after := s.get(strings.TrimPrefix(issuer, s.base)+"/id/keys", nil)
		got := keyIDs(t, after)
		if len(got) != 2 || got[1] != kids[0] || got[0] == kids[0] {
			t.Fatalf("after rotation: keys %v; want a new key first and the previous one %s", got, kids[0])
		}
		if err := smoke.Run(ctx, smoke.Config{URL: s.base, RelayAdminKey: s.relayAdminKey(), Client: lambdatest.LoopbackClient(), Log: testLog{t}}); err != nil {
			t.Fatal(err)
		}
	})
}

// share shares the smoke scenario and returns its issuer.
func (s *stack) share(t *testing.T) string {
	resp, err := lambdatest.LoopbackClient().Post(s.base+"/api/scenarios", "application/json", strings.NewReader(smoke.Scenario(s.base)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Issuer string }
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != http.StatusCreated || out.Issuer == "" {
		t.Fatalf("share: %d", resp.StatusCode)
	}
	return out.Issuer
}

func keyIDs(t *testing.T, jwks []byte) []string {
	var set struct{ Keys []struct{ Kid string } }
	if err := json.Unmarshal(jwks, &set); err != nil {
		t.Fatalf("keys %s: %v", jwks, err)
	}
	var ids []string
	for _, k := range set.Keys {
		ids = append(ids, k.Kid)
	}
	return ids
}
