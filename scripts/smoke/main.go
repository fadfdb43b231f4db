// Command smoke runs caplab's end-to-end flow against a deployment
// (infra/smoke): `make smoke URL=https://…` or, reading the URL, the raw
// API endpoint and the relay's admin key from the stack, `make smoke`.
//
//	go run ./scripts/smoke -url https://d111111abcdef8.cloudfront.net [-relay-admin-key K] [-api-endpoint U]
//	go run ./scripts/smoke -stack caplab -region us-east-1
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/caplab/caplab/infra/deploy"
	"github.com/caplab/caplab/infra/smoke"
	"github.com/caplab/caplab/lambda/cmd/lambdamain"
)

// timeout bounds the whole run (about 20 requests).
const timeout = 2 * time.Minute

func main() {
	url := flag.String("url", "", "the deployment's public URL (SiteUrl); empty: read it from -stack")
	adminKey := flag.String("relay-admin-key", os.Getenv("CAPLAB_RELAY_ADMIN_KEY"), "the relay's admin key (relay round trip); with -stack, read from its secret")
	apiEndpoint := flag.String("api-endpoint", "", "the raw API Gateway URL, which must refuse requests")
	stack := flag.String("stack", "caplab", "stack to read the URL, endpoint and admin key from when -url is empty")
	region := flag.String("region", "", "AWS region for -stack")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	c := smoke.Config{URL: *url, RelayAdminKey: *adminKey, APIEndpoint: *apiEndpoint, Log: os.Stdout}
	if c.URL == "" {
		if err := fromStack(ctx, &c, *stack, *region); err != nil {
			fmt.Fprintln(os.Stderr, "smoke:", err)
			os.Exit(1)
		}
	}
	fmt.Printf("smoke test of %s\n", c.URL)
	if err := smoke.Run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("all steps passed")
}

// fromStack fills the URL, the API endpoint and (unless given) the admin
// key from the stack's outputs and the relay's secret.
func fromStack(ctx context.Context, c *smoke.Config, stack, region string) error {
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return err
	}
	o, err := deploy.StackOutputs(ctx, cloudformation.NewFromConfig(cfg), stack)
	if err != nil {
		return err
	}
	if err := o.Need(deploy.OutSiteURL, deploy.OutApiEndpoint, deploy.OutRelaySecretARN); err != nil {
		return err
	}
	c.URL, c.APIEndpoint = o[deploy.OutSiteURL], o[deploy.OutApiEndpoint]
	if c.RelayAdminKey == "" {
		var k lambdamain.RelayKeys
		if _, err := lambdamain.GetSecretJSON(ctx, secretsmanager.NewFromConfig(cfg), o[deploy.OutRelaySecretARN], "AWSCURRENT", &k); err != nil {
			return fmt.Errorf("relay admin key: %w", err)
		}
		c.RelayAdminKey = k.AdminKey
	}
	return nil
}
