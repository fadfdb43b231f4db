package httpapi

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/caplab/caplab/lambda/soql"
	"github.com/caplab/caplab/lambda/store"
	"github.com/caplab/caplab/policy"
)

// viewer is whoever a REST request runs as: the records it sees are those
// of its own org, in the live org's simulated time. Login History and
// OAuth tokens of other users are visible only to admins, as on
// Salesforce (Manage Users; Customize Application for tokens).
type viewer struct {
	ctx  context.Context
	s    *Server
	o    *liveOrg
	org  *policy.Org
	user *policy.User
}

// sees says whether the viewer may read another user's audit rows.
func (v *viewer) sees(perms ...string) bool {
	if v.user == nil {
		return false
	}
	for _, p := range append(perms, "modifyAllData") { // UNCONFIRMED: Modify All Data sees them too
		if v.org.HasPermission(v.user, p) {
			return true
		}
	}
	return false
}

// created is the simulated creation time of the org's scenario records.
func (v *viewer) created() time.Time { return v.org.Created() }

// audit sets the system fields of a scenario record.
func (v *viewer) audit(r soql.Record) soql.Record {
	r["CreatedDate"], r["LastModifiedDate"], r["SystemModstamp"] = v.created(), v.created(), v.created()
	return r
}

func organizationRecords(v *viewer) ([]soql.Record, error) {
	o := v.org
	edition := "Enterprise Edition"
	if o.Type == "developer" || o.Type == "scratch" {
		edition = "Developer Edition"
	}
	return []soql.Record{v.audit(soql.Record{
		"Id": o.OrgID(), "Name": o.Name, "OrganizationType": edition, "IsSandbox": o.Type == "sandbox",
		"InstanceName": instanceName, "DefaultLocaleSidKey": policy.UserLocale, "LanguageLocaleKey": policy.UserLanguage,
		"TimeZoneSidKey": policy.UserTimeZone,
	})}, nil
}

// instanceName is the Salesforce instance a live org says it runs on.
const instanceName = "CAP1"

func userRecords(v *viewer) ([]soql.Record, error) {
	var out []soql.Record
	for i := range v.org.Users {
		u := &v.org.Users[i]
		first, last := u.Names()
		email := u.Username
		if !strings.Contains(email, "@") {
			email = ""
		}
		out = append(out, v.audit(soql.Record{
			"Id": v.org.UserID(u), "Username": u.Username, "LastName": last, "FirstName": first, "Name": u.FullName(),
			"Alias": alias(first, last), "Email": email, "IsActive": u.IsActive(), "ProfileId": v.org.ProfileID(u.ProfileName()),
			"UserType": "Standard", "TimeZoneSidKey": policy.UserTimeZone, "LocaleSidKey": policy.UserLocale,
			"LanguageLocaleKey": policy.UserLanguage, "EmailEncodingKey": "UTF-8",
		}))
	}
	return out, nil
}

// alias is Salesforce's default user alias: the first name's initial and
// the last name, 8 characters at most.
func alias(first, last string) string {
	a := []rune(last)
	if f := []rune(first); len(f) > 0 {
		a = append([]rune{f[0]}, a...)
	}
	return string(a[:min(len(a), 8)])
}

// permissions sets a profile or permission set record's Permissions* fields.
func permissions(r soql.Record, granted []string) soql.Record {
	for _, p := range policy.PermissionNames {
		r[permissionField(p)] = false
	}
	for _, p := range granted {
		r[permissionField(p)] = true
	}
	return r
}

func profileRecords(v *viewer) ([]soql.Record, error) {
	var out []soql.Record
	names := map[string]bool{}
	for _, p := range v.org.Profiles {
		names[p.Name] = true
		out = append(out, v.audit(permissions(soql.Record{"Id": v.org.ProfileID(p.Name), "Name": p.Name, "UserType": "Standard"}, p.Permissions)))
	}
	for i := range v.org.Users { // a user without a profile has the standard one
		if name := v.org.Users[i].ProfileName(); !names[name] {
			names[name] = true
			out = append(out, v.audit(permissions(soql.Record{"Id": v.org.ProfileID(name), "Name": name, "UserType": "Standard"}, []string{"apiEnabled"})))
		}
	}
	return out, nil
}

var notAPIName = regexp.MustCompile(`[^A-Za-z0-9]+`)

func permissionSetRecords(v *viewer) ([]soql.Record, error) {
	var out []soql.Record
	for _, p := range v.org.PermissionSets {
		out = append(out, v.audit(permissions(soql.Record{"Id": v.org.PermissionSetID(p.Name),
			"Name": strings.Trim(notAPIName.ReplaceAllString(p.Name, "_"), "_"), "Label": p.Name, "IsOwnedByProfile": false}, p.Permissions)))
	}
	return out, nil
}

