// Package store holds the live org's state: shared scenarios (each with its
// own live org), authorization codes, grants (token families), tokens and
// failed-login counters. Store is a small interface with
// an in-memory twin (memstore), an embedded one (boltstore) and a DynamoDB
// one (dynamostore); storetest.Run is the contract every implementation
// passes. Each of the three packages also implements the relay's store
// (relay.Store, contract relaytest.Run) over the same backend.
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
//   - Nothing is kept forever: stores that cannot expire records by
//     themselves implement Pruner; the DynamoDB store sets a TTL attribute
//     on every record (see Retention).
//
// The Code, Grant and Token fields named ScenarioID hold the id of the
// live org they belong to (Scenario.OrgID), never the share id.
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
	// ErrExists: PutScenario with a share id or live org id already taken
	// (ids are random, so only a bug or a forged id gets it).
	ErrExists = errors.New("store: already exists")
	// ErrQuota: PutGrant of a new grant in a live org that reached its
	// grant quota (Scenario.GrantQuota).
	ErrQuota = errors.New("store: quota exceeded")
)

// MaxGrantsPerOrg caps the grants one live org ever records: a public
// live org is a toy, and a script that logs in forever must not grow the
// table forever. Sharing the scenario again gives a fresh live org.
const MaxGrantsPerOrg = 10_000

// Retention is how long records are kept, so stored data expires.
type Retention struct {
	// ShareIdle: a share (and its live org) is deleted this long after it
	// was last read or used.
	ShareIdle time.Duration
	// Grant: a grant and its tokens are deleted this long after the grant
	// was created, whatever the refresh token policy says.
	Grant time.Duration
}

// DefaultRetention keeps shares 90 days after their last use and grants
// 90 days after their creation.
var DefaultRetention = Retention{ShareIdle: 90 * 24 * time.Hour, Grant: 90 * 24 * time.Hour}

// UsedRowGrace is how long a used or expired code (or relay flow) is kept
// past its expiry so a late replay is still recognised (hydra keeps 30 min).
const UsedRowGrace = 30 * time.Minute

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
	KindSession = "session" // a SOAP login() session ID: not an OAuth token
)

// Scenario is a shared scenario and its live org, immutable once put but
// for LastUsedAt. Its two ids are random and unrelated: the share id reads
// the document (secrets included), the live org id appears in issuer and
// instance URLs and reads nothing.
type Scenario struct {
	ID         string    `json:"id"`               // share id: /s/{id}, GET /api/scenarios/{id}
	OrgID      string    `json:"orgId"`            // live org id
	Origin     string    `json:"origin,omitempty"` // the live org's own origin ("" = the /o/{orgId} alias on the main server)
	Mode       string    `json:"mode"`
	Document   []byte    `json:"document"` // the scenario JSON as shared (key order kept)
	CreatedAt  time.Time `json:"createdAt"`
	LastUsedAt time.Time `json:"lastUsedAt,omitzero"` // idle expiry counts from here (CreatedAt when zero)
	MaxGrants  int       `json:"maxGrants,omitempty"` // grants the live org may record (0: MaxGrantsPerOrg)
}

// GrantQuota is how many grants the live org may record.
func (s Scenario) GrantQuota() int {
	if s.MaxGrants > 0 {
		return s.MaxGrants
	}
	return MaxGrantsPerOrg
}

// LastUse is when the share was last read or used.
func (s Scenario) LastUse() time.Time {
	if s.LastUsedAt.After(s.CreatedAt) {
		return s.LastUsedAt
	}
	return s.CreatedAt
}

// Lockout is a user's failed logins in one live org (Setup → Password
// Policies: Maximum invalid login attempts, Lockout effective period).
type Lockout struct {
	OrgID       string    `json:"orgId"`
	User        string    `json:"user"`
	Failures    int       `json:"failures"`             // consecutive failures since the last success or lockout
	LockedUntil time.Time `json:"lockedUntil,omitzero"` // zero: not locked
	UpdatedAt   time.Time `json:"updatedAt"`
}

