package relay

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
)

// maxAdminBody bounds a tenant document.
const maxAdminBody = 64 << 10

// TenantView is what the admin API returns: the stored tenant plus the two
// URLs an operator needs: where the relay sends the tenant's users, and
// the redirect_uri they come back to (the Connected App's callback).
type TenantView struct {
	Tenant
	AuthorizeEndpoint string `json:"authorizeEndpoint"`
	RedirectURI       string `json:"redirectUri"`
}

// adminTenants serves PUT, GET and DELETE /relay/admin/tenants/{id}.
func (h *handler) adminTenants(w http.ResponseWriter, r *http.Request, id string) outcome {
	if !h.admin {
		writeJSONError(w, http.StatusNotFound, "not_found", "the admin API is disabled (no admin key configured)")
		return outcome{"", "admin_disabled"}
	}
	if !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="caplab-relay"`)
		writeJSONError(w, http.StatusUnauthorized, "invalid_token", "missing or wrong admin key")
		return outcome{"", "unauthorized"}
	}
	if !ValidID(id) {
		writeJSONError(w, http.StatusBadRequest, "invalid_request", "tenant id must match "+idPattern.String())
		return outcome{"", "bad_request"}
	}
	ctx := r.Context()
	switch r.Method {
	case http.MethodGet:
		t, err := h.st.GetTenant(ctx, id)
		switch {
		case errors.Is(err, ErrNotFound):
			writeJSONError(w, http.StatusNotFound, "not_found", "no such tenant")
			return outcome{id, "not_found"}
		case err != nil:
			return h.adminStoreFailure(w, r, id, err)
		}
		writeJSON(w, http.StatusOK, h.view(t))
		return outcome{id, "read"}

	case http.MethodDelete:
		err := h.st.DeleteTenant(ctx, id)
		switch {
		case errors.Is(err, ErrNotFound):
			writeJSONError(w, http.StatusNotFound, "not_found", "no such tenant")
			return outcome{id, "not_found"}
		case err != nil:
			return h.adminStoreFailure(w, r, id, err)
		}
		w.WriteHeader(http.StatusNoContent)
		return outcome{id, "deleted"}

	case http.MethodPut:
		t, msg := decodeTenant(w, r)
		if msg != "" {
			writeJSONError(w, http.StatusBadRequest, "invalid_request", msg)
			return outcome{id, "bad_request"}
		}
		if t.ID == "" {
			t.ID = id
		}
		if t.ID != id {
			writeJSONError(w, http.StatusBadRequest, "invalid_request", "id in the body differs from the id in the path")
			return outcome{id, "bad_request"}
		}
		t, err := t.Normalize()
		if err != nil {
			writeJSONError(w, http.StatusBadRequest, "invalid_request", err.Error())
			return outcome{id, "bad_request"}
		}
		t.UpdatedAt = h.now().UTC()
		_, err = h.st.GetTenant(ctx, id)
		created := errors.Is(err, ErrNotFound)
		if err != nil && !created {
			return h.adminStoreFailure(w, r, id, err)
		}
		if err := h.st.PutTenant(ctx, t); err != nil {
			return h.adminStoreFailure(w, r, id, err)
		}
		if created {
			writeJSON(w, http.StatusCreated, h.view(t))
			return outcome{id, "created"}
		}
		writeJSON(w, http.StatusOK, h.view(t))
		return outcome{id, "replaced"}

	default:
		w.Header().Set("Allow", "GET, PUT, DELETE")
		writeJSONError(w, http.StatusMethodNotAllowed, "invalid_request", "use GET, PUT or DELETE")
		return outcome{id, "method_not_allowed"}
	}
}

// authorized checks "Authorization: Bearer <admin key>" in constant time:
// both sides are hashed first, so neither the key nor its length leaks
// through timing.
func (h *handler) authorized(r *http.Request) bool {
	scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(key))
	return subtle.ConstantTimeCompare(sum[:], h.adminKey[:]) == 1
}

func (h *handler) view(t Tenant) TenantView {
	return TenantView{Tenant: t, AuthorizeEndpoint: t.AuthorizeEndpoint(), RedirectURI: h.callback}
}

// decodeTenant reads one JSON tenant document, strictly: known fields
// only, nothing after it. It returns a message for the client on failure.
func decodeTenant(w http.ResponseWriter, r *http.Request) (Tenant, string) {
	var t Tenant
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return t, "Content-Type must be application/json"
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAdminBody))
	if err != nil {
		return t, "body unreadable or larger than 64 KiB"
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return t, "malformed tenant JSON: " + err.Error()
	}
	if dec.More() {
		return t, "trailing data after the tenant JSON"
	}
	return t, ""
}

func (h *handler) adminStoreFailure(w http.ResponseWriter, r *http.Request, id string, err error) outcome {
	h.logStoreError(r.Context(), id, err)
	writeJSONError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "store unavailable")
	return outcome{id, "unavailable"}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeJSONError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}
