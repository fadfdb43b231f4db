package policy

// Scenario is the scenario document, version 1: orgs, apps and a timeline of
// events. Field names are a stable contract: extend, never rename. Every
// field is described in docs/scenario.md (TestScenarioDocMatchesTypes).
type Scenario struct {
	SchemaVersion int     `json:"schemaVersion" validate:"eq=1"`
	Title         string  `json:"title,omitempty" validate:"max=200"`
	Lesson        string  `json:"lesson,omitempty" validate:"max=4000"`
	Now           string  `json:"now,omitempty" validate:"omitempty,timestamp"`
	Orgs          []Org   `json:"orgs" validate:"required,min=1,max=20,dive"`
	Apps          []App   `json:"apps,omitempty" validate:"max=20,dive"`
	Events        []Event `json:"events" validate:"max=500,dive"`
}

// Org is one Salesforce org: settings, profiles, permission sets, users and
// the connected apps installed in it.
type Org struct {
	Name           string          `json:"name" validate:"required,max=80"`
	ID             string          `json:"id,omitempty" validate:"omitempty,sfid=00D"`
	Type           string          `json:"type,omitempty" validate:"omitempty,oneof=production sandbox developer scratch"`
	MyDomain       string          `json:"myDomain,omitempty" validate:"omitempty,mydomain"`
	CreatedAt      string          `json:"createdAt,omitempty" validate:"omitempty,date"`
	Settings       OrgSettings     `json:"settings,omitzero"`
	Profiles       []Profile       `json:"profiles,omitempty" validate:"max=50,dive"`
	PermissionSets []PermissionSet `json:"permissionSets,omitempty" validate:"max=50,dive"`
	Users          []User          `json:"users,omitempty" validate:"max=100,dive"`
	InstalledApps  []InstalledApp  `json:"installedApps,omitempty" validate:"max=20,dive"`

	// ExperienceSites are the org's Experience Cloud site URLs: a JWT
	// bearer assertion may name one as its aud.
	ExperienceSites []string `json:"experienceSites,omitempty" validate:"max=20,dive,site"`

	// PermissionSetGroups are Setup → Permission Set Groups: a user
	// assigned to one holds the permissions and connected apps of its
	// permission sets, less what its muting permission set mutes.
	PermissionSetGroups []PermissionSetGroup `json:"permissionSetGroups,omitempty" validate:"max=50,dive"`
	// TimeZone is the org's Default Time Zone (Setup → Company
	// Information), in which profiles' login hours are read, as a UTC
	// offset such as "-08:00" (no daylight saving: the browser build has
	// no time zone database). Omitted: UTC.
	TimeZone string `json:"timeZone,omitempty" validate:"omitempty,utcoffset"`
}

// OrgSettings are Setup → OAuth and OpenID Connect Settings, Session
// Settings and User Interface switches. Nil means "the default for the org's
// creation date".
type OrgSettings struct {
	AllowUsernamePasswordFlows     *bool          `json:"allowUsernamePasswordFlows,omitempty"`
	AllowUserAgentFlows            *bool          `json:"allowUserAgentFlows,omitempty"`
	RequirePkce                    *bool          `json:"requirePkce,omitempty"`
	APIAccessControl               *bool          `json:"apiAccessControl,omitempty"`
	SoapAPILogin                   *bool          `json:"soapApiLogin,omitempty"`
	SoapLoginRequiresUseAnyAPIAuth *bool          `json:"soapLoginRequiresUseAnyApiAuth,omitempty"`
	SessionTimeout                 string         `json:"sessionTimeout,omitempty" validate:"omitempty,duration"`
	PasswordPolicy                 PasswordPolicy `json:"passwordPolicy,omitzero"`
	// TrustedIPRanges are Setup → Network Access: from inside them the
	// username-password flow and SOAP login() need no security token.
	TrustedIPRanges []IPRange `json:"trustedIpRanges,omitempty" validate:"max=50,dive"`
}

// PasswordPolicy is Setup → Password Policies, the lockout part: after
// MaxInvalidLoginAttempts wrong passwords in a row (3, 5, 10 or noLimit;
// default 10) the user is locked out for LockoutPeriod (15m, 30m, 60m or
// forever, which lasts until an admin unlocks; default 15m).
type PasswordPolicy struct {
	MaxInvalidLoginAttempts string `json:"maxInvalidLoginAttempts,omitempty" validate:"omitempty,oneof=3 5 10 noLimit"`
	LockoutPeriod           string `json:"lockoutPeriod,omitempty" validate:"omitempty,oneof=15m 30m 60m forever"`
}

