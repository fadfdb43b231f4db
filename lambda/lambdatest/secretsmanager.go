package lambdatest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// FakeSecretsManager is a Secrets Manager endpoint on 127.0.0.1 that
// answers GetSecretValue (awsJson1_1) by staging label or version id, and
// moves the labels as Secrets Manager does when a version is put: the new
// version becomes AWSCURRENT, the old AWSCURRENT becomes AWSPREVIOUS.
type FakeSecretsManager struct {
	URL   string
	Calls atomic.Int32

	mu      sync.Mutex
	secrets map[string][]*fakeVersion // by ARN, oldest first
	seq     int
}

type fakeVersion struct {
	id, value string
	stages    []string
}

// StartFakeSecretsManager serves until the test ends.
func StartFakeSecretsManager(t testing.TB) *FakeSecretsManager {
	t.Helper()
	f := &FakeSecretsManager{secrets: map[string][]*fakeVersion{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Put stores value as a new AWSCURRENT version of the secret arn (created
// on first use) and returns its version id.
func (f *FakeSecretsManager) Put(arn, value string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	vs := f.secrets[arn]
	for _, v := range vs {
		v.stages = slices.DeleteFunc(v.stages, func(s string) bool { return s == "AWSPREVIOUS" })
		if slices.Contains(v.stages, "AWSCURRENT") {
			v.stages = []string{"AWSPREVIOUS"}
		}
	}
	f.seq++
	v := &fakeVersion{id: fmt.Sprintf("v%08d-0000-0000-0000-000000000000", f.seq), value: value, stages: []string{"AWSCURRENT"}}
	f.secrets[arn] = append(vs, v)
	return v.id
}

// PutJSON is Put of v as JSON.
func (f *FakeSecretsManager) PutJSON(arn string, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return f.Put(arn, string(b))
}

func (f *FakeSecretsManager) serve(w http.ResponseWriter, r *http.Request) {
	f.Calls.Add(1)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	fail := func(kind, msg string) {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"__type": kind, "message": msg})
	}
	if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
		fail("UnknownOperationException", r.Header.Get("X-Amz-Target"))
		return
	}
	var in struct{ SecretId, VersionId, VersionStage string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail("ValidationException", err.Error())
		return
	}
	if in.VersionId == "" && in.VersionStage == "" {
		in.VersionStage = "AWSCURRENT"
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range f.secrets[in.SecretId] {
		if (in.VersionId == "" || v.id == in.VersionId) && (in.VersionStage == "" || slices.Contains(v.stages, in.VersionStage)) {
			json.NewEncoder(w).Encode(map[string]any{"ARN": in.SecretId, "Name": in.SecretId, "SecretString": v.value,
				"VersionId": v.id, "VersionStages": v.stages})
			return
		}
	}
	fail("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: "+in.VersionStage)
}
