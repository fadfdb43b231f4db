package memstore_test

import (
	"testing"

	"github.com/caplab/caplab/lambda/relay"
	"github.com/caplab/caplab/lambda/relay/relaytest"
	"github.com/caplab/caplab/lambda/store/memstore"
)

func TestRelayContract(t *testing.T) {
	relaytest.Run(t, func(*testing.T) relay.Store { return memstore.NewRelay() })
}
