package boltstore_test

import (
	"path/filepath"
	"testing"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/lambda/store/boltstore"
	"github.com/caplab/caplab/lambda/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := boltstore.Open(filepath.Join(t.TempDir(), "sub", "caplab.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestReopen: data survives closing and reopening the file.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "caplab.db")
	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutScenario(t.Context(), store.Scenario{ID: "x", OrgID: "org-x", Document: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.GetLiveOrg(t.Context(), "org-x"); err != nil {
		t.Fatal(err)
	}
}
