// Package benchtarget is the live-endpoint benchmark's target file, shared
// by its tools: scripts/bench/caplabsetup (and scripts/bench-oidc-provider.mjs)
// write it, scripts/bench/load reads it. Both accept loopback URLs only.
package benchtarget

import (
	"fmt"
	"net"
	"net/url"
)

// Target is where a server's endpoints are and which client to use.
type Target struct {
	Name                  string `json:"name"`
	Issuer                string `json:"issuer"`
	Mode                  string `json:"mode"`
	TokenEndpoint         string `json:"token_endpoint"`
	IntrospectionEndpoint string `json:"introspection_endpoint"`
	RevocationEndpoint    string `json:"revocation_endpoint"`
	ClientID              string `json:"client_id"`
	ClientSecret          string `json:"client_secret"`
	RefreshToken          string `json:"refresh_token"`
}

// CheckLoopback refuses any URL whose host is not localhost or a loopback
// address.
func CheckLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing non-loopback URL %s", raw)
	}
	return nil
}
