package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/caplab/caplab/lambda/store"
)

// The live org's token values, shaped as Salesforce's:
//
//	access token, login() session  00D{org id, 15}!AQ{payload, MAC}
//	refresh token                  5Aep861{grant id}{secret}
//	authorization code             aPrx{grant id}{secret}
//
// in Salesforce's alphabet (letters, digits, "." and "_"). An access token
// (or session ID) is self-contained and never stored: its payload names
// the live org, its grant, a random id (jti), the client, scope, issue
// time, idle timeout and the requests that led to it, and an HMAC-SHA256
// over the prefix and payload under a key derived from the cookie key
// authenticates it. Using one reads its grant (revoked with its family?)
// and its mark (revoked alone? idle timeout slid?) in one round trip, so a
// revocation is honoured on the very next request. A refresh token and a
// code name their grant, so their record and the grant are read together;
// only their hash is stored.
//
// A client-credentials token has no stored grant: it has no family (no
// refresh token, nothing derived from it but by token exchange, which
// inherits its payload), it is no approval (OAuth Usage lists interactive
// grants only), and it is revoked alone, by its mark. Its payload carries
// what a grant would hold (the request that issued it, user and org), so
// issuing one writes only its Login History row, and using one reads only
// its mark.

// tokenEncoding is base64 in Salesforce's token alphabet, unpadded.
var tokenEncoding = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._").WithPadding(base64.NoPadding)

// Token value sizes.
const (
	grantIDBytes = 16 // a grant id: 128 random bits
	secretBytes  = 32 // the random part of refresh tokens and codes: 256 bits
	jtiBytes     = 16 // an access token's id: 128 random bits (its MAC is what makes it unforgeable)
	macBytes     = sha256.Size

	// maxAccessTokenBytes bounds a presented access token before any work:
	// the longest the live org issues (a chain of maxChainSteps requests)
	// is far shorter.
	maxAccessTokenBytes = 8 << 10
	// maxChainSteps bounds the requests an access token carries (a code
	// exchange, an earlier refresh and this one is three; each token
	// exchange of an exchanged token adds one).
	maxChainSteps = 6
)

var (
	grantIDLen = tokenEncoding.EncodedLen(grantIDBytes)
	secretLen  = tokenEncoding.EncodedLen(secretBytes)
)

// Prefixes of the stored-token values (the access token's is its org's).
const (
	refreshPrefix = "5Aep861"
	codePrefix    = "aPrx"
	accessMarker  = "!AQ" // after the org id of access tokens and session IDs
)

// newGrantID is a fresh random grant id (grantIDLen characters).
func newGrantID() string { return tokenEncoding.EncodeToString(randomBytes(grantIDBytes)) }

// namedToken is a value naming grant: prefix, grant id, secret.
func namedToken(prefix, grantID string) string {
	return prefix + grantID + tokenEncoding.EncodeToString(randomBytes(secretBytes))
}

// grantOf is the grant id a refresh token or code (with prefix) names, or
// "" when the value does not have its shape.
func grantOf(prefix, v string) string {
	if len(v) != len(prefix)+grantIDLen+secretLen || !strings.HasPrefix(v, prefix) || !inAlphabet(v[len(prefix):]) {
		return ""
	}
	return v[len(prefix) : len(prefix)+grantIDLen]
}

func inAlphabet(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// accessClaims is an access token's (or session's) payload.
type accessClaims struct {
	Org     string      `json:"o"`           // live org id
	Grant   string      `json:"g,omitempty"` // grant id ("": a token of no stored grant, below)
	JTI     string      `json:"j"`           // random id; its hash keys the mark
	Kind    string      `json:"k,omitempty"` // "s": a login() session ID
	Client  string      `json:"c,omitempty"` // client id, when not the grant's
	Scope   string      `json:"s"`
	Issued  int64       `json:"i"` // Unix ms
	Timeout int64       `json:"t"` // idle timeout, ms
	Chain   []tokenStep `json:"h,omitempty"`

	// A token of no stored grant (client credentials) carries the grant's
	// part: the request that started it, its user and org.
	Origin  *tokenStep `json:"r,omitempty"`
	User    string     `json:"u,omitempty"`
	OrgName string     `json:"n,omitempty"`
}

// tokenStep is a store.Step as a token carries it: the time in Unix
// nanoseconds and the event's JSON as it is (a store.Step's JSON would
// carry the event in base64).
type tokenStep struct {
	At    int64           `json:"a"`
	Event json.RawMessage `json:"e"`
}

func toTokenStep(s store.Step) tokenStep { return tokenStep{At: s.At.UnixNano(), Event: s.Event} }

func (s tokenStep) step() store.Step {
	return store.Step{At: time.Unix(0, s.At).UTC(), Event: []byte(s.Event)}
}

func toTokenSteps(ss []store.Step) []tokenStep {
	out := make([]tokenStep, len(ss))
	for i, s := range ss {
		out[i] = toTokenStep(s)
	}
	return out
}

func fromTokenSteps(ts []tokenStep) []store.Step {
	if len(ts) == 0 {
		return nil
	}
	out := make([]store.Step, len(ts))
	for i, t := range ts {
		out[i] = t.step()
	}
	return out
}

const sessionKind = "s"

// grantless says whether the claims stand for their grant themselves.
func (c accessClaims) grantless() bool { return c.Grant == "" }

// grant is the grant of a grantless token, as a stored one would read.
func (c accessClaims) grant(o *liveOrg) *store.Grant {
	g := &store.Grant{ScenarioID: c.Org, ClientID: c.Client, Org: c.OrgName, User: c.User, Scope: c.Scope, Origin: c.Origin.step(),
		Status: store.GrantActive, CreatedAt: time.UnixMilli(c.Issued).UTC()}
	if app := o.sc.AppByConsumerKey(c.Client); app != nil {
		g.App = app.Name
	}
	return g
}

// tokenKeys derive the MAC keys of access tokens from the cookie keys
// (the current one first): a key of its own, so a cookie's MAC can never
// pass for a token's.
func tokenKeys(cookieKeys ...[]byte) [][]byte {
	out := make([][]byte, 0, len(cookieKeys))
	for _, k := range cookieKeys {
		if len(k) == 0 {
			continue
		}
		m := hmac.New(sha256.New, k)
		m.Write([]byte("caplab access token v1"))
		out = append(out, m.Sum(nil))
	}
	return out
}

func tokenMAC(key []byte, prefix string, payload []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(prefix))
	m.Write(payload)
	return m.Sum(nil)
}

