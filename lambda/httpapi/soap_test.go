package httpapi_test

import (
	"encoding/xml"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Salesforce's SOAP login() words, as clients report them.
const (
	partnerNS        = "urn:partner.soap.sforce.com"
	enterpriseNS     = "urn:enterprise.soap.sforce.com"
	fInvalidLogin    = "Invalid username, password, security token; or user locked out."
	fMustUseToken    = fInvalidLogin + " Are you at a new location? When accessing Salesforce--either via a desktop client or the API--from outside of your company’s trusted networks, you must add a security token to your password to log in. To get your new security token, log in to Salesforce. From your personal settings, enter Reset My Security Token in the Quick Find box, then select Reset My Security Token."
	fLoginDisabled   = "SOAP API login() is disabled by default in this org. Contact the org administrator to enable SOAP API login()."
	fIllegalSession  = "Invalid Session ID found in SessionHeader: Illegal Session"
	securityTokenAna = "TOKENana123"
)

func fNotInVersion(v string) string {
	return "The SOAP Login operation is not available in the API version specified (" + v + "). Refer to the documentation for supported versions."
}

// jsforceLogin is the envelope jsforce's loginBySoap posts.
func jsforceLogin(user, pass string) string {
	return `<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Header/><se:Body>` +
		`<login xmlns="urn:partner.soap.sforce.com"><username>` + xmlText(user) + `</username><password>` + xmlText(pass) + `</password></login>` +
		`</se:Body></se:Envelope>`
}

// simpleSalesforceLogin is simple-salesforce's security-token envelope.
func simpleSalesforceLogin(ns, user, pass string) string {
	return `<?xml version="1.0" encoding="utf-8" ?>
        <env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="` + ns + `">
            <env:Header><urn:CallOptions><urn:client>RestForce</urn:client><urn:defaultNamespace>sf</urn:defaultNamespace></urn:CallOptions></env:Header>
            <env:Body><n1:login xmlns:n1="` + ns + `"><n1:username>` + xmlText(user) + `</n1:username><n1:password>` + xmlText(pass) + `</n1:password></n1:login></env:Body>
        </env:Envelope>`
}

// jsforceLogout is jsforce's logoutBySoap envelope.
func jsforceLogout(sessionID string) string {
	return `<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Header><SessionHeader xmlns="urn:partner.soap.sforce.com">` +
		`<sessionId>` + xmlText(sessionID) + `</sessionId></SessionHeader></se:Header><se:Body><logout xmlns="urn:partner.soap.sforce.com"/></se:Body></se:Envelope>`
}

func xmlText(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// soapReply is a SOAP answer as a client reads it.
type soapReply struct {
	status int
	header http.Header
	raw    string
	env    struct {
		XMLName xml.Name
		Body    struct {
			Fault *struct {
				Code   string `xml:"faultcode"`
				String string `xml:"faultstring"`
				Detail *struct {
					Fault struct {
						XMLName xml.Name
						Type    string `xml:"http://www.w3.org/2001/XMLSchema-instance type,attr"`
						Code    string `xml:"exceptionCode"`
						Message string `xml:"exceptionMessage"`
					} `xml:",any"`
				} `xml:"detail"`
			} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Fault"`
			Login  *loginResult `xml:"loginResponse>result"`
			Logout *struct {
				XMLName xml.Name
			} `xml:"logoutResponse"`
		} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
	}
}

type loginResult struct {
	XMLName           xml.Name
	MetadataServerURL string `xml:"metadataServerUrl"`
	PasswordExpired   string `xml:"passwordExpired"`
	Sandbox           string `xml:"sandbox"`
	ServerURL         string `xml:"serverUrl"`
	SessionID         string `xml:"sessionId"`
	UserID            string `xml:"userId"`
	UserInfo          struct {
		OrganizationID      string `xml:"organizationId"`
		OrganizationName    string `xml:"organizationName"`
		ProfileID           string `xml:"profileId"`
		SessionSecondsValid string `xml:"sessionSecondsValid"`
		UserEmail           string `xml:"userEmail"`
		UserID              string `xml:"userId"`
		UserName            string `xml:"userName"`
		UserType            string `xml:"userType"`
		RoleID              struct {
			Nil string `xml:"http://www.w3.org/2001/XMLSchema-instance nil,attr"`
		} `xml:"roleId"`
	} `xml:"userInfo"`
}

func soapPost(t *testing.T, method, u, ctype, body string) soapReply {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("SOAPAction", `""`)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := soapReply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err := xml.Unmarshal(raw, &r.env); err != nil {
		t.Fatalf("%s %s: the answer is no XML (%v):\n%s", method, u, err, raw)
	}
	if r.env.XMLName.Space != "http://schemas.xmlsoap.org/soap/envelope/" || r.env.XMLName.Local != "Envelope" {
		t.Fatalf("root element %v; want a SOAP 1.1 Envelope:\n%s", r.env.XMLName, raw)
	}
	if mt, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/xml" || !strings.EqualFold(params["charset"], "utf-8") {
		t.Errorf("Content-Type %q; want text/xml with charset UTF-8", resp.Header.Get("Content-Type"))
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q; want no-store", resp.Header.Get("Cache-Control"))
	}
	return r
}

func (e *env) soap(t *testing.T, api, version, body string) soapReply {
	t.Helper()
	return soapPost(t, "POST", e.issuer+"/services/Soap/"+api+"/"+version, "text/xml; charset=UTF-8", body)
}

// wantFault checks a fault as jsforce (the faultstring, by regexp) and
// simple-salesforce (sf:exceptionCode and sf:exceptionMessage, by tag name)
// read it, and as a SOAP toolkit does (namespaces).
func (r soapReply) wantFault(t *testing.T, status int, code, text, exception string) {
	t.Helper()
	f := r.env.Body.Fault
	if r.status != status || f == nil {
		t.Fatalf("status %d; want %d with a fault:\n%s", r.status, status, r.raw)
	}
	if f.Code != code || f.String != text {
		t.Errorf("faultcode %q, faultstring %q; want %q, %q", f.Code, f.String, code, text)
	}
	if m := regexp.MustCompile(`<faultstring>([^<]+)</faultstring>`).FindStringSubmatch(r.raw); m == nil || m[1] != xmlText(text) {
		t.Errorf("jsforce's regexp reads faultstring %q; want %q", m, text)
	}
	if exception == "" {
		if f.Detail != nil {
			t.Errorf("detail %+v; want none", f.Detail)
		}
		return
	}
	if f.Detail == nil {
		t.Fatalf("no detail; want exceptionCode %s:\n%s", exception, r.raw)
	}
	d := f.Detail.Fault
	if d.Code != exception || text != exception+": "+d.Message {
		t.Errorf("exceptionCode %q, exceptionMessage %q; want %q and the faultstring's message", d.Code, d.Message, exception)
	}
	if d.XMLName.Space != "urn:fault.partner.soap.sforce.com" && d.XMLName.Space != "urn:fault.enterprise.soap.sforce.com" {
		t.Errorf("detail element in namespace %q; want Salesforce's fault namespace", d.XMLName.Space)
	}
	if d.Type != "sf:"+d.XMLName.Local {
		t.Errorf("xsi:type %q; want sf:%s", d.Type, d.XMLName.Local)
	}
	if !strings.Contains(r.raw, "<sf:exceptionCode>"+exception+"</sf:exceptionCode>") || !strings.Contains(r.raw, "<sf:exceptionMessage>") {
		t.Errorf("simple-salesforce reads the tags sf:exceptionCode and sf:exceptionMessage; not found in:\n%s", r.raw)
	}
}

func (r soapReply) login(t *testing.T) *loginResult {
	t.Helper()
	if r.status != http.StatusOK || r.env.Body.Login == nil {
		t.Fatalf("login(): status %d; want 200 with a loginResponse:\n%s", r.status, r.raw)
	}
	return r.env.Body.Login
}

// soapScenario is the test scenario; ana has a security token.
func soapScenario(t *testing.T, mutate func(m map[string]any)) []byte {
	return scenarioJSON(t, func(m map[string]any) {
		soapUser(m, 0)["securityToken"] = securityTokenAna
		if mutate != nil {
			mutate(m)
		}
	})
}

func soapOrg(m map[string]any) map[string]any { return m["orgs"].([]any)[0].(map[string]any) }
func soapUser(m map[string]any, i int) map[string]any {
	return soapOrg(m)["users"].([]any)[i].(map[string]any)
}
func soapProfile(m map[string]any) map[string]any {
	return soapOrg(m)["profiles"].([]any)[0].(map[string]any)
}

// TestSoapLoginFaults: each way login() fails answers Salesforce's fault:
// HTTP 500, text/xml, faultcode, faultstring and the detail's exceptionCode.
func TestSoapLoginFaults(t *testing.T) {
	right := password + securityTokenAna
	for _, tc := range []struct {
		name               string
		mutate             func(m map[string]any)
		api, version, body string
		code, text, exc    string
	}{
		{name: "wrong password", body: jsforceLogin(username, "not-the-password"+securityTokenAna),
			code: "sf:INVALID_LOGIN", text: "INVALID_LOGIN: " + fInvalidLogin, exc: "INVALID_LOGIN"},
		{name: "wrong security token", body: jsforceLogin(username, password+"NOTTHETOKEN"),
			code: "sf:INVALID_LOGIN", text: "INVALID_LOGIN: " + fInvalidLogin, exc: "INVALID_LOGIN"},
		{name: "no such user", body: jsforceLogin("nobody@acme.test", right),
			code: "sf:INVALID_LOGIN", text: "INVALID_LOGIN: " + fInvalidLogin, exc: "INVALID_LOGIN"},
		{name: "right password, no security token, outside trusted ranges", body: jsforceLogin(username, password),
			code: "sf:LOGIN_MUST_USE_SECURITY_TOKEN", text: "LOGIN_MUST_USE_SECURITY_TOKEN: " + fMustUseToken, exc: "LOGIN_MUST_USE_SECURITY_TOKEN"},
		{name: "outside the profile's login IP ranges",
			mutate: func(m map[string]any) {
				soapProfile(m)["loginIpRanges"] = []any{map[string]any{"start": "10.0.0.0", "end": "10.0.0.255"}}
			},
			body: jsforceLogin(username, right),
			code: "sf:INVALID_LOGIN", text: "INVALID_LOGIN: " + fInvalidLogin, exc: "INVALID_LOGIN"},
		{name: "deactivated user", mutate: func(m map[string]any) { soapUser(m, 0)["active"] = false },
			body: jsforceLogin(username, right),
			code: "sf:INVALID_LOGIN", text: "INVALID_LOGIN: " + fInvalidLogin, exc: "INVALID_LOGIN"},
		{name: "org created after Winter '26: login() off by default",
			mutate: func(m map[string]any) { soapOrg(m)["createdAt"] = "2025-11-03" },
			body:   jsforceLogin(username, right),
			code:   "sf:INVALID_OPERATION", text: "INVALID_OPERATION: " + fLoginDisabled, exc: "INVALID_OPERATION"},
		{name: "login() turned off in an older org",
			mutate: func(m map[string]any) { soapOrg(m)["settings"] = map[string]any{"soapApiLogin": false} },
			body:   jsforceLogin(username, right),
			code:   "sf:INVALID_OPERATION", text: "INVALID_OPERATION: " + fLoginDisabled, exc: "INVALID_OPERATION"},
		{name: "Summer '26 org without Use Any API Auth",
			mutate: func(m map[string]any) {
				m["now"] = "2026-07-01T09:00:00Z"
				soapOrg(m)["createdAt"] = "2026-06-15"
				soapOrg(m)["settings"] = map[string]any{"soapApiLogin": true}
			},
			body: jsforceLogin(username, right),
			code: "sf:INSUFFICIENT_ACCESS", text: "INSUFFICIENT_ACCESS: user needs the Use Any API Auth permission to call login()", exc: "INSUFFICIENT_ACCESS"},
		{name: "user without API Enabled", mutate: func(m map[string]any) { soapProfile(m)["permissions"] = []any{} },
			body: jsforceLogin(username, right),
			code: "sf:API_CURRENTLY_DISABLED", text: "API_CURRENTLY_DISABLED: API is disabled for this User", exc: "API_CURRENTLY_DISABLED"},
		{name: "API 65.0", version: "65.0", body: jsforceLogin(username, right),
			code: "sf:INVALID_OPERATION", text: "INVALID_OPERATION: " + fNotInVersion("65.0"), exc: "INVALID_OPERATION"},
		{name: "API 66.0 on the enterprise endpoint", api: "c", version: "66.0", body: simpleSalesforceLogin(enterpriseNS, username, right),
			code: "sf:INVALID_OPERATION", text: "INVALID_OPERATION: " + fNotInVersion("66.0"), exc: "INVALID_OPERATION"},
		{name: "API 65.0 before the org's switch", version: "65.0",
			mutate: func(m map[string]any) { soapOrg(m)["settings"] = map[string]any{"soapApiLogin": false} },
			body:   jsforceLogin(username, right),
			code:   "sf:INVALID_OPERATION", text: "INVALID_OPERATION: " + fNotInVersion("65.0"), exc: "INVALID_OPERATION"},
		{name: "version with a v", version: "v64.0", body: jsforceLogin(username, right),
			code: "sf:UNSUPPORTED_API_VERSION", text: "UNSUPPORTED_API_VERSION: Invalid Api version specified on URL", exc: "UNSUPPORTED_API_VERSION"},
		{name: "after the Summer '27 retirement", mutate: func(m map[string]any) { m["now"] = "2027-06-02T09:00:00Z" },
			body: jsforceLogin(username, right),
			code: "sf:UNSUPPORTED_API_VERSION", text: "UNSUPPORTED_API_VERSION: login() is no longer available", exc: "UNSUPPORTED_API_VERSION"},
		{name: "partner envelope on the enterprise endpoint", api: "c", body: jsforceLogin(username, right),
			code: "soapenv:Client", text: "No operation available for request {urn:partner.soap.sforce.com}login, please check the WSDL for the service."},
		{name: "unknown operation", body: strings.Replace(jsforceLogin(username, right), "login", "query", 2),
			code: "soapenv:Client", text: "No operation available for request {urn:partner.soap.sforce.com}query, please check the WSDL for the service."},
		{name: "malformed XML", body: `<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Body><login>`,
			code: "soapenv:Client", text: "the request is not well-formed XML: XML syntax error on line 1: unexpected EOF"},
		{name: "not an envelope", body: `<login xmlns="urn:partner.soap.sforce.com"/>`,
			code: "soapenv:Client", text: "the root element is login, not a SOAP Envelope"},
		{name: "no Body", body: `<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Header/></se:Envelope>`,
			code: "soapenv:Client", text: "the Envelope has no Body"},
		{name: "two operations", body: strings.Replace(jsforceLogin(username, right), "</se:Body>", `<logout xmlns="urn:partner.soap.sforce.com"/></se:Body>`, 1),
			code: "soapenv:Client", text: "the Body must hold exactly one operation element"},
		{name: "content after the Envelope", body: jsforceLogin(username, right) + "<x/>",
			code: "soapenv:Client", text: "content after the Envelope"},
		{name: "SOAP 1.2", body: strings.Replace(jsforceLogin(username, right), "http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope", 1),
			code: "soapenv:VersionMismatch", text: "the Envelope is not SOAP 1.1 (namespace http://schemas.xmlsoap.org/soap/envelope/)"},
		{name: "an entity of its own", body: `<!DOCTYPE x [<!ENTITY a "aaaa">]>` + strings.Replace(jsforceLogin(username, right), username, "&a;", 1),
			code: "soapenv:Client", text: "the request is not well-formed XML: XML syntax error on line 1: invalid character entity &a;"},
		{name: "logout without a session", body: jsforceLogout(""),
			code: "sf:INVALID_SESSION_ID", text: "INVALID_SESSION_ID: " + fIllegalSession, exc: "INVALID_SESSION_ID"},
		{name: "logout with an unknown session", body: jsforceLogout("00D000000000000!AQnotasession"),
			code: "sf:INVALID_SESSION_ID", text: "INVALID_SESSION_ID: " + fIllegalSession, exc: "INVALID_SESSION_ID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpt{scenario: soapScenario(t, tc.mutate)})
			api, version := firstNonEmptyStr(tc.api, "u"), firstNonEmptyStr(tc.version, "64.0")
			r := e.soap(t, api, version, tc.body)
			r.wantFault(t, http.StatusInternalServerError, tc.code, tc.text, tc.exc)
			faultNS := map[string]string{"u": "urn:fault.partner.soap.sforce.com", "c": "urn:fault.enterprise.soap.sforce.com"}[api]
			if !strings.Contains(r.raw, `xmlns:sf="`+faultNS+`"`) {
				t.Errorf("the fault does not declare sf as %s:\n%s", faultNS, r.raw)
			}
		})
	}
}

