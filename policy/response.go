package policy

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

// How an answer reads on the wire: the success or denial response in the
// channel the event's result names.

// successResponse renders the granted answer as the client sees it.
func (r *request) successResponse(a *artefact) *Response {
	switch {
	case a.code != nil:
		q := query{"code": r.token("code")}
		if r.ev.State != "" {
			q["state"] = r.ev.State
		}
		return &Response{Location: withParams(r.redirectURI, "?", q)}
	case a.access != nil:
		fields := r.tokenFields(a)
		if r.ev.Do == "authorize" {
			q := query{}
			for _, f := range fields {
				q[f[0]] = f[1]
			}
			if r.ev.State != "" {
				q["state"] = r.ev.State
			}
			return &Response{Location: withParams(r.redirectURI, "#", q)}
		}
		return &Response{Body: jsonObject(fields)}
	}
	return nil
}

// tokenFields is the token endpoint's success JSON in Salesforce's field
// order (all values strings, as Salesforce sends them). The signature is
// computed with the real secret by the live server; here it is a placeholder.
func (r *request) tokenFields(a *artefact) [][2]string {
	f := [][2]string{{"access_token", r.token("access")}}
	if a.refresh != nil && !a.keptRefresh {
		f = append(f, [2]string{"refresh_token", r.token("refresh")})
	}
	if !r.bearer() {
		f = append(f, [2]string{"signature", "<base64 HMAC-SHA256(client_secret, id + issued_at)>"})
	}
	f = append(f, [2]string{"scope", strings.Join(a.access.scopes, " ")})
	if r.res.Issued.IDToken {
		f = append(f, [2]string{"id_token", "<RS256 JWT>"})
	}
	f = append(f, [2]string{"instance_url", "https://" + r.org.myDomainHost()}, [2]string{"id", r.identityURL()}, [2]string{"token_type", "Bearer"})
	if !r.bearer() {
		f = append(f, [2]string{"issued_at", strconv.FormatInt(r.now.UnixMilli(), 10)})
	}
	return f
}

// jsonObject writes ordered string fields as an indented JSON object.
func jsonObject(fields [][2]string) string {
	var b strings.Builder
	b.Grow(64 * len(fields))
	b.WriteString("{")
	for i, f := range fields {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n  ")
		writeJSONString(&b, f[0])
		b.WriteString(": ")
		writeJSONString(&b, f[1])
	}
	b.WriteString("\n}")
	return b.String()
}

// writeJSONString writes s as a JSON string, escaping what JSON requires
// (and <, >, & as encoding/json does).
func writeJSONString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			b.WriteString("\\u00")
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

// query is the parameters of a URL's query or fragment, one value each.
type query map[string]string

// encode is url.Values.Encode: keys sorted, keys and values escaped.
func (q query) encode() string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sortStrings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(q[k]))
	}
	return b.String()
}

func withParams(base, sep string, q query) string {
	if sep == "?" && strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + q.encode()
}

// denialResponse renders a denial in its channel.
func (r *request) denialResponse() *Response {
	if r.quiet {
		return nil
	}
	res := r.res
	switch res.Delivery {
	case DeliverRedirect, DeliverRedirectFragment:
		q := query{"error": res.Error, "error_description": res.ErrorDescription}
		if r.ev.State != "" {
			q["state"] = r.ev.State
		}
		sep := "?"
		if res.Delivery == DeliverRedirectFragment {
			sep = "#"
		}
		return &Response{Location: withParams(r.redirectURI, sep, q)}
	case DeliverErrorPage:
		switch res.Error {
		case errInsufficientPrivs:
			return &Response{Body: "Insufficient Privileges\n" + res.ErrorDescription}
		case errLoginFailed:
			return &Response{Location: r.hostURL() + "/", Body: res.ErrorDescription}
		case errInvalidRequest:
			return &Response{Body: "error=" + res.Error + "&error_description=" + url.QueryEscape(res.ErrorDescription)}
		}
		q := query{"error": res.Error, "error_description": res.ErrorDescription}
		host := r.hostURL()
		if r.org != nil && (r.host() == "login" || r.host() == "test") {
			host = "https://" + r.org.myDomainHost()
		}
		return &Response{Location: host + "/setup/secur/RemoteAccessErrorPage.apexp?" + q.encode(),
			Body: "We can't authorize you because of an OAuth error. For more information, contact your Salesforce administrator.\n" +
				oauthApprovalErrorGeneric + " : " + oauthApprovalErrorGenericText}
	case DeliverJSON:
		if res.HTTPStatus == 401 || res.HTTPStatus == 403 {
			b, _ := json.Marshal([]map[string]string{{"message": res.ErrorDescription, "errorCode": res.Error}})
			return &Response{Body: string(b)}
		}
		b, _ := json.Marshal(map[string]string{"error": res.Error, "error_description": res.ErrorDescription})
		return &Response{Body: string(b)}
	case DeliverSoapFault:
		return &Response{Body: `<soapenv:Fault><faultcode>sf:` + res.Error + `</faultcode><faultstring>` + res.Error + `: ` + res.ErrorDescription + `</faultstring></soapenv:Fault>`}
	}
	return nil
}