// Profile carries permissions, login IP ranges and Connected App Access.
type Profile struct {
	Name           string    `json:"name" validate:"required,max=80"`
	Permissions    []string  `json:"permissions,omitempty" validate:"max=50,dive,permission"`
	LoginIPRanges  []IPRange `json:"loginIpRanges,omitempty" validate:"max=50,dive"`
	ConnectedApps  []string  `json:"connectedApps,omitempty" validate:"max=50,dive,required"`
	SessionTimeout string    `json:"sessionTimeout,omitempty" validate:"omitempty,duration"`
	// LoginHours are the profile's Login Hours, in the org's time zone.
	LoginHours *LoginHours `json:"loginHours,omitempty"`
}

// LoginHours are a profile's Login Hours: per weekday, when its users may
// log in. A day left out has no restriction; a day whose start equals its
// end allows no login (Salesforce's way to block a day).
type LoginHours struct {
	Monday    *HoursSpan `json:"monday,omitempty"`
	Tuesday   *HoursSpan `json:"tuesday,omitempty"`
	Wednesday *HoursSpan `json:"wednesday,omitempty"`
	Thursday  *HoursSpan `json:"thursday,omitempty"`
	Friday    *HoursSpan `json:"friday,omitempty"`
	Saturday  *HoursSpan `json:"saturday,omitempty"`
	Sunday    *HoursSpan `json:"sunday,omitempty"`
}

// HoursSpan is one day's login hours: from start up to (not including)
// end, each "HH:MM" (end may be "24:00", the end of the day).
type HoursSpan struct {
	Start string `json:"start" validate:"required,clock"`
	End   string `json:"end" validate:"required,clock"`
}

// IPRange is an inclusive IPv4 or IPv6 range.
type IPRange struct {
	Start string `json:"start" validate:"required,ip"`
	End   string `json:"end" validate:"required,ip"`
}

// PermissionSet carries permissions and Assigned Connected Apps.
type PermissionSet struct {
	Name          string   `json:"name" validate:"required,max=80"`
	Permissions   []string `json:"permissions,omitempty" validate:"max=50,dive,permission"`
	ConnectedApps []string `json:"connectedApps,omitempty" validate:"max=50,dive,required"`
}

// PermissionSetGroup bundles permission sets (Setup → Permission Set
// Groups). Its muting permission set disables permissions and connected
// apps for the group's users only, not for users assigned the same
// permission set directly.
type PermissionSetGroup struct {
	Name                string               `json:"name" validate:"required,max=80"`
	PermissionSets      []string             `json:"permissionSets,omitempty" validate:"max=50,dive,required"`
	MutingPermissionSet *MutingPermissionSet `json:"mutingPermissionSet,omitempty"`
}

// MutingPermissionSet is what a permission set group mutes.
type MutingPermissionSet struct {
	Permissions   []string `json:"permissions,omitempty" validate:"max=50,dive,permission"`
	ConnectedApps []string `json:"connectedApps,omitempty" validate:"max=50,dive,required"`
}

// User is one user of an org. Credentials are synthetic: events say
// correct/wrong/missing or give a literal compared with these.
type User struct {
	Username       string   `json:"username" validate:"required,max=80"`
	ID             string   `json:"id,omitempty" validate:"omitempty,sfid=005"`
	Profile        string   `json:"profile,omitempty" validate:"max=80"`
	PermissionSets []string `json:"permissionSets,omitempty" validate:"max=50,dive,required"`
	Active         *bool    `json:"active,omitempty"`
	HasPassword    *bool    `json:"hasPassword,omitempty"`
	Password       string   `json:"password,omitempty" validate:"max=200"`
	SecurityToken  string   `json:"securityToken,omitempty" validate:"max=200"`
	ApprovedApps   []string `json:"approvedApps,omitempty" validate:"max=50,dive,required"`

	// FirstName and LastName are the user's names as the live org's User
	// records, identity URL and userinfo show them (Salesforce's limits:
	// 40 and 80 characters); without a last name the username's local part
	// stands in.
	FirstName string `json:"firstName,omitempty" validate:"max=40"`
	LastName  string `json:"lastName,omitempty" validate:"max=80"`

	// PermissionSetGroups are the user's Permission Set Group Assignments.
	PermissionSetGroups []string `json:"permissionSetGroups,omitempty" validate:"max=50,dive,required"`
	// Frozen is the user's Freeze button (UserLogin.IsFrozen): a frozen
	// user can't log in until an admin unfreezes them.
	Frozen bool `json:"frozen,omitempty"`
}

