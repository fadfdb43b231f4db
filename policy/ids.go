package policy

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Salesforce record IDs: 15 case-sensitive characters, or 18 where the last
// three are a case-insensitive checksum of the first 15 so that tools that
// ignore case (spreadsheets, SOQL on some fields) still tell IDs apart.

// idChecksumAlphabet maps a chunk's 5 upper-case bits to a suffix character.
const idChecksumAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

// idBase62 is the alphabet of generated IDs: the characters Salesforce uses.
const idBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// idPrefixNames are the key prefixes caplab knows, with the entity behind
// each; the names appear in error messages.
var idPrefixNames = map[string]string{
	"00D": "Organization",
	"005": "User",
	"00e": "Profile",
	"00E": "UserRole",
	"0PS": "PermissionSet",
	"0H4": "ConnectedApplication",
	"0Ci": "connected app, AppInstallApprovalPage app_id",
	"888": "legacy Remote Access",
	"06P": "application id",
}

// IDPrefixName names the entity behind a key prefix, or "" when caplab does
// not know it. Prefixes are case-sensitive: 00e is Profile, 00E UserRole.
func IDPrefixName(prefix string) string {
	return idPrefixNames[prefix]
}

// ID18 returns the 18-character form of a 15- or 18-character ID. An
// 18-character ID must carry the right checksum (compared ignoring case, as
// Salesforce does); it comes back with an upper-case suffix.
func ID18(id string) (string, error) {
	n := utf8.RuneCountInString(id)
	if n != 15 && n != 18 {
		return "", fmt.Errorf("record id %s has %d characters; want 15 or 18", quoteID(id), n)
	}
	for i, r := range []rune(id) {
		if !isIDChar(r) {
			return "", fmt.Errorf("record id %s: character %q at position %d is not a letter or digit", quoteID(id), r, i+1)
		}
	}
	want := idChecksum(id[:15])
	if n == 15 {
		return id + want, nil
	}
	if got := strings.ToUpper(id[15:]); got != want {
		return "", fmt.Errorf("record id %s: checksum %q does not match its first 15 characters; want suffix %q", quoteID(id), id[15:], want)
	}
	return id[:15] + want, nil
}

// ID15 returns the 15-character, case-sensitive form of a valid ID.
func ID15(id string) (string, error) {
	full, err := ID18(id)
	if err != nil {
		return "", err
	}
	return full[:15], nil
}

// CheckIDPrefix reports whether id is a valid 15- or 18-character ID whose
// key prefix (its first three characters, case-sensitive) is prefix.
func CheckIDPrefix(id, prefix string) error {
	what := prefix + " id" + prefixSuffix(prefix)
	if _, err := ID18(id); err != nil {
		return fmt.Errorf("not a valid %s: %w", what, err)
	}
	if got := id[:3]; got != prefix {
		return fmt.Errorf("%s is not a %s: it starts with %s%s", quoteID(id), what, got, prefixSuffix(got))
	}
	return nil
}

// GenerateID derives a valid 18-character ID with the given 3-character key
// prefix from seed, so that scenarios without explicit IDs still evaluate
// the same way every time. The shape follows real IDs: prefix, two pod
// characters, a reserved 0, nine base-62 digits, checksum.
func GenerateID(prefix string, seed string) string {
	if len(prefix) != 3 || !isIDChar(rune(prefix[0])) || !isIDChar(rune(prefix[1])) || !isIDChar(rune(prefix[2])) {
		panic(fmt.Sprintf("policy.GenerateID: prefix %q is not 3 letters or digits", prefix))
	}
	sum := digest32(prefix + "\x00" + seed)
	b := make([]byte, 0, 18)
	b = append(b, prefix...)
	b = append(b, idBase62[int(sum[0])%62], idBase62[int(sum[1])%62], '0')
	for _, x := range sum[2:11] {
		b = append(b, idBase62[int(x)%62])
	}
	return string(b) + idChecksum(string(b))
}

// digest32 is a deterministic 32-byte digest of s for synthetic ids and
// tokens: four 64-bit FNV-1a hashes of s, each seeded with its index and
// finished with the SplitMix64 mixer so every input bit moves every output
// bit. It is no cryptographic hash (nothing here is a secret), and it
// keeps crypto/sha256 out of the browser build.
func digest32(s string) [32]byte {
	const (
		offset64 = 14695981039346656037
		prime64  = 1099511628211
	)
	var out [32]byte
	for i := range 4 {
		h := uint64(offset64)
		h = (h ^ uint64(i)) * prime64
		for j := range len(s) {
			h = (h ^ uint64(s[j])) * prime64
		}
		h = (h ^ h>>30) * 0xbf58476d1ce4e5b9
		h = (h ^ h>>27) * 0x94d049bb133111eb
		h ^= h >> 31
		for b := range 8 {
			out[i*8+b] = byte(h >> (56 - 8*b))
		}
	}
	return out
}

// idChecksum computes the 3-character suffix of a valid 15-character ID.
func idChecksum(id15 string) string {
	var suffix [3]byte
	for c := range 3 {
		bits := 0
		for i := range 5 {
			if ch := id15[c*5+i]; ch >= 'A' && ch <= 'Z' {
				bits |= 1 << i
			}
		}
		suffix[c] = idChecksumAlphabet[bits]
	}
	return string(suffix[:])
}

