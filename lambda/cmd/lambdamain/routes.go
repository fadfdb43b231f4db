package lambdamain

import (
	"net/http"
	"strings"
)

// Route is one API Gateway HTTP API route: a method (or ANY) and a path in
// API Gateway syntax ({param} for one segment, {proxy+} for the rest).
// infra/template.yaml declares the same routes (checked by infra's tests).
type Route struct{ Method, Path string }

// Key is the API Gateway route key, e.g. "POST /o/{id}/services/oauth2/token".
func (r Route) Key() string { return r.Method + " " + r.Path }

// Function is one Lambda function: its name (the cmd directory and the
// build-<Logical> target) and the routes it serves. A request outside them
// gets a 404 even if the shared handler knows the path, so each function
// answers only for its own endpoints.
type Function struct {
	Name    string // authorize, token, api, callback
	Logical string // logical id in infra/template.yaml
	Routes  []Route
	Relay   bool // serves the relay (lambda/relay) rather than the live org (lambda/httpapi)
}

// A live org's endpoints are routed twice: under the /o/{id} alias (the
// only form on the CloudFront domain) and at the root, for live-org
// subdomains ({id}.{domain}, host-routed by httpapi; the stack's
// LiveOrgSubdomains parameter). On the main domain the root routes are
// never reached: CloudFront sends only /api/*, /o/*, /relay/* and
// /.well-known/* to the API.

// orgRoutes lists each of the live-org routes under the alias and at
// the root.
func orgRoutes(rs ...Route) []Route {
	var out []Route
	for _, r := range rs {
		out = append(out, Route{r.Method, "/o/{id}" + r.Path}, r)
	}
	return out
}

// The functions.
var (
	Authorize = Function{Name: "authorize", Logical: "AuthorizeFunction", Routes: orgRoutes(
		Route{"GET", "/services/oauth2/authorize"},
		Route{"POST", "/services/oauth2/authorize"},
		Route{"GET", "/setup/connect"}, // device flow verification (login, approval)
		Route{"POST", "/setup/connect"},
	)}
	Token = Function{Name: "token", Logical: "TokenFunction", Routes: orgRoutes(
		Route{"POST", "/services/oauth2/token"},
		Route{"POST", "/services/oauth2/revoke"},
		Route{"POST", "/services/oauth2/introspect"},
		Route{"GET", "/services/oauth2/userinfo"},
		Route{"POST", "/services/oauth2/userinfo"},
		Route{"GET", "/id/{orgId}/{userId}"},
		Route{"POST", "/id/{orgId}/{userId}"},
		Route{"ANY", "/services/data"}, // the REST API's versions list; other methods get its own 405
		Route{"ANY", "/services/data/{proxy+}"},
		Route{"POST", "/services/Soap/{proxy+}"}, // login() and logout()
	)}
	API = Function{Name: "api", Logical: "ApiFunction", Routes: append([]Route{
		{"POST", "/api/scenarios"},
		{"GET", "/api/scenarios/{id}"},
		{"POST", "/api/evaluate"},
		{"GET", "/.well-known/oauth-authorization-server/o/{id}"},
		{"GET", "/"}, // a live org's home page (subdomains only)
		{"GET", "/.well-known/oauth-authorization-server"},
	}, orgRoutes(
		Route{"GET", "/.well-known/openid-configuration"},
		Route{"GET", "/id/keys"},
		Route{"ANY", "/services/oauth2/{proxy+}"},
	)...)}
	// Callback is the intermediate-redirect relay: start, the registered
	// callback, and the tenant admin API.
	Callback = Function{Name: "callback", Logical: "CallbackFunction", Relay: true, Routes: []Route{
		{"GET", "/relay/start"},
		{"GET", "/relay/callback"},
		{"POST", "/relay/callback"},
		{"ANY", "/relay/admin/tenants/{id}"},
	}}
)

// Functions lists every function, in build order.
func Functions() []Function { return []Function{Authorize, Token, API, Callback} }

// Serves reports whether method and path are routed to this function.
// As in API Gateway, the most specific matching route of all functions
// wins: a route without a greedy {proxy+} beats one with it, and more
// literal segments beat fewer. So the api function's catch-all
// /o/{id}/services/oauth2/{proxy+} never answers a token request.
func (f Function) Serves(method, path string) bool {
	owner, ok := RouteOwner(method, path)
	return ok && owner.Name == f.Name
}

// RouteOwner returns the function whose route API Gateway would pick.
func RouteOwner(method, path string) (Function, bool) {
	var best *routeEntry
	for i := range routeTable {
		e := &routeTable[i]
		if !(e.Method == "ANY" || e.Method == method || (method == http.MethodHead && e.Method == http.MethodGet)) || !matchPath(e.Path, path) {
			continue
		}
		if best == nil || e.score > best.score {
			best = e
		}
	}
	if best == nil {
		return Function{}, false
	}
	return best.fn, true
}

// routeEntry is one route of routeTable with its API Gateway priority.
type routeEntry struct {
	Route
	fn    Function
	score int
}

// routeTable holds every function's routes with their scores, computed
// once rather than on each request (Restrict consults it for every one).
var routeTable = buildRouteTable()

func buildRouteTable() []routeEntry {
	var t []routeEntry
	for _, fn := range Functions() {
		for _, r := range fn.Routes {
			t = append(t, routeEntry{Route: r, fn: fn, score: routeScore(r)})
		}
	}
	return t
}

// routeScore ranks r as API Gateway does: a route without a greedy
// {proxy+} first, then more literal segments, then an explicit method.
func routeScore(r Route) int {
	score := 0
	if !strings.Contains(r.Path, "+}") {
		score += 1000
	}
	for _, seg := range strings.Split(r.Path, "/") {
		if seg != "" && !strings.HasPrefix(seg, "{") {
			score += 10
		}
	}
	if r.Method != "ANY" {
		score++
	}
	return score
}

// matchPath matches an API Gateway route path against a request path.
func matchPath(pattern, path string) bool {
	ps := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	xs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, p := range ps {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "+}") {
			return len(xs) > i && xs[i] != ""
		}
		if i >= len(xs) {
			return false
		}
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			if xs[i] == "" {
				return false
			}
			continue
		}
		if p != xs[i] {
			return false
		}
	}
	return len(xs) == len(ps)
}
