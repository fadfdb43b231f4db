package httpapi

import (
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/caplab/caplab/policy"
)

// The identity URL (/id/{orgId}/{userId}) and the OIDC UserInfo endpoint,
// with the fields Salesforce returns (user names from the scenario, the
// locale settings every live org user shares).

// handleUserinfo is the OIDC UserInfo endpoint.
func (s *Server) handleUserinfo(w http.ResponseWriter, r *http.Request, o *liveOrg) {
	a, ok := s.accessOr401(w, r, o)
	if !ok {
		return
	}
	p := s.person(o, a)
	m := map[string]any{
		"sub": s.idURL(o, a.id), "user_id": a.id.userID, "organization_id": a.id.orgID,
		"preferred_username": a.grant.User, "nickname": p.nick, "name": p.name,
		"given_name": p.first, "family_name": p.last, "zoneinfo": policy.UserTimeZone,
		"photos": p.photos, "profile": p.profile, "picture": p.photos["picture"], "address": map[string]string{},
		"urls": s.identityURLs(o, a, ""), "active": p.active, "user_type": "STANDARD",
		"language": policy.UserLanguage, "locale": policy.UserLocale, "utcOffset": p.utcOffset,
		"updated_at": p.modified, "is_app_installed": true,
	}
	if p.email != "" {
		m["email"], m["email_verified"] = p.email, true
	}
	noStore(w)
	writeJSON(w, http.StatusOK, m)
}

// handleIdentity is the identity service /id/{orgId}/{userId}. The token
// comes in the Authorization header or, as Salesforce also takes it, in
// an oauth_token parameter (query, or form body on POST); ?version=
// replaces {version} in the URLs.
func (s *Server) handleIdentity(w http.ResponseWriter, r *http.Request, o *liveOrg) {
	token := bearer(r)
	if token == "" && r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		_ = r.ParseForm() // a bad body leaves no token: 401 below
		token = r.PostForm.Get("oauth_token")
	}
	if token == "" {
		token = r.URL.Query().Get("oauth_token")
	}
	a, ok := s.sessionOr401(w, r, o, token)
	if !ok {
		return
	}
	noStore(w)
	if r.PathValue("orgId") != a.id.orgID || r.PathValue("userId") != a.id.userID {
		writeJSON(w, http.StatusForbidden, []map[string]string{{"message": "Bad_Id", "errorCode": "FORBIDDEN"}})
		return
	}
	version := r.URL.Query().Get("version")
	if version == "latest" {
		version = policy.FormatAPIVersion(policy.CurrentAPIVersion(o.sim(s.cfg.Now())))
	}
	if !versionValue.MatchString(version) {
		version = ""
	}
	p := s.person(o, a)
	m := map[string]any{
		"id": s.idURL(o, a.id), "asserted_user": true, "user_id": a.id.userID, "organization_id": a.id.orgID,
		"username": a.grant.User, "nick_name": p.nick, "display_name": p.name, "email": p.email, "email_verified": p.email != "",
		"first_name": p.first, "last_name": p.last, "timezone": policy.UserTimeZone, "photos": p.photos,
		"addr_street": nil, "addr_city": nil, "addr_state": nil, "addr_country": nil, "addr_zip": nil,
		"mobile_phone": nil, "mobile_phone_verified": false, "is_lightning_login_user": false,
		"status": map[string]any{"created_date": nil, "body": nil},
		"urls":   s.identityURLs(o, a, version), "active": p.active, "user_type": "STANDARD",
		"language": policy.UserLanguage, "locale": policy.UserLocale, "utcOffset": p.utcOffset,
		"last_modified_date": p.modified, "is_app_installed": true,
	}
	writeJSON(w, http.StatusOK, m)
}

// versionValue is an API version as ?version= may give it.
var versionValue = regexp.MustCompile(`^[0-9]{1,4}\.0$`)

// person is what the identity responses say of a user.
type person struct {
	first, last, name, nick, email, profile, modified string
	active                                            bool
	utcOffset                                         int64 // milliseconds
	photos                                            map[string]string
}

func (s *Server) person(o *liveOrg, a accessSession) person {
	p := person{last: a.grant.User, name: a.grant.User}
	p.nick, _, _ = strings.Cut(a.grant.User, "@")
	if u := a.id.user; u != nil {
		p.first, p.last = u.Names()
		p.name = u.FullName()
		p.active = u.IsActive()
	}
	if strings.Contains(a.grant.User, "@") {
		p.email = a.grant.User
	}
	p.profile = o.issuer() + "/" + a.id.userID
	p.photos = map[string]string{"picture": o.issuer() + "/profilephoto/005/F", "thumbnail": o.issuer() + "/profilephoto/005/T"}
	p.utcOffset = policy.UTCOffset(o.sim(s.cfg.Now())).Milliseconds()
	modified := time.Time{}
	if a.id.org != nil {
		modified = a.id.org.Created()
	}
	p.modified = sfTime(modified)
	return p
}

// identityURLs are the API endpoints of the user's org, with {version}
// left for the client to fill in (or version, when the request gave one).
func (s *Server) identityURLs(o *liveOrg, a accessSession, version string) map[string]string {
	v := "{version}"
	if version != "" {
		v = version
	}
	base := o.issuer()
	org15 := a.id.orgID
	if len(org15) > 15 {
		org15 = org15[:15]
	}
	data := base + "/services/data/v" + v
	return map[string]string{
		"enterprise": base + "/services/Soap/c/" + v + "/" + org15, "metadata": base + "/services/Soap/m/" + v + "/" + org15,
		"partner": base + "/services/Soap/u/" + v + "/" + org15, "rest": data + "/", "sobjects": data + "/sobjects/",
		"search": data + "/search/", "query": data + "/query/", "recent": data + "/recent/",
		"tooling_soap": base + "/services/Soap/T/" + v + "/" + org15, "tooling_rest": data + "/tooling/",
		"profile": base + "/" + a.id.userID, "feeds": data + "/chatter/feeds", "groups": data + "/chatter/groups",
		"users": data + "/chatter/users", "feed_items": data + "/chatter/feed-items", "feed_elements": data + "/chatter/feed-elements",
		"custom_domain": base,
	}
}

// sfTime is a time as Salesforce's REST API writes it.
func sfTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000+0000") }