// orgPrefix is the start of a token of org id orgID18: its 15-character
// id and "!".
func orgPrefix(orgID18 string) string {
	if len(orgID18) >= 15 {
		return orgID18[:15] + "!"
	}
	return "00D000000000000!"
}

// mintAccess is a new access token (or session ID) of the org whose id is
// orgID18, signed with the current key, and its claims' jti.
func (s *Server) mintAccess(orgID18 string, c accessClaims) (string, error) {
	c.JTI = tokenEncoding.EncodeToString(randomBytes(jtiBytes))
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	prefix := orgPrefix(orgID18) + "AQ"
	body := append(payload, tokenMAC(s.tokenKeys[0], prefix, payload)...)
	return prefix + tokenEncoding.EncodeToString(body), nil
}

// readAccess authenticates an access token (or session ID) and returns its
// claims; ok is false for anything the live org did not issue, unchanged,
// under a current or previous key. A token's claims never change, so the
// claims of tokens seen lately are kept (verified), and a client that uses
// its token again skips the MAC and the decoding; its grant and mark are
// read on every use all the same.
func (s *Server) readAccess(v string) (c accessClaims, ok bool) {
	if c, ok := s.verified.get(v); ok {
		return c, true
	}
	c, ok = s.verifyAccess(v)
	if ok {
		s.verified.put(v, c)
	}
	return c, ok
}

// verifyAccess is readAccess without the kept claims.
func (s *Server) verifyAccess(v string) (c accessClaims, ok bool) {
	if len(v) > maxAccessTokenBytes || !strings.HasPrefix(v, "00D") {
		return c, false
	}
	i := strings.Index(v, accessMarker)
	if i < 0 || i > 18 {
		return c, false
	}
	prefix := v[:i+len(accessMarker)]
	body, err := tokenEncoding.DecodeString(v[len(prefix):])
	if err != nil || len(body) <= macBytes {
		return c, false
	}
	payload, mac := body[:len(body)-macBytes], body[len(body)-macBytes:]
	valid := false
	for _, k := range s.tokenKeys {
		if hmac.Equal(mac, tokenMAC(k, prefix, payload)) {
			valid = true
			break
		}
	}
	if !valid || json.Unmarshal(payload, &c) != nil || c.Org == "" || c.JTI == "" || len(c.Chain) > maxChainSteps ||
		c.grantless() && (c.Origin == nil || c.Client == "") {
		return accessClaims{}, false
	}
	return c, true
}

// maxVerifiedTokens bounds the verified claims a server keeps: a few
// thousand clients' current tokens, about a megabyte.
const maxVerifiedTokens = 4096

// verifiedTokens are claims of tokens already verified, by token value;
// full, it starts again (tokens are short-lived and cheap to verify anew).
type verifiedTokens struct {
	mu sync.RWMutex
	m  map[string]accessClaims
}

func (vt *verifiedTokens) get(v string) (accessClaims, bool) {
	vt.mu.RLock()
	defer vt.mu.RUnlock()
	c, ok := vt.m[v]
	return c, ok
}

func (vt *verifiedTokens) put(v string, c accessClaims) {
	vt.mu.Lock()
	defer vt.mu.Unlock()
	if vt.m == nil || len(vt.m) >= maxVerifiedTokens {
		vt.m = make(map[string]accessClaims, maxVerifiedTokens)
	}
	vt.m[v] = c
}

// markKey is the store key of an access token's mark.
func (c accessClaims) markKey() string { return hashToken(c.JTI) }

// token is the access token as the store's Token, with its grant g and
// mark m (nil: none) applied: its client, kind, last activity and the end
// of its idle timeout (sliding: from the last recorded activity).
func (c accessClaims) token(g *store.Grant, m *store.Mark) store.Token {
	t := store.Token{Hash: c.markKey(), Kind: store.KindAccess, ScenarioID: c.Org, GrantID: c.Grant, ClientID: c.Client,
		Scope: c.Scope, Chain: fromTokenSteps(c.Chain), IssuedAt: time.UnixMilli(c.Issued).UTC(), Timeout: time.Duration(c.Timeout) * time.Millisecond}
	if c.Kind == sessionKind {
		t.Kind = store.KindSession
	}
	if t.ClientID == "" && g != nil {
		t.ClientID = g.ClientID
	}
	last := t.IssuedAt
	if m != nil {
		t.Revoked = m.Revoked
		if m.LastUsedAt.After(last) {
			t.LastUsedAt, last = m.LastUsedAt, m.LastUsedAt
		}
	}
	t.ExpiresAt = last.Add(t.Timeout)
	return t
}
