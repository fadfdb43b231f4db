// Command keygen is the stack's custom resource (Custom::CaplabKeys in
// infra/template.yaml): on create it writes every key the functions need
// into their two Secrets Manager secrets; on an update that changes
// SigningKeyGeneration it writes a new signing key (the old version stays
// as AWSPREVIOUS and is still published at /id/keys). CloudFormation can
// generate passwords but not an RSA key, hence this function.
// provided.al2023, arm64, built by infra/Makefile like the others.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/caplab/caplab/lambda/cmd/lambdamain"
)

func main() {
	cfg, err := lambdamain.AWSConfigFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "keygen:", err)
		os.Exit(1)
	}
	ep := os.Getenv(lambdamain.EnvSecretsEndpoint)
	if ep != "" && !isLoopback(ep) {
		fmt.Fprintf(os.Stderr, "keygen: %s=%q must be a loopback URL (tests only)\n", lambdamain.EnvSecretsEndpoint, ep)
		os.Exit(1)
	}
	sm := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		if ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
	lambda.Start(cfn.LambdaWrap(func(ctx context.Context, ev cfn.Event) (string, map[string]any, error) {
		return handle(ctx, sm, ev)
	}))
}
