package dynamostore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/caplab/caplab/lambda/store"
)

// The audit trail and the indexes: ListGrants (the org's grants, with
// their use counts), ListApprovals (one user's approval entries) and
// ListLoginHistory (the org's rows, newest first), each one Query.

// ListGrants queries the org's grants (consistent): one partition, at most
// the org's grant quota of items; revoked ones are filtered out.
func (s *Store) ListGrants(ctx context.Context, orgID string) ([]store.GrantUse, error) {
	var out []store.GrantUse
	var derr error
	err := s.query(ctx, "ListGrants", &dynamodb.QueryInput{
		TableName: s.table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk"),
		FilterExpression:          aws.String("#st = :active"),
		ExpressionAttributeNames:  map[string]string{"#st": attrStatus},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(prefixOrgGrants + orgID), ":active": sv(store.GrantActive)},
	}, func(it map[string]types.AttributeValue) bool {
		g, err := decodeGrant(it)
		if err != nil {
			derr = err
			return false
		}
		u := store.GrantUse{Grant: g, Uses: int(getN(it, attrUses))}
		if u.LastUsedAt, derr = getTime(it, attrLastUsed); derr != nil {
			return false
		}
		out = append(out, u)
		return true
	})
	if err == nil {
		err = derr
	}
	slices.SortFunc(out, func(a, b store.GrantUse) int { return store.OldestFirst(a.Grant, b.Grant) })
	return out, err
}

// ListApprovals queries one user's approval entries (consistent), each
// the whole grant: the active interactive ones, oldest first (ties by id).
func (s *Store) ListApprovals(ctx context.Context, orgID, user string) ([]store.Grant, error) {
	var out []store.Grant
	var derr error
	err := s.query(ctx, "ListApprovals", &dynamodb.QueryInput{
		TableName: s.table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(approvalsPK(orgID, user))},
	}, func(it map[string]types.AttributeValue) bool {
		if getS(it, attrRec) == "" {
			return true // an entry of an earlier layout (the grant id alone): its grant is no longer read
		}
		g, err := decodeGrant(it)
		if err != nil {
			derr = err
			return false
		}
		out = append(out, g)
		return true
	})
	if err == nil {
		err = derr
	}
	slices.SortFunc(out, store.OldestFirst)
	return out, err
}

// ListLoginHistory queries the org's rows from the newest (consistent),
// at most store.MaxLoginHistoryPerOrg.
func (s *Store) ListLoginHistory(ctx context.Context, orgID string) ([]store.LoginEvent, error) {
	var out []store.LoginEvent
	var derr error
	err := s.query(ctx, "ListLoginHistory", &dynamodb.QueryInput{
		TableName: s.table, ConsistentRead: aws.Bool(true), ScanIndexForward: aws.Bool(false),
		Limit:                     aws.Int32(store.MaxLoginHistoryPerOrg),
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :at)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(prefixLogins + orgID), ":at": sv(skLogin)},
	}, func(it map[string]types.AttributeValue) bool {
		var e store.LoginEvent
		if err := json.Unmarshal([]byte(getS(it, attrRec)), &e); err != nil {
			derr = fmt.Errorf("dynamostore: login %s: %w", getS(it, AttrSK), err)
			return false
		}
		out = append(out, e)
		return len(out) < store.MaxLoginHistoryPerOrg
	})
	if err == nil {
		err = derr
	}
	return out, err
}

// query reads a Query's pages until fn returns false or they end.
func (s *Store) query(ctx context.Context, op string, in *dynamodb.QueryInput, fn func(map[string]types.AttributeValue) bool) error {
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return mapErr(op, err)
		}
		for _, it := range page.Items {
			if !fn(it) {
				return nil
			}
		}
	}
	return nil
}
