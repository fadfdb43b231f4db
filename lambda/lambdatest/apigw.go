package lambdatest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// HTTPAPI stands in for an API Gateway HTTP API (payload format 2.0) on
// 127.0.0.1, as `sam local start-api` would, without Docker: it routes by
// the template's HttpApi events with API Gateway's precedence, turns each
// request into a v2 event (headers lower-cased and comma-joined, cookies
// apart, body base64 when binary, path parameters, request context), hands
// it to the function's runtime API, and turns the v2 response back into
// HTTP (cookies as separate Set-Cookie headers).
type HTTPAPI struct {
	URL        string
	APIID      string
	DomainName string // what the functions see as the API's host

	routes  []TemplateRoute
	mu      sync.Mutex
	invoke  map[string]Invoker // by function logical id
	seq     atomic.Int64
	Timeout time.Duration // integration timeout (API Gateway's 30 s)
}

// Invoker runs one invocation (a FakeRuntime with a function attached).
type Invoker interface {
	Invoke(event []byte, timeout time.Duration) (Result, error)
}

// maxAPIBody is API Gateway's request payload limit (10 MB).
const maxAPIBody = 10 << 20

// StartHTTPAPI serves routes until the test ends; fns maps a function's
// logical id to its runtime.
func StartHTTPAPI(t testing.TB, routes []TemplateRoute, fns map[string]Invoker) *HTTPAPI {
	t.Helper()
	for _, r := range routes {
		if fns[r.Function] == nil {
			t.Fatalf("route %s: no runtime for function %s", r.Key(), r.Function)
		}
	}
	a := &HTTPAPI{APIID: "emu0000001", routes: routes, invoke: fns, Timeout: 30 * time.Second}
	a.DomainName = a.APIID + ".execute-api.us-east-1.amazonaws.com"
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	a.URL = srv.URL
	return a
}

// SetFunction points a function's routes at a new runtime (a new
// version of the function after an update).
func (a *HTTPAPI) SetFunction(logical string, fn Invoker) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.invoke[logical] = fn
}

// Match is the route API Gateway picks for method and path, and the path
// parameters: the most specific match wins (no greedy variable over a
// greedy one, then more literal segments, then an explicit method over ANY).
func Match(routes []TemplateRoute, method, path string) (TemplateRoute, map[string]string, bool) {
	var best TemplateRoute
	var bestParams map[string]string
	bestRank := -1
	for _, r := range routes {
		if r.Method != "ANY" && r.Method != method {
			continue
		}
		params, ok := matchRoutePath(r.Path, path)
		if !ok {
			continue
		}
		rank := 0
		if !strings.Contains(r.Path, "+}") {
			rank += 1 << 16
		}
		for _, seg := range strings.Split(r.Path, "/") {
			if seg != "" && !strings.HasPrefix(seg, "{") {
				rank += 1 << 4
			}
		}
		if r.Method != "ANY" {
			rank++
		}
		if rank > bestRank {
			best, bestParams, bestRank = r, params, rank
		}
	}
	return best, bestParams, bestRank >= 0
}

func matchRoutePath(pattern, path string) (map[string]string, bool) {
	ps := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	xs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	params := map[string]string{}
	for i, p := range ps {
		if name, ok := strings.CutSuffix(strings.TrimPrefix(p, "{"), "+}"); ok && strings.HasPrefix(p, "{") {
			rest := strings.Join(xs[min(i, len(xs)):], "/")
			if rest == "" {
				return nil, false
			}
			params[name] = rest
			return params, true
		}
		if i >= len(xs) {
			return nil, false
		}
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			if xs[i] == "" {
				return nil, false
			}
			params[p[1:len(p)-1]] = xs[i]
			continue
		}
		if p != xs[i] {
			return nil, false
		}
	}
	if len(xs) != len(ps) {
		return nil, false
	}
	return params, true
}

func (a *HTTPAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route, params, ok := Match(a.routes, r.Method, r.URL.Path)
	if !ok {
		apiMessage(w, http.StatusNotFound, "Not Found")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAPIBody+1))
	if err != nil || len(body) > maxAPIBody {
		apiMessage(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	ev := a.event(r, route, params, body)
	b, _ := json.Marshal(ev)
	a.mu.Lock()
	fn := a.invoke[route.Function]
	a.mu.Unlock()
	res, err := fn.Invoke(b, a.Timeout)
	if err != nil {
		apiMessage(w, http.StatusServiceUnavailable, "Service Unavailable")
		return
	}
	if res.IsError {
		apiMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(res.Body, &resp); err != nil || resp.StatusCode == 0 {
		apiMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	out := []byte(resp.Body)
	if resp.IsBase64Encoded {
		if out, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			apiMessage(w, http.StatusInternalServerError, "Internal Server Error")
			return
		}
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	w.Header().Set("Apigw-Requestid", ev.RequestContext.RequestID)
	w.WriteHeader(resp.StatusCode)
	w.Write(out)
}

// event is the payload-2.0 event API Gateway would send for r.
func (a *HTTPAPI) event(r *http.Request, route TemplateRoute, params map[string]string, body []byte) events.APIGatewayV2HTTPRequest {
	now := time.Now().UTC()
	headers := map[string]string{}
	var cookies []string
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if lk == "cookie" {
			for _, v := range vs {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[lk] = strings.Join(vs, ",")
	}
	src, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		src = r.RemoteAddr
	}
	headers["host"] = a.DomainName
	headers["x-forwarded-for"] = strings.TrimPrefix(headers["x-forwarded-for"]+", "+src, ", ")
	headers["x-forwarded-proto"] = "https"
	headers["x-forwarded-port"] = "443"
	var query map[string]string
	if r.URL.RawQuery != "" {
		query = map[string]string{}
		for k, vs := range r.URL.Query() {
			query[k] = strings.Join(vs, ",")
		}
	}
	id := fmt.Sprintf("EMU%013d=", a.seq.Add(1))
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: route.Key(), RawPath: r.URL.EscapedPath(), RawQueryString: r.URL.RawQuery,
		Cookies: cookies, Headers: headers, QueryStringParameters: query, PathParameters: params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: route.Key(), AccountID: "123456789012", Stage: "$default", RequestID: id, APIID: a.APIID,
			DomainName: a.DomainName, DomainPrefix: a.APIID, Time: now.Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: r.Method, Path: r.URL.Path, Protocol: r.Proto,
				SourceIP: src, UserAgent: r.UserAgent()},
		},
	}
	if len(body) > 0 {
		if textual(r.Header.Get("Content-Type")) && utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

// textual content types go as text; everything else base64, as API
// Gateway does for a body it cannot tell is text.
func textual(ct string) bool {
	ct = strings.ToLower(ct)
	return strings.HasPrefix(ct, "text/") || strings.HasPrefix(ct, "application/json") ||
		strings.HasPrefix(ct, "application/x-www-form-urlencoded") || strings.HasPrefix(ct, "application/xml")
}

func apiMessage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"message": msg})
	w.Write(b)
}
