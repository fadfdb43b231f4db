package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/policy"
)

const grantJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// tokenRequest is one POST to the token endpoint.
type tokenRequest struct {
	o    *liveOrg
	w    http.ResponseWriter
	r    *http.Request
	c    client
	now  time.Time
	form map[string][]string
}

func (t *tokenRequest) get(k string) string {
	if v := t.form[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (t *tokenRequest) has(k string) bool { _, ok := t.form[k]; return ok }

// handleToken is POST /services/oauth2/token.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	o, ok := s.org(w, r)
	if !ok {
		return
	}
	noStore(w)
	t, ok := s.parseTokenRequest(w, r, o)
	if !ok {
		return
	}
	switch gt := t.get("grant_type"); gt {
	case "authorization_code":
		s.tokenCode(t)
	case "refresh_token":
		s.tokenRefresh(t)
	case "password":
		s.tokenPassword(t)
	case grantJWTBearer:
		s.tokenJWT(t)
	case "client_credentials":
		s.tokenClientCredentials(t)
	case "device", grantDeviceCode:
		s.tokenDevice(t)
	case grantTokenExchange:
		s.tokenExchange(t)
	case "":
		if t.get("response_type") == "device_code" {
			s.deviceAuthorize(t) // device.go
			return
		}
		// The engine's answer to a request without grant_type.
		s.direct(t, policy.Event{Do: "token", ClientID: t.c.clientID()}, "", "")
	default:
		writeOAuthError(w, http.StatusBadRequest, policy.LiveErrUnsupportedGrantType, policy.LiveDescUnsupportedGrantType)
	}
}

// parseTokenRequest reads a form body (query parameters are ignored) and
// the client authentication.
func (s *Server) parseTokenRequest(w http.ResponseWriter, r *http.Request, o *liveOrg) (*tokenRequest, bool) {
	ct := r.Header.Get("Content-Type")
	if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "application/x-www-form-urlencoded") {
		writeOAuthError(w, http.StatusBadRequest, policy.LiveErrInvalidRequest, "Content-Type must be application/x-www-form-urlencoded")
		return nil, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeOAuthError(w, http.StatusRequestEntityTooLarge, policy.LiveErrInvalidRequest, "request body too large")
			return nil, false
		}
		writeOAuthError(w, http.StatusBadRequest, policy.LiveErrInvalidRequest, "malformed form body")
		return nil, false
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			writeOAuthError(w, http.StatusBadRequest, policy.LiveErrInvalidRequest, "parameter sent more than once: "+k)
			return nil, false
		}
	}
	c, bad := clientCreds(r)
	if bad != "" {
		s.clientError(w, o, http.StatusBadRequest, policy.LiveErrInvalidClient, bad)
		return nil, false
	}
	return &tokenRequest{o: o, w: w, r: r, c: c, now: s.cfg.Now(), form: r.PostForm}, true
}

// clientError answers an invalid_client: 400 as Salesforce does, or 401
// with WWW-Authenticate in rfc mode.
func (s *Server) clientError(w http.ResponseWriter, o *liveOrg, status int, code, desc string) {
	if o.rfc() && code == policy.LiveErrInvalidClient {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+o.issuer()+`", error="invalid_client"`)
		status = http.StatusUnauthorized
	}
	writeOAuthError(w, status, code, desc)
}

// deny answers an engine denial at the token endpoint.
func (s *Server) deny(t *tokenRequest, res policy.EventResult) {
	status := res.HTTPStatus
	if status < 400 {
		status = http.StatusBadRequest
	}
	s.clientError(t.w, t.o, status, res.Error, res.ErrorDescription)
}

