package infra

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// cloudFront stands in for one of the template's distributions on
// 127.0.0.1: its cache behaviors in order (path patterns, allowed
// methods), its viewer-request functions (the template's own code, run
// by Node), what its cache and origin request policies forward (all
// viewer headers but Host; Authorization on GET and HEAD only when the
// cache policy lists it), its origin custom headers, and its response
// headers policies. Caching itself is not modelled (the API's policy
// caches at most a second, and the tests never repeat a request within
// one).
type cloudFront struct {
	node      *nodeRunner
	behaviors []cfBehavior // the cache behaviors, then the default
	origins   map[string]http.Handler
	headers   map[string]map[string]string // origin id → custom headers
}

type cfBehavior struct {
	pattern         *regexp.Regexp
	origin          string
	methods         []string
	function        string   // viewer-request code, "" for none
	keyHeaders      []string // headers in the cache key (lower case)
	allViewer       bool     // Managed-AllViewerExceptHostHeader
	responseHeaders map[string]string
}

// The managed policies the template names.
const (
	managedCachingOptimized = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	managedCachingDisabled  = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
)

// cloudFrontEdgeIP is the source address API Gateway sees behind
// CloudFront (never the viewer's).
const cloudFrontEdgeIP = "198.51.100.99"

// newCloudFront reads distribution's configuration through r (which must
// know the stand-in ids); dynamic resolves {{resolve:…}} references.
func newCloudFront(t *testing.T, r *resolver, distribution string, origins map[string]http.Handler, dynamic func(string) (string, error)) *cloudFront {
	t.Helper()
	for _, logical := range []string{"SiteFunction", "ApiEdgeFunction"} {
		r.attrs[logical+".FunctionMetadata.FunctionARN"] = "function:" + logical
	}
	for _, p := range []string{"ApiCachePolicy", "SiteHeadersPolicy"} {
		r.refs[p] = "policy:" + p
	}
	raw, err := r.value(get(r.tmpl.Props(distribution), "DistributionConfig"))
	if err != nil {
		t.Fatalf("%s: %v", distribution, err)
	}
	cfg := raw.(map[string]any)
	cf := &cloudFront{node: sharedNode(t), origins: origins, headers: map[string]map[string]string{}}
	for _, o := range cfg["Origins"].([]any) {
		id := get(o, "Id").(string)
		if origins[id] == nil {
			t.Fatalf("%s origin %s: no stand-in", distribution, id)
		}
		cf.headers[id] = map[string]string{}
		hs, _ := get(o, "OriginCustomHeaders").([]any)
		for _, h := range hs {
			v, err := dynamic(get(h, "HeaderValue").(string))
			if err != nil {
				t.Fatal(err)
			}
			cf.headers[id][get(h, "HeaderName").(string)] = v
		}
	}
	behavior := func(b map[string]any, pattern string) cfBehavior {
		cb := cfBehavior{pattern: globRegexp(pattern), origin: b["TargetOriginId"].(string), methods: []string{"GET", "HEAD"}}
		if ms, ok := b["AllowedMethods"].([]any); ok {
			cb.methods = nil
			for _, m := range ms {
				cb.methods = append(cb.methods, m.(string))
			}
		}
		if fa, _ := b["FunctionAssociations"].([]any); len(fa) > 0 {
			if get(fa, 0, "EventType") != "viewer-request" || len(fa) != 1 {
				t.Fatalf("%s %s: only one viewer-request function is modelled", distribution, pattern)
			}
			cb.function = functionCode(t, strings.TrimPrefix(get(fa, 0, "FunctionARN").(string), "function:"))
		}
		switch cp := b["CachePolicyId"].(string); cp {
		case managedCachingOptimized, managedCachingDisabled:
		default:
			hs := get(r.tmpl.Props(strings.TrimPrefix(cp, "policy:")), "CachePolicyConfig", "ParametersInCacheKeyAndForwardedToOrigin", "HeadersConfig", "Headers")
			for _, h := range hs.([]any) {
				cb.keyHeaders = append(cb.keyHeaders, strings.ToLower(h.(string)))
			}
		}
		switch orp := b["OriginRequestPolicyId"]; orp {
		case nil:
		case managedAllViewerExceptHost:
			cb.allViewer = true
		default:
			t.Fatalf("%s %s: origin request policy %v is not modelled", distribution, pattern, orp)
		}
		if rhp, ok := b["ResponseHeadersPolicyId"].(string); ok {
			cb.responseHeaders = responseHeaders(t, r, strings.TrimPrefix(rhp, "policy:"))
		}
		return cb
	}
	bs, _ := cfg["CacheBehaviors"].([]any)
	for _, b := range bs {
		cf.behaviors = append(cf.behaviors, behavior(b.(map[string]any), get(b, "PathPattern").(string)))
	}
	cf.behaviors = append(cf.behaviors, behavior(cfg["DefaultCacheBehavior"].(map[string]any), "*"))
	return cf
}

