package dynamostore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/caplab/caplab/lambda/store"
)

// The audit trail: grant use counts on the ORGGRANTS index, and each live
// org's ring of login attempts (LOGINS items).

// maxUseConflictRetries bounds the retries of an access token's put when
// another request's transaction on the same grant's use count got in the
// way (two tokens of one grant issued at once); the SDK retries throttles.
const maxUseConflictRetries = 5

// putCountingUse puts an access token and counts a use of its grant, in one
// transaction: the same round trip as a plain put. A grant with no index
// entry (revoked, or of a live org not stored) gets a stub that only ttl
// deletes and ListGrants skips.
func (s *Store) putCountingUse(ctx context.Context, item map[string]types.AttributeValue, t store.Token) error {
	in := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: s.table, Item: item}},
		{Update: &types.Update{
			TableName: s.table, Key: key(prefixOrgGrants+t.ScenarioID, prefixGrant+t.GrantID),
			UpdateExpression:         aws.String("ADD uses :one SET last_used_at = :at, #ttl = if_not_exists(#ttl, :ttl)"),
			ExpressionAttributeNames: map[string]string{"#ttl": AttrTTL},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":one": nv(1), ":at": sv(tstr(t.IssuedAt)), ":ttl": ttlAt(t.IssuedAt.Add(s.keep.Grant)),
			},
		}},
	}}
	for attempt := 0; ; attempt++ {
		_, err := s.db.TransactWriteItems(ctx, in)
		var tce *types.TransactionCanceledException
		if err == nil || !errors.As(err, &tce) || !transactionConflictOnly(tce) || attempt == maxUseConflictRetries {
			return mapErr("PutToken", err)
		}
		d, _ := fullJitter{base: 5 * time.Millisecond, max: 100 * time.Millisecond}.BackoffDelay(attempt+1, nil)
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return mapErr("PutToken", ctx.Err())
		}
	}
}

// ListGrants queries the org's grant index (consistent): one partition, at
// most the org's grant quota of small items.
func (s *Store) ListGrants(ctx context.Context, orgID string) ([]store.GrantUse, error) {
	var out []store.GrantUse
	err := s.queryAll(ctx, "ListGrants", prefixOrgGrants+orgID, func(it map[string]types.AttributeValue) error {
		if getS(it, attrRec) == "" {
			return nil // a use counted after the grant was revoked
		}
		g, err := decodeGrant(it)
		if err != nil {
			return err
		}
		g.Status = store.GrantActive
		u := store.GrantUse{Grant: g}
		if n, ok := it[attrUses].(*types.AttributeValueMemberN); ok {
			u.Uses, _ = strconv.Atoi(n.Value)
		}
		if u.LastUsedAt, err = getTime(it, attrLastUsed); err != nil {
			return err
		}
		out = append(out, u)
		return nil
	})
	slices.SortFunc(out, func(a, b store.GrantUse) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, err
}

// AddLoginHistory takes the org's next sequence number (an UpdateItem on
// its LIVEORG item, refused if the org is not stored) and writes the
// attempt into that slot of the ring, overwriting the oldest once full.
func (s *Store) AddLoginHistory(ctx context.Context, e store.LoginEvent) error {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.table, Key: key(prefixLiveOrg+e.OrgID, skMeta),
		UpdateExpression:          aws.String("ADD logins :one"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": nv(1)},
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if _, ok := conditionFailed(err); ok {
		return store.ErrNotFound
	}
	if err != nil {
		return mapErr("AddLoginHistory", err)
	}
	n, _ := out.Attributes[attrLogins].(*types.AttributeValueMemberN)
	if n == nil {
		return fmt.Errorf("dynamostore: AddLoginHistory: no %s counter returned", attrLogins)
	}
	seq, err := strconv.Atoi(n.Value)
	if err != nil {
		return fmt.Errorf("dynamostore: AddLoginHistory: counter %q: %w", n.Value, err)
	}
	seq-- // the counter after this attempt
	rec, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.table, Item: map[string]types.AttributeValue{
		AttrPK: sv(prefixLogins + e.OrgID), AttrSK: sv(fmt.Sprintf("%s%05d", skSlot, seq%store.MaxLoginHistoryPerOrg)),
		attrType: sv("login"), attrRec: sv(string(rec)), attrSeq: nv(int64(seq)),
		AttrTTL: ttlAt(e.At.Add(store.LoginHistoryKeep)),
	}})
	return mapErr("AddLoginHistory", err)
}

// ListLoginHistory queries the org's ring (consistent) and sorts it,
// newest first, ties by arrival.
func (s *Store) ListLoginHistory(ctx context.Context, orgID string) ([]store.LoginEvent, error) {
	type rec struct {
		seq int
		e   store.LoginEvent
	}
	var recs []rec
	err := s.queryAll(ctx, "ListLoginHistory", prefixLogins+orgID, func(it map[string]types.AttributeValue) error {
		var r rec
		if err := json.Unmarshal([]byte(getS(it, attrRec)), &r.e); err != nil {
			return fmt.Errorf("dynamostore: login %s: %w", getS(it, AttrSK), err)
		}
		if n, ok := it[attrSeq].(*types.AttributeValueMemberN); ok {
			r.seq, _ = strconv.Atoi(n.Value)
		}
		recs = append(recs, r)
		return nil
	})
	slices.SortFunc(recs, func(a, b rec) int {
		if c := b.e.At.Compare(a.e.At); c != 0 {
			return c
		}
		return b.seq - a.seq
	})
	out := make([]store.LoginEvent, len(recs))
	for i, r := range recs {
		out[i] = r.e
	}
	return out, err
}

// queryAll reads every item of a partition (consistent), page by page.
func (s *Store) queryAll(ctx context.Context, op, pk string, fn func(map[string]types.AttributeValue) error) error {
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName: s.table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(pk)},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return mapErr(op, err)
		}
		for _, it := range page.Items {
			if err := fn(it); err != nil {
				return err
			}
		}
	}
	return nil
}
