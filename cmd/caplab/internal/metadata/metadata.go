// Package metadata imports a connected app's Metadata API XML (the
// NAME.connectedApp-meta.xml that `sf project retrieve` writes) into a
// scenario App for `caplab import-metadata`. It serves the CLI only, so it
// lives beside it: the engine (policy) and its browser build never link
// encoding/xml.
package metadata

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/caplab/caplab/policy"
)

// The XML is walked generically, so every element caplab does not model is
// reported rather than silently dropped.

// maxMetadataSize caps the input: a retrieved ConnectedApp is a few KB, and
// the cap bounds the work a hostile file can cause.
const maxMetadataSize = 1 << 20

// maxMetadataDepth caps element nesting; ConnectedApp nests three deep.
const maxMetadataDepth = 32

// metadataNamespace is the Metadata API's XML namespace.
const metadataNamespace = "http://soap.sforce.com/2006/04/metadata"

// ImportNote reports an element caplab does not model or a value it had to
// interpret. Field is the element path below ConnectedApp.
type ImportNote struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ImportedAccess lists the profiles and permission sets the app
// pre-authorizes (admin-approved apps); they belong to an org in a scenario,
// so they are returned beside the app rather than in it.
type ImportedAccess struct {
	Profiles       []string `json:"profiles,omitempty"`
	PermissionSets []string `json:"permissionSets,omitempty"`
}

// ImportResult is what ImportConnectedApp read.
type ImportResult struct {
	App    policy.App     `json:"app"`
	Access ImportedAccess `json:"access"`
	Notes  []ImportNote   `json:"notes"`
}

// ImportConnectedApp reads ConnectedApp Metadata API XML. name names the
// app when the XML has no <label> (the CLI passes the file name without
// .connectedApp-meta.xml).
func ImportConnectedApp(data []byte, name string) (ImportResult, error) {
	root, nsNote, err := parseMetadataXML(data)
	if err != nil {
		return ImportResult{}, err
	}
	im := &metaImporter{seen: map[string]bool{}}
	im.res.Notes = []ImportNote{}
	im.res.App.Kind = "connectedApp"
	if nsNote != "" {
		im.note("ConnectedApp", "%s", nsNote)
	}
	im.top(root)
	im.finish()
	if err := im.name(strings.TrimSpace(name)); err != nil {
		return ImportResult{}, err
	}
	return im.res, nil
}

// metaNode is one XML element: its local name, text and child elements.
type metaNode struct {
	name     string
	text     []byte
	children []*metaNode
}

// parseMetadataXML reads data into a tree rooted at <ConnectedApp>. A
// second result notes a missing or foreign namespace.
func parseMetadataXML(data []byte) (*metaNode, string, error) {
	if len(data) > maxMetadataSize {
		return nil, "", fmt.Errorf("metadata XML is %d bytes; the limit is %d (1 MiB)", len(data), maxMetadataSize)
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	var root *metaNode
	var nsNote string
	var stack []*metaNode
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, "", metadataSyntaxError(err)
		}
		line, _ := d.InputPos()
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, "", fmt.Errorf("metadata XML line %d: element <%s> after </ConnectedApp>; want one root element", line, t.Name.Local)
			}
			if len(stack) == maxMetadataDepth {
				return nil, "", fmt.Errorf("metadata XML line %d: elements nested more than %d deep", line, maxMetadataDepth)
			}
			n := &metaNode{name: t.Name.Local}
			if root == nil {
				if t.Name.Local != "ConnectedApp" {
					return nil, "", fmt.Errorf("metadata XML line %d: root element is <%s>; want <ConnectedApp> (a NAME.connectedApp-meta.xml file)", line, t.Name.Local)
				}
				nsNote = namespaceNote(t.Name.Space)
				root = n
			} else {
				top := stack[len(stack)-1]
				top.children = append(top.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				top.text = append(top.text, t...)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, "", fmt.Errorf("metadata XML line %d: text outside <ConnectedApp>", line)
			}
		case xml.Directive:
			// DOCTYPE could declare entities; a Metadata file never has one.
			return nil, "", fmt.Errorf("metadata XML line %d: <!%s> is not allowed in a Metadata API file", line, firstWord(string(t)))
		}
	}
	if root == nil {
		return nil, "", fmt.Errorf("metadata XML has no root element; want <ConnectedApp>")
	}
	return root, nsNote, nil
}

func metadataSyntaxError(err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("metadata XML line %d: %s", se.Line, se.Msg)
	}
	return fmt.Errorf("metadata XML: %w", err)
}

