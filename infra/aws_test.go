package infra

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/caplab/caplab/site/sitebuild"
)

// clients are AWS SDK clients on moto (127.0.0.1).
type clients struct {
	s3  *s3.Client
	sm  *secretsmanager.Client
	ssm *ssm.Client
	cf  *cloudfront.Client
	cfn *cloudformation.Client
	ddb *dynamodb.Client
}

func motoClients(endpoint string) clients {
	creds := credentials.NewStaticCredentialsProvider("local", "local", "")
	ep := aws.String(endpoint)
	return clients{
		s3:  s3.New(s3.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: ep, UsePathStyle: true}),
		sm:  secretsmanager.New(secretsmanager.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: ep}),
		ssm: ssm.New(ssm.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: ep}),
		cf:  cloudfront.New(cloudfront.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: ep}),
		cfn: cloudformation.New(cloudformation.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: ep}),
		ddb: dynamodb.New(dynamodb.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: ep}),
	}
}

// motoDistribution creates a distribution in moto's CloudFront (for the
// publisher's invalidation) and returns its id and domain.
func motoDistribution(t *testing.T, c clients, bucket string) (string, string) {
	t.Helper()
	out, err := c.cf.CreateDistribution(t.Context(), &cloudfront.CreateDistributionInput{DistributionConfig: &cftypes.DistributionConfig{
		CallerReference: aws.String(bucket), Comment: aws.String("caplab test"), Enabled: aws.Bool(true),
		Origins: &cftypes.Origins{Quantity: aws.Int32(1), Items: []cftypes.Origin{{Id: aws.String("site"),
			DomainName: aws.String(bucket + ".s3.us-east-1.amazonaws.com"), S3OriginConfig: &cftypes.S3OriginConfig{OriginAccessIdentity: aws.String("")}}}},
		DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{TargetOriginId: aws.String("site"), ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyRedirectToHttps,
			CachePolicyId: aws.String(managedCachingOptimized)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Distribution.Id), aws.ToString(out.Distribution.DomainName)
}

// createBucket makes a versioned bucket as the template's SiteBucket.
func createBucket(t *testing.T, c clients, name string) {
	t.Helper()
	if _, err := c.s3.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.s3.PutBucketVersioning(t.Context(), &s3.PutBucketVersioningInput{Bucket: aws.String(name),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
}

// siteFile is one file of a fake site build.
type siteFile struct {
	name      string
	body      string
	immutable bool
	compress  bool // write .br and .gz copies, as the build does when they are smaller
}

// fakeSiteBuild writes a build directory in site/sitebuild's layout and
// manifest (the real build needs esbuild and the engine: minutes).
func fakeSiteBuild(t *testing.T, files []siteFile) string {
	t.Helper()
	dir := t.TempDir()
	m := sitebuild.Manifest{Built: time.Now().UTC()}
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		entry := sitebuild.File{Name: f.name, Bytes: len(f.body), Immutable: f.immutable}
		write(f.name, []byte(f.body))
		if f.compress {
			var br, gz bytes.Buffer
			bw := brotli.NewWriterLevel(&br, 11)
			bw.Write([]byte(f.body))
			bw.Close()
			gw, _ := gzip.NewWriterLevel(&gz, 9)
			gw.Write([]byte(f.body))
			gw.Close()
			write(f.name+".br", br.Bytes())
			write(f.name+".gz", gz.Bytes())
			entry.Brotli, entry.Gzip = br.Len(), gz.Len()
		}
		m.Files = append(m.Files, entry)
	}
	b, _ := json.Marshal(m)
	write(sitebuild.ManifestName, b)
	return dir
}

// playground is a small site: the page, the service worker, a hashed
// script and stylesheet (compressed), and a hashed image (never).
var playground = []siteFile{
	{"index.html", `<!doctype html><html><head><script type="module" src="/app.ABCDEFGH.js"></script></head><body>caplab</body></html>` + pad, false, true},
	{"sw.js", "self.addEventListener('fetch', () => {});" + pad, false, true},
	{"app.ABCDEFGH.js", "console.log('caplab');" + pad, true, true},
	{"style.IJKLMNOP.css", "body{margin:0}", true, false},
	{"logo.QRSTUVWX.png", "\x89PNG\r\n\x1a\nnot really", true, false},
}

// pad makes the text compressible, as real assets are.
var pad = string(bytes.Repeat([]byte("/* caplab caplab caplab */"), 40))
