package policy

import (
	"strings"
	"time"
)

// What the live org shows of a scenario's orgs and users as Salesforce
// records, identity and SOAP userInfo: ids derived from names, so every
// surface agrees, and the settings scenarios do not model.

// A scenario user's locale settings: scenarios have none, so every user
// gets Salesforce's common defaults.
const (
	UserTimeZone = "America/Los_Angeles"
	UserLocale   = "en_US"
	UserLanguage = "en_US"
)

// defaultProfile names the profile of a user the scenario gives none: a
// standard user with API Enabled (as hasPermission reads it).
const defaultProfile = "Standard User"

// HasPermission says whether the user holds perm (one of PermissionNames)
// through the profile or a permission set.
func (o *Org) HasPermission(u *User, perm string) bool {
	ok, _ := o.hasPermission(u, perm)
	return ok
}

// ProfileName is the user's profile, "Standard User" when none is given.
func (u *User) ProfileName() string {
	if u.Profile == "" {
		return defaultProfile
	}
	return u.Profile
}

// ProfileID is the 18-character id of the org's profile of that name.
func (o *Org) ProfileID(name string) string { return GenerateID("00e", o.Name+"/profile/"+name) }

// PermissionSetID is the 18-character id of the org's permission set.
func (o *Org) PermissionSetID(name string) string {
	return GenerateID("0PS", o.Name+"/permissionSet/"+name)
}

// Names are the user's first and last names; without a last name the
// username's part before "@" stands in, as Salesforce requires one.
func (u *User) Names() (first, last string) {
	last = u.LastName
	if last == "" {
		last, _, _ = strings.Cut(u.Username, "@")
	}
	return u.FirstName, last
}

// FullName is the user's Name: first and last name.
func (u *User) FullName() string {
	first, last := u.Names()
	return strings.TrimSpace(first + " " + last)
}

// UTCOffset is the user's time zone offset from UTC at t (America/Los_Angeles:
// daylight time from the second Sunday of March to the first Sunday of
// November, at 2:00 local), computed here so no tz database is needed.
func UTCOffset(t time.Time) time.Duration {
	t = t.UTC()
	y := t.Year()
	start := nthSunday(y, time.March, 2).Add(10 * time.Hour) // 2:00 PST is 10:00 UTC
	end := nthSunday(y, time.November, 1).Add(9 * time.Hour) // 2:00 PDT is 9:00 UTC
	if !t.Before(start) && t.Before(end) {
		return -7 * time.Hour
	}
	return -8 * time.Hour
}

// nthSunday is midnight UTC of the n-th Sunday of a month.
func nthSunday(year int, m time.Month, n int) time.Time {
	d := day(year, m, 1)
	d = d.AddDate(0, 0, (7-int(d.Weekday()))%7)
	return d.AddDate(0, 0, 7*(n-1))
}

// Created is the org's creation date (caplab's default when the scenario
// gives none).
func (o *Org) Created() time.Time { return orgCreatedAt(o) }
