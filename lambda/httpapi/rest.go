package httpapi

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caplab/caplab/policy"
)

// The REST API under /services/data: the versions list, and for each
// served version its root, limits, query, queryAll and sobjects
// resources (rest_*.go). Every resource but the versions list needs a
// valid access token (or SOAP session ID), and the engine decides the API
// call (scopes, API Enabled, session timeout) on the token's history.

// restError is Salesforce's REST error body: [{"message","errorCode"}].
func restError(w http.ResponseWriter, status int, code, msg string) {
	noStore(w)
	writeJSON(w, status, []map[string]string{{"message": msg, "errorCode": code}})
}

func notFound(w http.ResponseWriter) {
	restError(w, http.StatusNotFound, policy.LiveRESTErrNotFound, policy.LiveRESTDescNotFound)
}

// versionSegment is a version in a path: v62.0 (only .0 versions exist).
var versionSegment = regexp.MustCompile(`^v([1-9][0-9]{0,3})\.0$`)

// handleData serves /services/data and everything under it.
func (s *Server) handleData(w http.ResponseWriter, r *http.Request, o *liveOrg) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		restError(w, http.StatusMethodNotAllowed, policy.LiveRESTErrMethod, fmt.Sprintf(policy.LiveRESTDescMethodFormat, r.Method, "GET,HEAD"))
		return
	}
	now := o.sim(s.cfg.Now())
	rest := strings.Trim(r.PathValue("rest"), "/")
	if rest == "" {
		s.versions(w, o, now)
		return
	}
	seg, tail, _ := strings.Cut(rest, "/")
	version := policy.CurrentAPIVersion(now)
	if seg != "latest" {
		m := versionSegment.FindStringSubmatch(seg)
		if m == nil {
			notFound(w)
			return
		}
		version, _ = strconv.Atoi(m[1])
	}
	switch policy.APIVersionStatus(version, now) {
	case policy.APIVersionUnknown:
		notFound(w)
		return
	case policy.APIVersionRetired:
		if version < policy.FirstAPIVersion {
			restError(w, http.StatusGone, policy.LiveRESTErrGone, policy.LiveRESTDescGone)
			return
		}
		// caplab's contract serves every version from v20.0, so old clients
		// can be tried; a real org has retired these and answers 410 GONE,
		// which the Warning header says (Salesforce warns the same way
		// about deprecated versions).
		w.Header().Set("Warning", `299 - "API version `+policy.FormatAPIVersion(version)+` is retired on Salesforce (Help 000354473): a real org answers 410 GONE"`)
	}
	v, ok := s.restViewer(w, r, o)
	if !ok {
		return
	}
	base := o.path("/services/data/v" + policy.FormatAPIVersion(version))
	parts := strings.Split(tail, "/")
	switch {
	case tail == "":
		writeJSON(w, http.StatusOK, map[string]string{
			"identity": s.idURL(o, s.identityOf(o, v.org.Name, v.username())),
			"limits":   base + "/limits", "query": base + "/query", "queryAll": base + "/queryAll", "sobjects": base + "/sobjects",
		})
	case tail == "limits":
		s.restLimits(w, v)
	case tail == "query" || tail == "queryAll":
		s.restQuery(w, r, v, base)
	case parts[0] == "sobjects" && len(parts) <= 3:
		s.restSObjects(w, r, v, base, parts[1:])
	default:
		notFound(w)
	}
}

// versions is the versions list: no authentication, every served version
// with its release name and root.
func (s *Server) versions(w http.ResponseWriter, o *liveOrg, t time.Time) {
	var out []map[string]string
	for v := policy.FirstAPIVersion; v <= policy.CurrentAPIVersion(t); v++ {
		out = append(out, map[string]string{"label": policy.APIReleaseLabel(v), "url": o.path("/services/data/v" + policy.FormatAPIVersion(v)),
			"version": policy.FormatAPIVersion(v)})
	}
	writeJSON(w, http.StatusOK, out)
}

// restViewer checks the request's session and asks the engine for the
// API call; unless both allow it, the client has its answer.
func (s *Server) restViewer(w http.ResponseWriter, r *http.Request, o *liveOrg) (*viewer, bool) {
	a, ok := s.accessOr401(w, r, o)
	if !ok {
		return nil, false
	}
	if sc := strings.Fields(a.tok.Scope); !slices.Contains(sc, "api") && !slices.Contains(sc, "full") {
		// As the engine's api event: the token's own scope must allow the
		// REST API (an exchanged token carries a narrower scope than its app's).
		restError(w, http.StatusUnauthorized, policy.LiveErrInvalidSessionID, policy.LiveDescSessionNotREST)
		return nil, false
	}
	steps, err := history(a.grant, a.tok)
	if err != nil {
		s.internal(w, r, err)
		return nil, false
	}
	steps = append(steps, step{at: a.tok.IssuedAt, ev: policy.Event{Do: "api", Use: "prev"}})
	res, err := s.evaluateKnown(r.Context(), o, steps, &a.grant)
	if err != nil {
		s.internal(w, r, err)
		return nil, false
	}
	if res.Outcome != policy.Granted {
		restError(w, res.HTTPStatus, res.Error, res.ErrorDescription)
		return nil, false
	}
	if a.id.org == nil {
		notFound(w) // a grant of an org the scenario no longer names
		return nil, false
	}
	return &viewer{ctx: r.Context(), s: s, o: o, org: a.id.org, user: a.id.user}, true
}

func (v *viewer) username() string {
	if v.user == nil {
		return ""
	}
	return v.user.Username
}