func isIDChar(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z'
}

// prefixSuffix is " (Name)" for a known prefix, else "".
func prefixSuffix(prefix string) string {
	if name := IDPrefixName(prefix); name != "" {
		return " (" + name + ")"
	}
	return ""
}

// quoteID quotes an ID for an error message, shortening absurd inputs so a
// pasted document does not flood the message.
func quoteID(id string) string {
	const limit = 40
	if utf8.RuneCountInString(id) > limit {
		return fmt.Sprintf("%q…", string([]rune(id)[:limit]))
	}
	return fmt.Sprintf("%q", id)
}

// myDomainPartitions are the labels enhanced domains put between a
// non-production org's My Domain name and my.salesforce.com.
var myDomainPartitions = map[string]bool{
	"sandbox": true, "develop": true, "scratch": true, "demo": true, "patch": true, "trailblaze": true,
}

// MyDomainHost builds the My Domain host of a name: acme →
// acme.my.salesforce.com; with sandbox, acme--uat →
// acme--uat.sandbox.my.salesforce.com.
func MyDomainHost(name string, sandbox bool) string {
	name = strings.ToLower(name)
	if sandbox {
		return name + ".sandbox.my.salesforce.com"
	}
	return name + ".my.salesforce.com"
}

// NormalizeMyDomainHost accepts a My Domain name (acme, acme--uat for a
// sandbox), a My Domain host, or an https:// URL of one, and returns the
// lower-case host. Anything else is refused, so that generated links never
// point at a generic login host or a foreign site.
func NormalizeMyDomainHost(s string) (string, error) {
	h := strings.TrimSpace(s)
	if len(h) >= len("https://") && strings.EqualFold(h[:len("https://")], "https://") {
		h = h[len("https://"):]
	} else if strings.Contains(h, "://") {
		return "", fmt.Errorf("My Domain %q: want an https:// URL, a host or a name", s)
	}
	h = strings.ToLower(strings.TrimSuffix(h, "/"))
	if h == "" {
		return "", fmt.Errorf("My Domain is empty: want a name such as acme or a host such as acme.my.salesforce.com")
	}
	if strings.ContainsAny(h, "/?#@: ") {
		return "", fmt.Errorf("My Domain %q: want a host only, without path, port, query or user", s)
	}
	if !strings.Contains(h, ".") {
		if err := checkMyDomainName(h); err != nil {
			return "", fmt.Errorf("My Domain %q: %w", s, err)
		}
		return MyDomainHost(h, strings.Contains(h, "--")), nil
	}
	if h == "login.salesforce.com" || h == "test.salesforce.com" {
		return "", fmt.Errorf("%s is the generic login host, not a My Domain host: use the org's own, e.g. acme.my.salesforce.com", h)
	}
	name, ok := strings.CutSuffix(h, ".my.salesforce.com")
	if !ok {
		return "", fmt.Errorf("%q is not a Salesforce My Domain host: want NAME.my.salesforce.com, NAME--SANDBOX.sandbox.my.salesforce.com or just NAME", s)
	}
	if label, partition, found := strings.Cut(name, "."); found {
		if !myDomainPartitions[partition] {
			return "", fmt.Errorf("%q is not a Salesforce My Domain host: unknown part %q before my.salesforce.com", s, partition)
		}
		if partition == "sandbox" && !strings.Contains(label, "--") {
			return "", fmt.Errorf("%q is not a sandbox My Domain host: want NAME--SANDBOX.sandbox.my.salesforce.com", s)
		}
		name = label
	}
	if err := checkMyDomainName(name); err != nil {
		return "", fmt.Errorf("My Domain %q: %w", s, err)
	}
	return h, nil
}

// checkMyDomainName checks one DNS label of a My Domain.
func checkMyDomainName(name string) error {
	if name == "" || len(name) > 63 {
		return fmt.Errorf("the name must have 1 to 63 characters")
	}
	for i, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return fmt.Errorf("character %q at position %d is not a letter, digit or hyphen", r, i+1)
		}
	}
	if name[0] == '-' || name[len(name)-1] == '-' {
		return fmt.Errorf("the name must not start or end with a hyphen")
	}
	return nil
}

// InstallURL builds the link that installs a connected app, without a
// package, into the org behind myDomainHost: AppInstallApprovalPage with the
// app's 0Ci id and the owner org's 00D id, both in 18-character form.
func InstallURL(myDomainHost, appID, ownerOrgID string) (string, error) {
	host, err := NormalizeMyDomainHost(myDomainHost)
	if err != nil {
		return "", err
	}
	if err := CheckIDPrefix(appID, "0Ci"); err != nil {
		return "", fmt.Errorf("app_id: %w (the 0Ci id ends the owner org's App Manager edit URL)", err)
	}
	if err := CheckIDPrefix(ownerOrgID, "00D"); err != nil {
		return "", fmt.Errorf("app_org_id: %w (the owner org's id is in Setup → Company Information)", err)
	}
	app, _ := ID18(appID)
	org, _ := ID18(ownerOrgID)
	return "https://" + host + "/identity/app/AppInstallApprovalPage.apexp?app_id=" + app + "&app_org_id=" + org, nil
}