// responseHeaders are the headers a response headers policy sets.
func responseHeaders(t *testing.T, r *resolver, logical string) map[string]string {
	raw, err := r.value(get(r.tmpl.Props(logical), "ResponseHeadersPolicyConfig"))
	if err != nil {
		t.Fatal(err)
	}
	sec := get(raw, "SecurityHeadersConfig")
	h := map[string]string{}
	if v := get(sec, "ContentSecurityPolicy", "ContentSecurityPolicy"); v != nil {
		h["Content-Security-Policy"] = v.(string)
	}
	if get(sec, "ContentTypeOptions") != nil {
		h["X-Content-Type-Options"] = "nosniff"
	}
	if v := get(sec, "FrameOptions", "FrameOption"); v != nil {
		h["X-Frame-Options"] = v.(string)
	}
	if v := get(sec, "ReferrerPolicy", "ReferrerPolicy"); v != nil {
		h["Referrer-Policy"] = v.(string)
	}
	if v := get(sec, "StrictTransportSecurity", "AccessControlMaxAgeSec"); v != nil {
		h["Strict-Transport-Security"] = fmt.Sprintf("max-age=%v", v)
	}
	items, _ := get(raw, "CustomHeadersConfig", "Items").([]any)
	for _, it := range items {
		h[get(it, "Header").(string)] = get(it, "Value").(string)
	}
	return h
}

func (cf *cloudFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var b cfBehavior
	for _, x := range cf.behaviors {
		if x.pattern.MatchString(r.URL.Path) {
			b = x
			break
		}
	}
	if !slices.Contains(b.methods, r.Method) {
		http.Error(w, "This distribution is not configured to allow the HTTP request method that was used for this request.", http.StatusForbidden)
		return
	}
	viewerIP, _, _ := net.SplitHostPort(r.RemoteAddr)
	req := cfRequest{Method: r.Method, URI: r.URL.Path, Headers: cfHeaders{}}
	for k, vs := range r.Header {
		req.Headers[strings.ToLower(k)] = struct {
			Value string `json:"value"`
		}{strings.Join(vs, ",")}
	}
	req.Headers["host"] = struct {
		Value string `json:"value"`
	}{r.Host}
	if b.function != "" {
		var out cfRequest
		if err := cf.node.run(b.function, viewerRequest(viewerIP, req), &out); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		req = out
	}
	body, _ := io.ReadAll(r.Body)
	or := httptest.NewRequest(r.Method, req.URI, bytes.NewReader(body))
	or.URL.RawQuery = r.URL.RawQuery
	or.RequestURI = ""
	or.RemoteAddr = cloudFrontEdgeIP + ":443"
	for k, v := range req.Headers {
		switch {
		case k == "host":
		case !b.allViewer && !slices.Contains(b.keyHeaders, k):
		case k == "authorization" && (r.Method == "GET" || r.Method == "HEAD") && !slices.Contains(b.keyHeaders, k):
			// CloudFront drops it unless the cache key has it.
		default:
			or.Header.Set(k, v.Value)
		}
	}
	or.Header.Set("X-Forwarded-For", viewerIP)
	for k, v := range cf.headers[b.origin] {
		or.Header.Set(k, v) // origin custom headers win over a viewer's
	}
	rec := httptest.NewRecorder()
	cf.origins[b.origin].ServeHTTP(rec, or)
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	for k, v := range b.responseHeaders {
		w.Header().Set(k, v)
	}
	w.Header().Set("Via", "1.1 stand-in.cloudfront.net (CloudFront)")
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// s3Origin serves a bucket's objects as CloudFront's origin access
// control reads them: the key is the path, metadata becomes headers, a
// missing key is 403 (no s3:ListBucket).
type s3Origin struct {
	client *s3.Client
	bucket string
}

func (o s3Origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	out, err := o.client.GetObject(r.Context(), &s3.GetObjectInput{Bucket: aws.String(o.bucket), Key: aws.String(strings.TrimPrefix(r.URL.Path, "/"))})
	var nk *s3types.NoSuchKey
	if errors.As(err, &nk) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>")
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer out.Body.Close()
	for k, v := range map[string]*string{"Content-Type": out.ContentType, "Cache-Control": out.CacheControl, "Content-Encoding": out.ContentEncoding, "ETag": out.ETag} {
		if v != nil && *v != "" {
			w.Header().Set(k, *v)
		}
	}
	w.WriteHeader(http.StatusOK)
	io.Copy(w, out.Body)
}