// tokenCode redeems an authorization code. Client authentication, the
// redirect URI and PKCE are checked (by the engine) before the code is
// claimed, so a failed attempt does not burn it; a replay revokes the grant.
func (s *Server) tokenCode(t *tokenRequest) {
	ctx := t.r.Context()
	app := t.o.sc.AppByConsumerKey(t.c.id)
	ev := policy.Event{Do: "token", Grant: "authorization_code", ClientID: t.c.clientID(), ClientSecret: secretState(app, t.c), Use: "none"}
	hash := hashToken(t.get("code"))
	var rec store.Code
	found := false
	if t.get("code") != "" {
		var err error
		rec, err = s.st.GetCode(ctx, hash, t.now)
		switch {
		case err == nil, errors.Is(err, store.ErrExpired):
			found = rec.ScenarioID == t.o.id
		case errors.Is(err, store.ErrNotFound):
		default:
			s.internal(t.w, t.r, err)
			return
		}
	}
	at := t.now
	var steps []step
	if found {
		a, err := fromStoreStep(rec.Authorize)
		if err != nil {
			s.internal(t.w, t.r, err)
			return
		}
		steps = append(steps, a)
		if !rec.UsedAt.IsZero() {
			steps = append(steps, step{at: rec.UsedAt, ev: policy.Event{Do: "token", Grant: "authorization_code", ClientID: rec.ClientID, Use: "prev"}})
		}
		ev.Use = "s0"
		verifier := t.get("code_verifier")
		switch {
		case rec.Challenge == "" && verifier != "" && t.o.rfc():
			// Downgrade (RFC 9700 §4.8.2): a verifier for a code issued without a challenge.
			writeOAuthError(t.w, http.StatusBadRequest, policy.LiveErrInvalidGrant, "code_verifier sent but the authorization request had no code_challenge")
			return
		case rec.Challenge == "" && verifier != "":
			ev.CodeVerifier = "correct" // ignored by Salesforce
		case rec.Challenge == "":
		case verifier == "":
			ev.CodeVerifier = "missing"
		case equalSecret(s256(verifier), rec.Challenge):
			ev.CodeVerifier = "correct"
		default:
			ev.CodeVerifier = "wrong"
		}
		if rec.Challenge != "" && verifier != "" && !checkVerifierShape(t, &ev, verifier) {
			return // verifier.go
		}
		if t.has("redirect_uri") || t.o.rfc() {
			got := t.get("redirect_uri")
			reg := ""
			if a.ev.RedirectURI != nil {
				reg = *a.ev.RedirectURI
			}
			if got == rec.RedirectURI {
				got = reg
			} else if got == reg {
				got += " " // exact match only: the registered form of a loopback URI is not the one used
			}
			ev.RedirectURI = &got
		}
		if rec.ExpiresAt.Before(t.now) || rec.ExpiresAt.Equal(t.now) {
			// Expired in the store (rfc mode keeps codes 10 minutes): ask the
			// engine at the end of Salesforce's lifetime, so it says expired.
			if end := rec.IssuedAt.Add(policy.LiveAuthCodeLifetime); at.Before(end) {
				at = end
			}
		}
	}
	steps = append(steps, step{at: at, ev: ev})
	res, err := s.evaluate(ctx, t.o, steps)
	if err != nil {
		s.internal(t.w, t.r, err)
		return
	}
	if res.Outcome != policy.Granted {
		if found && !rec.UsedAt.IsZero() && failedRule(res) == "code.valid" {
			if err := s.st.RevokeGrant(ctx, rec.GrantID, "its authorization code was replayed", t.now); err != nil && !errors.Is(err, store.ErrNotFound) {
				s.internal(t.w, t.r, err)
				return
			}
		}
		s.deny(t, res)
		return
	}
	g, err := s.st.GetGrant(ctx, rec.GrantID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.internal(t.w, t.r, err)
		return
	}
	if err != nil || g.Status != store.GrantActive {
		writeOAuthError(t.w, http.StatusBadRequest, policy.LiveErrInvalidGrant, policy.LiveDescInvalidCode)
		return
	}
	if !s.claimCode(t, hash, rec.GrantID, "its authorization code was replayed") {
		return
	}
	ev.Use = "prev"
	ev.RedirectURI = nil
	body, err := s.issueTokens(ctx, t.o, app, g, []store.Step{toStoreStep(step{at: at, ev: ev})}, res, t.now, rec.Nonce)
	if err != nil {
		s.internal(t.w, t.r, err)
		return
	}
	writeJSON(t.w, http.StatusOK, body)
}

