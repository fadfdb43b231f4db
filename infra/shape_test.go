package infra

import (
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/caplab/caplab/infra/deploy"
	"github.com/caplab/caplab/lambda/cmd/lambdamain"
	"github.com/caplab/caplab/lambda/lambdatest"
	"github.com/caplab/caplab/site"
)

// The deployment's shape, read from the template as CloudFormation sees
// it (intrinsics unresolved): what each piece promises the others.

func loadTemplate(t *testing.T) lambdatest.Template {
	t.Helper()
	tmpl, err := lambdatest.LoadTemplate("template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// get walks maps and lists: get(v, "A", "B", 0, "C").
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

const managedAllViewerExceptHost = "b689b0a8-53d0-40ab-baf2-68738e2966ac"

// apiBehaviors lists the behaviors of both distributions that go to the
// API origin.
func apiBehaviors(tmpl lambdatest.Template) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, d := range []string{"Distribution", "OrgDistribution"} {
		cfg := get(tmpl.Props(d), "DistributionConfig")
		if b, _ := get(cfg, "DefaultCacheBehavior").(map[string]any); b["TargetOriginId"] == "api" {
			out[d+" default"] = b
		}
		bs, _ := get(cfg, "CacheBehaviors").([]any)
		for _, x := range bs {
			if b, _ := x.(map[string]any); b["TargetOriginId"] == "api" {
				out[d+" "+b["PathPattern"].(string)] = b
			}
		}
	}
	return out
}

// TestAPIThroughCloudFront: every API behavior forwards Authorization on
// GET (it is in the cache key of a policy that caches nothing longer than
// a second), all other viewer headers but Host, and runs the ApiEdge
// function; the API origin carries the origin value from the live-org
// secret; the header names are lambdamain's.
func TestAPIThroughCloudFront(t *testing.T) {
	tmpl := loadTemplate(t)
	bs := apiBehaviors(tmpl)
	if len(bs) != 5 {
		t.Fatalf("%d API behaviors; want /api/*, /o/*, /relay/*, /.well-known/* and the org distribution's default", len(bs))
	}
	for name, b := range bs {
		if js(b["CachePolicyId"]) != `{"Ref":"ApiCachePolicy"}` {
			t.Errorf("%s: cache policy %s; want ApiCachePolicy (CachingDisabled drops Authorization on GET)", name, js(b["CachePolicyId"]))
		}
		if b["OriginRequestPolicyId"] != managedAllViewerExceptHost {
			t.Errorf("%s: origin request policy %v; want Managed-AllViewerExceptHostHeader", name, b["OriginRequestPolicyId"])
		}
		if js(get(b, "FunctionAssociations")) != `[{"EventType":"viewer-request","FunctionARN":{"Fn::GetAtt":["ApiEdgeFunction","FunctionMetadata.FunctionARN"]}}]` {
			t.Errorf("%s: function associations %s; want ApiEdgeFunction on viewer-request", name, js(get(b, "FunctionAssociations")))
		}
	}
	cp := get(tmpl.Props("ApiCachePolicy"), "CachePolicyConfig")
	if js(get(cp, "ParametersInCacheKeyAndForwardedToOrigin", "HeadersConfig")) != `{"HeaderBehavior":"whitelist","Headers":["Authorization"]}` {
		t.Errorf("ApiCachePolicy headers %s; want Authorization", js(get(cp, "ParametersInCacheKeyAndForwardedToOrigin", "HeadersConfig")))
	}
	for k, want := range map[string]float64{"MinTTL": 0, "DefaultTTL": 0, "MaxTTL": 1} {
		if get(cp, k) != want {
			t.Errorf("ApiCachePolicy %s = %v; want %v", k, get(cp, k), want)
		}
	}
	for _, q := range []string{"CookiesConfig", "QueryStringsConfig"} {
		if !strings.Contains(js(get(cp, "ParametersInCacheKeyAndForwardedToOrigin", q)), `"all"`) {
			t.Errorf("ApiCachePolicy %s is not all: a cached answer could be served to another session", q)
		}
	}

	// The origin value: the header lambdamain checks, from the secret's JSON field.
	field := reflect.TypeOf(lambdamain.LiveOrgKeys{}).Field(2)
	wantHeader := js([]any{map[string]any{"HeaderName": lambdamain.HeaderOriginVerify,
		"HeaderValue": map[string]any{"Fn::Sub": "{{resolve:secretsmanager:${LiveOrgSecret}:SecretString:" + field.Tag.Get("json") + "}}"}}})
	for _, d := range []string{"Distribution", "OrgDistribution"} {
		origins, _ := get(tmpl.Props(d), "DistributionConfig", "Origins").([]any)
		found := false
		for _, o := range origins {
			if get(o, "Id") == "api" {
				found = true
				if got := js(get(o, "OriginCustomHeaders")); got != wantHeader {
					t.Errorf("%s api origin headers %s; want %s", d, got, wantHeader)
				}
			}
		}
		if !found {
			t.Errorf("%s has no api origin", d)
		}
		if js(tmpl.Resource(d)["DependsOn"]) != `"Keys"` {
			t.Errorf("%s does not depend on Keys (the secret must hold the origin value first)", d)
		}
	}
	code, _ := get(tmpl.Props("ApiEdgeFunction"), "FunctionCode").(string)
	for _, h := range []string{lambdamain.HeaderViewerIP, lambdamain.HeaderViewerHost} {
		if !strings.Contains(code, "r.headers['"+strings.ToLower(h)+"'] = ") {
			t.Errorf("ApiEdgeFunction does not set %s", h)
		}
	}

	// Every alias route is under an API behavior of the main distribution.
	var patterns []*regexp.Regexp
	for name, b := range bs {
		if strings.HasPrefix(name, "Distribution ") {
			patterns = append(patterns, globRegexp(b["PathPattern"].(string)))
		}
	}
	for _, fn := range lambdamain.Functions() {
		for _, r := range fn.Routes {
			concrete := regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(r.Path, "x")
			if !slices.ContainsFunc(patterns, func(p *regexp.Regexp) bool { return p.MatchString(concrete) }) && !isRootOrgRoute(r.Path) {
				t.Errorf("route %s is under no API behavior of the main distribution", r.Key())
			}
		}
	}
}

// isRootOrgRoute: the root form of a live-org route (served on org
// subdomains by OrgDistribution, whose default behavior is the API).
func isRootOrgRoute(p string) bool {
	for _, fn := range lambdamain.Functions() {
		for _, r := range fn.Routes {
			if r.Path == "/o/{id}"+p {
				return true
			}
		}
	}
	return p == "/" || p == "/.well-known/oauth-authorization-server"
}

// globRegexp is a CloudFront path pattern (* any run of characters,
// ? one) as a regexp.
func globRegexp(p string) *regexp.Regexp {
	q := regexp.QuoteMeta(p)
	q = strings.ReplaceAll(q, `\*`, ".*")
	q = strings.ReplaceAll(q, `\?`, ".")
	return regexp.MustCompile("^" + q + "$")
}

// TestSiteServing: the site's headers are site.Handler's, and the site
// function's compressible extensions are the publisher's.
func TestSiteServing(t *testing.T) {
	tmpl := loadTemplate(t)
	sec := get(tmpl.Props("SiteHeadersPolicy"), "ResponseHeadersPolicyConfig", "SecurityHeadersConfig")
	if got := get(sec, "ContentSecurityPolicy", "ContentSecurityPolicy"); got != site.ContentSecurityPolicy {
		t.Errorf("SiteHeadersPolicy CSP\n%v\nwant site.ContentSecurityPolicy\n%s", got, site.ContentSecurityPolicy)
	}
	if get(sec, "FrameOptions", "FrameOption") != "DENY" || get(sec, "ReferrerPolicy", "ReferrerPolicy") != "no-referrer" {
		t.Error("SiteHeadersPolicy: want X-Frame-Options DENY and Referrer-Policy no-referrer, as site.Handler")
	}
	code, _ := get(tmpl.Props("SiteFunction"), "FunctionCode").(string)
	m := regexp.MustCompile(`var compressible = /\\\.\(([a-z|]+)\)\$/;`).FindStringSubmatch(code)
	if m == nil {
		t.Fatal("SiteFunction has no `var compressible = /\\.(…)$/;`")
	}
	got, want := strings.Split(m[1], "|"), slices.Clone(deploy.Precompressed)
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("SiteFunction compresses %v; the publisher writes copies for %v", got, want)
	}
	for _, b := range []any{get(tmpl.Props("Distribution"), "DistributionConfig", "DefaultCacheBehavior"), get(tmpl.Props("Distribution"), "DistributionConfig", "CacheBehaviors", 0)} {
		if js(get(b, "ResponseHeadersPolicyId")) != `{"Ref":"SiteHeadersPolicy"}` || !strings.Contains(js(get(b, "FunctionAssociations")), "SiteFunction") {
			t.Errorf("site behavior %v: want SiteHeadersPolicy and SiteFunction", get(b, "PathPattern"))
		}
	}
}

