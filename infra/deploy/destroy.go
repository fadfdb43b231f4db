package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// EmptyBucket deletes every object version and delete marker (the site
// bucket is versioned; CloudFormation cannot delete a bucket that is not
// empty).
func EmptyBucket(ctx context.Context, s3c *s3.Client, bucket string) (int, error) {
	n := 0
	for {
		out, err := s3c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
		var nb *s3types.NoSuchBucket
		if errors.As(err, &nb) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("list versions of s3://%s: %w", bucket, err)
		}
		var ids []s3types.ObjectIdentifier
		for _, v := range out.Versions {
			ids = append(ids, s3types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range out.DeleteMarkers {
			ids = append(ids, s3types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
		if len(ids) == 0 {
			return n, nil
		}
		if err := deleteObjects(ctx, s3c, bucket, ids); err != nil {
			return n, err
		}
		n += len(ids)
	}
}

// stackPoll is how often DeleteStack checks the stack's status.
var stackPoll = 5 * time.Second

// DeleteStack deletes the stack and waits until it is gone.
func DeleteStack(ctx context.Context, cf *cloudformation.Client, stack string) error {
	if _, err := cf.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(stack)}); err != nil {
		return fmt.Errorf("delete stack %s: %w", stack, err)
	}
	for {
		out, err := cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
		if err != nil && strings.Contains(err.Error(), "does not exist") || err == nil && len(out.Stacks) == 0 {
			return nil
		}
		if err != nil {
			return fmt.Errorf("describe stack %s: %w", stack, err)
		}
		switch st := out.Stacks[0].StackStatus; st {
		case cfntypes.StackStatusDeleteComplete:
			return nil
		case cfntypes.StackStatusDeleteFailed:
			return fmt.Errorf("stack %s: DELETE_FAILED: %s", stack, aws.ToString(out.Stacks[0].StackStatusReason))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(stackPoll):
		}
	}
}

// DeleteTable deletes the retained table (gone already is fine).
func DeleteTable(ctx context.Context, db *dynamodb.Client, table string) error {
	_, err := db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	var nf *ddbtypes.ResourceNotFoundException
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("delete table %s: %w", table, err)
	}
	return nil
}

// Destroy empties the site bucket, deletes the stack and, unless
// keepTable, the table the stack retains. A stack whose creation failed
// (no outputs) is deleted all the same.
func Destroy(ctx context.Context, cf *cloudformation.Client, s3c *s3.Client, db *dynamodb.Client, stack string, keepTable bool, log io.Writer) error {
	o, _, err := describe(ctx, cf, stack)
	if err != nil {
		return err
	}
	if b := o[OutSiteBucket]; b != "" {
		n, err := EmptyBucket(ctx, s3c, b)
		if err != nil {
			return err
		}
		fmt.Fprintf(log, "emptied s3://%s (%d object versions)\n", b, n)
	}
	if err := DeleteStack(ctx, cf, stack); err != nil {
		return err
	}
	fmt.Fprintf(log, "deleted stack %s\n", stack)
	switch t := o[OutTable]; {
	case t == "":
		fmt.Fprintln(log, "the stack had no TableName output: no table to delete")
	case keepTable:
		fmt.Fprintf(log, "kept table %s (KEEP_TABLE=0 deletes it)\n", t)
	default:
		if err := DeleteTable(ctx, db, t); err != nil {
			return err
		}
		fmt.Fprintf(log, "deleted table %s\n", t)
	}
	return nil
}
