package deploy

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The site build (site/sitebuild) is one flat directory: content-hashed
// assets, index.html and sw.js, a .br and a .gz copy beside most of them,
// and the manifest .sitebuild.json naming every file and whether its name
// is content-hashed. Publish uploads exactly those files.

// ManifestName is the build's manifest (a dotfile: never published).
const ManifestName = ".sitebuild.json"

// Cache-Control values, as site.Handler sends them.
const (
	ImmutableCacheControl  = "public, max-age=31536000, immutable" // content-hashed names never change content
	RevalidateCacheControl = "no-cache"                            // index.html, sw.js: a deploy is seen at once
)

// ContentTypes are the only extensions published (the site's own, as
// site.Handler serves them); any other file stops the publish, so a Go
// file or a README never reaches the bucket.
var ContentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".wasm":        "application/wasm",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".ico":         "image/vnd.microsoft.icon",
	".json":        "application/json",
	".webmanifest": "application/manifest+json",
}

// Precompressed are the extensions whose requests the site's CloudFront
// Function sends to name.br or name.gz (infra/template.yaml SiteFunction
// has the same list). For each such file both keys are published: the
// build's compressed copy with Content-Encoding, or, when the build made
// none (compression would not help), the file itself without one.
var Precompressed = []string{"html", "js", "css", "wasm", "json", "svg", "txt", "map", "webmanifest", "xml"}

// Encodings are the copies' suffixes and Content-Encoding values.
var Encodings = []struct{ Suffix, Coding string }{{".br", "br"}, {".gz", "gzip"}}

// keepOldAssets is how long an object of an earlier build stays: a page
// loaded before the deploy may still fetch its (hashed) assets.
const keepOldAssets = 7 * 24 * time.Hour

// uploadWorkers bounds concurrent PUTs (the build has about 30 objects).
const uploadWorkers = 8

// maxAssetBytes bounds one file read into memory (main.wasm is ~5 MB).
const maxAssetBytes = 64 << 20

// Object is one S3 object to write.
type Object struct {
	Key, ContentType, CacheControl, ContentEncoding string
	Body                                            []byte
}

