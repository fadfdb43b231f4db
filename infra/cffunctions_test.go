package infra

import (
	"testing"
)

func functionCode(t *testing.T, logical string) string {
	t.Helper()
	code, _ := get(loadTemplate(t).Props(logical), "FunctionCode").(string)
	if code == "" {
		t.Fatalf("%s has no FunctionCode", logical)
	}
	return code
}

func headers(kv ...string) cfHeaders {
	h := cfHeaders{}
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = struct {
			Value string `json:"value"`
		}{kv[i+1]}
	}
	return h
}

// TestSiteFunction runs the template's SiteFunction under Node.
func TestSiteFunction(t *testing.T) {
	code, n := functionCode(t, "SiteFunction"), sharedNode(t)
	for _, tc := range []struct{ uri, acceptEncoding, want string }{
		{"/", "gzip, deflate, br, zstd", "/index.html.br"},
		{"/", "", "/index.html"},
		{"/s/AbC123", "gzip", "/index.html.gz"},
		{"/s/", "br", "/index.html.br"},
		{"/app.6JDXQEBP.js", "gzip", "/app.6JDXQEBP.js.gz"},
		{"/main.BNH6XKPU.wasm", "br;q=0, gzip", "/main.BNH6XKPU.wasm.gz"},
		{"/main.BNH6XKPU.wasm", "br;q=0.5", "/main.BNH6XKPU.wasm.br"},
		{"/sw.js", "BR", "/sw.js.br"},
		{"/style.LHYGND3D.css", "brotli, gzip;q=0", "/style.LHYGND3D.css"},
		{"/icon.png", "br", "/icon.png"},
		{"/index.html", "identity", "/index.html"},
		{"/api.js/x", "br", "/api.js/x"},
	} {
		hs := cfHeaders{}
		if tc.acceptEncoding != "" {
			hs = headers("accept-encoding", tc.acceptEncoding)
		}
		var got cfRequest
		if err := n.run(code, viewerRequest("198.51.100.7", cfRequest{Method: "GET", URI: tc.uri, Headers: hs}), &got); err != nil {
			t.Fatal(err)
		}
		if got.URI != tc.want {
			t.Errorf("%s with Accept-Encoding %q → %s; want %s", tc.uri, tc.acceptEncoding, got.URI, tc.want)
		}
	}
}

// TestApiEdgeFunction: the viewer's address and Host reach the origin,
// and a viewer cannot set them itself.
func TestApiEdgeFunction(t *testing.T) {
	code, n := functionCode(t, "ApiEdgeFunction"), sharedNode(t)
	var got cfRequest
	req := cfRequest{Method: "POST", URI: "/o/abc/services/oauth2/token",
		Headers: headers("host", "abc123.orgs.example.test", "x-caplab-viewer-ip", "10.0.0.1", "x-caplab-viewer-host", "evil.test", "authorization", "Bearer x")}
	if err := n.run(code, viewerRequest("203.0.113.50", req), &got); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"x-caplab-viewer-ip": "203.0.113.50", "x-caplab-viewer-host": "abc123.orgs.example.test",
		"authorization": "Bearer x", "host": "abc123.orgs.example.test"} {
		if got.Headers[k].Value != want {
			t.Errorf("header %s = %q; want %q", k, got.Headers[k].Value, want)
		}
	}
	if got.URI != req.URI || got.Method != "POST" {
		t.Errorf("request changed to %s %s", got.Method, got.URI)
	}
}
