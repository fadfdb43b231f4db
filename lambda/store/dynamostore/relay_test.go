package dynamostore_test

import (
	"testing"

	"github.com/caplab/caplab/lambda/relay"
	"github.com/caplab/caplab/lambda/relay/relaytest"
	"github.com/caplab/caplab/lambda/store/dynamostore"
)

// TestRelayContract runs the relay store contract (including the 50-way
// race for one flow) against DynamoDB Local.
func TestRelayContract(t *testing.T) {
	d := startLocal(t)
	client := newClient(d.Endpoint, nil)
	relaytest.Run(t, func(t *testing.T) relay.Store {
		return dynamostore.NewRelay(client, newTable(t, client))
	})
}
