package dynamostore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/caplab/caplab/lambda/relay"
)

// The relay's tenant registry and flows (relay.Store) in the same table:
//
//	ORG#<tenant id> / META      a tenant with its destinations, one item, so a
//	                            PUT replaces the registry row atomically and the
//	                            callback needs one GetItem; deleted_at marks a
//	                            deleted tenant (a tombstone with ttl = now)
//	RELAY#<flow id> / META      a flow (id = SHA-256 of the handle); created
//	                            with attribute_not_exists(PK); used_at absent
//	                            until claimed; exp in Unix nanoseconds; ttl =
//	                            exp + 30 min
//
// ClaimFlow is one conditional UpdateItem, like ClaimCode: exactly one of
// concurrent claims passes, and a claim retried by the SDK after a dropped
// response recognises its own claim_id.
const (
	prefixRelayTenant = "ORG#"
	prefixRelayFlow   = "RELAY#"
	attrDeletedAt     = "deleted_at"
)

var _ relay.Store = (*Store)(nil)

func (s *Store) PutTenant(ctx context.Context, t relay.Tenant) error {
	rec, err := json.Marshal(t)
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: s.table,
		Item: map[string]types.AttributeValue{
			AttrPK: sv(prefixRelayTenant + t.ID), AttrSK: sv(skMeta),
			attrType: sv("relayTenant"), attrRec: sv(string(rec)),
		},
	})
	return mapErr("PutTenant", err)
}

func (s *Store) GetTenant(ctx context.Context, id string) (relay.Tenant, error) {
	item, err := s.get(ctx, "GetTenant", prefixRelayTenant+id, skMeta)
	if err != nil {
		return relay.Tenant{}, err
	}
	if _, deleted := item[attrDeletedAt]; deleted {
		return relay.Tenant{}, relay.ErrNotFound
	}
	var t relay.Tenant
	if err := json.Unmarshal([]byte(getS(item, attrRec)), &t); err != nil {
		return t, fmt.Errorf("dynamostore: tenant %s: %w", id, err)
	}
	return t, nil
}

// DeleteTenant marks the tenant deleted (and lets TTL remove the item):
// one conditional UpdateItem, so deleting a missing or deleted tenant is
// ErrNotFound.
func (s *Store) DeleteTenant(ctx context.Context, id string) error {
	now := time.Now()
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                s.table,
		Key:                      key(prefixRelayTenant+id, skMeta),
		UpdateExpression:         aws.String("SET deleted_at = :now, #ttl = :ttl"),
		ConditionExpression:      aws.String("attribute_exists(PK) AND attribute_not_exists(deleted_at)"),
		ExpressionAttributeNames: map[string]string{"#ttl": AttrTTL},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": sv(tstr(now)), ":ttl": nv(now.Unix()),
		},
	})
	if _, ok := conditionFailed(err); ok {
		return relay.ErrNotFound
	}
	return mapErr("DeleteTenant", err)
}

func (s *Store) CreateFlow(ctx context.Context, f relay.Flow) error {
	imm := f
	imm.UsedAt = time.Time{}
	rec, err := json.Marshal(imm)
	if err != nil {
		return err
	}
	item := map[string]types.AttributeValue{
		AttrPK: sv(prefixRelayFlow + f.ID), AttrSK: sv(skMeta),
		attrType: sv("relayFlow"), attrRec: sv(string(rec)),
		attrExp: nv(f.ExpiresAt.UnixNano()), AttrTTL: ttlAfter(f.ExpiresAt),
	}
	if !f.UsedAt.IsZero() {
		item[attrUsedAt] = sv(tstr(f.UsedAt))
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: s.table, Item: item,
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	})
	if _, ok := conditionFailed(err); ok {
		return relay.ErrExists
	}
	return mapErr("CreateFlow", err)
}

func decodeFlow(item map[string]types.AttributeValue) (relay.Flow, error) {
	var f relay.Flow
	if err := json.Unmarshal([]byte(getS(item, attrRec)), &f); err != nil {
		return f, fmt.Errorf("dynamostore: flow %s: %w", getS(item, AttrPK), err)
	}
	var err error
	f.UsedAt, err = getTime(item, attrUsedAt)
	return f, err
}

func (s *Store) ClaimFlow(ctx context.Context, id string, now time.Time) (relay.Flow, error) {
	claim := newClaimID()
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           s.table,
		Key:                 key(prefixRelayFlow+id, skMeta),
		UpdateExpression:    aws.String("SET used_at = :used, claim_id = :claim"),
		ConditionExpression: aws.String(codeClaimCondition),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":used": sv(tstr(now)), ":claim": sv(claim), ":now": nv(now.UnixNano()),
		},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return decodeFlow(out.Attributes)
	}
	ccf, ok := conditionFailed(err)
	if !ok {
		return relay.Flow{}, mapErr("ClaimFlow", err)
	}
	old := ccf.Item
	if len(old) == 0 { // a backend that does not return ALL_OLD
		if old, err = s.get(ctx, "ClaimFlow", prefixRelayFlow+id, skMeta); err != nil {
			return relay.Flow{}, err
		}
	}
	f, err := decodeFlow(old)
	if err != nil {
		return f, err
	}
	switch {
	case !f.UsedAt.IsZero() && getS(old, attrClaimID) == claim:
		return f, nil // our own claim, applied before a dropped response
	case relay.CheckFlow(f, now) != nil:
		return f, relay.CheckFlow(f, now)
	}
	return f, &UnavailableError{Op: "ClaimFlow", Err: errors.New("condition failed on an unused, unexpired flow")}
}
