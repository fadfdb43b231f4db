package dynamostore

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/caplab/caplab/lambda/store"
)

// ReleaseCode undoes this request's own ClaimCode when what had to follow
// it (writing the tokens) failed: used_at is removed only if it still holds
// the claim's time, so a release never reopens someone else's claim. The
// client's retry can then redeem the code instead of being treated as a
// replay. ErrNotFound when the claim is no longer ours (or the code is gone).
func (s *Store) ReleaseCode(ctx context.Context, hash string, usedAt time.Time) error {
	return s.release(ctx, "ReleaseCode", prefixCode+hash, usedAt)
}

// ReleaseRefresh is ReleaseCode for a refresh token claimed by ClaimRefresh.
func (s *Store) ReleaseRefresh(ctx context.Context, hash string, usedAt time.Time) error {
	return s.release(ctx, "ReleaseRefresh", prefixToken+hash, usedAt)
}

func (s *Store) release(ctx context.Context, op, pk string, usedAt time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           s.table,
		Key:                 key(pk, skMeta),
		UpdateExpression:    aws.String("REMOVE used_at, claim_id"),
		ConditionExpression: aws.String("used_at = :used"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":used": sv(tstr(usedAt)),
		},
	})
	if _, ok := conditionFailed(err); ok {
		return store.ErrNotFound
	}
	return mapErr(op, err)
}
