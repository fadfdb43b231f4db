package relay

import (
	"fmt"
	"regexp"
	"time"
)

// Tenant is one consumer org registered with the relay: where its users
// authorize (the login host), with which consumer key, which issuer its
// authorization responses carry, and the exact destinations the relay may
// forward them to.
type Tenant struct {
	ID string `json:"id"`
	// LoginHost is the canonical base URL of the org's OAuth endpoints:
	// https://login.salesforce.com, https://test.salesforce.com, a My
	// Domain (https://acme.my.salesforce.com), an Experience Cloud site, or
	// a caplab live org's issuer (http://127.0.0.1:PORT/o/{id}). On PUT
	// the shorthands "login" and "test" are accepted.
	LoginHost string `json:"loginHost"`
	// ClientID is the Connected App's consumer key.
	ClientID string `json:"clientId"`
	// Issuer is the `iss` the org's authorization responses carry (RFC
	// 9207); defaults to LoginHost. Compared exactly (R6).
	Issuer string `json:"issuer"`
	// Destinations are the exact URLs the relay may forward to, in order.
	Destinations []Destination `json:"destinations"`
	UpdatedAt    time.Time     `json:"updatedAt,omitzero"`
}

// Destination is one registered consumer endpoint.
type Destination struct {
	ID  string `json:"id"`
	URL string `json:"url"` // canonical (NormalizeDestination)
}

// sound reports whether d's URL still passes the hygiene rules in its
// canonical form. Rows are validated when registered; this catches a row
// written around the admin API (by hand, or by an older relay), which is
// then never forwarded to.
func (d Destination) sound() bool {
	canon, err := NormalizeDestination(d.URL)
	return err == nil && canon == d.URL
}

// Limits on a tenant registration.
const (
	maxDestinations = 50
	maxClientIDLen  = 256
)

// idPattern is the shape of tenant and destination ids: short, URL-safe,
// and never mistakable for a URL.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// ValidID reports whether s can name a tenant or a destination.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// loginHostAliases are the shorthands for Salesforce's shared login hosts.
var loginHostAliases = map[string]string{
	"login": "https://login.salesforce.com",
	"test":  "https://test.salesforce.com",
}

// Normalize validates t and returns it in canonical form: login host and
// destinations canonical, issuer defaulted. It is what PUT stores.
func (t Tenant) Normalize() (Tenant, error) {
	if !ValidID(t.ID) {
		return t, fmt.Errorf("id: must match %s", idPattern)
	}
	host := t.LoginHost
	if alias, ok := loginHostAliases[host]; ok {
		host = alias
	}
	u, err := parseStrictURL(host, kindLoginHost)
	if err != nil {
		return t, fmt.Errorf("loginHost: %w (or use \"login\" or \"test\")", err)
	}
	t.LoginHost = u.String()

	if t.Issuer == "" {
		t.Issuer = t.LoginHost
	} else {
		iu, err := parseStrictURL(t.Issuer, kindLoginHost)
		if err != nil {
			return t, fmt.Errorf("issuer: %w", err)
		}
		if iu.String() != t.Issuer {
			// iss is compared byte for byte, so only a canonical value
			// can ever match; say so now rather than fail every callback.
			return t, fmt.Errorf("issuer: must be written canonically as %q", iu.String())
		}
	}

	if t.ClientID == "" || len(t.ClientID) > maxClientIDLen {
		return t, fmt.Errorf("clientId: required, at most %d characters", maxClientIDLen)
	}
	for i := 0; i < len(t.ClientID); i++ {
		if c := t.ClientID[i]; c <= ' ' || c >= 0x7f {
			return t, fmt.Errorf("clientId: printable ASCII only")
		}
	}

	if len(t.Destinations) == 0 || len(t.Destinations) > maxDestinations {
		return t, fmt.Errorf("destinations: between 1 and %d required", maxDestinations)
	}
	dests := make([]Destination, len(t.Destinations))
	seenID := map[string]bool{}
	seenURL := map[string]bool{}
	for i, d := range t.Destinations {
		if !ValidID(d.ID) {
			return t, fmt.Errorf("destinations[%d].id: must match %s", i, idPattern)
		}
		canon, err := NormalizeDestination(d.URL)
		if err != nil {
			return t, fmt.Errorf("destinations[%d].url: %w", i, err)
		}
		if seenID[d.ID] {
			return t, fmt.Errorf("destinations[%d].id: %q is used twice", i, d.ID)
		}
		if seenURL[canon] {
			return t, fmt.Errorf("destinations[%d].url: %q is registered twice", i, canon)
		}
		seenID[d.ID], seenURL[canon] = true, true
		dests[i] = Destination{ID: d.ID, URL: canon}
	}
	t.Destinations = dests
	return t, nil
}

// AuthorizeEndpoint is the tenant's authorization endpoint.
func (t Tenant) AuthorizeEndpoint() string {
	return t.LoginHost + "/services/oauth2/authorize"
}

// DestinationByID returns the destination with that id.
func (t Tenant) DestinationByID(id string) (Destination, bool) {
	for _, d := range t.Destinations {
		if d.ID == id {
			return d, true
		}
	}
	return Destination{}, false
}

// resolveDestination finds the destination a start request names: by id
// when the value has the shape of an id, otherwise by exact canonical URL.
// It never falls back from one to the other, and never returns a URL that
// is not registered for t (R1, R2).
func (t Tenant) resolveDestination(dest string) (Destination, bool) {
	if ValidID(dest) {
		return t.DestinationByID(dest)
	}
	canon, err := NormalizeDestination(dest)
	if err != nil {
		return Destination{}, false
	}
	for _, d := range t.Destinations {
		if d.URL == canon {
			return d, true
		}
	}
	return Destination{}, false
}