func assignmentRecords(v *viewer) ([]soql.Record, error) {
	var out []soql.Record
	for i := range v.org.Users {
		u := &v.org.Users[i]
		for _, ps := range u.PermissionSets {
			out = append(out, soql.Record{"Id": policy.GenerateID("0Pa", v.org.Name+"/"+u.Username+"/"+ps), "AssigneeId": v.org.UserID(u),
				"PermissionSetId": v.org.PermissionSetID(ps), "IsActive": true, "SystemModstamp": v.created()})
		}
	}
	return out, nil
}

// connectedAppRecords are the apps the org owns or has installed, with the
// policies in force there (the installation's, else the app's).
func connectedAppRecords(v *viewer) ([]soql.Record, error) {
	var out []soql.Record
	for i := range v.o.sc.Apps {
		a := &v.o.sc.Apps[i]
		pol, in := a.Policies, false
		for _, ia := range v.org.InstalledApps {
			if ia.App == a.Name {
				in = true
				pol = mergePolicies(a.Policies, ia.Policies)
			}
		}
		if !in && a.OwnerOrg != v.org.Name {
			continue
		}
		kind, period, _ := strings.Cut(pol.RefreshTokenPolicy, ":")
		var validity any
		if n, err := strconv.Atoi(strings.TrimRight(period, "hdmwy")); err == nil {
			validity = n
		}
		out = append(out, v.audit(soql.Record{
			"Id": policy.GenerateID("0H4", v.org.Name+"/"+a.Name), "Name": a.Name,
			"OptionsAllowAdminApprovedUsersOnly":   pol.PermittedUsers == "adminApproved",
			"OptionsHasSessionLevelPolicy":         pol.HighAssurance != "" && pol.HighAssurance != "none",
			"OptionsRefreshTokenValidityMetric":    kind == "expireIfNotUsedFor",
			"OptionsTokenExchangeManageBitEnabled": a.OAuth.TokenExchange,
			"RefreshTokenValidityPeriod":           validity,
		}))
	}
	return out, nil
}

// mergePolicies is an installation's policies over the app's defaults.
func mergePolicies(app, installed policy.Policies) policy.Policies {
	p := app
	for _, f := range []struct {
		dst *string
		src string
	}{
		{&p.PermittedUsers, installed.PermittedUsers}, {&p.IPRelaxation, installed.IPRelaxation},
		{&p.RefreshTokenPolicy, installed.RefreshTokenPolicy}, {&p.SessionTimeout, installed.SessionTimeout},
		{&p.HighAssurance, installed.HighAssurance},
	} {
		if f.src != "" {
			*f.dst = f.src
		}
	}
	return p
}

// oauthTokenRecords are the org's active approvals (interactive grants):
// the Connected Apps OAuth Usage page. Salesforce documents OauthToken.Id
// as always null, and the token values are never stored.
func oauthTokenRecords(v *viewer) ([]soql.Record, error) {
	gs, err := v.s.st.ListGrants(v.ctx, v.o.id)
	if err != nil {
		return nil, err
	}
	all := v.sees("customizeApplication", "manageUsers")
	var out []soql.Record
	for _, g := range gs {
		if !g.Interactive || g.Org != v.org.Name || (!all && (v.user == nil || g.User != v.user.Username)) {
			continue
		}
		r := soql.Record{"AppName": g.App, "CreatedDate": v.o.sim(g.CreatedAt), "UseCount": g.Uses, "UserId": v.userID(g.User)}
		if !g.LastUsedAt.IsZero() {
			r["LastUsedDate"] = v.o.sim(g.LastUsedAt)
		}
		out = append(out, r)
	}
	return out, nil
}

func (v *viewer) userID(username string) any {
	for i := range v.org.Users {
		if v.org.Users[i].Username == username {
			return v.org.UserID(&v.org.Users[i])
		}
	}
	return nil
}

// loginHistoryRecords are the org's recorded login attempts, newest first.
func loginHistoryRecords(v *viewer) ([]soql.Record, error) {
	es, err := v.s.st.ListLoginHistory(v.ctx, v.o.id)
	if err != nil {
		return nil, err
	}
	all := v.sees("manageUsers")
	var out []soql.Record
	for _, e := range es {
		if e.Org != v.org.Name || (!all && (v.user == nil || e.User != v.user.Username)) {
			continue
		}
		out = append(out, loginRecord(v, e))
	}
	return out, nil
}

func loginRecord(v *viewer, e store.LoginEvent) soql.Record {
	r := soql.Record{"Id": policy.GenerateID("0Ya", e.OrgID+"/"+e.ID), "UserId": v.userID(e.User), "LoginTime": v.o.sim(e.At),
		"LoginType": e.LoginType, "Status": e.Status, "Application": e.App, "SourceIp": e.SourceIP, "Browser": e.Browser,
		"Platform": e.Platform, "LoginUrl": e.LoginURL, "OptionsIsGet": e.Method == "GET", "OptionsIsPost": e.Method == "POST",
		"ApiType": e.APIType, "ApiVersion": e.APIVersion}
	return r
}
