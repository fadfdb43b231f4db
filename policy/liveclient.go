package policy

// What a developer needs to point a real OAuth client at the live org of a
// shared scenario: each app's client_id, secret and callbacks, and the
// users who can log in, with their passwords. The playground's share card
// shows it (the share link reads the scenario, secrets included); the live
// org's root page shows it without secrets.

// The credentials the live org accepts where the scenario sets none
// (lambda/httpapi: appSecret, checkLogin); scenarios never need real ones.
const (
	LiveDefaultSecret   = "correct"
	LiveDefaultPassword = "password"
)

// LiveClient lists a scenario's apps and users as a live org answers to them.
type LiveClient struct {
	Apps  []LiveClientApp  `json:"apps"`
	Users []LiveClientUser `json:"users"`
}

// LiveClientApp is one app as a client sees it.
type LiveClientApp struct {
	Name         string   `json:"name"`
	ClientID     string   `json:"clientId"`
	ClientSecret string   `json:"clientSecret,omitempty"`
	CallbackURLs []string `json:"callbackUrls"`
	Scopes       []string `json:"scopes"`
}

// LiveClientUser is one user of the live org's login page.
type LiveClientUser struct {
	Org      string `json:"org"`
	Username string `json:"username"`
	Password string `json:"password,omitempty"`
}

// LiveClient lists the apps and users of s; withSecrets adds each app's
// consumer secret and each user's password.
func (s *Scenario) LiveClient(withSecrets bool) LiveClient {
	out := LiveClient{Apps: []LiveClientApp{}, Users: []LiveClientUser{}}
	for i := range s.Apps {
		a := &s.Apps[i]
		app := LiveClientApp{Name: a.Name, ClientID: a.consumerKey(), CallbackURLs: nonNil(a.OAuth.CallbackURLs), Scopes: nonNil(a.OAuth.Scopes)}
		if withSecrets {
			app.ClientSecret = orDefault(a.OAuth.ConsumerSecret, LiveDefaultSecret)
		}
		out.Apps = append(out.Apps, app)
	}
	for i := range s.Orgs {
		for _, u := range s.Orgs[i].Users {
			lu := LiveClientUser{Org: s.Orgs[i].Name, Username: u.Username}
			if withSecrets {
				lu.Password = orDefault(u.Password, LiveDefaultPassword)
			}
			out.Users = append(out.Users, lu)
		}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