// TestSoapRequestLimits: what is no SOAP call at all is refused before
// parsing, with a client fault and the HTTP status of the problem.
func TestSoapRequestLimits(t *testing.T) {
	e := newEnv(t, envOpt{scenario: soapScenario(t, nil)})
	u := e.issuer + "/services/Soap/u/64.0"
	body := jsforceLogin(username, password+securityTokenAna)

	r := soapPost(t, "GET", u, "", "")
	r.wantFault(t, http.StatusMethodNotAllowed, "soapenv:Client", "the SOAP API takes POST requests; got GET", "")
	if a := r.header.Get("Allow"); a != "POST" {
		t.Errorf("Allow %q; want POST", a)
	}
	soapPost(t, "POST", u, "application/x-www-form-urlencoded", body).wantFault(t, http.StatusUnsupportedMediaType, "soapenv:Client",
		`Content-Type must be text/xml (a SOAP 1.1 envelope); got "application/x-www-form-urlencoded"`, "")
	soapPost(t, "POST", u, "", body).wantFault(t, http.StatusUnsupportedMediaType, "soapenv:Client",
		`Content-Type must be text/xml (a SOAP 1.1 envelope); got ""`, "")
	big := strings.Replace(body, "<se:Header/>", "<se:Header>"+strings.Repeat("<x/>", 20000)+"</se:Header>", 1)
	soapPost(t, "POST", u, "text/xml", big).wantFault(t, http.StatusRequestEntityTooLarge, "soapenv:Client",
		"the request body is larger than 65536 bytes", "")
	soapPost(t, "POST", e.issuer+"/services/Soap/m/64.0", "text/xml", body).wantFault(t, http.StatusNotFound, "soapenv:Client",
		"no SOAP service at "+e.orgPath+"/services/Soap/m/64.0: this live org serves login() and logout() at /services/Soap/u/{version} (partner) and /services/Soap/c/{version} (enterprise)", "")
	soapPost(t, "POST", u+"/00Dnotthisorg0", "text/xml", body).wantFault(t, http.StatusNotFound, "soapenv:Client",
		"no SOAP service at "+e.orgPath+"/services/Soap/u/64.0/00Dnotthisorg0: this live org serves login() and logout() at /services/Soap/u/{version} (partner) and /services/Soap/c/{version} (enterprise)", "")
}

