package infra

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/caplab/caplab/infra/deploy"
	"github.com/caplab/caplab/lambda/lambdatest"
)

// moto's CloudFormation ignores the SAM transform and creates only some
// resource types. motoCreates are the types of this template it creates;
// the others are stood in for (motoStandIn) before the template goes to
// moto, and the test checks moto created every resource of these types.
var motoCreates = []string{"AWS::DynamoDB::Table", "AWS::IAM::Role", "AWS::Logs::LogGroup", "AWS::S3::Bucket",
	"AWS::SNS::Topic", "AWS::SSM::Parameter", "AWS::Lambda::Function"}

// samToMoto does the part of the SAM transform this template needs for
// moto: each AWS::Serverless::Function becomes an AWS::Lambda::Function
// with Globals merged in and its code at s3://bucket/key (what `sam
// deploy` uploads); its HttpApi events become routes on the HTTP API,
// which moto cannot create (stood in).
func samToMoto(tmpl lambdatest.Template, codeBucket, codeKey string) lambdatest.Template {
	out := lambdatest.Template{}
	b, _ := json.Marshal(tmpl)
	json.Unmarshal(b, &out)
	delete(out, "Transform")
	globals, _ := get(out["Globals"], "Function").(map[string]any)
	delete(out, "Globals")
	rs := out["Resources"].(map[string]any)
	for id, r := range rs {
		res := r.(map[string]any)
		if res["Type"] == "AWS::Serverless::HttpApi" {
			res["Type"] = "AWS::ApiGatewayV2::Api"
			res["Properties"] = map[string]any{"Name": id, "ProtocolType": "HTTP"}
			continue
		}
		if res["Type"] != "AWS::Serverless::Function" {
			continue
		}
		p := res["Properties"].(map[string]any)
		fn := map[string]any{"Code": map[string]any{"S3Bucket": codeBucket, "S3Key": codeKey}}
		for _, k := range []string{"Runtime", "Handler", "Architectures", "MemorySize", "Timeout"} {
			fn[k] = globals[k]
		}
		env := map[string]any{}
		for k, v := range get(globals, "Environment", "Variables").(map[string]any) {
			env[k] = v
		}
		if vs, ok := get(p, "Environment", "Variables").(map[string]any); ok {
			for k, v := range vs {
				env[k] = v
			}
		}
		fn["Environment"] = map[string]any{"Variables": env}
		for k, v := range p {
			if k != "CodeUri" && k != "Events" && k != "Environment" {
				fn[k] = v
			}
		}
		res["Type"], res["Properties"] = "AWS::Lambda::Function", fn
		delete(res, "Metadata")
	}
	return out
}

// evaluateConditions replaces each condition with its value for the
// parameters' defaults: moto evaluates only simple condition expressions.
func evaluateConditions(t *testing.T, tmpl lambdatest.Template) {
	r := newResolver(tmpl, "x", nil)
	conds, _ := tmpl["Conditions"].(map[string]any)
	vals := map[string]any{}
	for k := range conds {
		b, err := r.condition(k)
		if err != nil {
			t.Fatal(err)
		}
		vals[k] = b
	}
	tmpl["Conditions"] = vals
}

// motoStandIn removes the resources moto does not create and writes the
// given literal values where the template refers to them (Ref, GetAtt and
// ${…} in Fn::Sub). Resources with a false condition go as well.
func motoStandIn(t *testing.T, tmpl lambdatest.Template, refs map[string]string, falseConds []string) {
	rs := tmpl["Resources"].(map[string]any)
	gone := map[string]bool{}
	for id, r := range rs {
		typ := get(r, "Type").(string)
		if !slices.Contains(motoCreates, typ) || slices.Contains(falseConds, fmt.Sprint(get(r, "Condition"))) {
			gone[id] = true
			delete(rs, id)
		}
	}
	var replace func(v any) any
	replace = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			if len(x) == 1 {
				if ref, ok := x["Ref"].(string); ok && gone[ref] {
					if v, ok := refs[ref]; ok {
						return v
					}
					t.Fatalf("Ref %s: no stand-in value", ref)
				}
				if ga, ok := x["Fn::GetAtt"].([]any); ok && gone[ga[0].(string)] {
					key := ga[0].(string) + "." + ga[1].(string)
					if v, ok := refs[key]; ok {
						return v
					}
					t.Fatalf("GetAtt %s: no stand-in value", key)
				}
				if sub, ok := x["Fn::Sub"].(string); ok {
					return map[string]any{"Fn::Sub": subVar.ReplaceAllStringFunc(sub, func(m string) string {
						name := m[2 : len(m)-1]
						id, _, _ := strings.Cut(name, ".")
						if !gone[id] {
							return m
						}
						v, ok := refs[name]
						if !ok {
							t.Fatalf("${%s}: no stand-in value", name)
						}
						return v
					})}
				}
			}
			for k, e := range x {
				x[k] = replace(e)
			}
		case []any:
			for i, e := range x {
				x[i] = replace(e)
			}
		}
		return v
	}
	for id, r := range rs {
		res := r.(map[string]any)
		if dep, ok := res["DependsOn"].(string); ok && gone[dep] {
			delete(res, "DependsOn")
		}
		rs[id] = replace(res)
	}
	outs := tmpl["Outputs"].(map[string]any)
	for k, o := range outs {
		if slices.Contains(falseConds, fmt.Sprint(get(o, "Condition"))) {
			delete(outs, k)
			continue
		}
		outs[k] = replace(o)
	}
}

