package policy

import (
	"strconv"
	"strings"
	"testing"
)

func TestID18(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "00558000001N0Ke", want: "00558000001N0KeAAK"},
		{in: "00558000001N0KeAAK", want: "00558000001N0KeAAK"},
		{in: "00558000001N0Keaak", want: "00558000001N0KeAAK"},
		{in: "000000000000000", want: "000000000000000AAA"},
		{in: "AAAAAAAAAAAAAAA", want: "AAAAAAAAAAAAAAA555"},
		{in: "aaaaaaaaaaaaaaa", want: "aaaaaaaaaaaaaaaAAA"},
		{in: "", err: `record id "" has 0 characters; want 15 or 18`},
		{in: "00558000001N0K", err: `record id "00558000001N0K" has 14 characters; want 15 or 18`},
		{in: "00558000001N0KeAA", err: `has 17 characters; want 15 or 18`},
		{in: "00558000001N-Ke", err: `record id "00558000001N-Ke": character '-' at position 13 is not a letter or digit`},
		{in: "00558000001N0Ké", err: `character 'é' at position 15 is not a letter or digit`},
		{in: "00558000001N0KeAA!", err: `character '!' at position 18 is not a letter or digit`},
		{in: "00558000001N0KeAAA", err: `record id "00558000001N0KeAAA": checksum "AAA" does not match its first 15 characters; want suffix "AAK"`},
		{in: "00558000001n0KeAAK", err: `want suffix "AAI"`},
		{in: strings.Repeat("x", 100), err: `record id "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"… has 100 characters`},
	}
	for _, tt := range tests {
		got, err := ID18(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ID18(%q) error = %v; want it to contain %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ID18(%q) error: %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ID18(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestID15(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "00558000001N0Ke", want: "00558000001N0Ke"},
		{in: "00558000001N0KeAAK", want: "00558000001N0Ke"},
		{in: "00558000001N0Keaak", want: "00558000001N0Ke"},
		{in: "00558000001N0KeAAB", err: `want suffix "AAK"`},
		{in: "0055", err: "has 4 characters"},
	}
	for _, tt := range tests {
		got, err := ID15(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ID15(%q) error = %v; want it to contain %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ID15(%q) error: %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ID15(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestCheckIDPrefix(t *testing.T) {
	tests := []struct {
		id, prefix, err string
	}{
		{id: "00D5g000004XyZa", prefix: "00D"},
		{id: "00558000001N0KeAAK", prefix: "005"},
		{id: "00e5g000001AbCd", prefix: "00e"},
		{id: "0015g00000ABCDE", prefix: "00D", err: `"0015g00000ABCDE" is not a 00D id (Organization): it starts with 001`},
		{id: "00E5g000001AbCd", prefix: "00e", err: `"00E5g000001AbCd" is not a 00e id (Profile): it starts with 00E (UserRole)`},
		{id: "0H45g000000L0bE", prefix: "0Ci", err: `is not a 0Ci id (connected app, AppInstallApprovalPage app_id): it starts with 0H4 (ConnectedApplication)`},
		{id: "abc5g000000L0bE", prefix: "zzz", err: `"abc5g000000L0bE" is not a zzz id: it starts with abc`},
		{id: "00D5g", prefix: "00D", err: `not a valid 00D id (Organization): record id "00D5g" has 5 characters; want 15 or 18`},
		{id: "00558000001N0KeAAA", prefix: "005", err: `not a valid 005 id (User): record id "00558000001N0KeAAA": checksum`},
	}
	for _, tt := range tests {
		err := CheckIDPrefix(tt.id, tt.prefix)
		if tt.err == "" {
			if err != nil {
				t.Errorf("CheckIDPrefix(%q, %q) error: %v", tt.id, tt.prefix, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("CheckIDPrefix(%q, %q) error = %v; want it to contain %q", tt.id, tt.prefix, err, tt.err)
		}
	}
}

func TestIDPrefixName(t *testing.T) {
	tests := []struct{ prefix, want string }{
		{"00D", "Organization"},
		{"005", "User"},
		{"00e", "Profile"},
		{"00E", "UserRole"},
		{"0PS", "PermissionSet"},
		{"0H4", "ConnectedApplication"},
		{"0Ci", "connected app, AppInstallApprovalPage app_id"},
		{"888", "legacy Remote Access"},
		{"06P", "application id"},
		{"0CI", ""},
		{"001", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := IDPrefixName(tt.prefix); got != tt.want {
			t.Errorf("IDPrefixName(%q) = %q; want %q", tt.prefix, got, tt.want)
		}
	}
}

func TestGenerateID(t *testing.T) {
	tests := []struct{ prefix, seed string }{
		{"00D", "Acme"},
		{"00D", "Acme ISV"},
		{"005", "ana@acme.test"},
		{"0Ci", "Acme Sync"},
		{"00e", ""},
		{"0PS", "émoji 🙂 seed"},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		got := GenerateID(tt.prefix, tt.seed)
		if len(got) != 18 {
			t.Errorf("GenerateID(%q, %q) = %q; want 18 characters", tt.prefix, tt.seed, got)
		}
		if err := CheckIDPrefix(got, tt.prefix); err != nil {
			t.Errorf("GenerateID(%q, %q) = %q: %v", tt.prefix, tt.seed, got, err)
		}
		if again := GenerateID(tt.prefix, tt.seed); again != got {
			t.Errorf("GenerateID(%q, %q) = %q then %q; want the same id every time", tt.prefix, tt.seed, got, again)
		}
		if canon, _ := ID18(got); canon != got {
			t.Errorf("GenerateID(%q, %q) = %q; want the normalised form %q", tt.prefix, tt.seed, got, canon)
		}
		if prev, dup := seen[got]; dup {
			t.Errorf("GenerateID(%q, %q) = %q, the same as for %q", tt.prefix, tt.seed, got, prev)
		}
		seen[got] = tt.seed
	}
	// The same seed under two prefixes must not share a body.
	if a, b := GenerateID("00D", "x"), GenerateID("005", "x"); a[3:15] == b[3:15] {
		t.Errorf("GenerateID bodies for 00D and 005 are both %q; want them to differ", a[3:15])
	}
}

func TestGenerateIDBadPrefix(t *testing.T) {
	for _, prefix := range []string{"", "00", "00DX", "0-D"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("GenerateID(%q, seed) did not panic; want a panic for a bad prefix", prefix)
				}
			}()
			GenerateID(prefix, "seed")
		}()
	}
}

func TestMyDomainHost(t *testing.T) {
	tests := []struct {
		name    string
		sandbox bool
		want    string
	}{
		{"acme", false, "acme.my.salesforce.com"},
		{"Acme", false, "acme.my.salesforce.com"},
		{"acme--uat", true, "acme--uat.sandbox.my.salesforce.com"},
	}
	for _, tt := range tests {
		if got := MyDomainHost(tt.name, tt.sandbox); got != tt.want {
			t.Errorf("MyDomainHost(%q, %v) = %q; want %q", tt.name, tt.sandbox, got, tt.want)
		}
	}
}

func TestNormalizeMyDomainHost(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "acme", want: "acme.my.salesforce.com"},
		{in: " ACME ", want: "acme.my.salesforce.com"},
		{in: "acme--uat", want: "acme--uat.sandbox.my.salesforce.com"},
		{in: "acme.my.salesforce.com", want: "acme.my.salesforce.com"},
		{in: "acme--uat.sandbox.my.salesforce.com", want: "acme--uat.sandbox.my.salesforce.com"},
		{in: "acme--uat.my.salesforce.com", want: "acme--uat.my.salesforce.com"},
		{in: "acme-dev-ed.develop.my.salesforce.com", want: "acme-dev-ed.develop.my.salesforce.com"},
		{in: "https://acme.my.salesforce.com", want: "acme.my.salesforce.com"},
		{in: "HTTPS://Acme.My.Salesforce.com/", want: "acme.my.salesforce.com"},
		{in: "", err: "My Domain is empty"},
		{in: "evil.com", err: `"evil.com" is not a Salesforce My Domain host`},
		{in: "acme.my.salesforce.com.evil.com", err: "is not a Salesforce My Domain host"},
		{in: "login.salesforce.com", err: "login.salesforce.com is the generic login host, not a My Domain host"},
		{in: "https://test.salesforce.com", err: "test.salesforce.com is the generic login host"},
		{in: "http://acme.my.salesforce.com", err: `My Domain "http://acme.my.salesforce.com": want an https:// URL`},
		{in: "https://acme.my.salesforce.com/path", err: "want a host only"},
		{in: "acme.my.salesforce.com:443", err: "want a host only"},
		{in: "user@acme.my.salesforce.com", err: "want a host only"},
		{in: "acme.lightning.force.com", err: "is not a Salesforce My Domain host"},
		{in: "acme.evil.my.salesforce.com", err: `unknown part "evil" before my.salesforce.com`},
		{in: "acme.sandbox.my.salesforce.com", err: "is not a sandbox My Domain host"},
		{in: ".my.salesforce.com", err: "the name must have 1 to 63 characters"},
		{in: "ac_me", err: `character '_' at position 3 is not a letter, digit or hyphen`},
		{in: "-acme", err: "must not start or end with a hyphen"},
	}
	for _, tt := range tests {
		got, err := NormalizeMyDomainHost(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("NormalizeMyDomainHost(%q) error = %v; want it to contain %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("NormalizeMyDomainHost(%q) error: %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("NormalizeMyDomainHost(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestInstallURL(t *testing.T) {
	const (
		app15 = "0Ci5g000000L0bE"
		org15 = "00D5g000004XyZa"
	)
	app18, _ := ID18(app15)
	org18, _ := ID18(org15)
	tests := []struct {
		host, app, org, want, err string
	}{
		{host: "acme", app: app15, org: org15,
			want: "https://acme.my.salesforce.com/identity/app/AppInstallApprovalPage.apexp?app_id=" + app18 + "&app_org_id=" + org18},
		{host: "acme--uat.sandbox.my.salesforce.com", app: app18, org: org18,
			want: "https://acme--uat.sandbox.my.salesforce.com/identity/app/AppInstallApprovalPage.apexp?app_id=" + app18 + "&app_org_id=" + org18},
		{host: "https://acme.my.salesforce.com", app: app15, org: org18,
			want: "https://acme.my.salesforce.com/identity/app/AppInstallApprovalPage.apexp?app_id=" + app18 + "&app_org_id=" + org18},
		{host: "evil.com", app: app15, org: org15, err: `"evil.com" is not a Salesforce My Domain host`},
		{host: "login.salesforce.com", app: app15, org: org15, err: "not a My Domain host"},
		{host: "acme", app: "0H45g000000L0bE", org: org15,
			err: `app_id: "0H45g000000L0bE" is not a 0Ci id (connected app, AppInstallApprovalPage app_id): it starts with 0H4 (ConnectedApplication)`},
		{host: "acme", app: org15, org: app15, err: "app_id: "},
		{host: "acme", app: app15, org: "0055g000001AbCd", err: `app_org_id: "0055g000001AbCd" is not a 00D id (Organization): it starts with 005 (User)`},
		{host: "acme", app: app15, org: "00D5g", err: "app_org_id: not a valid 00D id (Organization)"},
	}
	for _, tt := range tests {
		got, err := InstallURL(tt.host, tt.app, tt.org)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("InstallURL(%q, %q, %q) error = %v; want it to contain %q", tt.host, tt.app, tt.org, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("InstallURL(%q, %q, %q) error: %v", tt.host, tt.app, tt.org, err)
			continue
		}
		if got != tt.want {
			t.Errorf("InstallURL(%q, %q, %q) = %q; want %q", tt.host, tt.app, tt.org, got, tt.want)
		}
	}
}

func FuzzID18(f *testing.F) {
	f.Add("00558000001N0Ke")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ID18(in)
		if err != nil {
			return
		}
		if len(got) != 18 {
			t.Fatalf("ID18(%q) = %q; want 18 characters", in, got)
		}
		again, err := ID18(got)
		if err != nil || again != got {
			t.Fatalf("ID18(%q) = %q, %v; want %q (idempotent)", got, again, err, got)
		}
		short, err := ID15(got)
		if err != nil || short != in[:15] {
			t.Fatalf("ID15(%q) = %q, %v; want %q", got, short, err, in[:15])
		}
		if len(in) == 15 && short != in {
			t.Fatalf("ID15(ID18(%q)) = %q; want %q", in, short, in)
		}
		if err := CheckIDPrefix(got, in[:3]); err != nil {
			t.Fatalf("CheckIDPrefix(%q, %q): %v", got, in[:3], err)
		}
	})
}

// Generated ids come from a non-cryptographic digest: similar seeds must
// still give unrelated ids, and the digest must not change between runs.
func TestGenerateIDSpread(t *testing.T) {
	seen := map[string]string{}
	for i := range 5000 {
		seed := "user" + strconv.Itoa(i) + "@acme.test"
		id := GenerateID("005", seed)
		if prev, dup := seen[id[:15]]; dup {
			t.Fatalf("GenerateID(005, %q) = %q, the same as for %q", seed, id, prev)
		}
		seen[id[:15]] = seed
	}
	// Neighbouring seeds differ in most of the nine random characters.
	a, b := GenerateID("005", "user1"), GenerateID("005", "user2")
	same := 0
	for i := 6; i < 15; i++ {
		if a[i] == b[i] {
			same++
		}
	}
	if same > 3 {
		t.Errorf("GenerateID for user1 and user2: %s and %s share %d of 9 characters", a, b, same)
	}
	// Pinned values: ids are the same in every run, native or in the
	// browser, so scenarios without explicit ids keep theirs.
	for _, tt := range []struct{ prefix, seed, want string }{
		{"00D", "Acme", "00DR10eQ16QaZdiMEF"},
		{"005", "ana@acme.test", "0051n0HAyW26XQ4AWM"},
	} {
		if got := GenerateID(tt.prefix, tt.seed); got != tt.want {
			t.Errorf("GenerateID(%q, %q) = %q; want %q", tt.prefix, tt.seed, got, tt.want)
		}
	}
}
