package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/policy"
)

// issueTokens stores the tokens the engine's result says to issue and
// returns the Salesforce-shaped success body.
func (s *Server) issueTokens(ctx context.Context, o *liveOrg, app *policy.App, g store.Grant, chain []store.Step, res policy.EventResult, now time.Time, nonce string) (map[string]any, error) {
	id := s.identityOf(o, g.Org, g.User)
	life := lifetime(res)
	prefix := "00D000000000000!"
	if len(id.orgID) >= 15 {
		prefix = id.orgID[:15] + "!"
	}
	access := randomToken(prefix + "AQ")
	at := store.Token{Hash: hashToken(access), Kind: store.KindAccess, ScenarioID: o.id, GrantID: g.ID, ClientID: g.ClientID,
		Scope: res.Issued.Scope, Chain: chain, IssuedAt: now, ExpiresAt: now.Add(life), Timeout: life}
	if err := s.st.PutToken(ctx, at); err != nil {
		return nil, err
	}
	idURL := s.idURL(o, id)
	issuedAt := strconv.FormatInt(now.UnixMilli(), 10)
	body := map[string]any{
		"access_token": access,
		"instance_url": o.issuer(),
		"id":           idURL,
		"token_type":   "Bearer",
		"scope":        res.Issued.Scope,
	}
	if origin, _ := fromStoreStep(g.Origin); !(origin.ev.Grant == "jwt_bearer" && len(chain) == 0) {
		m := hmac.New(sha256.New, []byte(appSecret(app)))
		m.Write([]byte(idURL + issuedAt))
		body["issued_at"] = issuedAt
		body["signature"] = base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	if o.rfc() {
		body["expires_in"] = int64(life / time.Second)
	}
	if res.Issued.RefreshToken {
		refresh := randomToken("5Aep861")
		rt := store.Token{Hash: hashToken(refresh), Kind: store.KindRefresh, ScenarioID: o.id, GrantID: g.ID, ClientID: g.ClientID,
			Scope: res.Issued.Scope, Chain: chain, IssuedAt: now}
		if err := s.st.PutToken(ctx, rt); err != nil {
			return nil, err
		}
		body["refresh_token"] = refresh
	}
	if res.Issued.IDToken {
		claims := map[string]any{
			"iss": o.issuer(), "sub": idURL, "aud": g.ClientID,
			"iat": now.Unix(), "exp": now.Add(idTokenTTL).Unix(), "auth_time": now.Unix(),
			"preferred_username": g.User, "name": displayName(id), "user_id": id.userID, "organization_id": id.orgID,
			"at_hash": atHash(access),
		}
		if strings.Contains(g.User, "@") {
			claims["email"] = g.User
		}
		if nonce != "" {
			claims["nonce"] = nonce
		}
		tok, err := s.signJWT(claims)
		if err != nil {
			return nil, err
		}
		body["id_token"] = tok
	}
	return body, nil
}

// displayName is the user's full name, as userinfo and the User record give it.
func displayName(id identity) string {
	if id.user != nil {
		return id.user.FullName()
	}
	return id.username
}

// idTokenTTL is Salesforce's default id token validity.
const idTokenTTL = 2 * time.Minute

// atHash is the OIDC at_hash of an access token (RS256: left half of SHA-256).
func atHash(access string) string {
	sum := sha256.Sum256([]byte(access))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}
