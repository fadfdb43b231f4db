package deploy_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caplab/caplab/infra/deploy"
	"github.com/caplab/caplab/site/sitebuild"
)

func build(t *testing.T, files map[string]string, manifest []sitebuild.File) string {
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if manifest != nil {
		b, _ := json.Marshal(sitebuild.Manifest{Files: manifest})
		os.WriteFile(filepath.Join(dir, sitebuild.ManifestName), b, 0o644)
	}
	return dir
}

// TestPlan: the objects for a build, in order, with their metadata.
func TestPlan(t *testing.T) {
	if deploy.ManifestName != sitebuild.ManifestName {
		t.Fatalf("manifest %q; the build writes %q", deploy.ManifestName, sitebuild.ManifestName)
	}
	dir := build(t, map[string]string{"index.html": "<html>", "index.html.br": "BR", "app.ABCDEFGH.js": "js", "app.ABCDEFGH.js.gz": "GZ", "logo.ABCDEFGH.png": "png"},
		[]sitebuild.File{{Name: "index.html"}, {Name: "app.ABCDEFGH.js", Immutable: true}, {Name: "logo.ABCDEFGH.png", Immutable: true}})
	objs, err := deploy.Plan(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.Key+" "+o.ContentEncoding+" "+string(o.Body)+" "+o.CacheControl)
	}
	want := []string{
		"app.ABCDEFGH.js  js " + deploy.ImmutableCacheControl,
		"app.ABCDEFGH.js.br  js " + deploy.ImmutableCacheControl, // no brotli copy: the file itself, no encoding
		"app.ABCDEFGH.js.gz gzip GZ " + deploy.ImmutableCacheControl,
		"logo.ABCDEFGH.png  png " + deploy.ImmutableCacheControl,
		"index.html  <html> no-cache", // last: after every asset it names
		"index.html.br br BR no-cache",
		"index.html.gz  <html> no-cache",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestPlanRefuses: only a build's own files are published.
func TestPlanRefuses(t *testing.T) {
	for _, tc := range []struct {
		name     string
		files    map[string]string
		manifest []sitebuild.File
		want     string
	}{
		{"no manifest (the source directory)", map[string]string{"index.html": "x", "handler.go": "package site"}, nil, "not a site build"},
		{"a file the build did not make", map[string]string{"index.html": "x", "README.md": "#"}, []sitebuild.File{{Name: "index.html"}}, "README.md"},
		{"a Go file in the manifest", map[string]string{"main.go": "x"}, []sitebuild.File{{Name: "main.go"}}, `".go"`},
		{"a path in the manifest", map[string]string{"index.html": "x"}, []sitebuild.File{{Name: "../index.html"}}, "bad file name"},
		{"a listed file missing", map[string]string{}, []sitebuild.File{{Name: "index.html"}}, "index.html"},
		{"an empty build", map[string]string{}, []sitebuild.File{}, "no files"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := deploy.Plan(build(t, tc.files, tc.manifest))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v; want one naming %s", err, tc.want)
			}
		})
	}
}

func TestParamsAndRegion(t *testing.T) {
	p, err := deploy.ParseParams(`DomainName="caplab.example.org" EnableWaf=true`)
	if err != nil || p["DomainName"] != "caplab.example.org" || p["EnableWaf"] != "true" {
		t.Fatalf("ParseParams: %v %v", p, err)
	}
	if _, err := deploy.ParseParams("DomainName"); err == nil || !strings.Contains(err.Error(), "DomainName") {
		t.Errorf("ParseParams without =: %v", err)
	}
	if err := deploy.CheckRegion("eu-west-1", p); err == nil || !strings.Contains(err.Error(), "us-east-1") {
		t.Errorf("CheckRegion(eu-west-1, EnableWaf=true): %v; want a refusal naming us-east-1", err)
	}
	for _, ok := range []struct {
		region string
		params map[string]string
	}{{"us-east-1", p}, {"eu-west-1", map[string]string{}}} {
		if err := deploy.CheckRegion(ok.region, ok.params); err != nil {
			t.Errorf("CheckRegion(%s, %v): %v", ok.region, ok.params, err)
		}
	}
	if err := (deploy.Outputs{"SiteUrl": "x"}).Need("SiteUrl", "TableName", "DistributionId"); err == nil || !strings.Contains(err.Error(), "DistributionId, TableName") {
		t.Errorf("Need: %v; want both missing outputs named", err)
	}
}
