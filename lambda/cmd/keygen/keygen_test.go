package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/caplab/caplab/lambda/cmd/lambdamain"
	"github.com/caplab/caplab/lambda/lambdatest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	lambdatest.StopSharedMoto()
	os.Exit(code)
}

var secretSeq atomic.Int32

// motoSecrets is a Secrets Manager client on moto with two empty secrets,
// as the stack creates them (no SecretString, no GenerateSecretString).
func motoSecrets(t *testing.T) (*secretsmanager.Client, Props) {
	t.Helper()
	m := lambdatest.SharedMoto(t)
	sm := secretsmanager.New(secretsmanager.Options{Region: "us-east-1", BaseEndpoint: aws.String(m.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	n := secretSeq.Add(1)
	var p Props
	for _, s := range []*string{&p.LiveOrgSecret, &p.RelaySecret} {
		out, err := sm.CreateSecret(t.Context(), &secretsmanager.CreateSecretInput{Name: aws.String(fmt.Sprintf("keygen-test-%d-%p", n, s))})
		if err != nil {
			t.Fatal(err)
		}
		*s = aws.ToString(out.ARN)
	}
	p.SigningKeyGeneration, p.RelayAdminKeyGeneration = "1", "1"
	return sm, p
}

func read[T any](t *testing.T, sm *secretsmanager.Client, arn, stage string) (T, string) {
	t.Helper()
	var v T
	id, err := lambdamain.GetSecretJSON(t.Context(), sm, arn, stage, &v)
	if err != nil {
		t.Fatalf("%s %s: %v", arn, stage, err)
	}
	return v, id
}

func event(kind cfn.RequestType, p, old Props) cfn.Event {
	m := func(p Props) map[string]any {
		return map[string]any{"LiveOrgSecret": p.LiveOrgSecret, "RelaySecret": p.RelaySecret, "SigningKeyGeneration": p.SigningKeyGeneration,
			"RelayAdminKeyGeneration": p.RelayAdminKeyGeneration}
	}
	ev := cfn.Event{RequestType: kind, RequestID: "req-1", StackID: "arn:aws:cloudformation:us-east-1:123456789012:stack/caplab/x",
		LogicalResourceID: "Keys", ResourceType: "Custom::CaplabKeys", ResourceProperties: m(p)}
	if kind != cfn.RequestCreate {
		ev.PhysicalResourceID = PhysicalID
	}
	if kind == cfn.RequestUpdate {
		ev.OldResourceProperties = m(old)
	}
	return ev
}

// TestCreateWritesValidKeys: a create fills both empty secrets with keys
// the functions accept, sharing one origin-verify value.
func TestCreateWritesValidKeys(t *testing.T) {
	sm, p := motoSecrets(t)
	id, data, err := handle(t.Context(), sm, event(cfn.RequestCreate, p, Props{}))
	if err != nil {
		t.Fatal(err)
	}
	live, lv := read[lambdamain.LiveOrgKeys](t, sm, p.LiveOrgSecret, "AWSCURRENT")
	relay, rv := read[lambdamain.RelayKeys](t, sm, p.RelaySecret, "AWSCURRENT")
	if id != PhysicalID || data["LiveOrgVersion"] != lv || data["RelayVersion"] != rv {
		t.Fatalf("answer %q %v; want %q and the versions %s, %s", id, data, PhysicalID, lv, rv)
	}
	ls, err := live.Decode()
	if err != nil {
		t.Fatalf("live-org keys: %v", err)
	}
	rs, err := relay.Decode()
	if err != nil {
		t.Fatalf("relay keys: %v", err)
	}
	if ls.SigningKey.N.BitLen() != signingKeyBits || len(ls.CookieKey) != randomKeyBytes {
		t.Errorf("signing key %d bits, cookie key %d bytes; want %d, %d", ls.SigningKey.N.BitLen(), len(ls.CookieKey), signingKeyBits, randomKeyBytes)
	}
	if rs.OriginVerify != ls.OriginVerify || rs.RelayAdminKey == ls.OriginVerify {
		t.Errorf("origin verify: relay %q, live %q (must be equal, and not the admin key)", rs.OriginVerify, ls.OriginVerify)
	}
}

// TestUpdateRotatesOnlyOnNewGeneration: an update with the same
// generation writes nothing; a new generation writes a new signing key
// (the old one becomes AWSPREVIOUS) and keeps the cookie and origin keys
// and the relay secret.
func TestUpdateRotatesOnlyOnNewGeneration(t *testing.T) {
	sm, p := motoSecrets(t)
	if _, _, err := handle(t.Context(), sm, event(cfn.RequestCreate, p, Props{})); err != nil {
		t.Fatal(err)
	}
	before, v1 := read[lambdamain.LiveOrgKeys](t, sm, p.LiveOrgSecret, "AWSCURRENT")
	_, r1 := read[lambdamain.RelayKeys](t, sm, p.RelaySecret, "AWSCURRENT")

	_, data, err := handle(t.Context(), sm, event(cfn.RequestUpdate, p, p))
	if err != nil {
		t.Fatal(err)
	}
	if data["LiveOrgVersion"] != v1 || data["RelayVersion"] != r1 {
		t.Fatalf("an update without a new generation wrote new versions: %v; want %s, %s", data, v1, r1)
	}

	next := p
	next.SigningKeyGeneration = "2"
	_, data, err = handle(t.Context(), sm, event(cfn.RequestUpdate, next, p))
	if err != nil {
		t.Fatal(err)
	}
	after, v2 := read[lambdamain.LiveOrgKeys](t, sm, p.LiveOrgSecret, "AWSCURRENT")
	prev, pv := read[lambdamain.LiveOrgKeys](t, sm, p.LiveOrgSecret, "AWSPREVIOUS")
	if v2 == v1 || data["LiveOrgVersion"] != v2 || pv != v1 {
		t.Fatalf("versions: current %s (was %s), previous %s, answer %v", v2, v1, pv, data)
	}
	if after.SigningKey == before.SigningKey || prev.SigningKey != before.SigningKey {
		t.Fatal("rotation did not replace the signing key, or AWSPREVIOUS is not the old one")
	}
	if after.CookieKey != before.CookieKey || after.OriginVerify != before.OriginVerify {
		t.Error("rotation changed the cookie key or the origin value (flows in progress and CloudFront's header would break)")
	}
	if data["RelayVersion"] != r1 {
		t.Errorf("rotation rewrote the relay secret: %v, was %s", data["RelayVersion"], r1)
	}
}

// TestRotateRelayAdminKey: a new RelayAdminKeyGeneration replaces the
// admin key only.
func TestRotateRelayAdminKey(t *testing.T) {
	sm, p := motoSecrets(t)
	if _, _, err := handle(t.Context(), sm, event(cfn.RequestCreate, p, Props{})); err != nil {
		t.Fatal(err)
	}
	liveBefore, lv := read[lambdamain.LiveOrgKeys](t, sm, p.LiveOrgSecret, "AWSCURRENT")
	before, _ := read[lambdamain.RelayKeys](t, sm, p.RelaySecret, "AWSCURRENT")
	next := p
	next.RelayAdminKeyGeneration = "2"
	_, data, err := handle(t.Context(), sm, event(cfn.RequestUpdate, next, p))
	if err != nil {
		t.Fatal(err)
	}
	after, rv := read[lambdamain.RelayKeys](t, sm, p.RelaySecret, "AWSCURRENT")
	if after.AdminKey == before.AdminKey || after.OriginVerify != liveBefore.OriginVerify || data["RelayVersion"] != rv {
		t.Fatalf("admin key rotated %v, origin value kept %v, answer %v (version %s)", after.AdminKey != before.AdminKey, after.OriginVerify == liveBefore.OriginVerify, data, rv)
	}
	if data["LiveOrgVersion"] != lv {
		t.Errorf("rotating the admin key wrote the live-org secret: %v, was %s", data["LiveOrgVersion"], lv)
	}
}

// TestRepairsInvalidSecret: a secret holding something else (a value set
// by hand) is replaced by valid keys.
func TestRepairsInvalidSecret(t *testing.T) {
	sm, p := motoSecrets(t)
	for _, arn := range []string{p.LiveOrgSecret, p.RelaySecret} {
		if _, err := sm.PutSecretValue(t.Context(), &secretsmanager.PutSecretValueInput{SecretId: aws.String(arn), SecretString: aws.String("not json")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := handle(t.Context(), sm, event(cfn.RequestCreate, p, Props{})); err != nil {
		t.Fatal(err)
	}
	live, _ := read[lambdamain.LiveOrgKeys](t, sm, p.LiveOrgSecret, "AWSCURRENT")
	relay, _ := read[lambdamain.RelayKeys](t, sm, p.RelaySecret, "AWSCURRENT")
	if _, err := live.Decode(); err != nil {
		t.Error(err)
	}
	if _, err := relay.Decode(); err != nil {
		t.Error(err)
	}
}

func TestBadProperties(t *testing.T) {
	for _, tc := range []struct {
		props map[string]any
		want  string
	}{
		{map[string]any{"RelaySecret": "arn:aws:secretsmanager:us-east-1:1:secret:r"}, "LiveOrgSecret"},
		{map[string]any{"LiveOrgSecret": "arn:aws:secretsmanager:us-east-1:1:secret:l", "RelaySecret": "name-not-arn"}, "RelaySecret"},
	} {
		_, _, err := handle(context.Background(), nil, cfn.Event{RequestType: cfn.RequestCreate, ResourceProperties: tc.props})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("props %v: err %v; want one naming %s", tc.props, err, tc.want)
		}
	}
	// A delete never touches the secrets (nil client) and succeeds.
	if id, _, err := handle(context.Background(), nil, cfn.Event{RequestType: cfn.RequestDelete, PhysicalResourceID: PhysicalID}); err != nil || id != PhysicalID {
		t.Fatalf("delete: %q %v", id, err)
	}
}

// TestCloudFormationResponse: through cfn.LambdaWrap (what main runs),
// the answer PUT to the pre-signed URL says SUCCESS with the versions, or
// FAILED with the reason.
func TestCloudFormationResponse(t *testing.T) {
	sm, p := motoSecrets(t)
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		got = append(got, m)
	}))
	defer srv.Close()
	fn := cfn.LambdaWrap(func(ctx context.Context, ev cfn.Event) (string, map[string]any, error) { return handle(ctx, sm, ev) })
	ev := event(cfn.RequestCreate, p, Props{})
	ev.ResponseURL = srv.URL + "/response"
	if _, err := fn(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	bad := ev
	bad.ResourceProperties = map[string]any{}
	if _, err := fn(t.Context(), bad); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d responses; want 2", len(got))
	}
	if got[0]["Status"] != "SUCCESS" || got[0]["PhysicalResourceId"] != PhysicalID {
		t.Errorf("create response %v; want SUCCESS for %s", got[0], PhysicalID)
	}
	if d, _ := got[0]["Data"].(map[string]any); d["LiveOrgVersion"] == "" || d["RelayVersion"] == "" {
		t.Errorf("create response data %v; want both versions", got[0]["Data"])
	}
	if got[1]["Status"] != "FAILED" || !strings.Contains(fmt.Sprint(got[1]["Reason"]), "LiveOrgSecret") {
		t.Errorf("bad request response %v; want FAILED naming LiveOrgSecret", got[1])
	}
}