func zipBootstrap(t *testing.T) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("bootstrap")
	w.Write([]byte("#!/bin/sh\n# stand-in: moto never runs it\n"))
	zw.Close()
	return buf.Bytes()
}

// createMotoStack creates the template in moto's CloudFormation with the
// stood-in resources created through their own services where moto has
// them (the secrets, the distribution), and returns those values.
func createMotoStack(t *testing.T, c clients, stack string) map[string]string {
	t.Helper()
	ctx := t.Context()
	codeBucket := stack + "-artifacts"
	if _, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(codeBucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(codeBucket), Key: aws.String("functions.zip"), Body: bytes.NewReader(zipBootstrap(t))}); err != nil {
		t.Fatal(err)
	}
	refs := map[string]string{"HttpApi": "standin01", "SiteOAC": "oac", "SiteOAC.Id": "oac", "ApiCachePolicy": "api-cache-policy",
		"SiteHeadersPolicy": "site-headers-policy", "Keys.LiveOrgVersion": "v1", "Keys.RelayVersion": "v1",
		"SiteFunction.FunctionMetadata.FunctionARN":    "arn:aws:cloudfront::123456789012:function/site",
		"ApiEdgeFunction.FunctionMetadata.FunctionARN": "arn:aws:cloudfront::123456789012:function/api-edge"}
	for _, s := range []string{"LiveOrgSecret", "RelaySecret"} {
		out, err := c.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(stack + "-" + s)})
		if err != nil {
			t.Fatal(err)
		}
		refs[s] = aws.ToString(out.ARN)
	}
	refs["Distribution"], refs["Distribution.DomainName"] = motoDistribution(t, c, stack+"-site")
	tmpl := samToMoto(loadTemplate(t), codeBucket, "functions.zip")
	evaluateConditions(t, tmpl)
	motoStandIn(t, tmpl, refs, []string{"OrgSubdomains", "WafOn", "HasBudget", "HasAlarmEmail"})
	body, _ := json.Marshal(tmpl)
	if _, err := c.cfn.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String(stack), TemplateBody: aws.String(string(body)),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam}}); err != nil {
		t.Fatalf("%v\nmoto:\n%s", err, lambdatest.SharedMoto(t).Logs())
	}
	return refs
}

