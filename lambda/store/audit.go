package store

import (
	"slices"
	"strings"
	"time"
)

// The audit trail of a live org: what Salesforce shows as Login History
// (every login and token attempt) and as Connected Apps OAuth Usage (the
// OauthToken object: who approved which app, when, how often it was used).

// MaxLoginHistoryPerOrg is how many login attempts ListLoginHistory reads:
// the newest ones, so one query reads at most about 300 KB however long a
// script has logged in. Each row is one item written in its request's own
// transaction and kept LoginHistoryKeep: the rows stored grow with the
// requests, which are already paid for and rate-limited, and a row's
// storage over its life costs less than the write that made it (DynamoDB:
// ~300 B × 3 months vs one write request). The embedded stores also drop
// rows beyond the newest MaxLoginHistoryPerOrg when they prune.
const MaxLoginHistoryPerOrg = 1000

// LoginHistoryKeep is how long a login attempt is kept (Salesforce shows six
// months; caplab keeps what it keeps of grants, 90 days).
const LoginHistoryKeep = 90 * 24 * time.Hour

// LoginEvent is one login or token attempt of a live org.
type LoginEvent struct {
	OrgID      string    `json:"orgId"` // live org id
	ID         string    `json:"id"`    // random, unique in the org
	At         time.Time `json:"at"`    // wall clock
	Org        string    `json:"org"`   // the scenario org's name
	User       string    `json:"user"`  // username
	LoginType  string    `json:"loginType"`
	Status     string    `json:"status"`
	App        string    `json:"app,omitempty"` // Login History's Application
	SourceIP   string    `json:"sourceIp,omitempty"`
	Browser    string    `json:"browser,omitempty"`
	Platform   string    `json:"platform,omitempty"`
	LoginURL   string    `json:"loginUrl,omitempty"`
	Method     string    `json:"method,omitempty"` // HTTP method of the login
	APIType    string    `json:"apiType,omitempty"`
	APIVersion string    `json:"apiVersion,omitempty"`
}

// LoginEventExpired says whether a login attempt is past retention.
func LoginEventExpired(e LoginEvent, now time.Time) bool {
	return expiredBy(e.At, LoginHistoryKeep, now)
}

// NewestFirst orders login attempts newest first, ties in time by ID
// (greatest first): the order of ListLoginHistory.
func NewestFirst(es []LoginEvent) {
	slices.SortFunc(es, func(a, b LoginEvent) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
}

// OldestFirst orders grants by creation, ties by ID: the order of
// ListGrantUses, and of ListApprovals where a store cannot keep the order
// of approval for grants made at the same instant.
func OldestFirst(a, b Grant) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// LoginSortKey is a login attempt's key in time order (then ID): fixed
// width, so byte order is time order, for the stores' sorted indexes.
func LoginSortKey(e LoginEvent) string {
	return e.At.UTC().Format("20060102T150405.000000000") + "#" + e.ID
}

// GrantUse is an active grant with its use: how many access tokens were
// issued from it (its first token and each refresh) and when the last was.
type GrantUse struct {
	Grant
	Uses       int       `json:"uses"`
	LastUsedAt time.Time `json:"lastUsedAt,omitzero"`
}
