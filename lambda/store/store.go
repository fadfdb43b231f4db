// Package store holds the live org's state: shared scenarios (each with its
// own live org), authorization codes, grants (token families), stored
// tokens, access-token marks, login history and failed-login counters.
// Store is a small interface with an in-memory twin (memstore), an
// embedded one (boltstore) and a DynamoDB one (dynamostore); storetest.Run
// is the contract every implementation passes. Each of the three packages
// also implements the relay's store (relay.Store, contract relaytest.Run)
// over the same backend.
//
// A request of the live org reads what it needs in one Lookup (one round
// trip: a code or refresh token names its grant, so both come together)
// and writes what it changes in one Commit (one transaction), so a failure
// leaves nothing half done and no host needs to undo a claim.
//
// Rules every implementation keeps:
//   - Codes and tokens are keyed by the hex SHA-256 of their value; the
//     value itself is never stored. Access tokens and login() sessions are
//     not stored at all (they are signed and self-contained, see httpapi);
//     only a Mark, keyed by the hash of the token's id, records that one was
//     revoked alone or that its idle timeout slid.
//   - A Commit is all or nothing, and its claims (ClaimCode, ClaimRefresh)
//     are atomic: of N concurrent commits claiming one code or refresh
//     token exactly one succeeds, the others get ErrAlreadyUsed.
//   - Commits that issue from a grant (Write.UseGrant) fail with
//     ErrRevoked once the grant is revoked, so a revocation racing a
//     redemption never leaves live tokens behind it.
//   - Lookup returns what it finds, as stored; expiry and revocation are
//     applied by the caller (CheckCode, CheckToken) against its own clock,
//     since a backend may delete expired records late.
//   - Nothing is kept forever: stores that cannot expire records by
//     themselves implement Pruner; the DynamoDB store sets a TTL attribute
//     on every record (see Retention).
//
// The Code, Grant and Token fields named ScenarioID hold the id of the
// live org they belong to (Scenario.OrgID), never the share id.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Sentinel errors. Compare with errors.Is.
var (
	ErrNotFound    = errors.New("store: not found")
	ErrAlreadyUsed = errors.New("store: already used")
	ErrExpired     = errors.New("store: expired")
	ErrRevoked     = errors.New("store: revoked")
	// ErrExists: PutScenario with a share id or live org id already taken,
	// a Commit of a grant id taken or of a code value still recorded (ids
	// are random, so only a bug, a forged id or a replayed assertion gets it).
	ErrExists = errors.New("store: already exists")
	// ErrQuota: a Commit of a new grant in a live org that reached its
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
// policy event (JSON) and when it happened. Stored as JSON, the event is
// kept as the JSON it is (not base64), so reading a record decodes it once.
type Step struct {
	At    time.Time `json:"at"`
	Event []byte    `json:"event"`
}

// stepJSON is Step as stored.
type stepJSON struct {
	At    time.Time       `json:"at"`
	Event json.RawMessage `json:"event"`
}

func (s Step) MarshalJSON() ([]byte, error) {
	ev := json.RawMessage(s.Event)
	if len(ev) == 0 {
		ev = json.RawMessage("null")
	}
	return json.Marshal(stepJSON{At: s.At, Event: ev})
}

// UnmarshalJSON reads a step; an event stored as a base64 string (records
// written before events were kept as JSON) is decoded too.
func (s *Step) UnmarshalJSON(b []byte) error {
	var j stepJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	s.At, s.Event = j.At, []byte(j.Event)
	switch {
	case string(j.Event) == "null":
		s.Event = nil
	case len(j.Event) > 0 && j.Event[0] == '"':
		var old []byte
		if err := json.Unmarshal(j.Event, &old); err != nil {
			return err
		}
		s.Event = old
	}
	return nil
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

// Token is a refresh token (stored), or an access token or login()
// session as httpapi decodes it from its self-contained value (never
// stored; Hash is then its Mark's key).
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

	// Lookup reads the records k names, in one round trip, as stored
	// (absent ones are nil; a grant of another live org is absent).
	Lookup(ctx context.Context, k Keys) (Records, error)
	// Commit applies w in one transaction: all of it or, on error,
	// nothing. See Write for its conditions and their errors.
	Commit(ctx context.Context, w Write) error

	// ListApprovals returns one user's active interactive grants (their
	// approvals of apps) in a live org, oldest first, by index: the cost
	// does not grow with other users' grants or with revoked ones.
	ListApprovals(ctx context.Context, orgID, user string) ([]Grant, error)

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
	// GrantQuota), oldest first, each with its use (Write.UseGrant).
	ListGrants(ctx context.Context, orgID string) ([]GrantUse, error)
	// ListLoginHistory returns a live org's newest login attempts
	// (Write.Logins), at most MaxLoginHistoryPerOrg, newest first; ties
	// in time by ID, greatest first.
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
// grant is missing): revoked (the token or its grant), then expired.
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