// InstalledApp is a connected app installed in an org, with the policies
// the org's admin set (Manage → Edit Policies) and its block state.
type InstalledApp struct {
	App      string   `json:"app" validate:"required"`
	Policies Policies `json:"policies,omitzero"`
	Blocked  bool     `json:"blocked,omitempty"`
}

// App is a Connected App or External Client App definition.
type App struct {
	Name         string      `json:"name" validate:"required,max=80"`
	Kind         string      `json:"kind,omitempty" validate:"omitempty,oneof=connectedApp externalClientApp"`
	OwnerOrg     string      `json:"ownerOrg,omitempty" validate:"max=80"`
	AppID        string      `json:"appId,omitempty" validate:"omitempty,sfid=0Ci"`
	Distribution string      `json:"distribution,omitempty" validate:"omitempty,oneof=none managedPackage unmanagedPackage local packaged"`
	OAuth        OAuthConfig `json:"oauth,omitzero"`
	Policies     Policies    `json:"policies,omitzero"`
}

// OAuthConfig mirrors "Enable OAuth Settings" on the app.
type OAuthConfig struct {
	ConsumerKey                      string            `json:"consumerKey,omitempty" validate:"max=256"`
	ConsumerSecret                   string            `json:"consumerSecret,omitempty" validate:"max=256"`
	CallbackURLs                     []string          `json:"callbackUrls,omitempty" validate:"max=50,dive,callback"`
	Scopes                           []string          `json:"scopes,omitempty" validate:"max=50,dive,scope"`
	Certificate                      string            `json:"certificate,omitempty" validate:"max=8192"`
	RequireSecretForWebServerFlow    *bool             `json:"requireSecretForWebServerFlow,omitempty"`
	RequireSecretForRefreshTokenFlow *bool             `json:"requireSecretForRefreshTokenFlow,omitempty"`
	RequirePkce                      bool              `json:"requirePkce,omitempty"`
	ClientCredentials                ClientCredentials `json:"clientCredentials,omitzero"`
	DeviceFlow                       bool              `json:"deviceFlow,omitempty"`
	TokenExchange                    bool              `json:"tokenExchange,omitempty"`
	RefreshTokenRotation             bool              `json:"refreshTokenRotation,omitempty"`
}

// ClientCredentials is "Enable Client Credentials Flow" with its Run As user.
type ClientCredentials struct {
	Enabled bool   `json:"enabled,omitempty"`
	RunAs   string `json:"runAs,omitempty" validate:"max=80"`
}

// Policies are the app's OAuth policies (Manage → Edit Policies). Empty
// fields take Salesforce's defaults.
type Policies struct {
	PermittedUsers     string `json:"permittedUsers,omitempty" validate:"omitempty,oneof=allSelfAuthorize adminApproved"`
	IPRelaxation       string `json:"ipRelaxation,omitempty" validate:"omitempty,oneof=enforce enforceRelaxRefresh relaxForActivatedDevices relax"`
	RefreshTokenPolicy string `json:"refreshTokenPolicy,omitempty" validate:"omitempty,rtpolicy"`
	SessionTimeout     string `json:"sessionTimeout,omitempty" validate:"omitempty,duration"`
	HighAssurance      string `json:"highAssurance,omitempty" validate:"omitempty,oneof=none block raiseSessionLevel"`
}

