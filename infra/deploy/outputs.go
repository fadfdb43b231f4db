package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

// Outputs are a stack's outputs by key.
type Outputs map[string]string

// The outputs the deploy program reads (infra/template.yaml must have them).
const (
	OutSiteURL        = "SiteUrl"
	OutSiteBucket     = "SiteBucketName"
	OutDistributionID = "DistributionId"
	OutTable          = "TableName"
	OutRelaySecretARN = "RelaySecretArn"
	OutRelayCallback  = "RelayCallbackUrl"
	OutApiEndpoint    = "ApiEndpoint"
)

// ReadOutputs lists the outputs this package uses.
var ReadOutputs = []string{OutSiteURL, OutSiteBucket, OutDistributionID, OutTable, OutRelaySecretARN, OutApiEndpoint}

// Need fails naming every key that is missing or empty.
func (o Outputs) Need(keys ...string) error {
	var missing []string
	for _, k := range keys {
		if o[k] == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("stack outputs lack %s (is the stack deployed from infra/template.yaml?)", strings.Join(missing, ", "))
	}
	return nil
}

// ErrNoStack: the stack does not exist.
var ErrNoStack = errors.New("no such stack")

// StackOutputs reads the outputs of a stack whose last operation
// succeeded.
func StackOutputs(ctx context.Context, cf *cloudformation.Client, stack string) (Outputs, error) {
	o, status, err := describe(ctx, cf, stack)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(status, "_COMPLETE") || status == "ROLLBACK_COMPLETE" || strings.HasPrefix(status, "DELETE_") {
		return nil, fmt.Errorf("stack %s is %s", stack, status)
	}
	return o, nil
}

// describe reads a stack's outputs and status, whatever the status.
func describe(ctx context.Context, cf *cloudformation.Client, stack string) (Outputs, string, error) {
	out, err := cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return nil, "", fmt.Errorf("stack %s: %w", stack, ErrNoStack)
		}
		return nil, "", fmt.Errorf("describe stack %s: %w", stack, err)
	}
	if len(out.Stacks) != 1 {
		return nil, "", fmt.Errorf("stack %s: %w", stack, ErrNoStack)
	}
	o := Outputs{}
	for _, x := range out.Stacks[0].Outputs {
		o[aws.ToString(x.OutputKey)] = aws.ToString(x.OutputValue)
	}
	return o, string(out.Stacks[0].StackStatus), nil
}

// CheckRegion refuses parameter combinations the region cannot deploy: a
// WAF for CloudFront exists only in us-east-1.
func CheckRegion(region string, params map[string]string) error {
	if params["EnableWaf"] == "true" && region != "us-east-1" {
		return fmt.Errorf("EnableWaf=true needs the stack in us-east-1 (a WAF web ACL for CloudFront can only be created there); region is %q", region)
	}
	return nil
}

// ParseParams reads sam's --parameter-overrides form: Key=Value pairs
// separated by spaces (values may be double-quoted).
func ParseParams(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, f := range strings.Fields(s) {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("parameter %q: want Key=Value", f)
		}
		m[k] = strings.Trim(v, `"`)
	}
	return m, nil
}
