package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readmeNotRun lists the README commands this test does not run, by
// prefix, and why. Every other line of the README's sh blocks runs.
var readmeNotRun = map[string]string{
	"make run":          "serves until stopped; the test starts caplab serve itself for the curl lines",
	"make test":         "is the whole test suite, this test included",
	"sf org login web ": "opens a browser for an interactive login; lambda/httpapi/clients runs the Salesforce CLI against a live org in make test",
}

// readmeCommandTimeout bounds one README command; they take seconds.
const readmeCommandTimeout = 2 * time.Minute

// TestReadmeCommands runs the commands of README.md's sh blocks from a
// scratch directory that sees the repository's files: `go run ./cmd/caplab`
// is the caplab built once here, and http://127.0.0.1:8080 is a caplab serve
// started here (memory store, no org ports). A command exits 0 unless its
// comment says "exit N".
func TestReadmeCommands(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	commands := shCommands(string(readme))
	if len(commands) < 5 {
		t.Fatalf("README.md has %d commands in sh blocks; want the tour's and the live org's", len(commands))
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "caplab"), "./cmd/caplab")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/caplab: %v\n%s", err, out)
	}
	work := scratchCheckout(t, root)
	base := startCaplabServe(t, filepath.Join(bin, "caplab"), work)

	used := map[string]bool{}
	for _, line := range commands {
		if prefix, skip := notRunPrefix(line); skip {
			t.Logf("not run (%s): %s", readmeNotRun[prefix], line)
			used[prefix] = true
			continue
		}
		cmdline := strings.ReplaceAll(line, "go run ./cmd/caplab", "caplab")
		cmdline = strings.ReplaceAll(cmdline, "http://127.0.0.1:8080", base)
		ctx, cancel := context.WithTimeout(context.Background(), readmeCommandTimeout)
		cmd := exec.CommandContext(ctx, "bash", "-c", cmdline)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.Output()
		cancel()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Errorf("%s: %v", line, err)
			continue
		}
		t.Logf("ran (exit %d): %s", code, cmdline)
		if want := expectedExit(line); code != want {
			t.Errorf("%s: exit %d; want %d\nstdout: %.500s\nstderr: %.500s", line, code, want, out, stderrOf(err))
		}
		if strings.Contains(line, "curl ") && strings.Contains(line, "/api/scenarios") {
			var share struct{ ID, Issuer string }
			if err := json.Unmarshal(out, &share); err != nil || share.ID == "" || share.Issuer == "" {
				t.Errorf("%s: got %.300s; want a share with id and issuer", line, out)
			}
		}
	}
	for prefix := range readmeNotRun {
		if !used[prefix] {
			t.Errorf("readmeNotRun lists %q, which no README command starts with: drop it", prefix)
		}
	}
}

// shCommands are the lines of a markdown document's ```sh blocks that are
// commands (not blank, not comments).
func shCommands(doc string) []string {
	var out []string
	in := false
	for line := range strings.Lines(doc) {
		line = strings.TrimSpace(line)
		switch {
		case line == "```sh":
			in = true
		case strings.HasPrefix(line, "```"):
			in = false
		case in && line != "" && !strings.HasPrefix(line, "#"):
			out = append(out, line)
		}
	}
	return out
}

func notRunPrefix(line string) (string, bool) {
	for prefix := range readmeNotRun {
		if strings.HasPrefix(line, prefix) {
			return prefix, true
		}
	}
	return "", false
}

var exitComment = regexp.MustCompile(`#.*\bexit (\d+)\b`)

// expectedExit is the exit status a command's comment announces, else 0.
func expectedExit(line string) int {
	if m := exitComment.FindStringSubmatch(line); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// scratchCheckout is a directory whose entries link to the repository's,
// so README commands read the repository's files and write their own
// (my-scenario.json) elsewhere.
func scratchCheckout(t *testing.T, root string) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if name := e.Name(); !strings.HasPrefix(name, ".") && name != "build" {
			if err := os.Symlink(filepath.Join(root, name), filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// startCaplabServe runs caplab serve on a free loopback port and returns
// its base URL once it serves.
func startCaplabServe(t *testing.T, caplab, dir string) string {
	t.Helper()
	cmd := exec.Command(caplab, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--site=", "--store", "memory", "--org-ports", "off")
	cmd.Dir = dir
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := regexp.MustCompile(`caplab serving.* addr=(http://127\.0\.0\.1:\d+)`)
	found := make(chan string, 1)
	go func() {
		var seen []string
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := addr.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
			if len(seen) < 20 {
				seen = append(seen, sc.Text())
			}
		}
		found <- "exited: " + strings.Join(seen, "\n") // caplab serve stopped
	}()
	select {
	case base := <-found:
		if after, ok := strings.CutPrefix(base, "exited: "); ok {
			t.Fatalf("caplab serve exited:\n%s", after)
		}
		return base
	case <-time.After(readmeCommandTimeout):
		t.Fatal("caplab serve did not start")
	}
	return ""
}
