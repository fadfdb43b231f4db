package relay

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// Flow is one authorization in progress: what the relay recorded at start
// about where the response may go (R3). The browser carries only the
// handle, an opaque random string sent as the authorize request's state.
type Flow struct {
	ID             string    `json:"id"` // hex SHA-256 of the handle
	Tenant         string    `json:"tenant"`
	DestinationID  string    `json:"destinationId"`
	DestinationURL string    `json:"destinationUrl"` // canonical, as registered at start
	Issuer         string    `json:"issuer"`         // expected iss (R6)
	ClientID       string    `json:"clientId"`
	ConsumerState  string    `json:"consumerState"` // the consumer's own state, forwarded unchanged
	CreatedAt      time.Time `json:"createdAt"`
	ExpiresAt      time.Time `json:"expiresAt"`
	UsedAt         time.Time `json:"usedAt,omitzero"` // zero until claimed
}

// handleBytes is the handle's entropy: 256 bits, well above the 128 of
// RFC 6819 §5.1.4.2.2.
const handleBytes = 32

// handleLen is the length of an encoded handle (unpadded base64url).
var handleLen = base64.RawURLEncoding.EncodedLen(handleBytes)

// newHandle returns a fresh random handle.
func newHandle() string {
	b := make([]byte, handleBytes)
	rand.Read(b) // never fails (crypto/rand, Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

// FlowID is the store key of a handle: its hex SHA-256, so a store dump
// yields no usable state value.
func FlowID(handle string) string {
	sum := sha256.Sum256([]byte(handle))
	return hex.EncodeToString(sum[:])
}

// validHandle reports whether s has the shape of a handle, so malformed
// or tampered state values are refused without a store round trip.
func validHandle(s string) bool {
	if len(s) != handleLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