func namespaceNote(ns string) string {
	switch ns {
	case metadataNamespace:
		return ""
	case "":
		return "no xmlns: read as the Metadata API namespace " + metadataNamespace
	}
	return fmt.Sprintf("namespace %q is not the Metadata API's (%s): read anyway", ns, metadataNamespace)
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// Elements that exist in the ConnectedApp reference but that caplab does
// not model, by path, with what they are.
var metadataUnmodelled = map[string]string{
	"attributes":          "custom attributes",
	"canvas":              "canvas app settings",
	"canvasConfig":        "canvas app settings",
	"contactEmail":        "contact email",
	"contactPhone":        "contact phone",
	"description":         "description",
	"fullName":            "API name",
	"iconUrl":             "icon URL",
	"infoUrl":             "info URL",
	"ipRanges":            "the app's trusted IP ranges",
	"logoUrl":             "logo URL",
	"mobileAppConfig":     "mobile app settings",
	"mobileStartUrl":      "mobile start URL",
	"plugin":              "Apex plugin class",
	"pluginExecutionUser": "plugin execution user",
	"samlConfig":          "SAML single sign-on settings",
	"startUrl":            "start URL",

	"oauthConfig/assetTokenConfig":                 "asset token settings",
	"oauthConfig/idTokenConfig":                    "ID token settings",
	"oauthConfig/isCodeCredentialEnabled":          "Authorization Code and Credentials flow",
	"oauthConfig/isCodeCredentialPostOnly":         "Authorization Code and Credentials flow POST-only switch",
	"oauthConfig/isIntrospectAllTokens":            "Introspect All Tokens",
	"oauthConfig/isNamedUserJwtEnabled":            "JWT-based access tokens for named users",
	"oauthConfig/isSecretRequiredForTokenExchange": "secret required for token exchange",
	"oauthConfig/singleLogoutUrl":                  "single logout URL",

	"oauthPolicy/singleLogoutUrl": "single logout URL",
}

// metadataScopes maps ConnectedAppOauthAccessScope values to scope names.
// Besides the values of the reference and its WSDL it accepts CDPApi,
// ChatbotApi, Visualforce and MCP, spellings no source confirms, so that a
// newer file still imports.
var metadataScopes = map[string]string{
	"Api": "api", "Web": "web", "Full": "full",
	"RefreshToken": "refresh_token", "OfflineAccess": "offline_access",
	"OpenID": "openid", "Basic": "id",
	"Profile": "profile", "Email": "email", "Address": "address", "Phone": "phone",
	"Chatter": "chatter_api", "CustomPermissions": "custom_permissions",
	"CustomApplications": "visualforce", "Visualforce": "visualforce",
	"Wave": "wave_api", "Eclair": "eclair_api", "Pardot": "pardot_api",
	"Lightning": "lightning", "Content": "content",
	"CDPIngest": "cdp_ingest_api", "CDPProfile": "cdp_profile_api", "CDPQuery": "cdp_query_api",
	"CDP": "cdp_api", "CDPApi": "cdp_api",
	"Chatbot": "chatbot_api", "ChatbotApi": "chatbot_api",
	"SFAP": "sfap_api", "EinsteinGPT": "einstein_gpt_api",
	"Interaction": "interaction_api", "MCP": "mcp_api",
	"ForgotPassword": "forgot_password", "UserRegistration": "user_registration_api", "PwdlessLogin": "pwdless_login_api",
}

// metadataScopeNotes explain the scope values that are not one-to-one.
var metadataScopeNotes = map[string]string{
	"Basic":              `Basic read as "id": Salesforce's Basic grants the identity URL (id, profile, email, address, phone)`,
	"CustomApplications": `CustomApplications read as "visualforce" (access to custom applications such as Visualforce pages)`,
}

// metadataIPRelaxation maps ipRelaxation values (upper-cased) to policies.
var metadataIPRelaxation = map[string]string{
	"ENFORCE":              "enforce",
	"ENFORCE_RELAXREFRESH": "enforceRelaxRefresh",
	"BYPASS_2FACTOR":       "relaxForActivatedDevices",
	"BYPASS":               "relax",
}

// metadataRefreshUnits maps refresh token policy units to duration suffixes.
var metadataRefreshUnits = map[string]string{"HOURS": "h", "DAYS": "d", "MONTHS": "mo"}

// metaImporter accumulates the result while walking the tree.
type metaImporter struct {
	res  ImportResult
	seen map[string]bool // single-valued paths already read

	label         string
	adminApproved *bool
	adminPath     string

	// Read as found, resolved once the whole document is read because
	// the parts may come in any order.
	rtPolicy, rtPeriod, rtUnit           string
	sessionLevel, sessionAction, timeout string
}

func (im *metaImporter) note(field, format string, args ...any) {
	im.res.Notes = append(im.res.Notes, ImportNote{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (im *metaImporter) unmodelled(path string) {
	what, ok := metadataUnmodelled[path]
	if !ok {
		what = "unknown element"
	}
	im.note(path, "not modelled by caplab: %s", what)
}

// leaf returns the trimmed text of an element that must hold a value.
func (im *metaImporter) leaf(path string, n *metaNode) (string, bool) {
	if len(n.children) > 0 {
		im.note(path, "has child elements; want a plain value: skipped")
		return "", false
	}
	return strings.TrimSpace(string(n.text)), true
}

// single is leaf for an element that may appear once; repeats are skipped.
func (im *metaImporter) single(path string, n *metaNode) (string, bool) {
	if im.seen[path] {
		im.note(path, "repeated: the first value is used")
		return "", false
	}
	im.seen[path] = true
	return im.leaf(path, n)
}

func (im *metaImporter) str(path string, n *metaNode, dst *string) {
	if v, ok := im.single(path, n); ok {
		*dst = v
	}
}

// boolean reads xsd:boolean.
func (im *metaImporter) boolean(path string, n *metaNode) (value, ok bool) {
	v, ok := im.single(path, n)
	if !ok {
		return false, false
	}
	switch v {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	im.note(path, "%q is not true or false: skipped", v)
	return false, false
}

func (im *metaImporter) flag(path string, n *metaNode, dst *bool) {
	if v, ok := im.boolean(path, n); ok {
		*dst = v
	}
}

func (im *metaImporter) top(root *metaNode) {
	for _, c := range root.children {
		switch path := c.name; path {
		case "label":
			im.str(path, c, &im.label)
		case "oauthConfig":
			im.oauthConfig(c)
		case "oauthPolicy":
			im.oauthPolicy(c)
		case "sessionPolicy":
			im.sessionPolicy(c)
		case "profileName":
			im.accessName(path, c, &im.res.Access.Profiles)
		case "permissionSetName":
			im.accessName(path, c, &im.res.Access.PermissionSets)
		default:
			im.unmodelled(path)
		}
	}
}

func (im *metaImporter) oauthConfig(n *metaNode) {
	o := &im.res.App.OAuth
	for _, c := range n.children {
		switch path := "oauthConfig/" + c.name; c.name {
		case "callbackUrl":
			if v, ok := im.single(path, c); ok {
				o.CallbackURLs = im.callbacks(path, v)
			}
		case "consumerKey":
			im.str(path, c, &o.ConsumerKey)
		case "consumerSecret":
			im.str(path, c, &o.ConsumerSecret)
		case "certificate":
			im.str(path, c, &o.Certificate)
		case "scopes":
			im.scope(path, c)
		case "isAdminApproved":
			im.admin(path, c)
		case "isConsumerSecretOptional":
			// Inverse: "secret optional" false means the secret is required.
			if v, ok := im.boolean(path, c); ok {
				o.RequireSecretForWebServerFlow = new(!v)
			}
		case "isSecretRequiredForRefreshToken":
			if v, ok := im.boolean(path, c); ok {
				o.RequireSecretForRefreshTokenFlow = new(v)
			}
		case "isPkceRequired":
			im.flag(path, c, &o.RequirePkce)
		case "isClientCredentialEnabled":
			im.flag(path, c, &o.ClientCredentials.Enabled)
		case "oauthClientCredentialUser":
			im.str(path, c, &o.ClientCredentials.RunAs)
		case "isRefreshTokenRotationEnabled":
			im.flag(path, c, &o.RefreshTokenRotation)
		case "isTokenExchangeEnabled":
			im.flag(path, c, &o.TokenExchange)
		case "isDeviceFlowEnabled":
			im.flag(path, c, &o.DeviceFlow)
		default:
			im.unmodelled(path)
		}
	}
}

func (im *metaImporter) oauthPolicy(n *metaNode) {
	for _, c := range n.children {
		switch path := "oauthPolicy/" + c.name; c.name {
		case "ipRelaxation":
			if v, ok := im.single(path, c); ok {
				if p, known := metadataIPRelaxation[strings.ToUpper(v)]; known {
					im.res.App.Policies.IPRelaxation = p
				} else {
					im.note(path, "%q is not ENFORCE, ENFORCE_RELAXREFRESH, BYPASS_2FACTOR or BYPASS: skipped", v)
				}
			}
		case "refreshTokenPolicy":
			im.str(path, c, &im.rtPolicy)
		case "refreshTokenValidityPeriod":
			im.str(path, c, &im.rtPeriod)
		case "refreshTokenValidityUnit":
			im.str(path, c, &im.rtUnit)
		case "isAdminApproved":
			im.admin(path, c)
		case "profileName":
			im.accessName(path, c, &im.res.Access.Profiles)
		case "permissionSetName":
			im.accessName(path, c, &im.res.Access.PermissionSets)
		default:
			im.unmodelled(path)
		}
	}
}

func (im *metaImporter) sessionPolicy(n *metaNode) {
	for _, c := range n.children {
		switch path := "sessionPolicy/" + c.name; c.name {
		case "sessionTimeout":
			im.str(path, c, &im.timeout)
		case "sessionLevel":
			im.str(path, c, &im.sessionLevel)
		case "policyAction":
			im.str(path, c, &im.sessionAction)
		default:
			im.unmodelled(path)
		}
	}
}

// callbacks splits callbackUrl: one URL a line (Salesforce's separator).
func (im *metaImporter) callbacks(path, v string) []string {
	var urls []string
	for _, line := range strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == '\r' }) {
		u := strings.TrimSpace(line)
		switch {
		case u == "":
		case slices.Contains(urls, u):
			im.note(path, "%q is listed twice: kept once", u)
		default:
			urls = append(urls, u)
		}
	}
	return urls
}

func (im *metaImporter) scope(path string, n *metaNode) {
	v, ok := im.leaf(path, n)
	if !ok || v == "" {
		return
	}
	name, known := metadataScopes[v]
	if !known {
		im.note(path, "scope %q is not one caplab knows: skipped", v)
		return
	}
	if why := metadataScopeNotes[v]; why != "" {
		im.note(path, "%s", why)
	}
	if slices.Contains(im.res.App.OAuth.Scopes, name) {
		im.note(path, "%s (%q) is listed twice: kept once", v, name)
		return
	}
	im.res.App.OAuth.Scopes = append(im.res.App.OAuth.Scopes, name)
}

// admin reads isAdminApproved. The reference puts it in oauthConfig; it is
// accepted in oauthPolicy too, and the first one read wins.
func (im *metaImporter) admin(path string, n *metaNode) {
	if im.adminApproved != nil {
		im.note(path, "isAdminApproved already read from %s: skipped", im.adminPath)
		return
	}
	v, ok := im.boolean(path, n)
	if !ok {
		return
	}
	im.adminApproved, im.adminPath = &v, path
	im.res.App.Policies.PermittedUsers = "allSelfAuthorize"
	if v {
		im.res.App.Policies.PermittedUsers = "adminApproved"
	}
}

// accessName reads one profileName or permissionSetName.
func (im *metaImporter) accessName(path string, n *metaNode, dst *[]string) {
	v, ok := im.leaf(path, n)
	switch {
	case !ok:
	case v == "":
		im.note(path, "empty: on deploy it removes all of them; nothing imported")
	case slices.Contains(*dst, v):
		im.note(path, "%q is listed twice: kept once", v)
	default:
		*dst = append(*dst, v)
	}
}

// finish resolves the values whose parts may come in any order.
func (im *metaImporter) finish() {
	im.refreshTokenPolicy()
	im.sessionTimeout()
	im.highAssurance()
	o := im.res.App.OAuth.ClientCredentials
	if o.Enabled && o.RunAs == "" {
		im.note("oauthConfig/isClientCredentialEnabled", "client credentials enabled without oauthClientCredentialUser: set clientCredentials.runAs for the flow to work")
	}
	a := im.res.Access
	if (len(a.Profiles) > 0 || len(a.PermissionSets) > 0) && (im.adminApproved == nil || !*im.adminApproved) {
		im.note("profileName", "profiles and permission sets pre-authorize users only when isAdminApproved is true; listed in access anyway")
	}
}

// refreshTokenPolicy reads infinite, zero, or specific_inactivity /
// specific_lifetime with :N:UNIT (the reference's form) or with separate
// refreshTokenValidityPeriod and refreshTokenValidityUnit elements.
func (im *metaImporter) refreshTokenPolicy() {
	const path = "oauthPolicy/refreshTokenPolicy"
	if im.rtPolicy == "" {
		if im.rtPeriod != "" || im.rtUnit != "" {
			im.note("oauthPolicy/refreshTokenValidityPeriod", "validity period without refreshTokenPolicy: skipped")
		}
		return
	}
	kind, rest, hasRest := strings.Cut(im.rtPolicy, ":")
	period, unit := im.rtPeriod, im.rtUnit
	if hasRest {
		period, unit, _ = strings.Cut(rest, ":")
	}
	policies := &im.res.App.Policies
	switch strings.ToLower(kind) {
	case "infinite":
		policies.RefreshTokenPolicy = "validUntilRevoked"
		return
	case "zero", "immediately":
		policies.RefreshTokenPolicy = "immediatelyExpire"
		return
	case "specific_inactivity":
		kind = "expireIfNotUsedFor"
	case "specific_lifetime":
		kind = "expireAfter"
	default:
		im.note(path, "%q is not infinite, zero, specific_inactivity or specific_lifetime: skipped", im.rtPolicy)
		return
	}
	n, err := strconv.Atoi(strings.TrimSpace(period))
	suffix, known := metadataRefreshUnits[strings.ToUpper(strings.TrimSpace(unit))]
	if err != nil || n <= 0 || !known {
		im.note(path, "%q: want a positive number and HOURS, DAYS or MONTHS, e.g. specific_inactivity:30:DAYS: skipped", im.rtPolicy)
		return
	}
	if !hasRest {
		im.note(path, "%s assembled from refreshTokenValidityPeriod %d and refreshTokenValidityUnit %s", im.rtPolicy, n, unit)
	}
	if suffix == "mo" {
		im.note(path, "months counted as 30 days")
	}
	policies.RefreshTokenPolicy = kind + ":" + strconv.Itoa(n) + suffix
}

// sessionTimeout reads minutes (the reference's int) or names such as
// Minutes15 and Hours2.
func (im *metaImporter) sessionTimeout() {
	const path = "sessionPolicy/sessionTimeout"
	v := im.timeout
	if v == "" {
		return
	}
	minutes, err := strconv.Atoi(v)
	for _, u := range []struct {
		prefix string
		per    int
	}{{"Minutes", 1}, {"Hours", 60}} {
		if n, ok := strings.CutPrefix(v, u.prefix); ok && err != nil {
			if k, err2 := strconv.Atoi(n); err2 == nil {
				minutes, err = k*u.per, nil
			}
		}
	}
	if err != nil || minutes <= 0 {
		im.note(path, "%q is not a number of minutes: skipped", v)
		return
	}
	if minutes%60 == 0 {
		im.res.App.Policies.SessionTimeout = strconv.Itoa(minutes/60) + "h"
	} else {
		im.res.App.Policies.SessionTimeout = strconv.Itoa(minutes) + "m"
	}
}

// highAssurance reads sessionLevel and policyAction: the action applies
// only to a HIGH_ASSURANCE session level.
func (im *metaImporter) highAssurance() {
	level, action := strings.ToUpper(im.sessionLevel), im.sessionAction
	switch level {
	case "HIGH_ASSURANCE":
	case "", "STANDARD":
		if action != "" {
			im.note("sessionPolicy/policyAction", "%s ignored: it applies only when sessionLevel is HIGH_ASSURANCE", action)
		}
		return
	default:
		im.note("sessionPolicy/sessionLevel", "%q is not HIGH_ASSURANCE or STANDARD: skipped", im.sessionLevel)
		return
	}
	switch strings.ToLower(action) {
	case "block":
		im.res.App.Policies.HighAssurance = "block"
	case "raisesessionlevel":
		im.res.App.Policies.HighAssurance = "raiseSessionLevel"
	case "":
		im.note("sessionPolicy/policyAction", "HIGH_ASSURANCE without policyAction: read as RaiseSessionLevel")
		im.res.App.Policies.HighAssurance = "raiseSessionLevel"
	default:
		im.note("sessionPolicy/policyAction", "%q is not Block or RaiseSessionLevel: skipped", action)
	}
}

// name names the app from <label>, else from the caller's name.
func (im *metaImporter) name(fallback string) error {
	if im.label != "" {
		im.res.App.Name = im.label
		return nil
	}
	if fallback == "" {
		return fmt.Errorf("metadata XML has no <label> and no name was given: the app needs a name")
	}
	im.res.App.Name = fallback
	im.note("label", "no <label>: the app is named %q", fallback)
	return nil
}
