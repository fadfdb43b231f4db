package store

import "time"

// What one request reads (Lookup) and writes (Commit): each is one round
// trip on every backend, so a token request costs at most a read and a
// write whatever it touches.

// Keys names the records a request reads. Empty fields read nothing.
type Keys struct {
	OrgID string // the live org: a grant is found only within it
	Code  string // hex SHA-256 of a code
	Token string // hex SHA-256 of a stored token (a refresh token)
	Grant string // a grant id (codes and refresh tokens name theirs)
	Mark  string // hex SHA-256 of an access token's or session's id
}

// Records are what Lookup found; nil: absent.
type Records struct {
	Code  *Code
	Token *Token
	Grant *Grant
	Mark  *Mark
}

// Mark is the stored state of a self-contained access token or login()
// session: written only when the token is revoked alone (revoke endpoint,
// logout()) or when its idle timeout slides (a use after half of it).
// Marks merge (MergeMark): revoking is sticky, and activity only moves
// forward, carrying its expiry with it.
type Mark struct {
	Key        string    `json:"key"` // hex SHA-256 of the token's id (jti)
	OrgID      string    `json:"orgId"`
	Revoked    bool      `json:"revoked,omitempty"`
	LastUsedAt time.Time `json:"lastUsedAt,omitzero"` // the last recorded activity (zero: this write records none)
	// ExpiresAt is when the token stops being valid as of this mark (its
	// idle end); the record is kept UsedRowGrace longer. It comes with an
	// activity; a mark without one sets it only when none is stored.
	ExpiresAt time.Time `json:"expiresAt"`
}

// Revocation revokes a grant with every token of it. User is the grant's
// user (its approval index entry is dropped with it); a user that is not
// the grant's fails the write (ErrNotFound).
type Revocation struct {
	GrantID string
	User    string
	Why     string
}

// Write is what one request changes, applied by Commit in one transaction.
// Conditions (each failure fails the whole write, which then changes
// nothing):
//   - ClaimCode: the code exists (ErrNotFound), is unused (ErrAlreadyUsed,
//     also past its expiry, so a late replay still counts as one) and
//     unexpired at Now (ErrExpired).
//   - ClaimRefresh: the same for a refresh token, which also must not be
//     revoked itself (ErrRevoked); its grant's state is UseGrant's to check.
//   - TouchRefresh: the refresh token exists (ErrNotFound).
//   - Grant: a new grant of a stored live org (ErrNotFound) whose id is
//     free (ErrExists), within the org's GrantQuota (ErrQuota).
//   - Codes: each id free, or its record expired (ErrExists): single use
//     of a value (a JWT assertion's jti) is a conditional put.
//   - UseGrant: the grant exists (ErrNotFound) and is active (ErrRevoked).
//   - Revoke: each grant exists with that user (ErrNotFound); revoking a
//     revoked grant succeeds and keeps the first reason.
//
// One record is named at most once per write (a new grant with UseGrant
// naming it starts with one use).
type Write struct {
	OrgID string    // the live org every record of the write belongs to
	Now   time.Time // the request's time: claims, uses, revocations

	ClaimCode    string // hash of a code to claim
	ClaimRefresh string // hash of a refresh token to claim (rotation)
	TouchRefresh string // hash of a refresh token whose last use becomes Now

	Grant  *Grant       // a new grant, counted against the quota
	Codes  []Code       // new codes
	Tokens []Token      // new stored tokens (refresh tokens)
	Marks  []Mark       // access-token marks, merged into what is stored
	Logins []LoginEvent // login history rows of the live org

	UseGrant string       // a grant that issued an access token now (OAuth Usage: one use)
	Revoke   []Revocation // grants revoked with their tokens

	// Behind says that no answer waits on this write: it holds only
	// bookkeeping (Login History rows, an access token's activity) and no
	// condition. A store may then commit it after Commit returns, in order
	// with the writes that follow, so that one disk sync serves many
	// requests (the embedded store does; a crash can lose its last
	// moments). A write with anything else (a claim, grant, code, token,
	// use, revocation, or a mark that revokes) is committed before Commit
	// returns, whatever Behind says. Reads may not see a write behind at
	// once; ListLoginHistory sees every row written before it is called.
	Behind bool
}

// MayWait says whether w may be committed behind the answer (Behind).
func (w Write) MayWait() bool {
	if !w.Behind || w.ClaimCode != "" || w.ClaimRefresh != "" || w.TouchRefresh != "" || w.Grant != nil || len(w.Codes) > 0 ||
		len(w.Tokens) > 0 || w.UseGrant != "" || len(w.Revoke) > 0 {
		return false
	}
	for _, m := range w.Marks {
		if m.Revoked {
			return false
		}
	}
	return true
}

// Empty says whether w changes nothing.
func (w Write) Empty() bool {
	return w.ClaimCode == "" && w.ClaimRefresh == "" && w.TouchRefresh == "" && w.Grant == nil && len(w.Codes) == 0 &&
		len(w.Tokens) == 0 && len(w.Marks) == 0 && len(w.Logins) == 0 && w.UseGrant == "" && len(w.Revoke) == 0
}

// MergeMark folds a new mark into a stored one (nil: none): revocation is
// sticky; a later activity replaces the stored one with its expiry, an
// earlier one changes nothing.
func MergeMark(old *Mark, m Mark) Mark {
	if old == nil {
		return m
	}
	out := *old
	out.Revoked = out.Revoked || m.Revoked
	if m.LastUsedAt.After(out.LastUsedAt) {
		out.LastUsedAt, out.ExpiresAt = m.LastUsedAt, m.ExpiresAt
	}
	return out
}

// CheckClaimCode applies ClaimCode's conditions to a code as read (nil:
// absent): the shared logic of the embedded stores.
func CheckClaimCode(c *Code, now time.Time) error {
	switch {
	case c == nil:
		return ErrNotFound
	case !c.UsedAt.IsZero():
		return ErrAlreadyUsed
	}
	return CheckCode(*c, now)
}

// CheckClaimRefresh applies ClaimRefresh's conditions to a refresh token
// as read.
func CheckClaimRefresh(t *Token, now time.Time) error {
	switch {
	case t == nil:
		return ErrNotFound
	case !t.UsedAt.IsZero():
		return ErrAlreadyUsed
	}
	return CheckToken(*t, &Grant{Status: GrantActive}, now)
}

// CheckUseGrant applies UseGrant's conditions to a grant as read.
func CheckUseGrant(g *Grant) error {
	switch {
	case g == nil:
		return ErrNotFound
	case g.Status == GrantRevoked:
		return ErrRevoked
	}
	return nil
}

// Revoked is g revoked at now for why, keeping an earlier revocation.
func Revoked(g Grant, why string, now time.Time) Grant {
	if g.Status != GrantRevoked {
		g.Status, g.RevokedWhy, g.RevokedAt = GrantRevoked, why, now
	}
	return g
}
