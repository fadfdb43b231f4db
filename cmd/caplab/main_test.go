package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caplab/caplab/cmd/caplab/internal/metadata"
	"github.com/caplab/caplab/policy"
)

// runCLI runs caplab in-process.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"no args", nil, exitUsage, "", "Usage:"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{"eval preset json", []string{"eval", "--preset", "web-server-self-authorize"}, exitOK, `"schemaVersion": 1`, ""},
		{"eval preset text", []string{"eval", "--preset", "web-server-self-authorize", "--format", "text"}, exitOK, "✓ app.callbackUrl", ""},
		{"eval bad format", []string{"eval", "--preset", "web-server-self-authorize", "--format", "xml"}, exitUsage, "", "--format must be one of json, text"},
		{"eval missing file", []string{"eval", "testdata/nope.json"}, exitFail, "", "no such file"},
		{"eval invalid scenario", []string{"eval", "testdata/broken.json"}, exitUsage, "", "/orgs/0/type"},
		{"eval invalid scenario names line", []string{"eval", "testdata/broken.json"}, exitUsage, "", "testdata/broken.json:4:"},
		{"eval bad now", []string{"eval", "--preset", "web-server-self-authorize", "--now", "yesterday"}, exitUsage, "", "--now must be RFC 3339"},
		{"eval unknown preset", []string{"eval", "--preset", "nope"}, exitUsage, "", `no preset "nope"`},
		{"lint broken", []string{"lint", "testdata/broken.json"}, exitUsage, "", "/orgs/0/users/0/active"},
		{"lint ok", []string{"lint", "testdata/wrong-expectation.json"}, exitOK, "ok", ""},
		{"presets list", []string{"presets"}, exitOK, "web-server-self-authorize", ""},
		{"presets one", []string{"presets", "web-server-self-authorize"}, exitOK, `"schemaVersion": 1`, ""},
		{"presets unknown", []string{"presets", "nope"}, exitUsage, "", `no preset "nope"`},
		{"test wrong expectation", []string{"test", "testdata/wrong-expectation.json"}, exitFail, "0 passed, 1 failed", ""},
		{"test wrong expectation diff", []string{"test", "testdata/wrong-expectation.json"}, exitFail, `outcome: got "denied"; want "granted"`, ""},
		{"test presets", []string{"test", "--presets"}, exitOK, " passed, 0 failed", ""},
		{"test invalid", []string{"test", "testdata/broken.json"}, exitUsage, "0 passed, 1 failed", "/orgs/0/type"},
		{"diff same", []string{"diff", "preset:web-server-self-authorize", "preset:web-server-self-authorize"}, exitOK, "answer alike", ""},
		{"diff differs", []string{"diff", "testdata/wrong-expectation.json", "preset:web-server-self-authorize"}, exitFail, "event 0", ""},
		{"id18", []string{"id18", "00558000001N0Ke"}, exitOK, "00558000001N0KeAAK\n", ""},
		{"id18 bad", []string{"id18", "0055800"}, exitUsage, "", "0055800"},
		{"install-url", []string{"install-url", "--my-domain", "globex", "--app-id", "0Ci5g000000L0bE", "--org-id", "00D5g000004XyZa"}, exitOK,
			"https://globex.my.salesforce.com/identity/app/AppInstallApprovalPage.apexp?app_id=0Ci5g000000L0bE", ""},
		{"install-url wrong prefix", []string{"install-url", "--my-domain", "globex", "--app-id", "00D5g000004XyZa", "--org-id", "00D5g000004XyZa"}, exitUsage, "", "0Ci"},
		{"install-url missing flag", []string{"install-url", "--my-domain", "globex"}, exitUsage, "", "is required"},
		{"install-url evil host", []string{"install-url", "--my-domain", "evil.com", "--app-id", "0Ci5g000000L0bE", "--org-id", "00D5g000004XyZa"}, exitUsage, "", "evil.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code: got %d; want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.wantStdout) {
				t.Errorf("stdout: got %q; want it to contain %q", stdout, tt.wantStdout)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr: got %q; want it to contain %q", stderr, tt.wantStderr)
			}
		})
	}
}

// Every preset evaluates from the CLI to the same JSON as the library, and
// its text trace names every rule of the trace.
func TestEvalEveryPreset(t *testing.T) {
	for _, p := range policy.Presets() {
		t.Run(p.Name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", "eval", "--preset", p.Name)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var res policy.Result
			if err := json.Unmarshal([]byte(stdout), &res); err != nil {
				t.Fatalf("output is not result JSON: %v", err)
			}
			data, _ := policy.Preset(p.Name)
			want, err := policy.EvaluateJSON(data, policy.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Results) != len(want.Results) {
				t.Fatalf("results: got %d; want %d", len(res.Results), len(want.Results))
			}
			_, text, _ := runCLI(t, "", "eval", "--preset", p.Name, "--format", "text")
			for _, r := range want.Results {
				for _, step := range r.Trace {
					if !strings.Contains(text, step.Rule) {
						t.Errorf("text trace lacks rule %q of event %d", step.Rule, r.Event)
					}
				}
			}
		})
	}
}

func TestEvalStdin(t *testing.T) {
	data, _ := policy.Preset("web-server-self-authorize")
	code, stdout, stderr := runCLI(t, string(data), "eval", "-", "--format", "text")
	if code != exitOK || !strings.Contains(stdout, "GRANTED") {
		t.Fatalf("exit %d; stdout %q; stderr %q", code, stdout, stderr)
	}
}

func TestTestDirectory(t *testing.T) {
	dir := t.TempDir()
	for _, p := range policy.Presets()[:2] {
		data, _ := policy.Preset(p.Name)
		if err := os.WriteFile(filepath.Join(dir, p.Name+".json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, _ := runCLI(t, "", "test", dir)
	if code != exitOK || !strings.Contains(stdout, " passed, 0 failed") {
		t.Fatalf("exit %d; stdout %q", code, stdout)
	}
}

func TestImportMetadata(t *testing.T) {
	code, stdout, stderr := runCLI(t, "", "import-metadata", "internal/metadata/testdata/Legacy_Canvas_Tool.connectedApp-meta.xml")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res metadata.ImportResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("stdout is not an import result: %v", err)
	}
	if !strings.Contains(stderr, "futureElement") {
		t.Errorf("stderr: got %q; want a note naming futureElement", stderr)
	}
	code, _, stderr = runCLI(t, "<ConnectedApp><label>x</label>", "import-metadata", "-")
	if code != exitUsage || stderr == "" {
		t.Errorf("malformed XML: exit %d, stderr %q; want exit 2 with an error", code, stderr)
	}
}
