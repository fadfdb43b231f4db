package policy

import "time"

// state is what the timeline carries from one event to the next: issued
// codes and tokens, approvals, sessions and the simulated clock.
type state struct {
	now       time.Time
	issued    []*artefact              // by event index; nil when the event issued nothing
	approvals map[approvalKey][]*grant // per user and app, oldest first
	orgIDs    map[string]string        // generated org ids, computed once
	lockouts  map[userKey]*lockout     // failed logins per user, by Setup → Password Policies
}

// userKey identifies a user of an org.
type userKey struct{ org, user string }

// orgID is the org's id, generating (once) a deterministic one when the
// scenario gives none.
func (st *state) orgID(o *Org) string {
	if o.ID != "" {
		return o.ID
	}
	if id, ok := st.orgIDs[o.Name]; ok {
		return id
	}
	if st.orgIDs == nil {
		st.orgIDs = map[string]string{}
	}
	id := o.orgID()
	st.orgIDs[o.Name] = id
	return id
}

// approvalKey identifies one user's approvals of one app in one org.
type approvalKey struct{ org, user, app string }

// artefact is what one event handed out.
type artefact struct {
	code    *authCode
	grant   *grant // tokens from an OAuth grant
	access  *accessToken
	refresh *refreshToken
	session *session // a session ID from a mechanism without a connected app
	// keptRefresh: a refresh without rotation keeps using the same refresh
	// token, which the response does not repeat.
	keptRefresh bool
}

// grant is one authorization of an app by a user (or a client credentials
// run-as user): the family of tokens issued from one approval.
type grant struct {
	org, app, user string
	scopes         []string
	interactive    bool // came from an approval step (consent or pre-authorization)
	revoked        bool
	revokedWhy     string
}

type authCode struct {
	grant       *grant
	issuedAt    time.Time
	used        bool
	redirectURI string
	challenge   bool
	clientKey   string
	tokens      []*accessToken // issued from it, revoked on replay
	refresh     *refreshToken
}

type accessToken struct {
	grant      *grant
	expiresAt  time.Time
	lastActive time.Time
	timeout    time.Duration
	revoked    bool
	revokedWhy string
	scopes     []string
}

type refreshToken struct {
	grant      *grant
	issuedAt   time.Time
	lastUsed   time.Time
	revoked    bool
	revokedWhy string
	rotatedOut bool // replaced by a new refresh token under rotation
}

type session struct {
	org, user  string
	expiresAt  time.Time
	timeout    time.Duration
	lastActive time.Time
	apiValid   bool
	notAPIWhy  string
	revoked    bool
	revokedWhy string
}

func newState(now time.Time, events int) *state {
	return &state{now: now, issued: make([]*artefact, events), approvals: map[approvalKey][]*grant{}, lockouts: map[userKey]*lockout{}}
}

// hasApproval says whether the user has a live approval of the app.
func (st *state) hasApproval(k approvalKey) bool {
	for _, g := range st.approvals[k] {
		if !g.revoked {
			return true
		}
	}
	return false
}

// approve records a new approval; the sixth live approval of one app by one
// user revokes the oldest (Salesforce keeps five per user and app).
func (st *state) approve(k approvalKey, g *grant) (evicted *grant) {
	live := 0
	for _, old := range st.approvals[k] {
		if !old.revoked {
			live++
		}
	}
	if live >= maxApprovalsPerApp {
		for _, old := range st.approvals[k] {
			if !old.revoked {
				old.revoked, old.revokedWhy = true, "a sixth approval of the app by this user revoked the oldest"
				evicted = old
				break
			}
		}
	}
	st.approvals[k] = append(st.approvals[k], g)
	return evicted
}
