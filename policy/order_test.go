package policy

import (
	"math/rand/v2"
	"net/url"
	"slices"
	"testing"
)

func TestStableOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for n := range 70 {
		keys := make([]int, n)
		for i := range keys {
			keys[i] = rng.IntN(5) // many ties
		}
		want := make([]int, n)
		for i := range want {
			want[i] = i
		}
		slices.SortStableFunc(want, func(a, b int) int { return keys[a] - keys[b] })
		if got := stableOrder(keys); !slices.Equal(got, want) {
			t.Errorf("stableOrder(%v) = %v; want %v", keys, got, want)
		}
	}
}

func TestQueryEncode(t *testing.T) {
	for _, q := range []query{
		{},
		{"code": "aPrx1", "state": "a b&c=d/é"},
		{"error": "access_denied", "error_description": "end-user denied authorization", "state": "#x+y"},
		{"access_token": "00D!AQ", "token_type": "Bearer", "scope": "api refresh_token", "id": "https://login.salesforce.com/id/00D/005", "instance_url": "https://acme.my.salesforce.com", "issued_at": "1", "signature": "<sig>", "refresh_token": "5Aep"},
	} {
		v := url.Values{}
		for k, x := range q {
			v.Set(k, x)
		}
		if got, want := q.encode(), v.Encode(); got != want {
			t.Errorf("encode = %q; want url.Values.Encode's %q", got, want)
		}
	}
}
