package policy

import (
	"embed"
	"encoding/json"
	"path"
	"strings"
)

// Presets are embedded, versioned scenario documents, each with a title and
// a one-paragraph lesson.
//
//go:embed presets/*.json
var presetFS embed.FS

// PresetInfo describes one preset.
type PresetInfo struct {
	Name   string `json:"name"`
	Title  string `json:"title"`
	Lesson string `json:"lesson"`
}

// Presets lists the presets in name order.
func Presets() []PresetInfo {
	entries, _ := presetFS.ReadDir("presets") // sorted by file name
	out := make([]PresetInfo, 0, len(entries))
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".json")
		data, _ := Preset(name)
		var head struct{ Title, Lesson string }
		_ = json.Unmarshal(data, &head)
		out = append(out, PresetInfo{Name: name, Title: head.Title, Lesson: head.Lesson})
	}
	// By name: "a-b.json" comes before "a.json", but "a" before "a-b".
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Name < out[j-1].Name; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// Preset returns one preset's JSON by name.
func Preset(name string) ([]byte, bool) {
	if name == "" || strings.ContainsAny(name, "/\\.") {
		return nil, false
	}
	data, err := presetFS.ReadFile(path.Join("presets", name+".json"))
	return data, err == nil
}
