// Package store holds the live org's state: shared scenarios, authorization
// codes, grants (token families) and tokens. Store is a small interface with
// an in-memory twin (memstore), an embedded one (boltstore) and, later, a
// DynamoDB one; storetest.Run is the contract every implementation passes.
//
// Rules every implementation keeps:
//   - Codes and tokens are keyed by the hex SHA-256 of their value; the
//     value itself is never stored.
//   - Single-use claims (ClaimCode, ClaimRefresh) are atomic: of N
//     concurrent claims exactly one succeeds.
//   - Revoking a grant is one write; every token read (GetToken,
//     ClaimRefresh) also reads the token's grant, so a revoked grant hides
//     all of its tokens at once.
//   - Expiry is enforced in code on every read: a record past ExpiresAt
//     reads as ErrExpired even when the backend has not deleted it yet.
//   - On ErrExpired, ErrRevoked and ErrAlreadyUsed the record is returned
//     too, so the caller can explain (replay, expired code) and revoke.
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Compare with errors.Is.
var (
	ErrNotFound    = errors.New("store: not found")
	ErrAlreadyUsed = errors.New("store: already used")
	ErrExpired     = errors.New("store: expired")
	ErrRevoked     = errors.New("store: revoked")
)

// Modes of a shared scenario's live org.
const (
	ModeSalesforce = "salesforce" // exact Salesforce behaviour (default)
	ModeRFC        = "rfc"        // adds expires_in, RFC 7009 revoke, 401 invalid_client
)

// Grant status values.
const (
	GrantActive  = "active"
	GrantRevoked = "revoked"
)

// Token kinds.
const (
	KindAccess  = "access"
	KindRefresh = "refresh"
)

// Scenario is a shared scenario: content-addressed, immutable once put.
type Scenario struct {
	ID        string    `json:"id"`
	Mode      string    `json:"mode"`
	Document  []byte    `json:"document"` // canonical scenario JSON
	CreatedAt time.Time `json:"createdAt"`
}

// Step is one request the live org answered, as the engine saw it: the
// policy event (JSON) and when it happened.
type Step struct {
	At    time.Time `json:"at"`
	Event []byte    `json:"event"`
}

// Code is an issued authorization code.
type Code struct {
	Hash        string    `json:"hash"` // hex SHA-256 of the code
	ScenarioID  string    `json:"scenarioId"`
	ClientID    string    `json:"clientId"`
	RedirectURI string    `json:"redirectUri"`
	Challenge   string    `json:"challenge,omitempty"` // S256 code_challenge; "" when none was sent
	Nonce       string    `json:"nonce,omitempty"`
	Org         string    `json:"org"`
	User        string    `json:"user"`
	Scope       string    `json:"scope"`
	Authorize   Step      `json:"authorize"` // the authorize request that issued it
	GrantID     string    `json:"grantId"`   // the grant (approval) the code belongs to
	IssuedAt    time.Time `json:"issuedAt"`
	ExpiresAt   time.Time `json:"expiresAt"`
	UsedAt      time.Time `json:"usedAt,omitzero"` // zero until claimed
}

// Grant is one authorization of an app by a user: the family of tokens
// issued from it. Interactive grants (consent or pre-authorization at the
// authorize endpoint) count as the user's approval of the app.
type Grant struct {
	ID          string    `json:"id"`
	ScenarioID  string    `json:"scenarioId"`
	ClientID    string    `json:"clientId"`
	Org         string    `json:"org"`
	User        string    `json:"user"`
	App         string    `json:"app"`
	Scope       string    `json:"scope"`
	Interactive bool      `json:"interactive"`
	Origin      Step      `json:"origin"` // the request that created it
	Status      string    `json:"status"`
	RevokedWhy  string    `json:"revokedWhy,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
	RevokedAt   time.Time `json:"revokedAt,omitzero"`
}

// Token is an access or refresh token.
type Token struct {
	Hash       string        `json:"hash"` // hex SHA-256 of the token
	Kind       string        `json:"kind"`
	ScenarioID string        `json:"scenarioId"`
	GrantID    string        `json:"grantId"`
	ClientID   string        `json:"clientId"`
	Scope      string        `json:"scope"`
	Chain      []Step        `json:"chain,omitempty"` // requests after the grant's origin; the last one issued the token (empty: the origin did)
	IssuedAt   time.Time     `json:"issuedAt"`
	ExpiresAt  time.Time     `json:"expiresAt,omitzero"` // zero: no expiry in the store (policy decides)
	Timeout    time.Duration `json:"timeout,omitempty"`  // access tokens: idle timeout
	LastUsedAt time.Time     `json:"lastUsedAt,omitzero"`
	UsedAt     time.Time     `json:"usedAt,omitzero"` // refresh under rotation: claimed
	Revoked    bool          `json:"revoked,omitempty"`
}

// Store is the live org's persistence. Implementations are safe for
// concurrent use.
type Store interface {
	// PutScenario stores a shared scenario. Putting an id that exists is a
	// no-op that succeeds: ids are content hashes.
	PutScenario(ctx context.Context, s Scenario) error
	GetScenario(ctx context.Context, id string) (Scenario, error)

	PutCode(ctx context.Context, c Code) error
	// GetCode reads a code: ErrNotFound, or ErrExpired with the record.
	GetCode(ctx context.Context, hash string, now time.Time) (Code, error)
	// ClaimCode marks the code used, atomically: ErrAlreadyUsed (with the
	// record) when it was claimed before, ErrExpired, ErrNotFound.
	ClaimCode(ctx context.Context, hash string, now time.Time) (Code, error)

	PutGrant(ctx context.Context, g Grant) error
	GetGrant(ctx context.Context, id string) (Grant, error)
	// ListApprovals returns the scenario's interactive grants (the users'
	// approvals, revoked ones included), oldest first. Non-interactive
	// grants are not listed, so the list stays small.
	ListApprovals(ctx context.Context, scenarioID string) ([]Grant, error)
	// RevokeGrant revokes the grant and so every token of it, in one write.
	// Revoking a revoked grant succeeds and keeps the first reason.
	RevokeGrant(ctx context.Context, id, why string, now time.Time) error

	PutToken(ctx context.Context, t Token) error
	// GetToken reads a token and its grant: ErrNotFound; ErrRevoked (token
	// or grant revoked) or ErrExpired, each with the record.
	GetToken(ctx context.Context, hash string, now time.Time) (Token, error)
	// ClaimRefresh marks a refresh token used (rotation), atomically, with
	// GetToken's checks first: exactly one of concurrent claims succeeds;
	// the others get ErrAlreadyUsed with the record.
	ClaimRefresh(ctx context.Context, hash string, now time.Time) (Token, error)
	// TouchToken records a use: LastUsedAt = now and, when expiresAt is not
	// zero, the new (sliding) expiry.
	TouchToken(ctx context.Context, hash string, now, expiresAt time.Time) error
	// RevokeToken revokes one token (not its grant).
	RevokeToken(ctx context.Context, hash string, now time.Time) error

	Close() error
}

// CheckToken applies the read rules to a token and its grant (nil when the
// grant is missing): the shared logic of every implementation's GetToken.
func CheckToken(t Token, g *Grant, now time.Time) error {
	switch {
	case t.Revoked || g == nil || g.Status == GrantRevoked:
		return ErrRevoked
	case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
		return ErrExpired
	}
	return nil
}

// CheckCode applies the read rules to a code.
func CheckCode(c Code, now time.Time) error {
	if !now.Before(c.ExpiresAt) {
		return ErrExpired
	}
	return nil
}
