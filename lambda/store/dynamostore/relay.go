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

// Relay items, in the same table:
//
//	TENANT#<id> / META     a relay tenant with its destinations (one item, so
//	                       PutTenant replaces destinations atomically); no ttl
//	RELAY#<flow id> / META a relay flow (id = hex SHA-256 of the handle);
//	                       used_at absent until claimed; ttl = exp + 30 min
const (
	prefixTenant = "TENANT#"
	prefixFlow   = "RELAY#"
)

// Relay is the DynamoDB relay.Store. It shares the table (and the client
// with its tuned retryer) with the live-org Store.
type Relay struct {
	db    RelayAPI
	table *string
}

// RelayAPI is the part of *dynamodb.Client the relay store uses.
type RelayAPI interface {
	API
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

var _ relay.Store = (*Relay)(nil)

// NewRelay returns the relay store over an existing table.
func NewRelay(db RelayAPI, table string) *Relay {
	return &Relay{db: db, table: aws.String(table)}
}

func (s *Relay) PutTenant(ctx context.Context, t relay.Tenant) error {
	rec, err := json.Marshal(t)
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.table, Item: map[string]types.AttributeValue{
		AttrPK: sv(prefixTenant + t.ID), AttrSK: sv(skMeta), attrType: sv("tenant"), attrRec: sv(string(rec)),
	}})
	return mapErr("PutTenant", err)
}

func (s *Relay) GetTenant(ctx context.Context, id string) (relay.Tenant, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.table, Key: key(prefixTenant+id, skMeta), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return relay.Tenant{}, mapErr("GetTenant", err)
	}
	if len(out.Item) == 0 {
		return relay.Tenant{}, relay.ErrNotFound
	}
	var t relay.Tenant
	if err := json.Unmarshal([]byte(getS(out.Item, attrRec)), &t); err != nil {
		return relay.Tenant{}, fmt.Errorf("dynamostore: tenant %s: %w", id, err)
	}
	return t, nil
}

func (s *Relay) DeleteTenant(ctx context.Context, id string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: s.table, Key: key(prefixTenant+id, skMeta),
		ConditionExpression: aws.String("attribute_exists(PK)"),
	})
	if _, ok := conditionFailed(err); ok {
		return relay.ErrNotFound
	}
	return mapErr("DeleteTenant", err)
}

func (s *Relay) CreateFlow(ctx context.Context, f relay.Flow) error {
	imm := f
	imm.UsedAt = time.Time{}
	rec, err := json.Marshal(imm)
	if err != nil {
		return err
	}
	item := map[string]types.AttributeValue{
		AttrPK: sv(prefixFlow + f.ID), AttrSK: sv(skMeta), attrType: sv("relayFlow"), attrRec: sv(string(rec)),
		attrExp: nv(f.ExpiresAt.UnixNano()), AttrTTL: ttlAfter(f.ExpiresAt),
	}
	if !f.UsedAt.IsZero() {
		item[attrUsedAt] = sv(tstr(f.UsedAt))
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)"),
	})
	if _, ok := conditionFailed(err); ok {
		// A retry of our own create whose response was lost reads the same
		// way; the ids are 256-bit random, so this is that retry or nothing.
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

// ClaimFlow is one conditional UpdateItem, like ClaimCode.
func (s *Relay) ClaimFlow(ctx context.Context, id string, now time.Time) (relay.Flow, error) {
	item, won, err := claimOnce(ctx, s.db, s.table, "ClaimFlow", prefixFlow+id,
		"SET used_at = :used, claim_id = :claim", codeClaimCondition, nil, now)
	if err != nil {
		return relay.Flow{}, err
	}
	f, err := decodeFlow(item)
	if err != nil || won {
		return f, err
	}
	if err := relay.CheckFlow(f, now); err != nil {
		return f, err
	}
	return f, &UnavailableError{Op: "ClaimFlow", Err: errors.New("condition failed on an unused, unexpired flow")}
}
