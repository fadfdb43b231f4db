package policy

import (
	"strconv"
	"time"
)

// Salesforce API versions follow its releases, three a year: Winter (in
// October of the year before its name), Spring (February) and Summer
// (June). Version 20.0 was Winter '11; each release adds one, so 62.0 is
// Winter '25, 65.0 Winter '26 and 68.0 Winter '27. The live org serves the
// versions of the release its simulated clock is in.

// FirstAPIVersion is the oldest version caplab knows: Winter '11.
const FirstAPIVersion = 20

// Release days caplab uses. Salesforce upgrades orgs over a few weekends,
// different each year (UNCONFIRMED: these are typical first days).
var (
	springReleaseDay = releaseDay{time.February, 14}
	summerReleaseDay = releaseDay{time.June, 13}
	winterReleaseDay = releaseDay{time.October, 11}
)

type releaseDay struct {
	month time.Month
	day   int
}

// apiVersionHorizon bounds the simulated clock for versions: a scenario
// dated in the far future still lists a bounded number of them.
var apiVersionHorizon = day(2100, 1, 1)

// API version retirements (Salesforce Help 000354473 and 005321531): from
// the release named, REST API answers 410 GONE below the version given.
var apiRetirements = []struct {
	release int // the Summer release that retires
	oldest  int // the oldest version still served from then
}{
	{55, 21}, // Summer '22: 7.0–20.0 retired
	{64, 31}, // Summer '25: 21.0–30.0 retired
	{73, 41}, // Summer '28: 31.0–40.0 retired (announced April 2026)
}

// APIReleaseLabel is a version's release name, such as "Winter '25" for 62.
func APIReleaseLabel(version int) string {
	n := version - FirstAPIVersion
	year := 11 + floorDiv(n, 3)
	season := [...]string{"Winter", "Spring", "Summer"}[n-3*floorDiv(n, 3)]
	return season + " '" + pad2(year%100)
}

// apiReleaseDate is when a version's release reaches orgs.
func apiReleaseDate(version int) time.Time {
	n := version - FirstAPIVersion
	year := 2011 + floorDiv(n, 3)
	switch n - 3*floorDiv(n, 3) {
	case 0:
		return day(year-1, winterReleaseDay.month, winterReleaseDay.day)
	case 1:
		return day(year, springReleaseDay.month, springReleaseDay.day)
	}
	return day(year, summerReleaseDay.month, summerReleaseDay.day)
}

// CurrentAPIVersion is the newest API version at t: that of the latest
// release out by then.
func CurrentAPIVersion(t time.Time) int {
	if t.After(apiVersionHorizon) {
		t = apiVersionHorizon
	}
	v := FirstAPIVersion
	for !apiReleaseDate(v + 1).After(t) {
		v++
	}
	return v
}

// OldestAPIVersion is the oldest API version still served at t.
func OldestAPIVersion(t time.Time) int {
	oldest := FirstAPIVersion
	for _, r := range apiRetirements {
		if !t.Before(apiReleaseDate(r.release)) {
			oldest = r.oldest
		}
	}
	return oldest
}

// APIVersion statuses at a time.
const (
	APIVersionServed  = "served"
	APIVersionRetired = "retired" // REST API answers 410 GONE
	APIVersionUnknown = "unknown" // not released yet, or never existed: 404
)

// APIVersionStatus says whether version (its major number) is served at t.
// Versions from 7.0 up to the oldest served one are retired.
func APIVersionStatus(version int, t time.Time) string {
	switch {
	case version > CurrentAPIVersion(t) || version < 7:
		return APIVersionUnknown
	case version < OldestAPIVersion(t):
		return APIVersionRetired
	}
	return APIVersionServed
}

// FormatAPIVersion is a version as Salesforce writes it: "62.0".
func FormatAPIVersion(version int) string { return strconv.Itoa(version) + ".0" }

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// REST API errors the live org answers outside SOQL, in Salesforce's words
// (some UNCONFIRMED: see strings.go). The Format ones take fmt arguments.
const (
	LiveRESTErrNotFound        = restErrNotFound
	LiveRESTDescNotFound       = restDescNotFound
	LiveRESTErrGone            = restErrGone
	LiveRESTDescGone           = restDescGone
	LiveRESTErrMethod          = restErrMethod
	LiveRESTDescMethodFormat   = restDescMethod
	LiveRESTDescNoQuery        = restDescNoQuery
	LiveRESTDescBadRecordIDFmt = restDescBadRecordID
)