// TestFunctionEnvironment: the variables lambdamain reads, with the base
// URL parameter the stack writes and each function's own secret.
func TestFunctionEnvironment(t *testing.T) {
	tmpl := loadTemplate(t)
	globals, _ := get(tmpl["Globals"], "Function", "Environment", "Variables").(map[string]any)
	for _, k := range []string{lambdamain.EnvTable, lambdamain.EnvBaseURL, lambdamain.EnvBaseURLParam, lambdamain.EnvOrgDomain} {
		if _, ok := globals[k]; !ok {
			t.Errorf("Globals environment lacks %s", k)
		}
	}
	if js(globals[lambdamain.EnvBaseURLParam]) != js(get(tmpl.Props("BaseUrlParameter"), "Name")) {
		t.Errorf("functions read %s, the stack writes %s", js(globals[lambdamain.EnvBaseURLParam]), js(get(tmpl.Props("BaseUrlParameter"), "Name")))
	}
	if v := js(get(tmpl.Props("BaseUrlParameter"), "Value")); !strings.Contains(v, "${Distribution.DomainName}") || !strings.Contains(v, "https://${DomainName}") {
		t.Errorf("BaseUrlParameter value %s; want the custom domain or CloudFront's domain", v)
	}
	for _, fn := range lambdamain.Functions() {
		vars, _ := get(tmpl.Props(fn.Logical), "Environment", "Variables").(map[string]any)
		secret, ref, version := lambdamain.EnvSecretARN, `{"Ref":"LiveOrgSecret"}`, `{"Fn::GetAtt":["Keys","LiveOrgVersion"]}`
		if fn.Relay {
			secret, ref, version = lambdamain.EnvRelaySecretARN, `{"Ref":"RelaySecret"}`, `{"Fn::GetAtt":["Keys","RelayVersion"]}`
		}
		if js(vars[secret]) != ref || js(vars[lambdamain.EnvSecretVersion]) != version {
			t.Errorf("%s: %s = %s, %s = %s; want %s and %s", fn.Logical, secret, js(vars[secret]), lambdamain.EnvSecretVersion, js(vars[lambdamain.EnvSecretVersion]), ref, version)
		}
	}
	for _, signer := range []string{"AuthorizeFunction", "TokenFunction"} {
		if js(tmpl.Resource(signer)["DependsOn"]) != `"ApiFunction"` {
			t.Errorf("%s does not update after ApiFunction (the JWKS must have a new key before tokens are signed with it)", signer)
		}
	}
	raw, _ := json.Marshal(tmpl)
	if strings.Contains(string(raw), "example.com") || tmpl["Parameters"].(map[string]any)["PublicBaseUrl"] != nil {
		t.Error("the template still has a placeholder base URL")
	}
}

