package httpapi

import (
	"strings"

	"github.com/caplab/caplab/lambda/soql"
	"github.com/caplab/caplab/policy"
)

// The live org's objects: what describe says of them and what SOQL can
// select, filter and sort. They are read-only: records come from the
// scenario (Organization, User, Profile, PermissionSet,
// PermissionSetAssignment, ConnectedApplication) and from the store's
// audit trail (OauthToken, LoginHistory); records.go builds them.

// objectDef is one object and its fields, in describe order.
type objectDef struct {
	name, label, plural, keyPrefix string
	retrieveable                   bool // record GET by id (OauthToken has no ids)
	fields                         []fieldDef
	load                           func(v *viewer) ([]soql.Record, error)
	soql                           *soql.Object
}

// fieldDef is a field as describe shows it.
type fieldDef struct {
	soql.Field
	label    string
	length   int    // strings
	nillable bool   //
	ref      string // referenceTo, for reference fields
}

func field(name, label string, t soql.Type, length int, nillable bool) fieldDef {
	return fieldDef{Field: soql.Field{Name: name, Type: t}, label: label, length: length, nillable: nillable}
}

func idField(label string) fieldDef { return field("Id", label, soql.ID, 18, false) }
func text(name, label string, length int, nillable bool) fieldDef {
	return field(name, label, soql.String, length, nillable)
}
func flag(name, label string) fieldDef { return field(name, label, soql.Boolean, 0, false) }
func stamp(name, label string, nillable bool) fieldDef {
	return field(name, label, soql.DateTime, 0, nillable)
}
func refTo(name, label, to string, nillable bool) fieldDef {
	f := field(name, label, soql.Reference, 18, nillable)
	f.ref = to
	return f
}
func count(name, label string, nillable bool) fieldDef {
	return field(name, label, soql.Int, 0, nillable)
}
func pick(name, label string, nillable bool) fieldDef {
	return field(name, label, soql.Picklist, 40, nillable)
}

// notFilterable and notSortable mark fields Salesforce can't filter or
// sort on (the object reference's Filter and Sort properties).
func notFilterable(f fieldDef) fieldDef { f.NotFilterable = true; return f }
func notSortable(f fieldDef) fieldDef   { f.NotSortable = true; return f }

// audit are the system fields every record has.
func auditFields() []fieldDef {
	return []fieldDef{stamp("CreatedDate", "Created Date", false), stamp("LastModifiedDate", "Last Modified Date", false),
		stamp("SystemModstamp", "System Modstamp", false)}
}

// permissionFields are the Permissions* fields of profiles and permission
// sets for the permissions scenarios model. API names as Salesforce spells
// them; ApproveUninstalledConnectedApps, UseAnyApiClient, UseAnyApiAuth and
// ManageConnectedApps follow the pattern (UNCONFIRMED).
func permissionFields() []fieldDef {
	var out []fieldDef
	for _, p := range policy.PermissionNames {
		out = append(out, notSortable(flag(permissionField(p), "Permission: "+p)))
	}
	return out
}

func permissionField(perm string) string {
	if perm == "apiOnlyUser" {
		return "PermissionsApiUserOnly"
	}
	return "Permissions" + strings.ToUpper(perm[:1]) + perm[1:]
}

