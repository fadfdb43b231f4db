package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

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
	if path, what := findSecret(canon); path != "" {
		writeJSON(w, http.StatusUnprocessableEntity, apiError{Error: "real_secret", Path: path,
			Message: path + " looks like a real " + what + "; share links take synthetic values only (use correct/wrong/missing or made-up strings)"})
		return
	}
	id := s.shareID(mode, canon)
	rec := store.Scenario{ID: id, Mode: mode, Document: canon, CreatedAt: s.cfg.Now().UTC()}
	if err := s.st.PutScenario(r.Context(), rec); err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{
		"id": id, "url": s.cfg.BaseURL + "/s/" + id, "issuer": s.issuer(id), "mode": mode,
	})
}

// shareID is 12 base64url characters of the salted SHA-256 of the mode and
// the canonical scenario JSON: the same document and mode always share
// under the same id.
func (s *Server) shareID(mode string, canon []byte) string {
	h := sha256.New()
	h.Write([]byte(s.cfg.IDSalt))
	h.Write([]byte{0})
	h.Write([]byte(mode))
	h.Write([]byte{0})
	h.Write(canon)
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))[:12]
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

var (
	sessionIDRe  = regexp.MustCompile(`00D[0-9A-Za-z]{12,15}![0-9A-Za-z._\-]{10,}`)
	privateKeyRe = regexp.MustCompile(`-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----`)
)

// findSecret returns the JSON pointer of the first value (or key) that
// looks like a real Salesforce credential, and what it looks like.
func findSecret(doc []byte) (path, what string) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return "", ""
	}
	return walkSecrets("", v)
}

func walkSecrets(path string, v any) (string, string) {
	switch x := v.(type) {
	case string:
		if what := secretKind(x); what != "" {
			return pathOrRoot(path), what
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sortStrings(keys)
		for _, k := range keys {
			p := path + "/" + escapePointer(k)
			if what := secretKind(k); what != "" {
				return p, what
			}
			if p, w := walkSecrets(p, x[k]); p != "" {
				return p, w
			}
		}
	case []any:
		for i, e := range x {
			if p, w := walkSecrets(path+"/"+strconv.Itoa(i), e); p != "" {
				return p, w
			}
		}
	}
	return "", ""
}

func pathOrRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

func secretKind(s string) string {
	switch {
	case strings.HasPrefix(strings.TrimSpace(s), "3MVG"):
		return "consumer key (3MVG…)"
	case sessionIDRe.MatchString(s):
		return "session ID (00D…!…)"
	case privateKeyRe.MatchString(s):
		return "private key (PEM)"
	}
	return ""
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// handleGetScenario is GET /api/scenarios/{id}: the shared document, with
// the live org's mode and issuer in headers.
func (s *Server) handleGetScenario(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validID(id) {
		writeJSON(w, http.StatusNotFound, apiError{Error: "not_found", Message: "no shared scenario " + strconv.Quote(id)})
		return
	}
	rec, err := s.st.GetScenario(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, apiError{Error: "not_found", Message: "no shared scenario " + strconv.Quote(id)})
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Caplab-Mode", rec.Mode)
	h.Set("Caplab-Issuer", s.issuer(id))
	h.Set("X-Content-Type-Options", "nosniff")
	w.Write(rec.Document)
}

// validID: 12 base64url characters.
func validID(id string) bool {
	if len(id) != 12 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// internal logs an unexpected error and answers 500.
func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	noStore(w)
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
