package lambdatest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

func TestMatchPrecedence(t *testing.T) {
	routes := []TemplateRoute{
		{"F1", "GET", "/pets/{id}"}, {"F2", "GET", "/pets/dog"}, {"F3", "ANY", "/pets/{proxy+}"},
		{"F4", "ANY", "/pets/{id}"}, {"F5", "GET", "/"}, {"F6", "POST", "/a/{x}/b"},
	}
	for _, tc := range []struct{ method, path, want, param string }{
		{"GET", "/pets/dog", "F2", ""},     // a literal beats a variable
		{"GET", "/pets/cat", "F1", "cat"},  // an explicit method beats ANY
		{"POST", "/pets/cat", "F4", "cat"}, // a variable beats a greedy one
		{"POST", "/pets/a/b", "F3", "a/b"}, // greedy
		{"GET", "/", "F5", ""},
		{"POST", "/a/1/b", "F6", "1"},
		{"GET", "/a/1/b", "", ""},
		{"GET", "/pets", "", ""},
		{"GET", "/pets/", "", ""},
	} {
		r, params, ok := Match(routes, tc.method, tc.path)
		if !ok {
			r.Function = ""
		}
		if r.Function != tc.want {
			t.Errorf("%s %s → %q; want %q", tc.method, tc.path, r.Function, tc.want)
		}
		if tc.param != "" && params["id"] != tc.param && params["proxy"] != tc.param && params["x"] != tc.param {
			t.Errorf("%s %s: params %v; want %q", tc.method, tc.path, params, tc.param)
		}
	}
}

type recorder struct {
	events []events.APIGatewayV2HTTPRequest
	resp   events.APIGatewayV2HTTPResponse
}

func (r *recorder) Invoke(event []byte, _ time.Duration) (Result, error) {
	var ev events.APIGatewayV2HTTPRequest
	json.Unmarshal(event, &ev)
	r.events = append(r.events, ev)
	b, _ := json.Marshal(r.resp)
	return Result{Body: b}, nil
}

// TestHTTPAPIEvent: the request as a payload-2.0 event, the response
// back as HTTP, as API Gateway maps them.
func TestHTTPAPIEvent(t *testing.T) {
	rec := &recorder{resp: events.APIGatewayV2HTTPResponse{StatusCode: 302, Headers: map[string]string{"Location": "/next"},
		Cookies: []string{"a=1; Path=/", "b=2; HttpOnly"}, Body: base64.StdEncoding.EncodeToString([]byte{0xff, 0}), IsBase64Encoded: true}}
	api := StartHTTPAPI(t, []TemplateRoute{{"Fn", "POST", "/o/{id}/services/oauth2/token"}}, map[string]Invoker{"Fn": rec})
	req, _ := http.NewRequest("POST", api.URL+"/o/abc/services/oauth2/token?x=1&x=2", strings.NewReader("grant_type=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Add("Cookie", "s=1; t=2")
	req.Header.Add("X-Multi", "a")
	req.Header.Add("X-Multi", "b")
	resp, err := LoopbackClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ev := rec.events[0]
	for _, c := range []struct{ name, got, want string }{
		{"routeKey", ev.RouteKey, "POST /o/{id}/services/oauth2/token"},
		{"rawPath", ev.RawPath, "/o/abc/services/oauth2/token"},
		{"rawQueryString", ev.RawQueryString, "x=1&x=2"},
		{"query x", ev.QueryStringParameters["x"], "1,2"},
		{"path id", ev.PathParameters["id"], "abc"},
		{"cookies", strings.Join(ev.Cookies, "|"), "s=1|t=2"},
		{"cookie header", ev.Headers["cookie"], ""},
		{"x-multi", ev.Headers["x-multi"], "a,b"},
		{"host", ev.Headers["host"], api.DomainName},
		{"body", ev.Body, "grant_type=x"},
		{"sourceIp", ev.RequestContext.HTTP.SourceIP, "127.0.0.1"},
	} {
		if c.got != c.want {
			t.Errorf("event %s = %q; want %q", c.name, c.got, c.want)
		}
	}
	if resp.StatusCode != 302 || resp.Header.Get("Location") != "/next" || strings.Join(resp.Header.Values("Set-Cookie"), "|") != "a=1; Path=/|b=2; HttpOnly" {
		t.Errorf("response %d %v", resp.StatusCode, resp.Header)
	}
	if r, _ := LoopbackClient().Get(api.URL + "/nope"); r.StatusCode != http.StatusNotFound {
		t.Errorf("unrouted path: %d; want 404", r.StatusCode)
	}
}
