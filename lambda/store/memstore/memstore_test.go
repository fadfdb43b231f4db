package memstore_test

import (
	"testing"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/lambda/store/memstore"
	"github.com/caplab/caplab/lambda/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return memstore.New() })
}