// objectDefs are the live org's objects, in describeGlobal order.
var objectDefs = buildObjects([]*objectDef{
	{name: "ConnectedApplication", label: "Connected App", plural: "Connected Apps", keyPrefix: "0H4", retrieveable: true, load: connectedAppRecords,
		fields: append([]fieldDef{idField("Connected App ID"), text("Name", "Connected App Name", 80, false),
			pick("MobileSessionTimeout", "Lock App After", true), field("MobileStartUrl", "Mobile Start URL", soql.URL, 2400, true),
			notSortable(flag("OptionsAllowAdminApprovedUsersOnly", "AllowAdminApprovedUsersOnly")),
			notSortable(flag("OptionsHasSessionLevelPolicy", "HasSessionLevelPolicy")),
			notSortable(flag("OptionsRefreshTokenValidityMetric", "RefreshTokenValidityMetric")),
			notSortable(flag("OptionsTokenExchangeManageBitEnabled", "TokenExchangeManageBitEnabled")),
			pick("PinLength", "PIN Length", true), count("RefreshTokenValidityPeriod", "Refresh Token Policy:", true),
			field("StartUrl", "Start URL", soql.URL, 2400, true)}, auditFields()...)},
	{name: "LoginHistory", label: "Login History", plural: "Login History", keyPrefix: "0Ya", retrieveable: true, load: loginHistoryRecords,
		fields: []fieldDef{idField("Login History Id"), notFilterable(text("ApiType", "API Type", 64, true)),
			notFilterable(text("ApiVersion", "API Version", 32, true)), notFilterable(text("Application", "Application", 64, true)),
			refTo("AuthenticationServiceId", "Authentication Service Id", "AuthProvider", true),
			notFilterable(text("Browser", "Browser", 64, true)), pick("CipherSuite", "TLS Cipher Suite", true),
			notFilterable(text("ClientVersion", "Client Version", 64, true)), text("CountryIso", "Country Code", 3, true),
			notFilterable(text("ForwardedForIp", "Forwarded For IP", 255, true)), refTo("LoginGeoId", "Login Geo Data ID", "LoginGeo", true),
			stamp("LoginTime", "Login Time", false), pick("LoginType", "Login Type", false), text("LoginUrl", "Login URL", 255, true),
			refTo("NetworkId", "Network ID", "Network", true), notSortable(flag("OptionsIsGet", "Login via GET")),
			notSortable(flag("OptionsIsPost", "Login via POST")), notFilterable(text("Platform", "Platform", 64, true)),
			notFilterable(text("SourceIp", "Source IP", 39, true)), notFilterable(text("Status", "Status", 128, true)),
			pick("TlsProtocol", "TLS Protocol", true), refTo("UserId", "User ID", "User", true)}},
	{name: "OauthToken", label: "OAuth Token", plural: "OAuth Tokens", keyPrefix: "", load: oauthTokenRecords,
		fields: []fieldDef{text("AccessToken", "Access Token", 255, true), refTo("AppMenuItemId", "AppMenuItem ID", "AppMenuItem", true),
			text("AppName", "Application Name", 255, true), stamp("CreatedDate", "Created Date", false),
			text("DeleteToken", "Delete Token", 255, true), field("Id", "OAuth Token ID", soql.ID, 18, true),
			stamp("LastUsedDate", "Last Used Date", true), text("RequestToken", "Request Token", 255, true),
			count("UseCount", "Use Count", true), refTo("UserId", "User ID", "User", true)}},
	{name: "Organization", label: "Organization", plural: "Organizations", keyPrefix: "00D", retrieveable: true, load: organizationRecords,
		fields: append([]fieldDef{idField("Organization ID"), text("Name", "Name", 80, false), pick("OrganizationType", "Edition", true),
			flag("IsSandbox", "Is Sandbox"), text("InstanceName", "Instance Name", 5, true), text("NamespacePrefix", "Namespace Prefix", 15, true),
			field("TrialExpirationDate", "Trial Expiration Date", soql.DateTime, 0, true), pick("DefaultLocaleSidKey", "Locale", false),
			pick("LanguageLocaleKey", "Language", false), pick("TimeZoneSidKey", "Time Zone", false)}, auditFields()...)},
	{name: "PermissionSet", label: "Permission Set", plural: "Permission Sets", keyPrefix: "0PS", retrieveable: true, load: permissionSetRecords,
		fields: append(append([]fieldDef{idField("Permission Set ID"), text("Name", "Name", 80, false), text("Label", "Label", 80, false),
			flag("IsOwnedByProfile", "Is Owned by Profile"), refTo("ProfileId", "Profile ID", "Profile", true),
			text("Description", "Description", 255, true)}, permissionFields()...), auditFields()...)},
	{name: "PermissionSetAssignment", label: "Permission Set Assignment", plural: "Permission Set Assignments", keyPrefix: "0Pa", retrieveable: true,
		load: assignmentRecords,
		fields: []fieldDef{idField("Permission Set Assignment ID"), refTo("AssigneeId", "Assignee ID", "User", false),
			refTo("PermissionSetId", "Permission Set ID", "PermissionSet", false), flag("IsActive", "Is Active"),
			stamp("ExpirationDate", "Expiration Date", true), stamp("SystemModstamp", "System Modstamp", false)}},
	{name: "Profile", label: "Profile", plural: "Profiles", keyPrefix: "00e", retrieveable: true, load: profileRecords,
		fields: append(append([]fieldDef{idField("Profile ID"), text("Name", "Name", 255, false), pick("UserType", "User Type", true),
			text("Description", "Description", 255, true)}, permissionFields()...), auditFields()...)},
	{name: "User", label: "User", plural: "Users", keyPrefix: "005", retrieveable: true, load: userRecords,
		fields: append([]fieldDef{idField("User ID"), text("Username", "Username", 80, false), text("LastName", "Last Name", 80, false),
			text("FirstName", "First Name", 40, true), text("Name", "Full Name", 121, false), text("Alias", "Alias", 8, false),
			field("Email", "Email", soql.Email, 128, false), flag("IsActive", "Active"), refTo("ProfileId", "Profile ID", "Profile", false),
			pick("UserType", "User Type", true), pick("TimeZoneSidKey", "Time Zone", false), pick("LocaleSidKey", "Locale", false),
			pick("LanguageLocaleKey", "Language", false), pick("EmailEncodingKey", "Email Encoding", false)}, auditFields()...)},
})

func buildObjects(defs []*objectDef) []*objectDef {
	for _, d := range defs {
		d.soql = &soql.Object{Name: d.name}
		for _, f := range d.fields {
			d.soql.Fields = append(d.soql.Fields, f.Field)
		}
	}
	return defs
}

// objectNamed is the object of that name (case-insensitive), or nil.
func objectNamed(name string) *objectDef {
	for _, d := range objectDefs {
		if strings.EqualFold(d.name, name) {
			return d
		}
	}
	return nil
}

func soqlObject(name string) *soql.Object {
	if d := objectNamed(name); d != nil {
		return d.soql
	}
	return nil
}
