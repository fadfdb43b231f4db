package policy

import "strconv"

// The authorization code must exist, belong to this client, be unused and
// younger than its lifetime. A second use also revokes what the code issued.
var ruleCodeValid = rule{"code.valid", docWebServer, func(r *request) verdict {
	a := r.used
	if a == nil || a.code == nil {
		return r.fail("there is no authorization code to redeem (use names no authorize event that issued one)", r.eventPath("/use"), errInvalidGrant, descInvalidCode)
	}
	c := a.code
	if c.clientKey != r.app.consumerKey() {
		return r.fail("the code was issued to another client", r.eventPath("/clientId"), errInvalidGrant, descInvalidCode)
	}
	if c.used {
		for _, t := range c.tokens {
			t.revoked, t.revokedWhy = true, "its authorization code was replayed"
		}
		if c.refresh != nil {
			c.refresh.revoked, c.refresh.revokedWhy = true, "its authorization code was replayed"
		}
		r.note("code.replay", "the code was redeemed before; the tokens it issued are revoked (RFC 6749 §4.1.2; Salesforce's revocation on replay is UNCONFIRMED)", "", docWebServer)
		return r.fail("the authorization code was already redeemed (codes are single use)", r.eventPath("/use"), errInvalidGrant, descInvalidCode)
	}
	if c.grant.revoked {
		return r.fail("the approval behind the code was revoked ("+c.grant.revokedWhy+")", r.eventPath("/use"), errInvalidGrant, descInvalidCode)
	}
	if deadline := c.issuedAt.Add(authCodeLifetime); !r.now.Before(deadline) {
		return r.fail("the code was issued at "+c.issuedAt.Format("15:04:05")+" and expired after "+formatDuration(authCodeLifetime)+" (lifetime UNCONFIRMED)",
			r.eventPath("/use"), errInvalidGrant, descExpiredCode)
	}
	return pass("the code is unused and "+formatDuration(r.now.Sub(c.issuedAt))+" old", r.eventPath("/use"))
}}

// redirect_uri at the token endpoint must equal the one of the authorize request.
var ruleCodeRedirect = rule{"code.redirectUri", docWebServer, func(r *request) verdict {
	c := r.used.code
	got := c.redirectURI
	if r.ev.RedirectURI != nil {
		got = *r.ev.RedirectURI
	}
	if got == c.redirectURI {
		return pass("redirect_uri equals the authorization request's", r.eventPath("/redirectUri"))
	}
	return r.fail("redirect_uri "+got+" differs from the authorization request's "+c.redirectURI, r.eventPath("/redirectUri"),
		errRedirectMismatch, descRedirectMismatch,
		fix(ActorClient, "Send the same redirect_uri as in the authorization request", PatchOp{Op: "remove", Path: r.eventPath("/redirectUri")}))
}}

// RFC 7636 §4.1: a code_verifier has 43 to 128 unreserved characters.
const (
	minVerifierLen = 43
	maxVerifierLen = 128
)

// PKCE: a challenge sent at authorize needs the matching verifier now. A
// wrong verifier answers invalid_grant at run time (fact sheet §12).
var ruleCodePKCE = rule{"code.pkce", docWebServer, func(r *request) verdict {
	c := r.used.code
	v := r.ev.CodeVerifier
	if !c.challenge {
		if v != "" && v != "missing" {
			return info("a code_verifier was sent but the authorization request had no challenge; Salesforce ignores it (UNCONFIRMED)", r.eventPath("/codeVerifier"))
		}
		return skip("no PKCE challenge was sent at authorize")
	}
	sendIt := fix(ActorClient, "Send the code_verifier that matches the challenge", PatchOp{Op: "remove", Path: r.eventPath("/codeVerifier")})
	state := credential(v, "")
	if n := r.ev.CodeVerifierLength; n != 0 && state != "missing" && (n < minVerifierLen || n > maxVerifierLen) {
		r.note("code.verifierLength", "the code_verifier has "+strconv.Itoa(n)+" characters; RFC 7636 requires 43-128 unreserved characters. Salesforce's check is UNCONFIRMED: caplab accepts it in salesforce mode (the live org refuses it in rfc mode)",
			r.eventPath("/codeVerifierLength"), docWebServer)
	}
	switch state {
	case "missing":
		return r.fail("a code challenge was sent at authorize but the token request has no code_verifier", r.eventPath("/codeVerifier"),
			errInvalidGrant, descInvalidCodeVerifier, sendIt)
	case "wrong":
		r.note("code.verifierError", "clients receive invalid_grant for a wrong code_verifier at run time (salesforce.stackexchange.com/questions/330168; Salesforce support in n8n-io/n8n#32421); the API v47 web server flow page says invalid_request (fact sheet §1.4 vs §12)",
			r.eventPath("/codeVerifier"), docWebServer)
		return r.fail("the code_verifier does not match the challenge", r.eventPath("/codeVerifier"), errInvalidGrant, descInvalidCodeVerifier, sendIt)
	}
	return pass("code_verifier matches the S256 challenge", r.eventPath("/codeVerifier"))
}}
