package store

import "time"

// The audit trail of a live org: what Salesforce shows as Login History
// (every login and token attempt) and as Connected Apps OAuth Usage (the
// OauthToken object: who approved which app, when, how often it was used).

// MaxLoginHistoryPerOrg is how many login attempts a live org keeps: the
// newest ones, older ones are overwritten. A script that logs in forever
// must not grow the table, and a query reads them all (about 300 KB).
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

// GrantUse is an active grant with its use: how many access tokens were
// issued from it (its first token and each refresh) and when the last was.
type GrantUse struct {
	Grant
	Uses       int       `json:"uses"`
	LastUsedAt time.Time `json:"lastUsedAt,omitzero"`
}