// TestSoapLoginSuccess: the loginResponse carries what jsforce and
// simple-salesforce read, on the partner and the enterprise endpoint, in
// the envelope of that endpoint's namespace.
func TestSoapLoginSuccess(t *testing.T) {
	e := newEnv(t, envOpt{scenario: soapScenario(t, nil)})
	for _, tc := range []struct{ api, ns, body string }{
		{"u", partnerNS, jsforceLogin(username, password+securityTokenAna)},
		{"u", partnerNS, simpleSalesforceLogin(partnerNS, username, password+securityTokenAna)},
		{"c", enterpriseNS, simpleSalesforceLogin(enterpriseNS, username, password+securityTokenAna)},
	} {
		r := e.soap(t, tc.api, "64.0", tc.body)
		res := r.login(t)
		if res.XMLName.Space != tc.ns {
			t.Errorf("result in namespace %q; want %q", res.XMLName.Space, tc.ns)
		}
		org := res.UserInfo.OrganizationID
		if len(org) != 18 || !strings.HasPrefix(org, "00D") {
			t.Fatalf("organizationId %q; want an 18-character org id", org)
		}
		org15 := org[:15]
		for _, c := range []struct{ name, got, want string }{
			{"serverUrl", res.ServerURL, e.issuer + "/services/Soap/" + tc.api + "/64.0/" + org15},
			{"metadataServerUrl", res.MetadataServerURL, e.issuer + "/services/Soap/m/64.0/" + org15},
			{"passwordExpired", res.PasswordExpired, "false"},
			{"sandbox", res.Sandbox, "false"},
			{"userId", res.UserID, res.UserInfo.UserID},
			{"userName", res.UserInfo.UserName, username},
			{"userEmail", res.UserInfo.UserEmail, username},
			{"organizationName", res.UserInfo.OrganizationName, "Acme"},
			{"userType", res.UserInfo.UserType, "Standard"},
			{"sessionSecondsValid", res.UserInfo.SessionSecondsValid, "7200"},
			{"roleId xsi:nil", res.UserInfo.RoleID.Nil, "true"},
		} {
			if c.got != c.want {
				t.Errorf("%s: %s %q; want %q", tc.api, c.name, c.got, c.want)
			}
		}
		if !strings.HasPrefix(res.UserID, "005") || len(res.UserID) != 18 || !strings.HasPrefix(res.UserInfo.ProfileID, "00e") {
			t.Errorf("userId %q, profileId %q; want 005… and 00e… ids", res.UserID, res.UserInfo.ProfileID)
		}
		if !strings.HasPrefix(res.SessionID, org15+"!") || len(res.SessionID) < 40 {
			t.Errorf("sessionId %q; want the org id, !, and a random part", res.SessionID)
		}
		// jsforce reads these four by regexp; simple-salesforce sessionId and serverUrl by tag name.
		for _, tag := range []string{"serverUrl", "sessionId", "userId", "organizationId"} {
			if !regexp.MustCompile(`<` + tag + `>([^<]+)</` + tag + `>`).MatchString(r.raw) {
				t.Errorf("jsforce's regexp finds no <%s>", tag)
			}
		}
	}
}

