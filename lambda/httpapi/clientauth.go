package httpapi

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/caplab/caplab/policy"
)

// client is the client authentication of a token-endpoint request.
type client struct {
	id, secret string
	hasSecret  bool
	basic      bool
}

// clientCreds reads HTTP Basic credentials (each URL-decoded, as RFC 6749
// §2.3.1 and x/oauth2 encode them) or client_id / client_secret in the body.
// It returns an error description when the request is malformed.
func clientCreds(r *http.Request) (client, string) {
	var c client
	form := r.PostForm
	if _, _, ok := r.BasicAuth(); ok || strings.HasPrefix(r.Header.Get("Authorization"), "Basic ") {
		id, secret, ok := r.BasicAuth()
		if !ok {
			return c, "malformed Basic credentials"
		}
		var err1, err2 error
		c.id, err1 = url.QueryUnescape(id)
		c.secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			return c, "malformed Basic credentials"
		}
		c.basic, c.hasSecret = true, c.secret != ""
		if form.Has("client_secret") {
			return c, "client credentials sent both in the Authorization header and in the body"
		}
		if bid := form.Get("client_id"); bid != "" && bid != c.id {
			return c, "client_id in the body differs from the Authorization header"
		}
		return c, ""
	}
	c.id = form.Get("client_id")
	c.secret = form.Get("client_secret")
	c.hasSecret = c.secret != ""
	return c, ""
}

// clientID is the client_id for the engine: a stand-in that matches no app
// when none was sent.
func (c client) clientID() string {
	if c.id == "" {
		return missingClient
	}
	return c.id
}

// appSecret is the consumer secret the app accepts: its consumerSecret, or
// the literal "correct" for an app without one (scenarios never need a real
// secret).
func appSecret(app *policy.App) string {
	if app == nil {
		return ""
	}
	if app.OAuth.ConsumerSecret != "" {
		return app.OAuth.ConsumerSecret
	}
	return "correct"
}

// secretState compares the client's secret with the app's, in constant
// time: correct, wrong or missing, as the engine takes it.
func secretState(app *policy.App, c client) string {
	switch {
	case !c.hasSecret:
		return "missing"
	case app != nil && equalSecret(c.secret, appSecret(app)):
		return "correct"
	}
	return "wrong"
}
