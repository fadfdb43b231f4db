package policy

// The client_id must be a known consumer key. Keys are global, so an app
// defined in any org answers; an external client app must also be
// installed (or local) in the org.
var ruleClientKnown = rule{"client.known", docFlowErrors, func(r *request) verdict {
	if r.app == nil {
		because := "no connected app has consumer key " + quote(r.ev.ClientID)
		var fixes []Fix
		if len(r.s.Apps) > 0 {
			fixes = append(fixes, fix(ActorClient, "Send the app's consumer key as client_id", PatchOp{Op: "remove", Path: r.eventPath("/clientId")}))
		}
		return r.fail(because, r.eventPath("/clientId"), errInvalidClientID, descInvalidClientID, fixes...)
	}
	if r.app.isECA() && !r.manageable() {
		return r.fail("external client app "+r.app.Name+" is neither local to nor installed in "+r.org.Name+"; ECAs are closed by default",
			r.appPath("/kind"), errAppNotFound, descECANotInstalled,
			fix(ActorSubscriberAdmin, "Install external client app "+r.app.Name+" in "+r.org.Name, add(r.orgPath("/installedApps/-"), map[string]any{"app": r.app.Name})))
	}
	return pass("client_id is the consumer key of "+r.app.kindLabel()+" "+r.app.Name, r.appPath("/oauth/consumerKey"))
}}

// secretRequired says whether this grant must carry the consumer secret.
func (r *request) secretRequired() (bool, string) {
	switch r.ev.Grant {
	case "authorization_code":
		return r.app.requireSecretWebServer(), r.appPath("/oauth/requireSecretForWebServerFlow")
	case "refresh_token":
		return r.app.requireSecretRefresh(), r.appPath("/oauth/requireSecretForRefreshTokenFlow")
	case "password", "client_credentials":
		return true, ""
	case "token_exchange":
		return true, "" // "Require secret for token exchange" is on by default
	}
	return false, ""
}

// The consumer secret must match when required; a secret that is sent is
// validated even when it is optional.
var ruleClientSecret = rule{"client.secret", docMetadata, func(r *request) verdict {
	required, setting := r.secretRequired()
	got := credential(r.ev.ClientSecret, r.app.OAuth.ConsumerSecret)
	sendCorrect := fix(ActorClient, "Send the app's consumer secret", PatchOp{Op: "remove", Path: r.eventPath("/clientSecret")})
	switch {
	case got == "correct":
		return pass("client_secret matches the consumer secret", setting)
	case got == "wrong":
		return r.fail("client_secret does not match the consumer secret (a secret that is sent is always checked)", r.eventPath("/clientSecret"),
			errInvalidClient, descInvalidClientCreds, sendCorrect)
	case required:
		var fixes = []Fix{sendCorrect}
		if setting != "" {
			fixes = append(fixes, fix(ActorISVDeveloper, "Turn off the app's Require Secret setting for this flow (for a PKCE public client)", replace(setting, false)))
		}
		return r.fail("the app requires the consumer secret for this flow and none was sent", setting, errInvalidClient, descInvalidClientCreds, fixes...)
	}
	return pass("no client_secret sent and the app does not require one for this flow", setting)
}}

func quote(s string) string { return "\"" + s + "\"" }
