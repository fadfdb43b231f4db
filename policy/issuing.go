package policy

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"
)

// What a granted event hands out: approvals, token families, synthetic
// token values of Salesforce's shape, session IDs.

// newGrant starts a token family for the request's user and app.
func (r *request) newGrant(interactive bool) *grant {
	return &grant{org: r.org.Name, app: r.app.Name, user: r.user.Username, scopes: r.granted, interactive: interactive}
}

// recordApproval stores a consent given now, applying the five-approval cap.
func (r *request) recordApproval(g *grant) {
	if !r.interactive() {
		return
	}
	if old := r.st.approve(approvalKey{g.org, g.user, g.app}, g); old != nil {
		r.note("approval.fiveCap", "this is a sixth approval of "+g.app+" by "+g.user+": Salesforce keeps five per user and app, so the oldest approval and its tokens are revoked", "", docFiveApprovals)
	}
}

func (r *request) issueAccess(g *grant) *accessToken {
	timeout, at := r.sessionTimeout()
	why := "default 2h"
	if at != "" {
		why = "from " + at
	}
	r.note("token.sessionTimeout", "access token valid for "+formatDuration(timeout)+" of inactivity ("+why+"): app timeout, else profile, else org", at, docSessionPolicy)
	return &accessToken{grant: g, lastActive: r.now, expiresAt: r.now.Add(timeout), timeout: timeout, scopes: g.scopes}
}

func (r *request) issueRefresh(g *grant) *refreshToken {
	return &refreshToken{grant: g, issuedAt: r.now, lastUsed: r.now}
}

// grantIssued fills Issued and the success response.
func (r *request) grantIssued(a *artefact, channel string) {
	r.res.Outcome = Granted
	r.res.Delivery = channel
	r.res.HTTPStatus = statusFor(channel)
	if channel == DeliverJSON {
		r.res.HTTPStatus = 200
	}
	r.st.issued[r.evIx] = a
	is := &r.res.Issued
	is.Code = a.code != nil
	is.AccessToken = a.access != nil
	is.RefreshToken = a.refresh != nil && !a.keptRefresh
	if a.access != nil {
		is.ExpiresAt = a.access.expiresAt.Format(time.RFC3339)
		is.Scope = strings.Join(a.access.scopes, " ")
		is.IDToken = slices.Contains(a.access.scopes, "openid") && (r.ev.Do == "authorize" || r.ev.Grant == "authorization_code")
	} else if a.code != nil {
		is.Scope = strings.Join(a.code.grant.scopes, " ")
	}
	if !r.quiet {
		r.res.Response = r.successResponse(a)
	}
}

// token makes a synthetic, deterministic token value of Salesforce's shape.
func (r *request) token(kind string) string {
	sum := digest32(kind + "|" + strconv.Itoa(r.evIx) + "|" + r.s.Title)
	body := base64.RawURLEncoding.EncodeToString(sum[:])[:40]
	switch kind {
	case "code":
		return "aPrx" + body
	case "refresh":
		return "5Aep861" + body
	}
	id := GenerateID("00D", "")
	if r.org != nil {
		id = r.st.orgID(r.org)
	}
	return id[:15] + "!AQ" + body
}

func (r *request) identityURL() string {
	host := "https://login.salesforce.com"
	if r.org != nil && (r.org.isSandbox() || r.org.Type == "scratch") {
		host = "https://test.salesforce.com"
	}
	uid := ""
	if r.user != nil {
		uid = r.userID()
	}
	return host + "/id/" + r.st.orgID(r.org) + "/" + uid
}

func (r *request) userID() string {
	if r.user.ID != "" {
		return r.user.ID
	}
	return GenerateID("005", r.org.Name+"/"+r.user.Username)
}

// grantSession hands out a session ID of the bound user.
func (r *request) grantSession(apiValid bool, notAPIWhy string) {
	timeout, _ := r.sessionTimeout()
	s := &session{org: r.org.Name, user: r.user.Username, lastActive: r.now,
		expiresAt: r.now.Add(timeout), timeout: timeout, apiValid: apiValid, notAPIWhy: notAPIWhy}
	r.st.issued[r.evIx] = &artefact{session: s}
	r.res.Outcome, r.res.Delivery, r.res.HTTPStatus = Granted, DeliverSession, 200
	r.res.Issued.SessionID = true
	r.res.Issued.ExpiresAt = s.expiresAt.Format(time.RFC3339)
	r.res.Response = &Response{Body: "sessionId=" + r.token("session")}
}
