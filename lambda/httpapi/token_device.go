package httpapi

import (
	"net/http"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/policy"
)

// The device flow's token endpoint: the device authorization request and
// the device's poll (device.go has the flow's records and the
// verification pages).

// deviceAuthorize is POST /token with response_type=device_code: the
// engine's device event is evaluated up to the app's checks (client known,
// Enable for Device Flow), whose denial is the answer.
func (s *Server) deviceAuthorize(t *tokenRequest) {
	ev := deviceEvent(t.o, t.c.clientID(), "", "", t.scope())
	if !s.deviceAppAllowed(t, ev) {
		return
	}
	device, user := randomToken("dv"), newUserCode()
	dh := hashToken(device)
	dc := store.Code{Hash: dh, ScenarioID: t.o.id, ClientID: ev.ClientID, RedirectURI: "device", Org: ev.Org, Scope: t.get("scope"),
		Authorize: toStoreStep(step{at: t.now, ev: ev}), IssuedAt: t.now, ExpiresAt: t.now.Add(deviceCodeLifetime)}
	uc := dc
	uc.Hash, uc.Nonce = userCodeKey(user), dh
	if err := s.st.Commit(t.r.Context(), store.Write{OrgID: t.o.id, Now: t.now, Codes: []store.Code{dc, uc}}); err != nil {
		s.internal(t.w, t.r, err) // ErrExists: a user code still live was drawn again; the device retries
		return
	}
	writeJSON(t.w, http.StatusOK, map[string]any{
		"device_code":      device,
		"user_code":        user,
		"verification_uri": t.o.issuer() + "/setup/connect",
		"interval":         devicePollInterval,
	})
}

// deviceAppAllowed evaluates a device event and says whether it got past
// the app's checks (client known, Enable for Device Flow); when it did not,
// the client has been answered with the engine's denial (or a store
// error). The user's checks come when they decide.
func (s *Server) deviceAppAllowed(t *tokenRequest, ev policy.Event) bool {
	res, err := s.evaluate(t.r.Context(), t.o, []step{{at: t.now, ev: ev}})
	if err != nil {
		s.internal(t.w, t.r, err)
		return false
	}
	if res.Outcome != policy.Granted && !res.Passed(policy.CheckDeviceFlow) {
		s.deny(t, res)
		return false
	}
	return true
}

// tokenDevice is the device grant's poll: once the user has decided, the
// engine evaluates their decision's device event again and, when it
// grants it, the device code is claimed (single use) for the tokens. The
// code and the decision's grant are read at once; the claim and the
// tokens are one write.
func (s *Server) tokenDevice(t *tokenRequest) {
	code := t.deviceCode()
	hash := hashToken(code)
	var r store.Records
	if code != "" {
		var err error
		if r, err = s.st.Lookup(t.r.Context(), store.Keys{OrgID: t.o.id, Code: hash, Grant: deviceGrantID(hash)}); err != nil {
			s.internal(t.w, t.r, err)
			return
		}
	}
	rec := r.Code
	if rec == nil || rec.ScenarioID != t.o.id || rec.RedirectURI != "device" || rec.Nonce != "" {
		// No such device code: the engine's app checks first, then invalid_grant.
		if s.deviceAppAllowed(t, deviceEvent(t.o, t.c.clientID(), "", "", nil)) {
			invalidGrant(t.w, policy.LiveDescInvalidCode)
		}
		return
	}
	g, ok := s.deviceDecision(t, *rec, r.Grant)
	if !ok {
		return
	}
	origin, err := fromStoreStep(g.Origin)
	if err != nil {
		s.internal(t.w, t.r, err)
		return
	}
	res, ok := s.verdict(t, []step{{at: t.now, ev: origin.ev}}, g, nil)
	switch {
	case !ok:
	case g.Status != store.GrantActive && origin.ev.Consent == "deny":
		// The user clicked Deny where the engine needed no consent (RFC 8628 §3.5).
		writeOAuthError(t.w, http.StatusBadRequest, policy.LiveErrAccessDenied, policy.LiveDescAccessDenied)
	case g.Status != store.GrantActive:
		invalidGrant(t.w, policy.LiveDescInvalidCode)
	default:
		s.answerTokens(t, issue{app: t.o.sc.AppByConsumerKey(rec.ClientID), grant: *g, res: res}, nil, store.Write{ClaimCode: hash},
			&claim{grant: g, why: whyDeviceCodeReplayed, invalid: policy.LiveDescInvalidCode, expired: policy.LiveDescExpiredCode})
	}
}

// deviceCode is the device code polled with: device_code for RFC 8628's
// grant type, else Salesforce's code (device_code when there is none).
func (t *tokenRequest) deviceCode() string {
	code := t.get("code")
	if t.get("grant_type") == grantDeviceCode || code == "" {
		code = firstNonEmpty(t.get("device_code"), code)
	}
	return code
}

// deviceDecision is the grant that records the user's decision on the
// polled device code (rec, read with its decision g, nil when there is
// none yet). ok false: the client has been answered: another client's or
// an expired code, no decision yet (authorization_pending), a replayed code
// (which revokes the grant, as a replayed authorization code does), or a
// store error.
func (s *Server) deviceDecision(t *tokenRequest, rec store.Code, g *store.Grant) (*store.Grant, bool) {
	switch {
	case rec.ClientID != t.c.clientID():
		invalidGrant(t.w, policy.LiveDescInvalidCode)
	case store.CheckCode(rec, t.now) != nil:
		invalidGrant(t.w, policy.LiveDescExpiredCode)
	case g == nil:
		writeOAuthError(t.w, http.StatusBadRequest, errAuthPending, descAuthPending)
	case !rec.UsedAt.IsZero():
		if s.revoke(t, g, whyDeviceCodeReplayed) {
			invalidGrant(t.w, policy.LiveDescInvalidCode)
		}
	default:
		return g, true
	}
	return nil, false
}