// Event is one step of the timeline. Each kind reads the fields that apply.
type Event struct {
	ID                  string    `json:"id,omitempty" validate:"max=64"`
	Do                  string    `json:"do" validate:"required,oneof=authorize token revoke api wait admin outboundMessage visualforceSession soapLogin"`
	Flow                string    `json:"flow,omitempty" validate:"omitempty,oneof=webServer userAgent"`
	Grant               string    `json:"grant,omitempty" validate:"omitempty,oneof=authorization_code refresh_token password jwt_bearer saml_bearer client_credentials device token_exchange"`
	Org                 string    `json:"org,omitempty" validate:"max=80"`
	App                 string    `json:"app,omitempty" validate:"max=80"`
	User                string    `json:"user,omitempty" validate:"max=80"`
	Host                string    `json:"host,omitempty" validate:"omitempty,host"`
	ClientID            string    `json:"clientId,omitempty" validate:"max=256"`
	RedirectURI         *string   `json:"redirectUri,omitempty" validate:"omitempty,max=2000"`
	Scope               *string   `json:"scope,omitempty" validate:"omitempty,max=1000"`
	State               string    `json:"state,omitempty" validate:"max=2000"`
	Consent             string    `json:"consent,omitempty" validate:"omitempty,oneof=allow deny"`
	Immediate           bool      `json:"immediate,omitempty"`
	PKCE                *bool     `json:"pkce,omitempty"`
	CodeChallengeMethod string    `json:"codeChallengeMethod,omitempty" validate:"omitempty,oneof=S256 plain"`
	LoginAs             bool      `json:"loginAs,omitempty"`
	FromIP              string    `json:"fromIp,omitempty" validate:"omitempty,ip"`
	ClientSecret        string    `json:"clientSecret,omitempty" validate:"max=256"`
	CodeVerifier        string    `json:"codeVerifier,omitempty" validate:"max=256"`
	Password            string    `json:"password,omitempty" validate:"max=256"`
	SecurityToken       string    `json:"securityToken,omitempty" validate:"max=256"`
	Aud                 string    `json:"aud,omitempty" validate:"max=500"`
	Assertion           string    `json:"assertion,omitempty" validate:"omitempty,oneof=valid badSignature expired"`
	Use                 string    `json:"use,omitempty" validate:"max=64"`
	Token               string    `json:"token,omitempty" validate:"omitempty,oneof=access refresh"`
	For                 string    `json:"for,omitempty" validate:"omitempty,duration"`
	Action              string    `json:"action,omitempty" validate:"omitempty,oneof=installApp uninstallApp blockApp unblockApp setPolicy assignPermissionSet removePermissionSet revokeApp deactivateUser activateUser resetPassword changePassword freezeUser unfreezeUser unlockUser assignPermissionSetGroup removePermissionSetGroup patch"`
	Patch               []PatchOp `json:"patch,omitempty" validate:"max=100,dive"`
	PermissionSet       string    `json:"permissionSet,omitempty" validate:"max=80"`
	Policies            *Policies `json:"policies,omitempty"`
	SendAsUser          string    `json:"sendAsUser,omitempty" validate:"max=80"`
	IncludeSessionID    *bool     `json:"includeSessionId,omitempty"`
	Context             string    `json:"context,omitempty" validate:"omitempty,oneof=visualforce lightning"`
	Expect              *Expect   `json:"expect,omitempty"`

	// Aud (above) is the bearer assertion's audience (a JWT's aud, a SAML
	// assertion's Audience): omitted or "correct"
	// for the login host of the org's type, "missing" for no aud claim,
	// else the URL sent. The assertion's time claims are offsets from the
	// event's time, positive in the future: exp (omitted: within 3
	// minutes), nbf and iat (omitted: absent or not in the future).
	// AssertionReplayed: the same assertion (jti) was presented before.
	AssertionExpiresIn string `json:"assertionExpiresIn,omitempty" validate:"omitempty,offset"`
	AssertionNotBefore string `json:"assertionNotBefore,omitempty" validate:"omitempty,offset"`
	AssertionIssuedAt  string `json:"assertionIssuedAt,omitempty" validate:"omitempty,offset"`
	AssertionReplayed  bool   `json:"assertionReplayed,omitempty"`

	// CodeVerifierLength is the code_verifier's length in characters when
	// it is not 43-128 (0: a well-formed verifier).
	CodeVerifierLength int `json:"codeVerifierLength,omitempty" validate:"min=0,max=65536"`

	// PermissionSetGroup is the group an admin event assigns or removes.
	PermissionSetGroup string `json:"permissionSetGroup,omitempty" validate:"max=80"`
	// LockedOut: the user is locked out when the request arrives, by
	// failed logins before the timeline (Setup → Password Policies; the
	// live org sets it from its own count). The engine counts the
	// timeline's wrong passwords itself.
	LockedOut bool `json:"lockedOut,omitempty"`

	// APIVersion is the SOAP API version a soapLogin calls (the {version}
	// of /services/Soap/u/{version}), such as "64.0"; omitted: a version
	// that has login(). The soap.apiVersion rule judges its form.
	APIVersion string `json:"apiVersion,omitempty" validate:"max=16"`
}

// PatchOp is one RFC 6902 JSON Patch operation.
type PatchOp struct {
	Op    string `json:"op" validate:"required,oneof=add remove replace move copy test"`
	Path  string `json:"path" validate:"startswith=/|eq="`
	From  string `json:"from,omitempty"`
	Value any    `json:"value,omitempty"`
}

// Expect is what a scenario author expects of an event (checked by caplab test).
type Expect struct {
	Outcome          string `json:"outcome,omitempty" validate:"omitempty,oneof=granted denied"`
	Error            string `json:"error,omitempty"`
	ErrorDescription string `json:"errorDescription,omitempty"`
	Delivery         string `json:"delivery,omitempty" validate:"omitempty,oneof=redirect redirectFragment json errorPage soapFault session none"`
}
