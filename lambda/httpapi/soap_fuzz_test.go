package httpapi_test

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caplab/caplab/lambda/httpapi"
	"github.com/caplab/caplab/lambda/store/memstore"
)

var (
	soapFuzzOnce sync.Once
	soapFuzzH    http.Handler
	soapFuzzPath string // the live org's alias path, /o/{org id}
)

// soapFuzzServer is one in-process server with the SOAP test scenario
// shared (no rate limits, so inputs reach the engine).
func soapFuzzServer(t *testing.T) (http.Handler, string) {
	soapFuzzOnce.Do(func() {
		keys(t)
		soapFuzzH = httpapi.New(httpapi.Config{BaseURL: "http://127.0.0.1:1", SigningKey: serverKey, Now: time.Now, NoRateLimits: true}, memstore.New())
		rec := serve(soapFuzzH, httptest.NewRequest("POST", "/api/scenarios", strings.NewReader(string(soapScenario(t, nil)))))
		var out struct{ Issuer string }
		if rec.Code != http.StatusCreated || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
			panic(rec.Body.String())
		}
		u, err := url.Parse(out.Issuer)
		if err != nil {
			panic(err)
		}
		soapFuzzPath = u.Path
	})
	return soapFuzzH, soapFuzzPath
}

// FuzzSoapEnvelope: any body at any version of the partner and enterprise
// endpoints gets a SOAP 1.1 envelope in text/xml: a loginResponse or
// logoutResponse with 200, else a fault with a faultcode and faultstring
// (500 as Salesforce sends faults, 413 for an oversized body, 429 once the
// live org's grant quota is spent); never a panic or a JSON error.
func FuzzSoapEnvelope(f *testing.F) {
	f.Add(jsforceLogin(username, password+securityTokenAna), "64.0")
	f.Add(simpleSalesforceLogin(partnerNS, username, password), "59.0")
	f.Add(jsforceLogout("00D000000000000!AQx"), "64.0")
	f.Add(`<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Body><login>`, "65.0")
	f.Add(`<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>`, "v64.0")
	f.Fuzz(func(t *testing.T, body, version string) {
		h, orgPath := soapFuzzServer(t)
		if version == "" || version == "." || version == ".." || strings.Contains(version, "/") {
			return // another path: the mux's answer, not the SOAP endpoint's
		}
		for _, api := range []string{"u", "c"} {
			req := httptest.NewRequest("POST", "/", strings.NewReader(body))
			req.URL.Path = orgPath + "/services/Soap/" + api + "/" + version
			req.Header.Set("Content-Type", "text/xml; charset=UTF-8")
			rec := serve(h, req)
			if ct := rec.Header().Get("Content-Type"); ct != "text/xml;charset=UTF-8" {
				t.Fatalf("%s: status %d, Content-Type %q; want a SOAP answer:\n%s", req.URL.Path, rec.Code, ct, rec.Body)
			}
			var env struct {
				XMLName xml.Name
				Body    struct {
					Fault *struct {
						Code   string `xml:"faultcode"`
						String string `xml:"faultstring"`
					} `xml:"Fault"`
					Login  *struct{} `xml:"loginResponse"`
					Logout *struct{} `xml:"logoutResponse"`
				} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
			}
			if err := xml.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.XMLName.Local != "Envelope" {
				t.Fatalf("the answer is no SOAP envelope (%v):\n%s", err, rec.Body)
			}
			switch rec.Code {
			case http.StatusOK:
				if env.Body.Login == nil && env.Body.Logout == nil {
					t.Fatalf("200 without a loginResponse or logoutResponse:\n%s", rec.Body)
				}
			case http.StatusInternalServerError, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests:
				if f := env.Body.Fault; f == nil || f.Code == "" || f.String == "" {
					t.Fatalf("status %d without a faultcode and faultstring:\n%s", rec.Code, rec.Body)
				}
			default:
				t.Fatalf("status %d; want 200, or a fault with 500, 413 or 429:\n%s", rec.Code, rec.Body)
			}
		}
	})
}