// tokenRefresh uses a refresh token: the engine replays the token's history
// (the grant's origin and the requests after it) and decides; under
// rotation the token is claimed once, and reuse revokes the whole family.
func (s *Server) tokenRefresh(t *tokenRequest) {
	ctx := t.r.Context()
	app := t.o.sc.AppByConsumerKey(t.c.id)
	ev := policy.Event{Do: "token", Grant: "refresh_token", ClientID: t.c.clientID(), ClientSecret: secretState(app, t.c), Use: "none"}
	hash := hashToken(t.get("refresh_token"))
	tok, terr := s.st.GetToken(ctx, hash, t.now)
	found := t.get("refresh_token") != "" && (terr == nil || errors.Is(terr, store.ErrRevoked) || errors.Is(terr, store.ErrExpired)) &&
		tok.Kind == store.KindRefresh && tok.ScenarioID == t.o.id && tok.ClientID == t.c.id
	if terr != nil && !found && !errors.Is(terr, store.ErrNotFound) && !errors.Is(terr, store.ErrRevoked) && !errors.Is(terr, store.ErrExpired) {
		s.internal(t.w, t.r, terr)
		return
	}
	var steps []step
	var g store.Grant
	rotation := app != nil && app.OAuth.RefreshTokenRotation
	if found {
		var err error
		g, err = s.st.GetGrant(ctx, tok.GrantID)
		if err != nil {
			s.internal(t.w, t.r, err)
			return
		}
		if steps, err = history(g, tok); err != nil {
			s.internal(t.w, t.r, err)
			return
		}
		last := len(steps) - 1
		switch {
		case errors.Is(terr, store.ErrRevoked):
			steps = append(steps, step{at: t.now, ev: policy.Event{Do: "revoke", Token: "refresh", Use: "prev"}})
		case !tok.UsedAt.IsZero():
			steps = append(steps, step{at: tok.UsedAt, ev: policy.Event{Do: "token", Grant: "refresh_token", ClientID: tok.ClientID, Use: "prev"}})
		case !rotation && tok.LastUsedAt.After(tok.IssuedAt):
			steps = append(steps, step{at: tok.LastUsedAt, ev: policy.Event{Do: "token", Grant: "refresh_token", ClientID: tok.ClientID, Use: "prev"}})
			last++
		}
		ev.Use = "s" + strconv.Itoa(last)
	}
	steps = append(steps, step{at: t.now, ev: ev})
	res, err := s.evaluate(ctx, t.o, steps)
	if err != nil {
		s.internal(t.w, t.r, err)
		return
	}
	if res.Outcome != policy.Granted {
		if found && !tok.UsedAt.IsZero() && failedRule(res) == "refresh.valid" {
			if err := s.st.RevokeGrant(ctx, g.ID, "a rotated-out refresh token was reused", t.now); err != nil {
				s.internal(t.w, t.r, err)
				return
			}
		}
		s.deny(t, res)
		return
	}
	if rotation {
		if _, err := s.st.ClaimRefresh(ctx, hash, t.now); err != nil {
			if errors.Is(err, store.ErrAlreadyUsed) {
				if err := s.st.RevokeGrant(ctx, g.ID, "a rotated-out refresh token was reused", t.now); err != nil {
					s.internal(t.w, t.r, err)
					return
				}
			} else if !errors.Is(err, store.ErrRevoked) && !errors.Is(err, store.ErrExpired) && !errors.Is(err, store.ErrNotFound) {
				s.internal(t.w, t.r, err)
				return
			}
			writeOAuthError(t.w, http.StatusBadRequest, policy.LiveErrInvalidGrant, policy.LiveDescExpiredToken)
			return
		}
	} else if err := s.st.TouchToken(ctx, hash, t.now, time.Time{}); err != nil {
		s.internal(t.w, t.r, err)
		return
	}
	// The new tokens' history: the requests up to the refresh token's
	// redemption, then this refresh (under rotation one refresh step is
	// enough to replay a rotated token).
	chain := tok.Chain
	if n := len(chain); n > 0 && isRefreshStep(chain[n-1]) {
		chain = chain[:n-1]
	}
	chain = append([]store.Step(nil), chain...)
	if !rotation && tok.LastUsedAt.After(tok.IssuedAt) {
		chain = append(chain, toStoreStep(step{at: tok.LastUsedAt, ev: policy.Event{Do: "token", Grant: "refresh_token", ClientID: tok.ClientID, Use: "prev"}}))
	}
	ev.Use = "prev"
	chain = append(chain, toStoreStep(step{at: t.now, ev: ev}))
	body, err := s.issueTokens(ctx, t.o, app, g, chain, res, t.now, "")
	if err != nil {
		s.internal(t.w, t.r, err)
		return
	}
	writeJSON(t.w, http.StatusOK, body)
}

