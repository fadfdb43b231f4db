package policy

import "testing"

func TestRevoke(t *testing.T) {
	t.Run("access token only", func(t *testing.T) {
		checkTimeline(t, scen(append(codeFlow(), revokeEv(use("t1"), tokenKind("access")), apiCallEv(use("t1")),
			refreshGrant(id("r1"), use("t1")), apiCallEv(use("r1")))),
			step{3, okJSON}, step{4, expiredSession}, step{5, okJSON}, step{6, okAPI})
	})
	t.Run("refresh token revokes its access tokens", func(t *testing.T) {
		checkTimeline(t, scen(append(codeFlow(), refreshGrant(id("r1"), use("t1")), apiCallEv(use("r1")),
			revokeEv(use("t1"), tokenKind("refresh")), apiCallEv(use("t1")), apiCallEv(use("r1")), refreshGrant(use("t1")))),
			step{4, okAPI}, step{5, okJSON}, step{6, expiredSession}, step{7, expiredSession}, step{8, expiredRT})
	})
	t.Run("a token response with a refresh token revokes it by default", func(t *testing.T) {
		checkTimeline(t, scen(append(codeFlow(), revokeEv(use("t1")), refreshGrant(use("t1")))),
			step{3, okJSON}, step{4, expiredRT})
	})
	t.Run("revoke an access token twice", func(t *testing.T) {
		checkTimeline(t, scen(append(codeFlow(), revokeEv(use("t1"), tokenKind("access")), revokeEv(use("t1"), tokenKind("access")))),
			step{3, okJSON}, step{4, invalidToken})
	})
	t.Run("revoke a refresh token twice", func(t *testing.T) {
		res := checkTimeline(t, scen(append(codeFlow(), revokeEv(use("t1"), tokenKind("refresh")), revokeEv(use("t1"), tokenKind("refresh")))),
			step{3, okJSON}, step{4, invalidToken})
		if got, want := res.Results[3].Response.Body, `{"error":"invalid_token","error_description":"invalid token"}`; got != want {
			t.Errorf("body %s; want %s", got, want)
		}
	})
	t.Run("nothing to revoke", func(t *testing.T) {
		checkTimeline(t, scen(evs(revokeEv())), step{1, invalidToken})
	})
	t.Run("a SOAP session ID is not an OAuth token", func(t *testing.T) {
		checkTimeline(t, scen(evs(soapLoginEv(id("s1")), revokeEv(use("s1")))),
			step{1, okSession}, step{2, jsonErr("unsupported_token_type", "this token type is not supported")})
	})
	t.Run("a code issues no token to revoke", func(t *testing.T) {
		checkTimeline(t, scen(evs(webServer(id("a1")), revokeEv(use("a1"), tokenKind("refresh")))),
			step{2, jsonErr("unsupported_token_type", "this token type is not supported")})
	})
}
