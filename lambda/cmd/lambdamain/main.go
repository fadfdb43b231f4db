// Package lambdamain is the shared body of caplab's AWS Lambda functions
// (one small main per function under lambda/cmd/): configuration from the
// environment, the public base URL from an SSM parameter and the keys from
// Secrets Manager (loaded once at init), the DynamoDB store, the shared http.Handler
// (lambda/httpapi) behind a guard or the relay (lambda/relay), and API Gateway HTTP API (payload 2.0)
// events mapped to it by aws-lambda-go-api-proxy's httpadapter.
//
// Build: GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc
// -o bootstrap ./lambda/cmd/<name> (infra/Makefile), runtime provided.al2023.
package lambdamain

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/caplab/caplab/lambda/httpapi"
	"github.com/caplab/caplab/lambda/relay"
	"github.com/caplab/caplab/lambda/store/dynamostore"
)

// Main initialises the function and hands it to the Lambda runtime; it
// does not return. An init failure exits non-zero, which Lambda reports
// as an init error (Runtime.ExitError) with the logged reason.
func Main(fn Function) {
	logger := WithRequestIDs(slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	h, err := Init(ctx, fn, logger)
	cancel()
	if err != nil {
		logger.Error("init failed", "function", fn.Name, "err", err)
		os.Exit(1)
	}
	lambda.Start(LambdaHandler(h))
}

// Init builds the function's http.Handler from the environment: AWS
// config (the execution role's credentials and region), the public base
// URL and the secrets (Fetch), the DynamoDB store and the shared handler
// restricted to fn's routes.
func Init(ctx context.Context, fn Function, logger *slog.Logger) (http.Handler, error) {
	env, err := LoadEnv(fn)
	if err != nil {
		return nil, err
	}
	cfg, err := AWSConfigFromEnv()
	if err != nil {
		return nil, err
	}
	sm := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		if env.SecretsEndpoint != "" {
			o.BaseEndpoint = aws.String(env.SecretsEndpoint)
		}
	})
	ps := ssm.NewFromConfig(cfg, func(o *ssm.Options) {
		if env.SSMEndpoint != "" {
			o.BaseEndpoint = aws.String(env.SSMEndpoint)
		}
	})
	env, secrets, err := Fetch(ctx, sm, ps, fn, env)
	if err != nil {
		return nil, err
	}
	db := dynamodb.NewFromConfig(cfg, dynamostore.ClientOptions(env.DynamoEndpoint, nil))
	if fn.Relay {
		return BuildRelay(fn, env, secrets, dynamostore.NewRelay(db, env.Table), logger)
	}
	return Build(fn, env, secrets, dynamostore.New(db, env.Table), logger), nil
}

// BuildRelay assembles the callback function's handler: the relay over
// the DynamoDB relay store. The relay answers store failures itself with
// its 503 "try again" page, so it needs no guard.
func BuildRelay(fn Function, env Env, secrets Secrets, st relay.Store, logger *slog.Logger) (http.Handler, error) {
	cfg := relay.Config{AdminKey: secrets.RelayAdminKey, CallbackURL: env.RelayCallbackURL, Logger: logger}
	if env.RelayFlowTTL != "" {
		d, err := time.ParseDuration(env.RelayFlowTTL)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", relay.EnvFlowTTL, err)
		}
		cfg.FlowTTL = d
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return edge(fn, env, secrets, logger, relay.New(cfg, st)), nil
}

// Build assembles the route-restricted handler (also used by tests to serve
// the very same handler over httptest). It needs no guard around the store:
// each request writes once, all or nothing, and answers a store outage
// with 503 itself, as on every host.
func Build(fn Function, env Env, secrets Secrets, st *dynamostore.Store, logger *slog.Logger) http.Handler {
	cfg := httpapi.Config{
		BaseURL:             env.BaseURL,
		SigningKey:          secrets.SigningKey,
		PreviousSigningKeys: secrets.PreviousKeys,
		CookieKey:           secrets.CookieKey,
		OrgDomain:           env.OrgDomain,
		Logger:              logger,
	}
	if secrets.PreviousCookieKey != nil {
		cfg.PreviousCookieKeys = [][]byte{secrets.PreviousCookieKey}
	}
	return edge(fn, env, secrets, logger, httpapi.New(cfg, st))
}

// edge puts the per-request log line, the origin check (when the secret
// has one) and fn's route restriction in front of h.
func edge(fn Function, env Env, secrets Secrets, logger *slog.Logger, h http.Handler) http.Handler {
	h = Restrict(fn, h)
	if secrets.OriginVerify != "" {
		h = EdgeGuard(secrets.OriginVerify, env.OrgDomain, h)
	}
	if logger == nil {
		logger = slog.Default()
	}
	return LogRequests(logger, h)
}

// Restrict answers 404 for requests outside fn's routes.
func Restrict(fn Function, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !fn.Serves(r.Method, r.URL.Path) {
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			w.WriteHeader(http.StatusNotFound)
			b, _ := json.Marshal(map[string]string{"error": "not_found", "error_description": "no such endpoint in function " + fn.Name})
			w.Write(append(b, '\n'))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// LambdaHandler maps API Gateway HTTP API v2 events to h, noting the
// invocation's request ids for log records written without a context.
func LambdaHandler(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	adapter := httpadapter.NewV2(h)
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		ids := &requestIDs{api: ev.RequestContext.RequestID}
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			ids.lambda = lc.AwsRequestID
		}
		current.Store(ids)
		defer current.Store(nil)
		return adapter.ProxyWithContext(ctx, ev)
	}
}

// AWSConfigFromEnv is the AWS configuration of a Lambda function: the
// region and the execution role's credentials, which the Lambda runtime
// puts in the environment (AWS_REGION, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) for the life of the execution
// environment. Reading them directly instead of config.LoadDefaultConfig
// keeps the shared-config, SSO, STS and IMDS machinery out of the
// bootstrap (smaller binary, faster init) and can never reach the instance
// metadata service.
func AWSConfigFromEnv() (aws.Config, error) {
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = os.Getenv("AWS_DEFAULT_REGION")
	}
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if region == "" || id == "" || secret == "" {
		return aws.Config{}, fmt.Errorf("aws config: AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (the Lambda runtime sets them)")
	}
	return aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(id, secret, os.Getenv("AWS_SESSION_TOKEN"))),
	}, nil
}
