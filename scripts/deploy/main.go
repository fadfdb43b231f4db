// Command deploy is what `make deploy` and `make destroy` run around
// `sam deploy` (see infra/README.md):
//
//	go run ./scripts/deploy check   -region R -params 'K=V …'   refuse what the region cannot deploy
//	go run ./scripts/deploy publish -stack S -region R -dir build/site
//	go run ./scripts/deploy outputs -stack S -region R
//	go run ./scripts/deploy destroy -stack S -region R [-keep-table=false]
//
// Credentials come from the usual AWS chain (environment, shared config
// and SSO, or the instance role), through the region given.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/caplab/caplab/infra/deploy"
)

// timeout bounds a whole command (deleting a stack with CloudFront
// distributions takes a few minutes).
const timeout = 45 * time.Minute

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	stack := fs.String("stack", "caplab", "CloudFormation stack name")
	region := fs.String("region", "", "AWS region (default: the AWS config's)")
	dir := fs.String("dir", "build/site", "publish: the site build (make site)")
	params := fs.String("params", "", "check: sam's --parameter-overrides (Key=Value …)")
	keepTable := fs.Bool("keep-table", true, "destroy: keep the DynamoDB table (the stack retains it)")
	fs.Parse(os.Args[2:])

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := run(ctx, os.Args[1], *stack, *region, *dir, *params, *keepTable); err != nil {
		fmt.Fprintln(os.Stderr, "deploy:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: deploy check|publish|outputs|destroy [flags] (-h for flags)")
	os.Exit(2)
}

func run(ctx context.Context, cmd, stack, region, dir, params string, keepTable bool) error {
	if !slices.Contains([]string{"check", "publish", "outputs", "destroy"}, cmd) {
		usage()
	}
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return err
	}
	if cfg.Region == "" {
		return errors.New("no region: pass -region (make REGION=…) or set AWS_REGION")
	}
	cfn := cloudformation.NewFromConfig(cfg)
	switch cmd {
	case "check":
		p, err := deploy.ParseParams(params)
		if err != nil {
			return err
		}
		return deploy.CheckRegion(cfg.Region, p)
	case "outputs":
		o, err := deploy.StackOutputs(ctx, cfn, stack)
		if err != nil {
			return err
		}
		for _, k := range sortedKeys(o) {
			fmt.Printf("%-28s %s\n", k, o[k])
		}
		return nil
	case "publish":
		o, err := deploy.StackOutputs(ctx, cfn, stack)
		if err != nil {
			return err
		}
		if err := o.Need(deploy.OutSiteBucket, deploy.OutDistributionID, deploy.OutSiteURL); err != nil {
			return err
		}
		// CloudFront is global; its API lives in us-east-1.
		cf := cloudfront.NewFromConfig(cfg, func(o *cloudfront.Options) { o.Region = "us-east-1" })
		rep, err := deploy.Publish(ctx, s3.NewFromConfig(cfg), cf, o[deploy.OutSiteBucket], o[deploy.OutDistributionID], dir, time.Now())
		if err != nil {
			return err
		}
		fmt.Printf("published %d objects (%d unchanged, %d old ones deleted) to s3://%s\n", len(rep.Uploaded), len(rep.Unchanged), len(rep.Pruned), o[deploy.OutSiteBucket])
		fmt.Printf("invalidation %s of %v\n", rep.InvalidationID, rep.InvalidationPaths)
		fmt.Printf("caplab is at %s (relay callback %s)\n", o[deploy.OutSiteURL], o[deploy.OutRelayCallback])
		return nil
	default: // destroy
		return deploy.Destroy(ctx, cfn, s3.NewFromConfig(cfg), dynamodb.NewFromConfig(cfg), stack, keepTable, os.Stdout)
	}
}

func sortedKeys(m deploy.Outputs) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
