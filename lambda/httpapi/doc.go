package httpapi

// How the live org works, and the choices made where the contract is silent.
//
// Decisions come from the engine. Each authorize and token request becomes
// a policy.Event and is evaluated by policy.EvaluateLive against the shared
// scenario, after the requests it depends on (the authorize request behind
// a code, the redemption and last refresh behind a refresh token), each at
// its own time, with the store's live approvals added to the users'
// approvedApps. The engine's outcome, error, error_description, status and
// channel are what the client gets. Credentials become correct, wrong or
// missing after a constant-time comparison here: the client secret with the
// app's consumerSecret (an app without one accepts the literal "correct"),
// the PKCE verifier's S256 with the stored challenge (and its length, when
// outside 43-128), the JWT assertion's RS256 signature with the app's
// certificate (valid or badSignature), its aud (the live org's issuer
// stands for the login host; none is "missing"), exp, nbf and iat as offsets
// from now, and whether it was presented before (jwt_replay.go), the login
// password with the user's password (a user without one accepts
// "password"), and for the username-password grant the password followed
// by the user's security token.
//
// The live org is the org's My Domain: every event is evaluated with host
// myDomain, so rules about login.salesforce.com do not apply. The caller's
// address is the fromIp of the username-password grant and SOAP login()
// only (profile login IP ranges, and the org's trusted IP ranges that spare
// the security token); other requests name none, so login IP ranges do not
// apply to them. A user is
// found by username across the scenario's orgs; requests without a user
// (client credentials, the checks before login) go to the first org where
// the app is installed, else its owner org, else the first org.
//
// Clock: a scenario with "now" runs at that time from the moment it was
// first shared, moving with the wall clock; without "now", at the wall
// clock. Timestamps clients check (issued_at, id token iat/exp, token
// expiry) use the wall clock.
//
// Modes (POST /api/scenarios?mode=salesforce|rfc; the mode is part of the
// share id, not of the scenario document): salesforce (default) answers as
// Salesforce does; rfc adds expires_in to token responses, answers 200 to
// revocation of unknown or revoked tokens (RFC 7009), answers
// invalid_client with 401 and WWW-Authenticate, keeps codes 10 minutes
// instead of 15, requires redirect_uri at the token endpoint, refuses a
// code_verifier for a code issued without a challenge (PKCE downgrade) or
// not of 43-128 unreserved characters (RFC 7636), a JWT assertion whose exp
// is more than 3 minutes (plus a minute of skew) ahead or that was presented
// before (RFC 7523 §3: by jti, or the same bytes without one), and http
// redirect URIs on any host but a loopback IP literal (RFC 8252 §8.3).
//
// Security: codes and tokens are 256 random bits, stored only as SHA-256
// hashes; a code is claimed atomically only after the engine accepted the
// request (client authentication, redirect_uri, PKCE), so a failed attempt
// does not burn it; a replayed code (or a lost race for one) revokes its
// grant, which hides every token of it. Refresh tokens rotate when the app
// says so; reusing a rotated-out token revokes the family (no grace window:
// the second of two concurrent refreshes is treated as reuse). Only S256
// PKCE challenges are accepted. Redirect URIs match exactly, except the port
// of a registered http://127.0.0.1 or http://[::1] callback (RFC 8252). No
// error is redirected before the client_id / redirect_uri pair is valid, and
// every other answer to a client's callback waits until the user has logged
// in. Every authorization response carries iss (RFC 9207). Login and
// approval forms carry a CSRF token bound to a signed, 10-minute flow
// cookie; a signed session cookie keeps the user logged in to that live org
// for two hours. POSTs are answered with 303.
//
// Device flow (device.go, token_device.go): POST /services/oauth2/token with
// response_type=device_code answers device_code, user_code,
// verification_uri ({issuer}/setup/connect) and interval 5, once the
// engine's device event passes the app's checks (else its denial, e.g.
// "device flow not enabled for this app"). The user enters the code at
// /setup/connect, logs in and allows or denies (same pages, CSRF and session
// cookies as the authorize flow); the first decision counts. Polling with
// grant_type=device&code= (or the RFC 8628 grant type with device_code=)
// answers 400 authorization_pending until then (RFC 8628's string;
// Salesforce's is UNCONFIRMED; slow_down is never sent), then the engine's
// answer to the device event with the user and the decision; granted, the
// device code is claimed once (a replay revokes its grant) and the tokens
// are issued as for the other grants. Device and user codes live 10
// minutes.
//
// Token exchange: grant_type=urn:ietf:params:oauth:grant-type:token-exchange
// with subject_token (subject_token_type access_token, when sent) and client
// authentication is the engine's token_exchange event for the subject
// token's user; it issues an access token (with RFC 8693's
// issued_token_type), no refresh token. A
// simplification: real Salesforce exchanges an external identity provider's
// token through an Apex handler (the strings are UNCONFIRMED); the live org
// accepts only its own, unexpired access tokens as the subject (any other:
// invalid_grant "invalid subject token").
//
// Password lockout: the store counts each user's wrong passwords in a row
// (store.Lockout, Setup → Password Policies). The login page checks it
// itself; the username-password grant and SOAP login() tell the engine
// whether the user is locked out (Event.LockedOut) and let it answer, then
// count the attempt as the engine read it (policy.PasswordChecked): a
// request refused before its password (a wrong client secret, a blocked
// flow) counts nothing. Frozen users and profile login hours are the
// engine's to decide, from the scenario and the simulated clock.
//
// SAML bearer: grant_type=urn:ietf:params:oauth:grant-type:saml2-bearer with
// a base64url (or base64) SAML 2.0 assertion is the engine's saml_bearer
// event, decided like JWT bearer: the Issuer is the client_id and the
// Subject's NameID the username. A simplification: the live org verifies no
// XML signature. A correct XML-DSig check needs exclusive XML
// canonicalization of the signed element, which encoding/xml cannot
// reproduce, and a verifier that accepted a forged assertion would be worse
// than none; so every assertion is told to the engine as badSignature, and
// the answer is Salesforce's to an assertion whose signature does not
// verify (invalid_grant "invalid assertion", after the engine's earlier
// checks such as an unknown issuer). A granted SAML bearer request can be
// explored in the playground.
//
// Not served: hybrid and headless flows, "Login As".
