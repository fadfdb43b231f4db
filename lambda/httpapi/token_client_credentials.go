package httpapi

// tokenClientCredentials runs as the app's Run As user, in the app's org.
func (s *Server) tokenClientCredentials(t *tokenRequest) {
	app, ev := t.clientEvent("client_credentials")
	ev.Scope = t.scope()
	if org := t.o.sc.HomeOrg(app); org != nil {
		ev.Org = org.Name
	}
	user := ""
	if app != nil {
		user = app.OAuth.ClientCredentials.RunAs
	}
	s.direct(t, ev, user, ev.Org)
}
