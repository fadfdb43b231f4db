package httpapi

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/policy"
)

// soapFault is one SOAP 1.1 fault.
type soapFault struct {
	status    int    // HTTP status (Salesforce sends every fault with 500)
	code      string // faultcode: sf:{exceptionCode} or soapenv:Client
	text      string // faultstring
	exception string // the detail's sf:exceptionCode ("" for no detail)
	message   string // the detail's sf:exceptionMessage
}

// sfFault is an API fault: "CODE: message", with its detail element.
func sfFault(code, message string) soapFault {
	return soapFault{status: http.StatusInternalServerError, code: "sf:" + code, text: code + ": " + message, exception: code, message: message}
}

// clientFault is a fault of the request itself (not parsed, not routed).
func clientFault(text string) soapFault {
	return soapFault{status: http.StatusInternalServerError, code: "soapenv:Client", text: text}
}

// serverFault is a fault of the live org itself (its store).
func serverFault(text string) soapFault {
	return soapFault{status: http.StatusInternalServerError, code: "soapenv:Server", text: text}
}

// at is the fault sent with another HTTP status.
func (f soapFault) at(status int) soapFault { f.status = status; return f }

// faultType is the detail's fault element: LoginFault for a refused
// login, UnexpectedErrorFault for the rest (the WSDL's login() faults;
// which one Salesforce picks for the non-credential codes is UNCONFIRMED).
func faultType(code string) string {
	if code == policy.LiveErrInvalidLogin || strings.HasPrefix(code, "LOGIN_") {
		return "LoginFault"
	}
	return "UnexpectedErrorFault"
}

// writeSoapFault answers a fault in Salesforce's envelope.
func writeSoapFault(w http.ResponseWriter, api soapAPI, f soapFault) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="` + soapEnvNS + `" xmlns:sf="` + api.faultNS + `" xmlns:xsi="` + xsiNS + `"><soapenv:Body><soapenv:Fault>`)
	element(&b, "faultcode", f.code)
	element(&b, "faultstring", f.text)
	if f.exception != "" {
		t := faultType(f.exception)
		b.WriteString(`<detail><sf:` + t + ` xsi:type="sf:` + t + `">`)
		element(&b, "sf:exceptionCode", f.exception)
		element(&b, "sf:exceptionMessage", f.message)
		b.WriteString(`</sf:` + t + `></detail>`)
	}
	b.WriteString(`</soapenv:Fault></soapenv:Body></soapenv:Envelope>`)
	writeXML(w, f.status, b.String())
}

// writeSoap answers a Body in the endpoint's default namespace.
func writeSoap(w http.ResponseWriter, status int, ns, body string) {
	writeXML(w, status, `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="`+soapEnvNS+`" xmlns="`+ns+`" xmlns:xsi="`+xsiNS+`"><soapenv:Body>`+body+`</soapenv:Body></soapenv:Envelope>`)
}

func writeXML(w http.ResponseWriter, status int, doc string) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	io.WriteString(w, doc)
}

// loginResponse is login()'s result, its elements in the WSDL's order (the
// order Salesforce sends; jsforce and simple-salesforce read sessionId,
// serverUrl, userId and organizationId). Values the scenario does not model
// (locale, currency, skin) are a new US org's defaults.
func loginResponse(o *liveOrg, id identity, api, version, sessionID string, life time.Duration) string {
	org15 := id.orgID
	if len(org15) > 15 {
		org15 = org15[:15]
	}
	sandbox := id.org != nil && id.org.Type == "sandbox"
	orgName, profile := "", ""
	if id.org != nil {
		orgName = id.org.Name
	}
	if id.user != nil {
		profile = id.user.Profile
	}
	email := ""
	if strings.Contains(id.username, "@") {
		email = id.username
	}
	fullName, _, _ := strings.Cut(id.username, "@")
	profileID := policy.GenerateID("00e", orgName+"/profile/"+profile)
	if id.user != nil && id.org != nil {
		// The same names and ids as the REST API's User and Profile records.
		fullName, profileID = id.user.FullName(), id.org.ProfileID(id.user.ProfileName())
	}
	var b strings.Builder
	b.WriteString("<loginResponse><result>")
	element(&b, "metadataServerUrl", o.issuer()+"/services/Soap/m/"+version+"/"+org15)
	element(&b, "passwordExpired", "false")
	element(&b, "sandbox", strconv.FormatBool(sandbox))
	element(&b, "serverUrl", o.issuer()+"/services/Soap/"+api+"/"+version+"/"+org15)
	element(&b, "sessionId", sessionID)
	element(&b, "userId", id18(id.userID))
	b.WriteString("<userInfo>")
	for _, kv := range [][2]string{
		{"accessibilityMode", "false"},
		{"currencySymbol", "$"},
		{"orgAttachmentFileSizeLimit", "5242880"},
		{"orgDefaultCurrencyIsoCode", "USD"},
		{"orgDisallowHtmlAttachments", "false"},
		{"orgHasPersonAccounts", "false"},
		{"organizationId", id18(id.orgID)},
		{"organizationMultiCurrency", "false"},
		{"organizationName", orgName},
		{"profileId", profileID},
	} {
		element(&b, kv[0], kv[1])
	}
	b.WriteString(`<roleId xsi:nil="true"/>`)
	element(&b, "sessionSecondsValid", strconv.FormatInt(int64(life/time.Second), 10))
	b.WriteString(`<userDefaultCurrencyIsoCode xsi:nil="true"/>`)
	for _, kv := range [][2]string{
		{"userEmail", email},
		{"userFullName", fullName},
		{"userId", id18(id.userID)},
		{"userLanguage", "en_US"},
		{"userLocale", "en_US"},
		{"userName", id.username},
		{"userTimeZone", "America/Los_Angeles"},
		{"userType", "Standard"},
		{"userUiSkin", "Theme3"},
	} {
		element(&b, kv[0], kv[1])
	}
	b.WriteString("</userInfo></result></loginResponse>")
	return b.String()
}

// element writes <name>text</name> with the text escaped.
func element(b *strings.Builder, name, text string) {
	b.WriteString("<" + name + ">")
	xml.EscapeText(b, []byte(text))
	b.WriteString("</" + name + ">")
}

// id18 is the 18-character form of a 15- or 18-character id.
func id18(id string) string {
	if v, err := policy.ID18(id); err == nil {
		return v
	}
	return id
}

// soapInternal answers a store error in a SOAP envelope, as internal does
// in JSON: the grant quota (429), a store outage to retry (503), else a
// logged server fault.
func (s *Server) soapInternal(w http.ResponseWriter, r *http.Request, api soapAPI, err error) {
	switch {
	case errors.Is(err, store.ErrQuota):
		writeSoapFault(w, api, serverFault("this live org reached its limit of grants; share the scenario again for a fresh live org").at(http.StatusTooManyRequests))
	case temporary(err):
		s.cfg.Logger.Warn("store unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", "1")
		writeSoapFault(w, api, serverFault("the store is temporarily unavailable; retry the request").at(http.StatusServiceUnavailable))
	default:
		s.cfg.Logger.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		writeSoapFault(w, api, serverFault("internal error"))
	}
}
