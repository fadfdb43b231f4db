package site_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/caplab/caplab/policy"
)

// TestReadmePresetsExist: every preset the README names (the tour, the
// examples) is one the engine has.
func TestReadmePresetsExist(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	named := regexp.MustCompile(`(?:--preset |preset:)([a-z0-9][a-z0-9-]*)`).FindAllSubmatch(readme, -1)
	if len(named) == 0 {
		t.Fatal("the README names no preset: nothing was checked")
	}
	for _, m := range named {
		if _, ok := policy.Preset(string(m[1])); !ok {
			t.Errorf("the README names preset %q, which does not exist (caplab presets lists them)", m[1])
		}
	}
}