// TestSoapLoginTrustedRange: from inside the profile's login IP ranges the
// password alone is enough (no security token), as Salesforce lets it be.
func TestSoapLoginTrustedRange(t *testing.T) {
	e := newEnv(t, envOpt{scenario: soapScenario(t, func(m map[string]any) {
		soapProfile(m)["loginIpRanges"] = []any{map[string]any{"start": "127.0.0.1", "end": "127.0.0.1"}}
	})})
	e.soap(t, "u", "64.0", jsforceLogin(username, password)).login(t)
	e.soap(t, "u", "64.0", jsforceLogin(username, password+securityTokenAna)).login(t)
}

// TestSoapSessionLoadedGun: the session ID works on the REST API, the OAuth
// revoke endpoint cannot end it (unsupported_token_type, as the engine
// says), and logout() does.
func TestSoapSessionLoadedGun(t *testing.T) {
	e := newEnv(t, envOpt{scenario: soapScenario(t, nil)})
	sid := e.soap(t, "u", "64.0", jsforceLogin(username, password+securityTokenAna)).login(t).SessionID
	query := e.issuer + "/services/data/v62.0/query?q=SELECT+Id+FROM+Organization"
	rest := func(want int, wantBody string) {
		t.Helper()
		st, body := getBearer(t, query, sid)
		if st != want || !strings.Contains(body, wantBody) {
			t.Fatalf("REST with the session: %d %s; want %d with %s", st, body, want, wantBody)
		}
	}
	rest(http.StatusOK, `"totalSize"`)

	for i := 0; i < 2; i++ {
		st, _, m := postForm(t, e.endpoint("revoke"), url.Values{"token": {sid}}, "", "")
		if st != http.StatusBadRequest || m["error"] != "unsupported_token_type" || m["error_description"] != "this token type is not supported" {
			t.Fatalf("revoke of a session ID: %d %v; want 400 unsupported_token_type", st, m)
		}
		rest(http.StatusOK, `"totalSize"`) // still alive
	}

	r := soapPost(t, "POST", e.issuer+"/services/Soap/u/64.0/"+sid[:15], "text/xml", jsforceLogout(sid))
	if r.status != http.StatusOK || r.env.Body.Logout == nil || r.env.Body.Logout.XMLName.Space != partnerNS {
		t.Fatalf("logout(): %d; want 200 with a logoutResponse:\n%s", r.status, r.raw)
	}
	rest(http.StatusUnauthorized, `"errorCode":"INVALID_SESSION_ID"`)
	e.soap(t, "u", "64.0", jsforceLogout(sid)).wantFault(t, http.StatusInternalServerError, "sf:INVALID_SESSION_ID", "INVALID_SESSION_ID: "+fIllegalSession, "INVALID_SESSION_ID")
	st, _, m := postForm(t, e.endpoint("revoke"), url.Values{"token": {sid}}, "", "")
	if st != http.StatusBadRequest || m["error"] != "unsupported_token_type" {
		t.Errorf("revoke after logout: %d %v; want 400 unsupported_token_type", st, m)
	}
}