// TestMotoStack: the template, created through moto's CloudFormation
// (the resource types moto supports, the rest stood in), gives the
// outputs the deploy program reads; the program publishes the site into
// the stack's bucket and tears the stack down.
func TestMotoStack(t *testing.T) {
	moto := lambdatest.SharedMoto(t)
	c := motoClients(moto.Endpoint)
	ctx := t.Context()
	const stack = "caplab-moto"
	refs := createMotoStack(t, c, stack)

	out, err := deploy.StackOutputs(ctx, c.cfn, stack)
	if err != nil {
		t.Fatalf("%v\n%s", err, moto.Logs())
	}
	if err := out.Need(deploy.ReadOutputs...); err != nil {
		t.Fatal(err)
	}
	siteURL := "https://" + refs["Distribution.DomainName"]
	if out[deploy.OutSiteURL] != siteURL || out[deploy.OutDistributionID] != refs["Distribution"] || out[deploy.OutRelayCallback] != siteURL+"/relay/callback" {
		t.Errorf("outputs %v; want SiteUrl %s, DistributionId %s and the relay callback under SiteUrl", out, siteURL, refs["Distribution"])
	}

	// Every resource of a type moto creates exists.
	res, err := c.cfn.ListStackResources(ctx, &cloudformation.ListStackResourcesInput{StackName: aws.String(stack)})
	if err != nil {
		t.Fatal(err)
	}
	created := map[string]string{}
	for _, r := range res.StackResourceSummaries {
		created[aws.ToString(r.LogicalResourceId)] = aws.ToString(r.PhysicalResourceId)
	}
	tmpl := samToMoto(loadTemplate(t), "b", "k")
	for _, typ := range motoCreates {
		for _, id := range tmpl.ResourcesOfType(typ) {
			if cond := tmpl.Resource(id)["Condition"]; cond != nil {
				continue
			}
			if created[id] == "" {
				t.Errorf("moto did not create %s (%s)", id, typ)
			}
		}
	}

	// The base URL parameter holds CloudFront's domain: no placeholder.
	p, err := c.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/" + stack + "/public-base-url")})
	if err != nil || aws.ToString(p.Parameter.Value) != siteURL {
		t.Errorf("base URL parameter: %v %v; want %s", p, err, siteURL)
	}
	// (moto's CloudFormation ignores TimeToLiveSpecification; TestTemplate
	// checks it on the template.)
	tb, err := c.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(out[deploy.OutTable])})
	if err != nil || len(tb.Table.KeySchema) != 2 || aws.ToString(tb.Table.KeySchema[0].AttributeName) != "PK" {
		t.Errorf("table: %v; want PK/SK", err)
	}

	t.Run("publish", func(t *testing.T) {
		bucket := out[deploy.OutSiteBucket]
		rep, err := deploy.Publish(ctx, c.s3, c.cf, bucket, out[deploy.OutDistributionID], fakeSiteBuild(t, playground), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for key, want := range map[string][3]string{ // Cache-Control, Content-Encoding, Content-Type
			"index.html":            {deploy.RevalidateCacheControl, "", "text/html; charset=utf-8"},
			"index.html.br":         {deploy.RevalidateCacheControl, "br", "text/html; charset=utf-8"},
			"sw.js.gz":              {deploy.RevalidateCacheControl, "gzip", "text/javascript; charset=utf-8"},
			"app.ABCDEFGH.js":       {deploy.ImmutableCacheControl, "", "text/javascript; charset=utf-8"},
			"app.ABCDEFGH.js.br":    {deploy.ImmutableCacheControl, "br", "text/javascript; charset=utf-8"},
			"style.IJKLMNOP.css.br": {deploy.ImmutableCacheControl, "", "text/css; charset=utf-8"}, // no smaller copy: the file itself
			"logo.QRSTUVWX.png":     {deploy.ImmutableCacheControl, "", "image/png"},
		} {
			h, err := c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				t.Errorf("%s: %v", key, err)
				continue
			}
			got := [3]string{aws.ToString(h.CacheControl), aws.ToString(h.ContentEncoding), aws.ToString(h.ContentType)}
			if got != want {
				t.Errorf("%s: %q; want %q", key, got, want)
			}
		}
		for _, key := range []string{".sitebuild.json", "logo.QRSTUVWX.png.br"} {
			if _, err := c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err == nil {
				t.Errorf("%s was published", key)
			}
		}
		inv, err := c.cf.GetInvalidation(ctx, &cloudfront.GetInvalidationInput{DistributionId: aws.String(out[deploy.OutDistributionID]), Id: aws.String(rep.InvalidationID)})
		if err != nil || !slices.Contains(inv.Invalidation.InvalidationBatch.Paths.Items, "/index.html*") {
			t.Errorf("invalidation %s: %v; want one covering /index.html*", rep.InvalidationID, err)
		}
		// Publishing again uploads only what is revalidated.
		again, err := deploy.Publish(ctx, c.s3, c.cf, bucket, out[deploy.OutDistributionID], fakeSiteBuild(t, playground), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range again.Uploaded {
			if !regexp.MustCompile(`^(index\.html|sw\.js)`).MatchString(k) {
				t.Errorf("republish uploaded unchanged immutable %s", k)
			}
		}
		if len(again.Unchanged) != 7 {
			t.Errorf("republish left %d objects alone (%v); want the 7 immutable ones", len(again.Unchanged), again.Unchanged)
		}
	})

	t.Run("destroy", func(t *testing.T) {
		var log strings.Builder
		if err := deploy.Destroy(ctx, c.cfn, c.s3, c.ddb, stack, false, &log); err != nil {
			t.Fatalf("%v\n%s", err, log.String())
		}
		t.Log(log.String())
		if _, err := deploy.StackOutputs(ctx, c.cfn, stack); err == nil {
			t.Error("the stack still exists")
		}
		if _, err := c.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(out[deploy.OutTable])}); err == nil {
			t.Error("the table still exists after KEEP_TABLE=0")
		}
		if _, err := c.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(out[deploy.OutSiteBucket])}); err == nil {
			t.Error("the site bucket still exists (not emptied, so not deleted)")
		}
	})
}

// TestMotoDestroyKeepsTable: by default destroy keeps the table the
// stack retains.
func TestMotoDestroyKeepsTable(t *testing.T) {
	moto := lambdatest.SharedMoto(t)
	c := motoClients(moto.Endpoint)
	ctx := t.Context()
	const stack = "caplab-moto-keep"
	createMotoStack(t, c, stack)
	out, err := deploy.StackOutputs(ctx, c.cfn, stack)
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	if err := deploy.Destroy(ctx, c.cfn, c.s3, c.ddb, stack, true, &log); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(out[deploy.OutTable])}); err != nil {
		t.Errorf("the table is gone after a destroy that keeps it: %v", err)
	}
	if !strings.Contains(log.String(), "kept table") {
		t.Errorf("destroy log %q does not say the table was kept", log.String())
	}
}
