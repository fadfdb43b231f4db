package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/policy"
)

// issue is what a granted request issues tokens from.
type issue struct {
	app    *policy.App
	grant  store.Grant  // the family the tokens join (ID "": none stored, tokens.go)
	client string       // the client they are issued to ("": the grant's)
	chain  []store.Step // the requests after the grant's origin; the last one issues them
	res    policy.EventResult
	nonce  string
	// bearer: a JWT bearer grant's own tokens, which Salesforce answers
	// without issued_at and signature.
	bearer bool
}

// tokenBody is the token endpoint's success answer, its fields in
// Salesforce's order (a struct encodes faster than a map, and in order).
type tokenBody struct {
	AccessToken     string `json:"access_token"`
	RefreshToken    string `json:"refresh_token,omitempty"`
	Signature       string `json:"signature,omitempty"`
	Scope           string `json:"scope"`
	IDToken         string `json:"id_token,omitempty"`
	InstanceURL     string `json:"instance_url"`
	APIInstanceURL  string `json:"api_instance_url,omitempty"` // client credentials
	ID              string `json:"id"`
	TokenType       string `json:"token_type"`
	IssuedAt        string `json:"issued_at,omitempty"`
	IssuedTokenType string `json:"issued_token_type,omitempty"` // token exchange (RFC 8693 §2.2.1)
	ExpiresIn       int64  `json:"expires_in,omitempty"`        // rfc mode
}

// fragment is the body as the user-agent flow's redirect fragment.
func (b tokenBody) fragment() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"access_token": b.AccessToken, "refresh_token": b.RefreshToken, "signature": b.Signature,
		"scope": b.Scope, "id_token": b.IDToken, "instance_url": b.InstanceURL, "id": b.ID, "token_type": b.TokenType,
		"issued_at": b.IssuedAt} {
		if v != "" || k == "scope" {
			q.Set(k, v)
		}
	}
	if b.ExpiresIn != 0 {
		q.Set("expires_in", strconv.FormatInt(b.ExpiresIn, 10))
	}
	return q
}

// issueTokens makes the tokens the engine's result says to issue and
// returns the Salesforce-shaped success body and the tokens to store (a
// refresh token; the access token is self-contained, tokens.go).
func (s *Server) issueTokens(o *liveOrg, is issue, now time.Time) (*tokenBody, []store.Token, error) {
	g, res := is.grant, is.res
	client := firstNonEmpty(is.client, g.ClientID)
	if len(is.chain) > maxChainSteps {
		return nil, nil, fmt.Errorf("a token carrying %d requests (at most %d)", len(is.chain), maxChainSteps)
	}
	id := s.identityOf(o, g.Org, g.User)
	life := lifetime(res)
	c := accessClaims{Org: o.id, Grant: g.ID, Scope: res.Issued.Scope, Issued: now.UnixMilli(), Timeout: life.Milliseconds(), Chain: toTokenSteps(is.chain)}
	if client != g.ClientID || c.grantless() {
		c.Client = client
	}
	if len(is.chain) == 0 {
		c.Chain = nil
	}
	if c.grantless() {
		if res.Issued.RefreshToken {
			return nil, nil, errors.New("a refresh token of no stored grant")
		}
		origin := toTokenStep(g.Origin)
		c.Origin, c.User, c.OrgName = &origin, g.User, g.Org
	}
	access, err := s.mintAccess(id.orgID, c)
	if err != nil {
		return nil, nil, err
	}
	idURL := s.idURL(o, id)
	issuedAt := strconv.FormatInt(now.UnixMilli(), 10)
	body := &tokenBody{AccessToken: access, InstanceURL: o.issuer(), ID: idURL, TokenType: "Bearer", Scope: res.Issued.Scope}
	if !is.bearer {
		m := hmac.New(sha256.New, []byte(appSecret(is.app)))
		m.Write([]byte(idURL + issuedAt))
		body.IssuedAt, body.Signature = issuedAt, base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	if o.rfc() {
		body.ExpiresIn = int64(life / time.Second)
	}
	var stored []store.Token
	if res.Issued.RefreshToken {
		refresh := namedToken(refreshPrefix, g.ID)
		stored = append(stored, store.Token{Hash: hashToken(refresh), Kind: store.KindRefresh, ScenarioID: o.id, GrantID: g.ID, ClientID: client,
			Scope: res.Issued.Scope, Chain: is.chain, IssuedAt: now})
		body.RefreshToken = refresh
	}
	if res.Issued.IDToken {
		claims := map[string]any{
			"iss": o.issuer(), "sub": idURL, "aud": client,
			"iat": now.Unix(), "exp": now.Add(idTokenTTL).Unix(), "auth_time": now.Unix(),
			"preferred_username": g.User, "name": displayName(id), "user_id": id.userID, "organization_id": id.orgID,
			"at_hash": atHash(access),
		}
		if strings.Contains(g.User, "@") {
			claims["email"] = g.User
		}
		if is.nonce != "" {
			claims["nonce"] = is.nonce
		}
		tok, err := s.signJWT(claims)
		if err != nil {
			return nil, nil, err
		}
		body.IDToken = tok
	}
	return body, stored, nil
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