// TestSoapSessionTimeout: the session idles out after the org's session
// timeout (2 hours by default), like any Salesforce session.
func TestSoapSessionTimeout(t *testing.T) {
	e := newEnv(t, envOpt{scenario: soapScenario(t, nil)})
	sid := e.soap(t, "u", "64.0", jsforceLogin(username, password+securityTokenAna)).login(t).SessionID
	query := e.issuer + "/services/data/v62.0/query?q=SELECT+Id+FROM+Organization"
	e.clock.Advance(2*time.Hour + time.Minute)
	if st, body := getBearer(t, query, sid); st != http.StatusUnauthorized || !strings.Contains(body, "INVALID_SESSION_ID") {
		t.Fatalf("REST after the timeout: %d %s; want 401 INVALID_SESSION_ID", st, body)
	}
}

// TestSoapLoginLockout: login() counts wrong passwords with the login form
// and the password grant, and a locked-out user gets INVALID_LOGIN even
// with the right password.
func TestSoapLoginLockout(t *testing.T) {
	e := newEnv(t, envOpt{scenario: soapScenario(t, func(m map[string]any) {
		soapOrg(m)["settings"] = map[string]any{"passwordPolicy": map[string]any{"maxInvalidLoginAttempts": "3"}}
	})})
	right := jsforceLogin(username, password+securityTokenAna)
	wrong := jsforceLogin(username, "not-the-password")
	invalid := func() {
		t.Helper()
		e.soap(t, "u", "64.0", wrong).wantFault(t, http.StatusInternalServerError, "sf:INVALID_LOGIN", "INVALID_LOGIN: "+fInvalidLogin, "INVALID_LOGIN")
	}
	// A right password clears the count: two wrong, one right, two wrong
	// stay under three in a row.
	invalid()
	invalid()
	e.soap(t, "u", "64.0", right).login(t)
	invalid()
	invalid()
	e.soap(t, "u", "64.0", right).login(t)
	// A refusal before the user is reached (login() at 65.0) counts nothing.
	for i := 0; i < 3; i++ {
		e.soap(t, "u", "65.0", wrong).wantFault(t, http.StatusInternalServerError, "sf:INVALID_OPERATION", "INVALID_OPERATION: "+fNotInVersion("65.0"), "INVALID_OPERATION")
	}
	e.soap(t, "u", "64.0", right).login(t)
	// Three wrong in a row lock ana out.
	invalid()
	invalid()
	invalid()
	e.soap(t, "u", "64.0", right).wantFault(t, http.StatusInternalServerError, "sf:INVALID_LOGIN", "INVALID_LOGIN: "+fInvalidLogin, "INVALID_LOGIN")
	// The same lockout holds at the password grant (token.go).
	st, _, m := postForm(t, e.endpoint("token"), url.Values{"grant_type": {"password"}, "username": {username}, "password": {password + securityTokenAna},
		"client_id": {clientID}, "client_secret": {clientSecret}}, "", "")
	if st != http.StatusBadRequest || m["error"] != "invalid_grant" {
		t.Errorf("password grant while locked out: %d %v; want 400 invalid_grant", st, m)
	}
	// It ends after the lockout period (15 minutes by default).
	e.clock.Advance(16 * time.Minute)
	e.soap(t, "u", "64.0", right).login(t)
}