// Plan lists the objects for the build in dir: immutable assets first,
// then the revalidated files (so a new index.html never names an asset
// that is not there yet).
func Plan(dir string) ([]Object, error) {
	mb, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, fmt.Errorf("%s is not a site build (no %s: run `go run ./scripts/site-build -o %s`): %w", dir, ManifestName, dir, err)
	}
	var m struct {
		Files []struct {
			Name      string `json:"name"`
			Immutable bool   `json:"immutable"`
		} `json:"files"`
	}
	if err := json.Unmarshal(mb, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestName, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	present := map[string]bool{}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			if !e.Type().IsRegular() {
				return nil, fmt.Errorf("%s: %s is not a regular file (the build is flat)", dir, e.Name())
			}
			present[e.Name()] = true
		}
	}
	var objs, last []Object
	used := map[string]bool{}
	for _, f := range m.Files {
		if f.Name == "" || strings.ContainsAny(f.Name, `/\`) || strings.HasPrefix(f.Name, ".") {
			return nil, fmt.Errorf("%s: bad file name %q", ManifestName, f.Name)
		}
		ext := filepath.Ext(f.Name)
		ct, ok := ContentTypes[ext]
		if !ok {
			return nil, fmt.Errorf("%s: %s has extension %q, which the site does not serve", dir, f.Name, ext)
		}
		body, err := readAsset(dir, f.Name)
		if err != nil {
			return nil, err
		}
		used[f.Name] = true
		cc := RevalidateCacheControl
		if f.Immutable {
			cc = ImmutableCacheControl
		}
		group := []Object{{Key: f.Name, ContentType: ct, CacheControl: cc, Body: body}}
		if slices.Contains(Precompressed, strings.TrimPrefix(ext, ".")) {
			for _, enc := range Encodings {
				o := Object{Key: f.Name + enc.Suffix, ContentType: ct, CacheControl: cc, Body: body}
				if present[f.Name+enc.Suffix] {
					if o.Body, err = readAsset(dir, f.Name+enc.Suffix); err != nil {
						return nil, err
					}
					o.ContentEncoding = enc.Coding
					used[f.Name+enc.Suffix] = true
				}
				group = append(group, o)
			}
		}
		if f.Immutable {
			objs = append(objs, group...)
		} else {
			last = append(last, group...)
		}
	}
	var extra []string
	for name := range present {
		if !used[name] {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return nil, fmt.Errorf("%s: files not in the build's manifest: %s", dir, strings.Join(extra, ", "))
	}
	if len(objs)+len(last) == 0 {
		return nil, fmt.Errorf("%s: the manifest lists no files", dir)
	}
	return append(objs, last...), nil
}

func readAsset(dir, name string) ([]byte, error) {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxAssetBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxAssetBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxAssetBytes)
	}
	return b, nil
}

// Report says what Publish did.
type Report struct {
	Uploaded, Unchanged, Pruned []string
	InvalidationID              string
	InvalidationPaths           []string
}

// Publish uploads the build in dir to bucket (skipping immutable objects
// already there with the same content), deletes objects of builds older
// than keepOldAssets, and invalidates the revalidated paths on the
// distribution.
func Publish(ctx context.Context, s3c *s3.Client, cf *cloudfront.Client, bucket, distributionID, dir string, now time.Time) (Report, error) {
	var rep Report
	objs, err := Plan(dir)
	if err != nil {
		return rep, err
	}
	existing, err := listObjects(ctx, s3c, bucket)
	if err != nil {
		return rep, err
	}
	var todo []Object
	for _, o := range objs {
		sum := md5.Sum(o.Body)
		if e, ok := existing[o.Key]; ok && o.CacheControl == ImmutableCacheControl && strings.Trim(aws.ToString(e.ETag), `"`) == hex.EncodeToString(sum[:]) {
			rep.Unchanged = append(rep.Unchanged, o.Key)
			continue
		}
		todo = append(todo, o)
	}
	// Immutable objects in parallel, then the revalidated ones.
	split := slices.IndexFunc(todo, func(o Object) bool { return o.CacheControl != ImmutableCacheControl })
	if split < 0 {
		split = len(todo)
	}
	for _, batch := range [][]Object{todo[:split], todo[split:]} {
		if err := putAll(ctx, s3c, bucket, batch); err != nil {
			return rep, err
		}
		for _, o := range batch {
			rep.Uploaded = append(rep.Uploaded, o.Key)
		}
	}
	keep := map[string]bool{}
	for _, o := range objs {
		keep[o.Key] = true
	}
	var stale []s3types.ObjectIdentifier
	for key, e := range existing {
		if !keep[key] && e.LastModified != nil && now.Sub(*e.LastModified) > keepOldAssets {
			stale = append(stale, s3types.ObjectIdentifier{Key: aws.String(key)})
			rep.Pruned = append(rep.Pruned, key)
		}
	}
	if err := deleteObjects(ctx, s3c, bucket, stale); err != nil {
		return rep, err
	}
	slices.Sort(rep.Pruned)
	rep.InvalidationPaths = []string{"/", "/s/*"}
	for _, o := range objs {
		if o.CacheControl == RevalidateCacheControl && !strings.HasSuffix(o.Key, ".br") && !strings.HasSuffix(o.Key, ".gz") {
			rep.InvalidationPaths = append(rep.InvalidationPaths, "/"+o.Key+"*")
		}
	}
	out, err := cf.CreateInvalidation(ctx, &cloudfront.CreateInvalidationInput{DistributionId: aws.String(distributionID),
		InvalidationBatch: &cftypes.InvalidationBatch{CallerReference: aws.String(fmt.Sprintf("caplab-publish-%d", now.UnixNano())),
			Paths: &cftypes.Paths{Quantity: aws.Int32(int32(len(rep.InvalidationPaths))), Items: rep.InvalidationPaths}}})
	if err != nil {
		return rep, fmt.Errorf("invalidate %s: %w", distributionID, err)
	}
	rep.InvalidationID = aws.ToString(out.Invalidation.Id)
	return rep, nil
}

func listObjects(ctx context.Context, s3c *s3.Client, bucket string) (map[string]s3types.Object, error) {
	m := map[string]s3types.Object{}
	p := s3.NewListObjectsV2Paginator(s3c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s: %w", bucket, err)
		}
		for _, o := range page.Contents {
			m[aws.ToString(o.Key)] = o
		}
	}
	return m, nil
}

func putAll(ctx context.Context, s3c *s3.Client, bucket string, objs []Object) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		next = make(chan Object)
	)
	for range min(uploadWorkers, len(objs)) {
		wg.Go(func() {
			for o := range next {
				in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.Key), Body: bytes.NewReader(o.Body),
					ContentType: aws.String(o.ContentType), CacheControl: aws.String(o.CacheControl), ContentLength: aws.Int64(int64(len(o.Body)))}
				if o.ContentEncoding != "" {
					in.ContentEncoding = aws.String(o.ContentEncoding)
				}
				if _, err := s3c.PutObject(ctx, in); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("put s3://%s/%s: %w", bucket, o.Key, err))
					mu.Unlock()
				}
			}
		})
	}
	for _, o := range objs {
		next <- o
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

// deleteBatch is DeleteObjects' limit.
const deleteBatch = 1000

func deleteObjects(ctx context.Context, s3c *s3.Client, bucket string, ids []s3types.ObjectIdentifier) error {
	for len(ids) > 0 {
		n := min(len(ids), deleteBatch)
		out, err := s3c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &s3types.Delete{Objects: ids[:n], Quiet: aws.Bool(true)}})
		if err != nil {
			return fmt.Errorf("delete from s3://%s: %w", bucket, err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return fmt.Errorf("delete s3://%s/%s: %s %s", bucket, aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message))
		}
		ids = ids[n:]
	}
	return nil
}