func isRefreshStep(ss store.Step) bool {
	st, err := fromStoreStep(ss)
	return err == nil && st.ev.Do == "token" && st.ev.Grant == "refresh_token"
}

// history is a token's requests: the grant's origin, then its chain, each
// using the one before.
func history(g store.Grant, tok store.Token) ([]step, error) {
	o, err := fromStoreStep(g.Origin)
	if err != nil {
		return nil, err
	}
	steps := []step{o}
	for _, ss := range tok.Chain {
		st, err := fromStoreStep(ss)
		if err != nil {
			return nil, err
		}
		st.ev.Use = "prev"
		steps = append(steps, st)
	}
	return steps, nil
}

// tokenPassword is the username-password flow (password followed by the
// security token, when the user has one).
func (s *Server) tokenPassword(t *tokenRequest) {
	app := t.o.sc.AppByConsumerKey(t.c.id)
	username, pw := t.get("username"), t.get("password")
	org, u := t.o.sc.FindUser(username)
	pwState, tokState := passwordStates(u, pw)
	if u != nil {
		// A locked-out user gets the answer of a wrong password (Salesforce:
		// "invalid username, password, security token; or user locked
		// out"), and a wrong password counts towards the lockout.
		l, err := s.st.GetLockout(t.r.Context(), t.o.id, username)
		switch {
		case err != nil && !errors.Is(err, store.ErrNotFound):
			s.internal(t.w, t.r, err)
			return
		case l.Locked(t.now):
			auditOf(t.r.Context()).lockedOut(t.o, username, t.c.id)
			writeOAuthError(t.w, http.StatusBadRequest, policy.LiveErrInvalidGrant, policy.LiveDescAuthFailure)
			return
		case pwState != "correct":
			max, period := org.Lockout()
			if _, err := s.st.AddLoginFailure(t.r.Context(), t.o.id, username, t.now, max, period); err != nil {
				s.internal(t.w, t.r, err)
				return
			}
		case l.Failures > 0:
			if err := s.st.ClearLoginFailures(t.r.Context(), t.o.id, username, t.now); err != nil {
				s.internal(t.w, t.r, err)
				return
			}
		}
	}
	ev := policy.Event{Do: "token", Grant: "password", Org: orgFor(t.o, username, t.c.id), User: username, ClientID: t.c.clientID(),
		ClientSecret: secretState(app, t.c), Password: pwState, SecurityToken: tokState}
	if t.has("scope") {
		sc := t.get("scope")
		ev.Scope = &sc
	}
	s.direct(t, ev, username, ev.Org)
}

