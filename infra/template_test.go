// Package infra holds the AWS SAM template; its tests check the template
// without deploying anything.
package infra

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7"
	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/intrinsics"

	"github.com/caplab/caplab/infra/deploy"
	"github.com/caplab/caplab/lambda/cmd/lambdamain"
)

// TestCfnLint runs cfn-lint (with its SAM transform) over the template.
func TestCfnLint(t *testing.T) {
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Fatal("cfn-lint not found on PATH: pip install cfn-lint")
	}
	out, err := exec.Command(bin, "--format", "parseable", "template.yaml").CombinedOutput()
	if err != nil {
		t.Fatalf("cfn-lint template.yaml: %v\n%s", err, out)
	}
}

// raw parses the template with Ref, Fn::GetAtt and Fn::Sub rendered as
// marker strings (REF(x), GETATT(x.y), SUB(s)) instead of resolved, for
// the IAM checks.
func raw(t *testing.T) *cloudformation.Template {
	t.Helper()
	marker := func(kind string) intrinsics.IntrinsicHandler {
		return func(_ string, input any, _ any) any {
			switch v := input.(type) {
			case string:
				return kind + "(" + v + ")"
			case []any:
				var parts []string
				for _, p := range v {
					if s, ok := p.(string); ok {
						parts = append(parts, s)
					}
				}
				return kind + "(" + strings.Join(parts, ".") + ")"
			}
			return kind + "(?)"
		}
	}
	tmpl, err := goformation.OpenWithOptions("template.yaml", &intrinsics.ProcessorOptions{
		IntrinsicHandlerOverrides: map[string]intrinsics.IntrinsicHandler{
			"Ref": func(name string, input any, tmpl any) any {
				// A parameter with a default resolves to it (typed: numbers stay numbers).
				if d := paramDefault(tmpl, input); d != nil && d != "" {
					return d
				}
				return marker("REF")(name, input, tmpl)
			},
			"Fn::GetAtt": marker("GETATT"), "Fn::Sub": marker("SUB"),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// paramDefault is the Default of the template parameter that ref (a Ref's
// input) names, or nil.
func paramDefault(tmpl, ref any) any {
	name, _ := ref.(string)
	m, _ := tmpl.(map[string]any)
	ps, _ := m["Parameters"].(map[string]any)
	p, _ := ps[name].(map[string]any)
	return p["Default"]
}

func TestTemplate(t *testing.T) {
	tmpl, err := goformation.Open("template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if tr := tmpl.Transform; tr == nil || tr.String == nil || *tr.String != "AWS::Serverless-2016-10-31" {
		t.Fatalf("Transform = %+v, want AWS::Serverless-2016-10-31", tmpl.Transform)
	}

	// Function settings live in Globals; a function may not override them.
	var globals struct {
		Runtime       string
		Architectures []string
		Handler       string
	}
	g, _ := json.Marshal(tmpl.Globals["Function"])
	json.Unmarshal(g, &globals)
	if globals.Runtime != "provided.al2023" || strings.Join(globals.Architectures, ",") != "arm64" || globals.Handler != "bootstrap" {
		t.Fatalf("Globals.Function = %+v, want provided.al2023 / [arm64] / bootstrap", globals)
	}
	makefile, err := os.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	fns := tmpl.GetAllServerlessFunctionResources()
	byLogical := map[string]lambdamain.Function{"KeygenFunction": {Name: "keygen", Logical: "KeygenFunction"}} // the custom resource: no routes
	for _, fn := range lambdamain.Functions() {
		byLogical[fn.Logical] = fn
	}
	if len(fns) != len(byLogical) {
		t.Errorf("template has %d functions, lambdamain.Functions() and keygen %d", len(fns), len(byLogical))
	}
	for name, fn := range fns {
		want, ok := byLogical[name]
		if !ok {
			t.Errorf("function %s has no lambdamain.Function", name)
			continue
		}
		for field, v := range map[string]*string{"Runtime": fn.Runtime, "Handler": fn.Handler} {
			if v != nil && *v != map[string]string{"Runtime": "provided.al2023", "Handler": "bootstrap"}[field] {
				t.Errorf("%s overrides %s = %s", name, field, *v)
			}
		}
		if len(fn.Architectures) > 0 && strings.Join(fn.Architectures, ",") != "arm64" {
			t.Errorf("%s Architectures = %v", name, fn.Architectures)
		}
		if bm, _ := fn.AWSCloudFormationMetadata["BuildMethod"].(string); bm != "makefile" {
			t.Errorf("%s Metadata.BuildMethod = %q, want makefile", name, bm)
		}
		if !regexp.MustCompile(`(?m)^build-` + name + `:`).Match(makefile) {
			t.Errorf("infra/Makefile has no build-%s target", name)
		}
		if !strings.Contains(string(makefile), "./lambda/cmd/$(1)") || !strings.Contains(string(makefile), "$(call gobuild,"+want.Name+")") {
			t.Errorf("infra/Makefile does not build ./lambda/cmd/%s for %s", want.Name, name)
		}
		// Every route in the template goes to the function that serves it.
		var routes []string
		for ename, ev := range fn.Events {
			if ev.Type != "HttpApi" {
				t.Errorf("%s event %s has type %s, want HttpApi", name, ename, ev.Type)
				continue
			}
			var p struct{ Method, Path string }
			b, _ := json.Marshal(ev.Properties)
			json.Unmarshal(flatten(b), &p)
			routes = append(routes, strings.ToUpper(p.Method)+" "+p.Path)
		}
		var wantRoutes []string
		for _, r := range want.Routes {
			wantRoutes = append(wantRoutes, r.Key())
		}
		sort.Strings(routes)
		sort.Strings(wantRoutes)
		if strings.Join(routes, "\n") != strings.Join(wantRoutes, "\n") {
			t.Errorf("%s routes in the template:\n%s\nin lambdamain:\n%s", name, strings.Join(routes, "\n"), strings.Join(wantRoutes, "\n"))
		}
	}

	tables := tmpl.GetAllDynamoDBTableResources()
	if len(tables) != 1 {
		t.Fatalf("%d DynamoDB tables, want 1", len(tables))
	}
	for name, tb := range tables {
		if ttl := tb.TimeToLiveSpecification; ttl == nil || ttl.AttributeName == nil || *ttl.AttributeName != "ttl" || !ttl.Enabled {
			t.Errorf("%s TimeToLiveSpecification = %+v, want ttl enabled", name, tb.TimeToLiveSpecification)
		}
		if p := tb.PointInTimeRecoverySpecification; p == nil || p.PointInTimeRecoveryEnabled == nil || !*p.PointInTimeRecoveryEnabled {
			t.Errorf("%s point-in-time recovery is off", name)
		}
		keys := map[string]string{}
		for _, k := range tb.KeySchema {
			keys[k.KeyType] = k.AttributeName
		}
		if keys["HASH"] != "PK" || keys["RANGE"] != "SK" {
			t.Errorf("%s KeySchema = %v, want PK/SK", name, keys)
		}
		if len(tb.GlobalSecondaryIndexes) > 0 {
			t.Errorf("%s has GSIs; the IAM statements only cover the table ARN", name)
		}
	}

	// The site bucket is private and served only through CloudFront with OAC.
	for name, b := range tmpl.GetAllS3BucketResources() {
		p := b.PublicAccessBlockConfiguration
		if p == nil || p.BlockPublicAcls == nil || !*p.BlockPublicAcls || !*p.BlockPublicPolicy || !*p.IgnorePublicAcls || !*p.RestrictPublicBuckets {
			t.Errorf("bucket %s is not fully private: %+v", name, p)
		}
	}
	if len(tmpl.GetAllCloudFrontOriginAccessControlResources()) != 1 {
		t.Error("want one origin access control (the site bucket's)")
	}
	ds := tmpl.GetAllCloudFrontDistributionResources()
	if len(ds) != 2 || ds["Distribution"] == nil || ds["OrgDistribution"] == nil || ds["OrgDistribution"].AWSCloudFormationCondition != "OrgSubdomains" {
		t.Errorf("want the main Distribution and OrgDistribution only with the OrgSubdomains condition; got %d", len(ds))
	}
	// Every output the deploy program reads.
	for _, out := range deploy.ReadOutputs {
		if _, ok := tmpl.Outputs[out]; !ok {
			t.Errorf("Outputs lack %s (infra/deploy reads it)", out)
		}
	}
}

// flatten unwraps the union wrapper goformation puts around event
// properties ({"HttpApiEvent": {...}} or similar) to the inner object.
func flatten(b []byte) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return b
	}
	if _, ok := m["Path"]; ok {
		return b
	}
	for _, v := range m {
		if bytes.HasPrefix(bytes.TrimSpace(v), []byte("{")) && bytes.Contains(v, []byte(`"Path"`)) {
			return v
		}
	}
	return b
}

// TestIAMLeastPrivilege: no statement allows a wildcard action or a "*"
// resource; DynamoDB statements name only the table's ARN and only the
// actions the store uses; Secrets Manager statements name the stack's own
// secrets (only keygen may write); SSM statements only GetParameter on
// the base URL parameter.
func TestIAMLeastPrivilege(t *testing.T) {
	tmpl := raw(t)
	storeActions := map[string]bool{"dynamodb:GetItem": true, "dynamodb:PutItem": true, "dynamodb:UpdateItem": true,
		"dynamodb:Query": true, "dynamodb:BatchGetItem": true, "dynamodb:DeleteItem": true}
	type doc struct {
		role string
		body any
	}
	var docs []doc
	for name, r := range tmpl.GetAllIAMRoleResources() {
		if len(r.ManagedPolicyArns) > 0 {
			t.Errorf("role %s attaches managed policies %v (they grant * resources)", name, r.ManagedPolicyArns)
		}
		for _, p := range r.Policies {
			docs = append(docs, doc{name, p.PolicyDocument})
		}
	}
	for name, fn := range tmpl.GetAllServerlessFunctionResources() {
		if fn.Role == nil {
			t.Errorf("function %s has no explicit role (SAM would attach AWSLambdaBasicExecutionRole with Resource *)", name)
		}
		if fn.Policies != nil {
			t.Errorf("function %s uses SAM Policies; use its explicit role", name)
		}
	}
	for _, bp := range tmpl.GetAllS3BucketPolicyResources() {
		docs = append(docs, doc{"bucket policy", bp.PolicyDocument})
	}
	if len(docs) == 0 {
		t.Fatal("no IAM policy documents found")
	}
	n := 0
	for _, d := range docs {
		b, _ := json.Marshal(d.body)
		var pd struct{ Statement []map[string]any }
		if err := json.Unmarshal(b, &pd); err != nil {
			t.Fatal(err)
		}
		for _, st := range pd.Statement {
			n++
			actions := strs(st["Action"])
			if _, ok := st["NotAction"]; ok {
				t.Errorf("statement %v uses NotAction", st["Sid"])
			}
			if _, ok := st["NotResource"]; ok {
				t.Errorf("statement %v uses NotResource", st["Sid"])
			}
			for _, a := range actions {
				if strings.Contains(a, "*") {
					t.Errorf("statement %v allows wildcard action %q", st["Sid"], a)
				}
			}
			res := st["Resource"]
			for _, r := range anyList(res) {
				if s, ok := r.(string); ok && (s == "*" || strings.HasSuffix(s, ":*")) {
					t.Errorf("statement %v has wildcard resource %q", st["Sid"], s)
				}
			}
			rb, _ := json.Marshal(res)
			switch {
			case hasPrefix(actions, "dynamodb:"):
				for _, a := range actions {
					if !storeActions[a] {
						t.Errorf("DynamoDB action %s is not used by the store", a)
					}
				}
				if string(rb) != `"GETATT(Table.Arn)"` {
					t.Errorf("DynamoDB statement resource = %s, want only the table ARN", rb)
				}
			case hasPrefix(actions, "secretsmanager:"):
				want := map[string]string{"KeygenRole": "secretsmanager:GetSecretValue,secretsmanager:PutSecretValue"}[d.role]
				if want == "" {
					want = "secretsmanager:GetSecretValue"
				}
				if strings.Join(actions, ",") != want {
					t.Errorf("%s: Secrets Manager actions %v; want %s", d.role, actions, want)
				}
				wantRes := map[string]string{"CallbackRole": `"REF(RelaySecret)"`, "KeygenRole": `["REF(LiveOrgSecret)","REF(RelaySecret)"]`}[d.role]
				if wantRes == "" {
					wantRes = `"REF(LiveOrgSecret)"`
				}
				if string(rb) != wantRes {
					t.Errorf("%s: Secrets Manager resource %s; want %s (the relay never reads the signing key)", d.role, rb, wantRes)
				}
			case hasPrefix(actions, "ssm:"):
				if strings.Join(actions, ",") != "ssm:GetParameter" {
					t.Errorf("SSM actions = %v, want only ssm:GetParameter", actions)
				}
				if string(rb) != `"SUB(arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${AWS::StackName}/public-base-url)"` {
					t.Errorf("SSM resource %s is not the base URL parameter", rb)
				}
			case hasPrefix(actions, "logs:"):
				if !regexp.MustCompile(`^"GETATT\(\w+LogGroup\.Arn\)"$`).Match(rb) {
					t.Errorf("logs statement resource = %s, want the function's own log group", rb)
				}
			}
		}
	}
	if n < 15 {
		t.Fatalf("only %d statements checked", n)
	}
}

func strs(v any) []string {
	var out []string
	for _, x := range anyList(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func anyList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

func hasPrefix(l []string, p string) bool {
	for _, s := range l {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
