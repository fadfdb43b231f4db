package httpapi

import (
	"bytes"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/policy"
)

// readBody reads at most maxBodyBytes; a larger body is answered 413.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeJSON(w, http.StatusRequestEntityTooLarge, apiError{Error: "too_large",
				Message: "the scenario is larger than " + strconv.Itoa(maxBodyBytes>>10) + " KiB"})
			return nil, false
		}
		writeJSON(w, http.StatusBadRequest, apiError{Error: "bad_request", Message: "could not read the body: " + err.Error()})
		return nil, false
	}
	return data, true
}

// decodeScenario validates a scenario body; on failure it answers 400 with
// the field-path errors.
func decodeScenario(w http.ResponseWriter, data []byte) (*policy.Scenario, bool) {
	s, err := policy.Decode(data)
	if err != nil {
		var de *policy.DecodeError
		if errors.As(err, &de) {
			writeJSON(w, http.StatusBadRequest, apiError{Error: "invalid_scenario", Message: de.Error(), Errors: de.Errors})
		} else {
			writeJSON(w, http.StatusBadRequest, apiError{Error: "invalid_scenario", Message: err.Error()})
		}
		return nil, false
	}
	return s, true
}

// handleShare is POST /api/scenarios[?mode=salesforce|rfc].
func (s *Server) handleShare(w http.ResponseWriter, r *http.Request) {
	mode := r.URL.Query().Get("mode")
	switch mode {
	case "":
		mode = store.ModeSalesforce
	case store.ModeSalesforce, store.ModeRFC:
	default:
		writeJSON(w, http.StatusBadRequest, apiError{Error: "invalid_mode", Message: "mode must be salesforce or rfc"})
		return
	}
	data, ok := readBody(w, r)
	if !ok {
		return
	}
	if _, ok := decodeScenario(w, data); !ok {
		return
	}
	canon, err := canonicalJSON(data)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: "invalid_scenario", Message: err.Error()})
		return
	}
	if path, what := scanSecrets(canon); path != "" {
		writeJSON(w, http.StatusUnprocessableEntity, apiError{Error: "real_secret", Path: path,
			Message: path + " looks like a real " + what + "; share links take synthetic values only (use correct/wrong/missing or made-up strings)"})
		return
	}
	ctx := r.Context()
	now := s.cfg.Now().UTC()
	// Every share is its own live org: two people who share the same
	// document never share tokens, grants or approvals.
	rec := store.Scenario{ID: newShareID(), OrgID: newOrgID(), Mode: mode, Document: data, CreatedAt: now, MaxGrants: s.cfg.MaxGrantsPerOrg}
	if rec.Origin, err = s.originFor(ctx, rec.OrgID); err != nil {
		s.internal(w, r, err)
		return
	}
	if err := s.st.PutScenario(ctx, rec); err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{
		"id": rec.ID, "url": s.cfg.BaseURL + "/s/" + rec.ID, "issuer": s.issuerOf(rec), "mode": mode,
	})
}

// Share ids and live org ids: 128 random bits each, unrelated, so neither
// can be guessed nor derived from the other or from the document. A share
// id is base64url (22 characters); a live org id is lower-case base32 (26
// characters), so it fits a DNS label ({org id}.{OrgDomain}).
const (
	shareIDLen = 22
	orgIDLen   = 26
)

var orgIDEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func newShareID() string { return base64.RawURLEncoding.EncodeToString(randomBytes(16)) }
func newOrgID() string   { return orgIDEncoding.EncodeToString(randomBytes(16)) }

// validShareID: 22 base64url characters.
func validShareID(id string) bool {
	if len(id) != shareIDLen {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validOrgID: 26 lower-case base32 characters.
func validOrgID(id string) bool {
	if len(id) != orgIDLen {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// canonicalJSON re-encodes a JSON document with sorted object keys, no
// insignificant whitespace and numbers as written.
func canonicalJSON(data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// handleGetScenario is GET /api/scenarios/{id}: the shared document as it
// was shared, with its live org's mode and issuer in headers. Only the
// share id reads it; the live org id in issuer URLs does not.
func (s *Server) handleGetScenario(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	notFound := func() {
		writeJSON(w, http.StatusNotFound, apiError{Error: "not_found", Message: "no shared scenario " + strconv.Quote(id) + " (shares expire after " +
			strconv.Itoa(int(s.cfg.Retention.ShareIdle.Hours()/24)) + " days without use)"})
	}
	if !validShareID(id) {
		notFound()
		return
	}
	ctx := r.Context()
	now := s.cfg.Now()
	rec, err := s.st.GetScenario(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && s.cfg.Retention.ShareExpired(rec, now)) {
		notFound()
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if now.Sub(rec.LastUse()) >= touchEvery {
		if err := s.st.TouchScenario(ctx, rec, now); err != nil {
			s.internal(w, r, err)
			return
		}
		s.forget(rec.OrgID)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Caplab-Mode", rec.Mode)
	h.Set("Caplab-Issuer", s.issuerOf(rec))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store") // it holds the scenario's synthetic secrets
	w.Write(rec.Document)
}

// internal logs an unexpected error and answers 500.
func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	noStore(w)
	if errors.Is(err, store.ErrQuota) {
		// Not an outage: this live org has recorded all the grants it may.
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "rate_limit_exceeded",
			"error_description": "this live org reached its limit of grants; share the scenario again for a fresh live org"})
		return
	}
	if temporary(err) {
		// A store outage (throttling, a dropped connection) is retryable:
		// say so, rather than a 500 the client would treat as final.
		s.cfg.Logger.Warn("store unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "temporarily_unavailable", "error_description": "the store is temporarily unavailable; retry the request"})
		return
	}
	s.cfg.Logger.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error", "error_description": "internal error"})
}

// temporary reports a retryable store error (one with Temporary() true,
// the shape dynamostore's UnavailableError has).
func temporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}