// tokenClientCredentials runs as the app's Run As user, in the app's org.
func (s *Server) tokenClientCredentials(t *tokenRequest) {
	app := t.o.sc.AppByConsumerKey(t.c.id)
	ev := policy.Event{Do: "token", Grant: "client_credentials", ClientID: t.c.clientID(), ClientSecret: secretState(app, t.c)}
	if org := t.o.sc.HomeOrg(app); org != nil {
		ev.Org = org.Name
	}
	if t.has("scope") {
		sc := t.get("scope")
		ev.Scope = &sc
	}
	user := ""
	if app != nil {
		user = app.OAuth.ClientCredentials.RunAs
	}
	s.direct(t, ev, user, ev.Org)
}

// direct evaluates a grant without a code or refresh token and, when the
// engine grants it, starts a new grant with its tokens.
func (s *Server) direct(t *tokenRequest, ev policy.Event, user, org string) {
	ctx := t.r.Context()
	res, ok := s.granted(t, ev)
	if !ok {
		return
	}
	app := t.o.sc.AppByConsumerKey(ev.ClientID)
	g := store.Grant{ID: randomToken("g"), ScenarioID: t.o.id, ClientID: ev.ClientID, Org: org, User: user, App: app.Name,
		Scope: res.Issued.Scope, Origin: toStoreStep(step{at: t.now, ev: ev}), Status: store.GrantActive, CreatedAt: t.now}
	if err := s.st.PutGrant(ctx, g); err != nil {
		s.internal(t.w, t.r, err)
		return
	}
	body, err := s.issueTokens(ctx, t.o, app, g, nil, res, t.now, "")
	if err != nil {
		s.internal(t.w, t.r, err)
		return
	}
	if ev.Grant == "client_credentials" {
		// Salesforce's client-credentials answer also names the API host.
		body["api_instance_url"] = t.o.issuer()
	}
	writeJSON(t.w, http.StatusOK, body)
}

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
			"preferred_username": g.User, "name": g.User, "user_id": id.userID, "organization_id": id.orgID,
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

// idTokenTTL is Salesforce's default id token validity.
const idTokenTTL = 2 * time.Minute

// atHash is the OIDC at_hash of an access token (RS256: left half of SHA-256).
func atHash(access string) string {
	sum := sha256.Sum256([]byte(access))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// claimCode claims a code (authorization or device) once. On failure it
// answers the client and returns false: a lost race or a second use is a
// replay and revokes the grant the code created.
func (s *Server) claimCode(t *tokenRequest, hash, grantID, replayed string) bool {
	ctx := t.r.Context()
	_, err := s.st.ClaimCode(ctx, hash, t.now)
	switch {
	case err == nil:
		return true
	case errors.Is(err, store.ErrAlreadyUsed):
		if err := s.st.RevokeGrant(ctx, grantID, replayed, t.now); err != nil {
			s.internal(t.w, t.r, err)
			return false
		}
		writeOAuthError(t.w, http.StatusBadRequest, policy.LiveErrInvalidGrant, policy.LiveDescInvalidCode)
	case errors.Is(err, store.ErrExpired):
		writeOAuthError(t.w, http.StatusBadRequest, policy.LiveErrInvalidGrant, policy.LiveDescExpiredCode)
	case errors.Is(err, store.ErrNotFound):
		writeOAuthError(t.w, http.StatusBadRequest, policy.LiveErrInvalidGrant, policy.LiveDescInvalidCode)
	default:
		s.internal(t.w, t.r, err)
	}
	return false
}

// granted evaluates one event now; unless the engine grants it, the client
// has been answered (the engine's denial, or a store error).
func (s *Server) granted(t *tokenRequest, ev policy.Event) (policy.EventResult, bool) {
	res, err := s.evaluate(t.r.Context(), t.o, []step{{at: t.now, ev: ev}})
	if err != nil {
		s.internal(t.w, t.r, err)
		return res, false
	}
	if res.Outcome != policy.Granted {
		s.deny(t, res)
		return res, false
	}
	return res, true
}
