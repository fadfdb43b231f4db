package policy

import (
	"strings"
	"time"
)

// A refresh token works until revoked, rotated out or expired by the
// app's Refresh Token Policy, evaluated only when the token is used.
var ruleRefreshValid = rule{"refresh.valid", docRefreshFlow, func(r *request) verdict {
	if r.used == nil || r.used.refresh == nil {
		return r.fail("there is no refresh token to use", r.eventPath("/use"), errInvalidGrant, descExpiredToken)
	}
	rt := r.used.refresh
	if rt.rotatedOut {
		revokeFamily(rt.grant, r.st, "a rotated-out refresh token was reused")
		r.note("refresh.rotationReuse", "reusing a rotated-out refresh token deletes the current refresh token and its access tokens", "", docMetadata)
		return r.fail("this refresh token was replaced by rotation; reusing it revokes the whole token family", r.appPath("/oauth/refreshTokenRotation"),
			errInvalidGrant, descExpiredToken)
	}
	if rt.revoked || rt.grant.revoked {
		why := rt.revokedWhy
		if why == "" {
			why = rt.grant.revokedWhy
		}
		return r.fail("the refresh token was revoked ("+why+")", r.eventPath("/use"), errInvalidGrant, descExpiredToken)
	}
	pol, at := r.policy("refreshTokenPolicy")
	kind, limit := parseRefreshPolicy(pol)
	switch kind {
	case "immediatelyExpire":
		return r.fail("Refresh Token Policy is \"Immediately expire refresh token\"", at, errInvalidGrant, descExpiredToken,
			keepValid(r))
	case "expireIfNotUsedFor":
		idle := r.now.Sub(rt.lastUsed)
		if idle >= limit {
			return r.fail("the refresh token was last used "+formatDuration(idle)+" ago; the policy expires it if not used for "+formatDuration(limit),
				at, errInvalidGrant, descExpiredToken, keepValid(r))
		}
		return pass("last used "+formatDuration(idle)+" ago, within the "+formatDuration(limit)+" inactivity window", at)
	case "expireAfter":
		age := r.now.Sub(rt.issuedAt)
		if age >= limit {
			return r.fail("the refresh token is "+formatDuration(age)+" old; the policy expires it after "+formatDuration(limit), at, errInvalidGrant, descExpiredToken, keepValid(r))
		}
		return pass("issued "+formatDuration(age)+" ago, within its "+formatDuration(limit)+" lifetime", at)
	}
	return pass("Refresh Token Policy: valid until revoked", at)
}}

// keepValid sets the Refresh Token Policy to "valid until revoked".
func keepValid(r *request) Fix {
	return fix(ActorSubscriberAdmin, "Set Refresh Token Policy to \"Refresh token is valid until revoked\"", policyPatch(r, "refreshTokenPolicy", "validUntilRevoked")...)
}

// parseRefreshPolicy splits "expireIfNotUsedFor:30d" into kind and limit.
func parseRefreshPolicy(p string) (string, time.Duration) {
	kind, arg, _ := strings.Cut(p, ":")
	d, _ := ParseDuration(arg)
	return kind, d
}

// refreshIssue mints the new access token and, under rotation, a new
// refresh token that replaces the used one.
func (r *request) refreshIssue(a *artefact) {
	rt := r.used.refresh
	rt.lastUsed = r.now
	a.access = r.issueAccess(rt.grant)
	if r.app.OAuth.RefreshTokenRotation {
		rt.rotatedOut = true
		a.refresh = r.issueRefresh(rt.grant)
		r.note("refresh.rotation", "Refresh Token Rotation is on: a new refresh token replaces the one used", r.appPath("/oauth/refreshTokenRotation"), docMetadata)
		return
	}
	r.note("token.refresh", "the same refresh token stays valid (rotation off)", r.appPath("/oauth/refreshTokenRotation"), docMetadata)
	a.refresh, a.keptRefresh = rt, true
}

// revokeFamily revokes a grant and every token issued under it.
func revokeFamily(g *grant, st *state, why string) {
	g.revoked, g.revokedWhy = true, why
	for _, a := range st.issued {
		if a == nil {
			continue
		}
		if a.grant == g || (a.code != nil && a.code.grant == g) {
			if a.access != nil && !a.access.revoked {
				a.access.revoked, a.access.revokedWhy = true, why
			}
			if a.refresh != nil && !a.refresh.revoked {
				a.refresh.revoked, a.refresh.revokedWhy = true, why
			}
		}
	}
}