// Locked says whether the user is locked out at now.
func (l Lockout) Locked(now time.Time) bool { return now.Before(l.LockedUntil) }

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
	// PutScenario stores a new share and its live org: ErrExists when its
	// share id or live org id is taken.
	PutScenario(ctx context.Context, s Scenario) error
	// GetScenario reads a share by its share id, GetLiveOrg by its live
	// org id. Neither checks idle expiry (the caller's retention does).
	GetScenario(ctx context.Context, id string) (Scenario, error)
	GetLiveOrg(ctx context.Context, orgID string) (Scenario, error)
	// TouchScenario records a use of the share and its live org
	// (LastUsedAt = now). Callers call it at most about once a day.
	TouchScenario(ctx context.Context, s Scenario, now time.Time) error

	PutCode(ctx context.Context, c Code) error
	// GetCode reads a code: ErrNotFound, or ErrExpired with the record.
	GetCode(ctx context.Context, hash string, now time.Time) (Code, error)
	// ClaimCode marks the code used, atomically: ErrAlreadyUsed (with the
	// record) when it was claimed before, ErrExpired, ErrNotFound.
	ClaimCode(ctx context.Context, hash string, now time.Time) (Code, error)

	// PutGrant writes a grant. A new grant counts towards its live org's
	// GrantQuota (ErrQuota beyond it); rewriting one does not. A grant of a
	// live org that is not stored is written without counting.
	PutGrant(ctx context.Context, g Grant) error
	GetGrant(ctx context.Context, id string) (Grant, error)
	// ListApprovals returns one user's active interactive grants (their
	// approvals of apps) in a live org, oldest first, by index: the cost
	// does not grow with other users' grants or with revoked ones.
	ListApprovals(ctx context.Context, orgID, user string) ([]Grant, error)
	// RevokeGrant revokes the grant and so every token of it, in one write.
	// Revoking a revoked grant succeeds and keeps the first reason.
	RevokeGrant(ctx context.Context, id, why string, now time.Time) error

	// PutToken writes a token; an access token also counts a use of its
	// grant (see ListGrants).
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

	// GetLockout reads a user's failed-login record (ErrNotFound: none).
	GetLockout(ctx context.Context, orgID, user string) (Lockout, error)
	// AddLoginFailure counts one failed login, atomically. A lockout that
	// has ended starts the count again; reaching max failures locks the
	// user until now+lockFor (lockFor 0: until an admin unlocks, which in
	// caplab means until the record expires) and restarts the count.
	AddLoginFailure(ctx context.Context, orgID, user string, now time.Time, max int, lockFor time.Duration) (Lockout, error)
	// ClearLoginFailures forgets the count after a successful login (a
	// lockout in force stays).
	ClearLoginFailures(ctx context.Context, orgID, user string, now time.Time) error

	// ListGrants returns a live org's active grants (at most its
	// GrantQuota), oldest first, each with its use: PutToken of an access
	// token counts one use of its grant, in the write that stores the token.
	ListGrants(ctx context.Context, orgID string) ([]GrantUse, error)
	// AddLoginHistory records a login attempt of a stored live org (else
	// ErrNotFound), keeping the newest MaxLoginHistoryPerOrg of the org.
	AddLoginHistory(ctx context.Context, e LoginEvent) error
	// ListLoginHistory returns a live org's login attempts, newest first.
	ListLoginHistory(ctx context.Context, orgID string) ([]LoginEvent, error)

	Close() error
}

// Pruner is a store that deletes expired records when asked (the embedded
// stores; DynamoDB deletes by TTL). It returns how many records it deleted.
type Pruner interface {
	Prune(ctx context.Context, now time.Time, r Retention) (int, error)
}

// LockoutMemory is how long a failed-login count with no lockout in force
// is kept after its last change.
const LockoutMemory = 24 * time.Hour

// lockedForever stands for a lockout without end ("Forever" in Setup).
var lockedForever = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// NextLockout applies one failed login to l: the shared logic of every
// implementation's AddLoginFailure.
func NextLockout(l Lockout, now time.Time, max int, lockFor time.Duration) Lockout {
	if !l.LockedUntil.IsZero() && !l.Locked(now) {
		l.LockedUntil, l.Failures = time.Time{}, 0 // the lockout ended
	}
	l.UpdatedAt = now
	if l.Locked(now) {
		return l
	}
	l.Failures++
	if max > 0 && l.Failures >= max {
		l.Failures = 0
		l.LockedUntil = lockedForever
		if lockFor > 0 {
			l.LockedUntil = now.Add(lockFor)
		}
	}
	return l
}

// Expired says whether a record written at (or expiring at) t is past
// retention at now.
func expiredBy(t time.Time, keep time.Duration, now time.Time) bool {
	return keep > 0 && !t.IsZero() && now.Sub(t) > keep
}

// ShareExpired says whether a share has been idle longer than r allows.
func (r Retention) ShareExpired(s Scenario, now time.Time) bool {
	return expiredBy(s.LastUse(), r.ShareIdle, now)
}

// GrantExpired says whether a grant is past retention.
func (r Retention) GrantExpired(g Grant, now time.Time) bool {
	return expiredBy(g.CreatedAt, r.Grant, now)
}

// CodeExpired says whether a code (or a token with an expiry) can be
// deleted: expired longer ago than UsedRowGrace.
func CodeExpired(expiresAt, now time.Time) bool {
	return !expiresAt.IsZero() && now.Sub(expiresAt) > UsedRowGrace
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