// TestLogsAndAlarms: every function logs to a group with the retention
// parameter; alarms watch API 5xx, Lambda errors and throttles of every
// HTTP function, and table throttles, and notify the topic.
func TestLogsAndAlarms(t *testing.T) {
	tmpl := loadTemplate(t)
	groups := map[string]string{}
	for _, g := range tmpl.ResourcesOfType("AWS::Logs::LogGroup") {
		p := tmpl.Props(g)
		if js(p["RetentionInDays"]) != `{"Ref":"LogRetentionDays"}` {
			t.Errorf("log group %s: retention %s", g, js(p["RetentionInDays"]))
		}
		groups[js(p["LogGroupName"])] = g
	}
	for _, fn := range tmpl.ResourcesOfType("AWS::Serverless::Function") {
		name := get(tmpl.Props(fn), "FunctionName", "Fn::Sub")
		if _, ok := groups[js(map[string]any{"Fn::Sub": "/aws/lambda/" + name.(string)})]; !ok {
			t.Errorf("function %s (%v) has no log group with retention", fn, name)
		}
	}
	metrics := map[string][]string{} // metric → dimension values
	for _, a := range tmpl.ResourcesOfType("AWS::CloudWatch::Alarm") {
		p := tmpl.Props(a)
		if js(p["AlarmActions"]) != `[{"Ref":"AlarmTopic"}]` {
			t.Errorf("alarm %s notifies %s; want AlarmTopic", a, js(p["AlarmActions"]))
		}
		if p["MetricName"] != nil {
			metrics[p["Namespace"].(string)+" "+p["MetricName"].(string)] = append(metrics[p["Namespace"].(string)+" "+p["MetricName"].(string)], js(get(p, "Dimensions", 0, "Value")))
		}
		ms, _ := p["Metrics"].([]any)
		for _, m := range ms {
			if ms := get(m, "MetricStat", "Metric"); ms != nil {
				k := get(ms, "Namespace").(string) + " " + get(ms, "MetricName").(string)
				metrics[k] = append(metrics[k], js(get(ms, "Dimensions", 0, "Value")))
			}
		}
	}
	var fnRefs []string
	for _, fn := range lambdamain.Functions() {
		fnRefs = append(fnRefs, js(map[string]any{"Ref": fn.Logical}))
	}
	sort.Strings(fnRefs)
	for k, want := range map[string][]string{
		"AWS/ApiGateway 5xx":               {`{"Ref":"HttpApi"}`},
		"AWS/Lambda Errors":                fnRefs,
		"AWS/Lambda Throttles":             fnRefs,
		"AWS/DynamoDB ReadThrottleEvents":  {`{"Ref":"Table"}`},
		"AWS/DynamoDB WriteThrottleEvents": {`{"Ref":"Table"}`},
	} {
		got := metrics[k]
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Errorf("alarms on %s cover %v; want %v", k, got, want)
		}
	}
}

