package relay_test

import (
	"testing"

	"github.com/caplab/caplab/lambda/relay"
	"github.com/caplab/caplab/lambda/relay/relaytest"
)

func TestMemoryStoreContract(t *testing.T) {
	relaytest.Run(t, func(*testing.T) relay.Store { return relay.NewMemoryStore() })
}
