package lambdatest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// FakeSSM is an SSM Parameter Store endpoint on 127.0.0.1 that answers
// GetParameter and GetParameters (awsJson1_1) from a map.
type FakeSSM struct {
	URL    string
	Params map[string]string
	Calls  atomic.Int32
}

// StartFakeSSM serves params until the test ends.
func StartFakeSSM(t testing.TB, params map[string]string) *FakeSSM {
	t.Helper()
	f := &FakeSSM{Params: params}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

type ssmParam struct {
	Name    string
	Type    string
	Value   string
	Version int64
}

func (f *FakeSSM) serve(w http.ResponseWriter, r *http.Request) {
	f.Calls.Add(1)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	var in struct {
		Name           string
		Names          []string
		WithDecryption bool
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"__type": "ValidationException", "message": err.Error()})
		return
	}
	param := func(name string) (ssmParam, bool) {
		v, ok := f.Params[name]
		return ssmParam{Name: name, Type: "SecureString", Value: v, Version: 1}, ok
	}
	switch r.Header.Get("X-Amz-Target") {
	case "AmazonSSM.GetParameters":
		out := struct {
			Parameters        []ssmParam
			InvalidParameters []string
		}{Parameters: []ssmParam{}, InvalidParameters: []string{}}
		for _, n := range in.Names {
			if p, ok := param(n); ok && in.WithDecryption {
				out.Parameters = append(out.Parameters, p)
			} else {
				out.InvalidParameters = append(out.InvalidParameters, n)
			}
		}
		json.NewEncoder(w).Encode(out)
	case "AmazonSSM.GetParameter":
		p, ok := param(in.Name)
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"__type": "ParameterNotFound", "message": in.Name})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"Parameter": p})
	default:
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"__type": "UnknownOperationException", "message": r.Header.Get("X-Amz-Target")})
	}
}
