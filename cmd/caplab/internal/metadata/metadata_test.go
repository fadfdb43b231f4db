package metadata

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/caplab/caplab/policy"
)

// jsonOf prints v for comparison and for readable failure messages.
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func notesOf(notes []ImportNote) string {
	var b strings.Builder
	for _, n := range notes {
		b.WriteString(n.Field + ": " + n.Message + "\n")
	}
	return b.String()
}

func checkImport(t *testing.T, name string, got, want ImportResult) {
	t.Helper()
	if g, w := jsonOf(t, got.App), jsonOf(t, want.App); g != w {
		t.Errorf("%s: app\ngot %s;\nwant %s", name, g, w)
	}
	if g, w := jsonOf(t, got.Access), jsonOf(t, want.Access); g != w {
		t.Errorf("%s: access got %s; want %s", name, g, w)
	}
	if g, w := notesOf(got.Notes), notesOf(want.Notes); g != w {
		t.Errorf("%s: notes\ngot:\n%s\nwant:\n%s", name, g, w)
	}
}

func TestImportConnectedAppFiles(t *testing.T) {
	tests := []struct {
		file string
		want ImportResult
	}{{
		file: "Acme_Partner_Portal.connectedApp-meta.xml",
		want: ImportResult{
			App: policy.App{
				Name: "Acme Partner Portal",
				Kind: "connectedApp",
				OAuth: policy.OAuthConfig{
					ConsumerKey:                      "caplabDemoPartnerPortalKey0001",
					CallbackURLs:                     []string{"https://portal.acme.test/oauth/callback", "https://portal-uat.acme.test/oauth/callback"},
					Scopes:                           []string{"api", "refresh_token", "openid", "web"},
					RequireSecretForWebServerFlow:    new(true),
					RequireSecretForRefreshTokenFlow: new(true),
					RequirePkce:                      true,
					RefreshTokenRotation:             true,
				},
				Policies: policy.Policies{
					PermittedUsers:     "adminApproved",
					IPRelaxation:       "enforceRelaxRefresh",
					RefreshTokenPolicy: "expireIfNotUsedFor:30d",
					SessionTimeout:     "2h",
				},
			},
			Access: ImportedAccess{
				Profiles:       []string{"Partner Community User", "System Administrator"},
				PermissionSets: []string{"Portal Access"},
			},
			Notes: []ImportNote{
				{"contactEmail", "not modelled by caplab: contact email"},
				{"description", "not modelled by caplab: description"},
				{"oauthConfig/isIntrospectAllTokens", "not modelled by caplab: Introspect All Tokens"},
			},
		},
	}, {
		file: "Acme_Sync_Integration.connectedApp-meta.xml",
		want: ImportResult{
			App: policy.App{
				Name: "Acme Sync Integration",
				Kind: "connectedApp",
				OAuth: policy.OAuthConfig{
					ConsumerKey:                      "caplabDemoSyncIntegrationKey0001",
					CallbackURLs:                     []string{"https://sync.acme.test/oauth/callback"},
					Scopes:                           []string{"api", "id"},
					Certificate:                      "-----BEGIN CERTIFICATE-----\nMIIBfakeCaplabTestCertificateNotARealKeyAAAAAAAAAAAAAAAAAAAAAAAA\n-----END CERTIFICATE-----",
					RequireSecretForWebServerFlow:    new(true),
					RequireSecretForRefreshTokenFlow: new(true),
					ClientCredentials:                policy.ClientCredentials{Enabled: true, RunAs: "integration@acme.test"},
				},
				Policies: policy.Policies{
					PermittedUsers:     "adminApproved",
					IPRelaxation:       "relax",
					RefreshTokenPolicy: "immediatelyExpire",
					SessionTimeout:     "15m",
					HighAssurance:      "block",
				},
			},
			Access: ImportedAccess{PermissionSets: []string{"Sync Integration"}},
			Notes: []ImportNote{
				{"contactEmail", "not modelled by caplab: contact email"},
				{"oauthConfig/isIntrospectAllTokens", "not modelled by caplab: Introspect All Tokens"},
				{"oauthConfig/scopes", `Basic read as "id": Salesforce's Basic grants the identity URL (id, profile, email, address, phone)`},
			},
		},
	}, {
		file: "Legacy_Canvas_Tool.connectedApp-meta.xml",
		want: ImportResult{
			App: policy.App{
				Name: "Legacy Canvas Tool",
				Kind: "connectedApp",
				OAuth: policy.OAuthConfig{
					CallbackURLs: []string{"https://canvas.tools.test/oauth/callback"},
					Scopes:       []string{"api", "chatter_api", "visualforce"},
				},
				Policies: policy.Policies{
					PermittedUsers:     "allSelfAuthorize",
					IPRelaxation:       "enforce",
					RefreshTokenPolicy: "validUntilRevoked",
				},
			},
			Notes: []ImportNote{
				{"attributes", "not modelled by caplab: custom attributes"},
				{"canvasConfig", "not modelled by caplab: canvas app settings"},
				{"contactEmail", "not modelled by caplab: contact email"},
				{"futureElement", "not modelled by caplab: unknown element"},
				{"mobileStartUrl", "not modelled by caplab: mobile start URL"},
				{"oauthConfig/idTokenConfig", "not modelled by caplab: ID token settings"},
				{"oauthConfig/isNamedUserJwtEnabled", "not modelled by caplab: JWT-based access tokens for named users"},
				{"oauthConfig/scopes", `scope "CDPSegment" is not one caplab knows: skipped`},
				{"oauthConfig/scopes", `CustomApplications read as "visualforce" (access to custom applications such as Visualforce pages)`},
				{"oauthConfig/singleLogoutUrl", "not modelled by caplab: single logout URL"},
				{"oauthPolicy/futurePolicy", "not modelled by caplab: unknown element"},
				{"samlConfig", "not modelled by caplab: SAML single sign-on settings"},
			},
		},
	}}
	for _, tt := range tests {
		data, err := os.ReadFile(filepath.Join("testdata", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		got, err := ImportConnectedApp(data, strings.TrimSuffix(tt.file, ".connectedApp-meta.xml"))
		if err != nil {
			t.Errorf("ImportConnectedApp(%s) error: %v", tt.file, err)
			continue
		}
		checkImport(t, tt.file, got, tt.want)
	}
}

// importInner imports a ConnectedApp labelled "T" around inner.
func importInner(t *testing.T, inner string) ImportResult {
	t.Helper()
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata"><label>T</label>` + inner + `</ConnectedApp>`
	got, err := ImportConnectedApp([]byte(doc), "file")
	if err != nil {
		t.Fatalf("ImportConnectedApp(%q) error: %v", inner, err)
	}
	return got
}

func TestImportOAuthConfig(t *testing.T) {
	tests := []struct {
		inner string
		want  policy.OAuthConfig
		notes []ImportNote
	}{{
		inner: "<oauthConfig><callbackUrl>https://a.test/cb\r\n\r\n  https://b.test/cb  \rmyapp://cb\nhttps://a.test/cb</callbackUrl></oauthConfig>",
		want:  policy.OAuthConfig{CallbackURLs: []string{"https://a.test/cb", "https://b.test/cb", "myapp://cb"}},
		notes: []ImportNote{{"oauthConfig/callbackUrl", `"https://a.test/cb" is listed twice: kept once`}},
	}, {
		inner: "<oauthConfig><isConsumerSecretOptional>true</isConsumerSecretOptional><isSecretRequiredForRefreshToken>false</isSecretRequiredForRefreshToken></oauthConfig>",
		want:  policy.OAuthConfig{RequireSecretForWebServerFlow: new(false), RequireSecretForRefreshTokenFlow: new(false)},
	}, {
		inner: "<oauthConfig><isConsumerSecretOptional>0</isConsumerSecretOptional><isPkceRequired>1</isPkceRequired><isDeviceFlowEnabled>true</isDeviceFlowEnabled><isTokenExchangeEnabled>true</isTokenExchangeEnabled></oauthConfig>",
		want:  policy.OAuthConfig{RequireSecretForWebServerFlow: new(true), RequirePkce: true, DeviceFlow: true, TokenExchange: true},
	}, {
		inner: "<oauthConfig><isPkceRequired>yes</isPkceRequired><isPkceRequired>true</isPkceRequired></oauthConfig>",
		notes: []ImportNote{
			{"oauthConfig/isPkceRequired", `"yes" is not true or false: skipped`},
			{"oauthConfig/isPkceRequired", "repeated: the first value is used"},
		},
	}, {
		inner: "<oauthConfig><consumerKey>key1</consumerKey><consumerSecret>s3cr3tValue</consumerSecret><consumerKey>key2</consumerKey></oauthConfig>",
		want:  policy.OAuthConfig{ConsumerKey: "key1", ConsumerSecret: "s3cr3tValue"},
		notes: []ImportNote{{"oauthConfig/consumerKey", "repeated: the first value is used"}},
	}, {
		inner: "<oauthConfig><scopes>Full</scopes><scopes>OfflineAccess</scopes><scopes>RefreshToken</scopes><scopes>Api</scopes><scopes>Api</scopes><scopes>Bogus</scopes><scopes></scopes></oauthConfig>",
		want:  policy.OAuthConfig{Scopes: []string{"full", "offline_access", "refresh_token", "api"}},
		notes: []ImportNote{
			{"oauthConfig/scopes", `Api ("api") is listed twice: kept once`},
			{"oauthConfig/scopes", `scope "Bogus" is not one caplab knows: skipped`},
		},
	}, {
		inner: "<oauthConfig><isClientCredentialEnabled>true</isClientCredentialEnabled></oauthConfig>",
		want:  policy.OAuthConfig{ClientCredentials: policy.ClientCredentials{Enabled: true}},
		notes: []ImportNote{{"oauthConfig/isClientCredentialEnabled", "client credentials enabled without oauthClientCredentialUser: set clientCredentials.runAs for the flow to work"}},
	}, {
		inner: "<oauthConfig><oauthClientCredentialUser>run@as.test</oauthClientCredentialUser></oauthConfig>",
		want:  policy.OAuthConfig{ClientCredentials: policy.ClientCredentials{RunAs: "run@as.test"}},
	}, {
		inner: "<oauthConfig><consumerKey><b>nested</b></consumerKey></oauthConfig>",
		notes: []ImportNote{{"oauthConfig/consumerKey", "has child elements; want a plain value: skipped"}},
	}, {
		inner: "<oauthConfig><isCodeCredentialEnabled>false</isCodeCredentialEnabled><assetTokenConfig><assetValidityPeriod>60</assetValidityPeriod></assetTokenConfig><isSecretRequiredForTokenExchange>true</isSecretRequiredForTokenExchange></oauthConfig>",
		notes: []ImportNote{
			{"oauthConfig/isCodeCredentialEnabled", "not modelled by caplab: Authorization Code and Credentials flow"},
			{"oauthConfig/assetTokenConfig", "not modelled by caplab: asset token settings"},
			{"oauthConfig/isSecretRequiredForTokenExchange", "not modelled by caplab: secret required for token exchange"},
		},
	}}
	for _, tt := range tests {
		got := importInner(t, tt.inner)
		if g, w := jsonOf(t, got.App.OAuth), jsonOf(t, tt.want); g != w {
			t.Errorf("import %s: oauth got %s; want %s", tt.inner, g, w)
		}
		if g, w := notesOf(got.Notes), notesOf(tt.notes); g != w {
			t.Errorf("import %s: notes got %q; want %q", tt.inner, g, w)
		}
	}
}

func TestImportPolicies(t *testing.T) {
	tests := []struct {
		inner string
		want  policy.Policies
		notes []ImportNote
	}{
		{inner: "<oauthPolicy><ipRelaxation>ENFORCE</ipRelaxation></oauthPolicy>", want: policy.Policies{IPRelaxation: "enforce"}},
		{inner: "<oauthPolicy><ipRelaxation>BYPASS_2FACTOR</ipRelaxation></oauthPolicy>", want: policy.Policies{IPRelaxation: "relaxForActivatedDevices"}},
		{inner: "<oauthPolicy><ipRelaxation>Enforce_RelaxRefresh</ipRelaxation></oauthPolicy>", want: policy.Policies{IPRelaxation: "enforceRelaxRefresh"}},
		{inner: "<oauthPolicy><ipRelaxation>SOMETIMES</ipRelaxation></oauthPolicy>",
			notes: []ImportNote{{"oauthPolicy/ipRelaxation", `"SOMETIMES" is not ENFORCE, ENFORCE_RELAXREFRESH, BYPASS_2FACTOR or BYPASS: skipped`}}},

		{inner: "<oauthPolicy><refreshTokenPolicy>infinite</refreshTokenPolicy></oauthPolicy>", want: policy.Policies{RefreshTokenPolicy: "validUntilRevoked"}},
		{inner: "<oauthPolicy><refreshTokenPolicy>zero</refreshTokenPolicy></oauthPolicy>", want: policy.Policies{RefreshTokenPolicy: "immediatelyExpire"}},
		{inner: "<oauthPolicy><refreshTokenPolicy>specific_lifetime:90:DAYS</refreshTokenPolicy></oauthPolicy>", want: policy.Policies{RefreshTokenPolicy: "expireAfter:90d"}},
		{inner: "<oauthPolicy><refreshTokenPolicy>specific_lifetime:3:HOURS</refreshTokenPolicy></oauthPolicy>", want: policy.Policies{RefreshTokenPolicy: "expireAfter:3h"}},
		{inner: "<oauthPolicy><refreshTokenPolicy>specific_inactivity:6:MONTHS</refreshTokenPolicy></oauthPolicy>", want: policy.Policies{RefreshTokenPolicy: "expireIfNotUsedFor:6mo"},
			notes: []ImportNote{{"oauthPolicy/refreshTokenPolicy", "months counted as 30 days"}}},
		{inner: "<oauthPolicy><refreshTokenValidityUnit>DAYS</refreshTokenValidityUnit><refreshTokenPolicy>specific_inactivity</refreshTokenPolicy><refreshTokenValidityPeriod>30</refreshTokenValidityPeriod></oauthPolicy>",
			want:  policy.Policies{RefreshTokenPolicy: "expireIfNotUsedFor:30d"},
			notes: []ImportNote{{"oauthPolicy/refreshTokenPolicy", "specific_inactivity assembled from refreshTokenValidityPeriod 30 and refreshTokenValidityUnit DAYS"}}},
		{inner: "<oauthPolicy><refreshTokenPolicy>specific_lifetime:0:DAYS</refreshTokenPolicy></oauthPolicy>",
			notes: []ImportNote{{"oauthPolicy/refreshTokenPolicy", `"specific_lifetime:0:DAYS": want a positive number and HOURS, DAYS or MONTHS, e.g. specific_inactivity:30:DAYS: skipped`}}},
		{inner: "<oauthPolicy><refreshTokenPolicy>specific_lifetime:2:WEEKS</refreshTokenPolicy></oauthPolicy>",
			notes: []ImportNote{{"oauthPolicy/refreshTokenPolicy", `"specific_lifetime:2:WEEKS": want a positive number and HOURS, DAYS or MONTHS, e.g. specific_inactivity:30:DAYS: skipped`}}},
		{inner: "<oauthPolicy><refreshTokenPolicy>forever</refreshTokenPolicy></oauthPolicy>",
			notes: []ImportNote{{"oauthPolicy/refreshTokenPolicy", `"forever" is not infinite, zero, specific_inactivity or specific_lifetime: skipped`}}},
		{inner: "<oauthPolicy><refreshTokenValidityPeriod>30</refreshTokenValidityPeriod></oauthPolicy>",
			notes: []ImportNote{{"oauthPolicy/refreshTokenValidityPeriod", "validity period without refreshTokenPolicy: skipped"}}},

		{inner: "<oauthConfig><isAdminApproved>false</isAdminApproved></oauthConfig>", want: policy.Policies{PermittedUsers: "allSelfAuthorize"}},
		{inner: "<oauthPolicy><isAdminApproved>true</isAdminApproved></oauthPolicy>", want: policy.Policies{PermittedUsers: "adminApproved"}},
		{inner: "<oauthConfig><isAdminApproved>true</isAdminApproved></oauthConfig><oauthPolicy><isAdminApproved>false</isAdminApproved></oauthPolicy>",
			want:  policy.Policies{PermittedUsers: "adminApproved"},
			notes: []ImportNote{{"oauthPolicy/isAdminApproved", "isAdminApproved already read from oauthConfig/isAdminApproved: skipped"}}},

		{inner: "<sessionPolicy><sessionTimeout>30</sessionTimeout></sessionPolicy>", want: policy.Policies{SessionTimeout: "30m"}},
		{inner: "<sessionPolicy><sessionTimeout>1440</sessionTimeout></sessionPolicy>", want: policy.Policies{SessionTimeout: "24h"}},
		{inner: "<sessionPolicy><sessionTimeout>Minutes15</sessionTimeout></sessionPolicy>", want: policy.Policies{SessionTimeout: "15m"}},
		{inner: "<sessionPolicy><sessionTimeout>Hours12</sessionTimeout></sessionPolicy>", want: policy.Policies{SessionTimeout: "12h"}},
		{inner: "<sessionPolicy><sessionTimeout>soon</sessionTimeout></sessionPolicy>",
			notes: []ImportNote{{"sessionPolicy/sessionTimeout", `"soon" is not a number of minutes: skipped`}}},
		{inner: "<sessionPolicy><sessionTimeout>0</sessionTimeout></sessionPolicy>",
			notes: []ImportNote{{"sessionPolicy/sessionTimeout", `"0" is not a number of minutes: skipped`}}},
		{inner: "<sessionPolicy><sessionLevel>HIGH_ASSURANCE</sessionLevel><policyAction>RaiseSessionLevel</policyAction></sessionPolicy>", want: policy.Policies{HighAssurance: "raiseSessionLevel"}},
		{inner: "<sessionPolicy><policyAction>Block</policyAction><sessionLevel>HIGH_ASSURANCE</sessionLevel></sessionPolicy>", want: policy.Policies{HighAssurance: "block"}},
		{inner: "<sessionPolicy><sessionLevel>HIGH_ASSURANCE</sessionLevel></sessionPolicy>", want: policy.Policies{HighAssurance: "raiseSessionLevel"},
			notes: []ImportNote{{"sessionPolicy/policyAction", "HIGH_ASSURANCE without policyAction: read as RaiseSessionLevel"}}},
		{inner: "<sessionPolicy><sessionLevel>HIGH_ASSURANCE</sessionLevel><policyAction>Nag</policyAction></sessionPolicy>",
			notes: []ImportNote{{"sessionPolicy/policyAction", `"Nag" is not Block or RaiseSessionLevel: skipped`}}},
		{inner: "<sessionPolicy><policyAction>Block</policyAction></sessionPolicy>",
			notes: []ImportNote{{"sessionPolicy/policyAction", "Block ignored: it applies only when sessionLevel is HIGH_ASSURANCE"}}},
		{inner: "<sessionPolicy><sessionLevel>STANDARD</sessionLevel><policyAction>Block</policyAction></sessionPolicy>",
			notes: []ImportNote{{"sessionPolicy/policyAction", "Block ignored: it applies only when sessionLevel is HIGH_ASSURANCE"}}},
		{inner: "<sessionPolicy><sessionLevel>ULTRA</sessionLevel></sessionPolicy>",
			notes: []ImportNote{{"sessionPolicy/sessionLevel", `"ULTRA" is not HIGH_ASSURANCE or STANDARD: skipped`}}},
		{inner: "<sessionPolicy><mobileLock>5</mobileLock></sessionPolicy>",
			notes: []ImportNote{{"sessionPolicy/mobileLock", "not modelled by caplab: unknown element"}}},
	}
	for _, tt := range tests {
		got := importInner(t, tt.inner)
		if g, w := jsonOf(t, got.App.Policies), jsonOf(t, tt.want); g != w {
			t.Errorf("import %s: policies got %s; want %s", tt.inner, g, w)
		}
		if g, w := notesOf(got.Notes), notesOf(tt.notes); g != w {
			t.Errorf("import %s: notes got %q; want %q", tt.inner, g, w)
		}
	}
}

func TestImportAccess(t *testing.T) {
	tests := []struct {
		inner string
		want  ImportedAccess
		notes []ImportNote
	}{{
		inner: "<oauthConfig><isAdminApproved>true</isAdminApproved></oauthConfig><permissionSetName>PS</permissionSetName><profileName>P1</profileName><profileName>P2</profileName>",
		want:  ImportedAccess{Profiles: []string{"P1", "P2"}, PermissionSets: []string{"PS"}},
	}, {
		// Some tools write them under oauthPolicy.
		inner: "<oauthPolicy><isAdminApproved>true</isAdminApproved><profileName>P1</profileName><permissionSetName>PS</permissionSetName></oauthPolicy>",
		want:  ImportedAccess{Profiles: []string{"P1"}, PermissionSets: []string{"PS"}},
	}, {
		inner: "<oauthConfig><isAdminApproved>true</isAdminApproved></oauthConfig><profileName>P1</profileName><profileName>P1</profileName><profileName></profileName>",
		want:  ImportedAccess{Profiles: []string{"P1"}},
		notes: []ImportNote{
			{"profileName", `"P1" is listed twice: kept once`},
			{"profileName", "empty: on deploy it removes all of them; nothing imported"},
		},
	}, {
		inner: "<profileName>P1</profileName>",
		want:  ImportedAccess{Profiles: []string{"P1"}},
		notes: []ImportNote{{"profileName", "profiles and permission sets pre-authorize users only when isAdminApproved is true; listed in access anyway"}},
	}}
	for _, tt := range tests {
		got := importInner(t, tt.inner)
		if g, w := jsonOf(t, got.Access), jsonOf(t, tt.want); g != w {
			t.Errorf("import %s: access got %s; want %s", tt.inner, g, w)
		}
		if g, w := notesOf(got.Notes), notesOf(tt.notes); g != w {
			t.Errorf("import %s: notes got %q; want %q", tt.inner, g, w)
		}
	}
}

func TestImportNameAndNamespace(t *testing.T) {
	tests := []struct {
		doc, name, want string
		notes           []ImportNote
	}{
		{doc: `<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata"><label>Acme</label></ConnectedApp>`, name: "File_Name", want: "Acme"},
		{doc: `<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata"><contactEmail>a@b.test</contactEmail></ConnectedApp>`, name: " File_Name ", want: "File_Name",
			notes: []ImportNote{
				{"contactEmail", "not modelled by caplab: contact email"},
				{"label", `no <label>: the app is named "File_Name"`},
			}},
		{doc: `<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata"><label>  </label></ConnectedApp>`, name: "F", want: "F",
			notes: []ImportNote{{"label", `no <label>: the app is named "F"`}}},
		{doc: `<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata"><label>One</label><label>Two</label></ConnectedApp>`, want: "One",
			notes: []ImportNote{{"label", "repeated: the first value is used"}}},
		{doc: `<ConnectedApp><label>Acme</label></ConnectedApp>`, want: "Acme",
			notes: []ImportNote{{"ConnectedApp", "no xmlns: read as the Metadata API namespace http://soap.sforce.com/2006/04/metadata"}}},
		{doc: `<md:ConnectedApp xmlns:md="urn:other"><md:label>Acme</md:label></md:ConnectedApp>`, want: "Acme",
			notes: []ImportNote{{"ConnectedApp", `namespace "urn:other" is not the Metadata API's (http://soap.sforce.com/2006/04/metadata): read anyway`}}},
		{doc: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- retrieved -->\n<ConnectedApp xmlns=\"http://soap.sforce.com/2006/04/metadata\"><label>A &amp; B</label></ConnectedApp>\n", want: "A & B"},
	}
	for _, tt := range tests {
		got, err := ImportConnectedApp([]byte(tt.doc), tt.name)
		if err != nil {
			t.Errorf("ImportConnectedApp(%q) error: %v", tt.doc, err)
			continue
		}
		if got.App.Name != tt.want || got.App.Kind != "connectedApp" {
			t.Errorf("ImportConnectedApp(%q) name, kind = %q, %q; want %q, %q", tt.doc, got.App.Name, got.App.Kind, tt.want, "connectedApp")
		}
		if g, w := notesOf(got.Notes), notesOf(tt.notes); g != w {
			t.Errorf("ImportConnectedApp(%q) notes got %q; want %q", tt.doc, g, w)
		}
	}
}

func TestImportErrors(t *testing.T) {
	tests := []struct {
		name, doc, err string
	}{
		{"empty", "", "metadata XML has no root element; want <ConnectedApp>"},
		{"only a declaration", `<?xml version="1.0"?>`, "metadata XML has no root element; want <ConnectedApp>"},
		{"unclosed", "<?xml version=\"1.0\"?>\n<ConnectedApp>\n<label>Acme</label>\n<oauthConfig>\n</ConnectedApp>", "metadata XML line 5: element <oauthConfig> closed by </ConnectedApp>"},
		{"truncated", "<ConnectedApp>\n<label>Acme", "metadata XML line 2: unexpected EOF"},
		{"bad entity", "<ConnectedApp>\n<label>&bogus;</label></ConnectedApp>", "metadata XML line 2: invalid character entity &bogus;"},
		{"wrong root", "<?xml version=\"1.0\"?>\n<CustomObject xmlns=\"http://soap.sforce.com/2006/04/metadata\"/>", "metadata XML line 2: root element is <CustomObject>; want <ConnectedApp> (a NAME.connectedApp-meta.xml file)"},
		{"two roots", "<ConnectedApp><label>A</label></ConnectedApp>\n<ConnectedApp/>", "metadata XML line 2: element <ConnectedApp> after </ConnectedApp>; want one root element"},
		{"text outside", "<ConnectedApp><label>A</label></ConnectedApp>trailing", "metadata XML line 1: text outside <ConnectedApp>"},
		{"doctype", "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">]>\n<ConnectedApp><label>&lol;</label></ConnectedApp>", "metadata XML line 2: <!DOCTYPE> is not allowed in a Metadata API file"},
		{"too deep", "<ConnectedApp>" + strings.Repeat("<a>", maxMetadataDepth) + strings.Repeat("</a>", maxMetadataDepth) + "</ConnectedApp>", "metadata XML line 1: elements nested more than 32 deep"},
		{"oversize", strings.Repeat(" ", maxMetadataSize+1), "metadata XML is 1048577 bytes; the limit is 1048576 (1 MiB)"},
		{"no name", `<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata"/>`, "metadata XML has no <label> and no name was given: the app needs a name"},
	}
	for _, tt := range tests {
		_, err := ImportConnectedApp([]byte(tt.doc), "")
		if err == nil || err.Error() != tt.err {
			t.Errorf("%s: error got %v; want %q", tt.name, err, tt.err)
		}
	}
}

// Every scope the importer produces must be one the scenario accepts.
func TestMetadataScopesAreScenarioScopes(t *testing.T) {
	for enum, scope := range metadataScopes {
		if !slices.Contains(policy.ScopeNames, scope) {
			t.Errorf("metadataScopes[%q] = %q; want one of policy.ScopeNames", enum, scope)
		}
	}
}

// The notes serialise with the field names the CLI prints.
func TestImportResultJSON(t *testing.T) {
	got := jsonOf(t, ImportResult{Notes: []ImportNote{{"a", "b"}}})
	for _, want := range []string{`"app": {`, `"access": {}`, `"notes": [`, `"field": "a"`, `"message": "b"`} {
		if !strings.Contains(got, want) {
			t.Errorf("ImportResult JSON got %s; want it to contain %s", got, want)
		}
	}
}