// TestCostControls: WAF rate limits per IP behind EnableWaf (off by
// default), on POST and on everything; the budget behind its parameter;
// no reserved concurrency unless asked; the table retained.
func TestCostControls(t *testing.T) {
	tmpl := loadTemplate(t)
	params := tmpl["Parameters"].(map[string]any)
	for p, want := range map[string]any{"EnableWaf": "false", "ReservedConcurrency": float64(0), "MonthlyBudgetUsd": float64(0)} {
		if get(params, p, "Default") != want {
			t.Errorf("parameter %s defaults to %v; want %v", p, get(params, p, "Default"), want)
		}
	}
	acl := tmpl.Resource("WebAcl")
	if acl["Condition"] != "WafOn" || get(acl, "Properties", "Scope") != "CLOUDFRONT" {
		t.Errorf("WebAcl condition %v scope %v; want WafOn, CLOUDFRONT", acl["Condition"], get(acl, "Properties", "Scope"))
	}
	rules, _ := get(acl, "Properties", "Rules").([]any)
	post := false
	for _, r := range rules {
		rb := get(r, "Statement", "RateBasedStatement")
		if get(rb, "AggregateKeyType") != "IP" || get(r, "Action", "Block", "CustomResponse", "ResponseCode") != float64(429) {
			t.Errorf("rule %v: want a per-IP rate-based rule answering 429", get(r, "Name"))
		}
		if get(rb, "ScopeDownStatement", "ByteMatchStatement", "SearchString") == "POST" {
			post = true
		}
	}
	if len(rules) != 2 || !post {
		t.Errorf("%d WAF rules, one on POST: %v; want 2 with one on POST", len(rules), post)
	}
	for _, d := range []string{"Distribution", "OrgDistribution"} {
		if js(get(tmpl.Props(d), "DistributionConfig", "WebACLId")) != `{"Fn::If":["WafOn",{"Fn::GetAtt":["WebAcl","Arn"]},{"Ref":"AWS::NoValue"}]}` {
			t.Errorf("%s WebACLId %s", d, js(get(tmpl.Props(d), "DistributionConfig", "WebACLId")))
		}
	}
	if deploy.CheckRegion("eu-west-1", map[string]string{"EnableWaf": "true"}) == nil || deploy.CheckRegion("us-east-1", map[string]string{"EnableWaf": "true"}) != nil {
		t.Error("deploy.CheckRegion must refuse EnableWaf outside us-east-1 only")
	}
	if tmpl.Resource("Budget")["Condition"] != "HasBudget" {
		t.Error("the budget is not behind HasBudget")
	}
	for _, fn := range lambdamain.Functions() {
		if js(tmpl.Props(fn.Logical)["ReservedConcurrentExecutions"]) != `{"Fn::If":["HasReserved",{"Ref":"ReservedConcurrency"},{"Ref":"AWS::NoValue"}]}` {
			t.Errorf("%s reserves concurrency unconditionally", fn.Logical)
		}
	}
	if tmpl.Resource("Table")["DeletionPolicy"] != "Retain" {
		t.Error("the table is not retained")
	}
}

// TestEmulatorRoutesAgree: for a request on every route, the HTTP API
// emulator (API Gateway's precedence over the template's routes) picks
// the function lambdamain.RouteOwner names (each function's 404 for
// other routes relies on it).
func TestEmulatorRoutesAgree(t *testing.T) {
	routes, err := loadTemplate(t).HTTPAPIRoutes()
	if err != nil {
		t.Fatal(err)
	}
	concrete := strings.NewReplacer("{proxy+}", "a/b", "{id}", "abc", "{orgId}", "00D", "{userId}", "005")
	n := 0
	for _, fn := range lambdamain.Functions() {
		for _, r := range fn.Routes {
			methods := []string{r.Method}
			if r.Method == "ANY" {
				methods = []string{"GET", "POST", "DELETE"}
			}
			for _, m := range methods {
				path := concrete.Replace(r.Path)
				got, _, ok := lambdatest.Match(routes, m, path)
				want, wok := lambdamain.RouteOwner(m, path)
				if ok != wok || got.Function != want.Logical {
					t.Errorf("%s %s: emulator %q (%v), lambdamain %q (%v)", m, path, got.Function, ok, want.Logical, wok)
				}
				n++
			}
		}
	}
	if n < 50 {
		t.Fatalf("only %d requests checked", n)
	}
}