// TestSoapLoginThrottled: login() shares the login form's per-address limit.
func TestSoapLoginThrottled(t *testing.T) {
	e := newEnv(t, envOpt{scenario: soapScenario(t, nil), rateLimits: true})
	var last soapReply
	for i := 0; i < 11; i++ {
		last = e.soap(t, "u", "64.0", jsforceLogin("nobody@acme.test", "x"))
	}
	retry := last.header.Get("Retry-After")
	if retry == "" {
		t.Fatalf("the 11th login(): no Retry-After (status %d):\n%s", last.status, last.raw)
	}
	last.wantFault(t, http.StatusTooManyRequests, "soapenv:Client", "too many login() calls from this address; retry after "+retry+" s", "")
}

// TestSoapSessionRevokeRFC: in rfc mode too, the authenticated client's
// revocation of a session ID is refused with unsupported_token_type
// (RFC 7009 §2.2.1), and the session lives on.
func TestSoapSessionRevokeRFC(t *testing.T) {
	e := newEnv(t, envOpt{mode: "rfc", scenario: soapScenario(t, nil)})
	sid := e.soap(t, "u", "64.0", jsforceLogin(username, password+securityTokenAna)).login(t).SessionID
	st, _, m := postForm(t, e.endpoint("revoke"), url.Values{"token": {sid}}, clientID, clientSecret)
	if st != http.StatusBadRequest || m["error"] != "unsupported_token_type" {
		t.Fatalf("rfc revoke of a session ID: %d %v; want 400 unsupported_token_type", st, m)
	}
	if st, body := getBearer(t, e.issuer+"/services/data/v62.0/query?q=SELECT+Id+FROM+Organization", sid); st != http.StatusOK {
		t.Fatalf("REST after the refused revoke: %d %s; want 200", st, body)
	}
}
