// Package dynamostore is the DynamoDB store.Store: one table, single-table
// design (security.md §4.2).
//
// Items (PK / SK):
//
//	SHARE#<share id> / META            shared scenario (doc: the JSON, binary); ttl = last use + ShareIdle
//	LIVEORG#<org id> / META            the same record under its live org id (one read for GetLiveOrg) and
//	                                   the org's grant count (MaxGrantsPerOrg); ttl as the share's
//	ORGGRANTS#<org id> / GRANT#<id>    a grant (token family) of the org: status active|revoked, its use count
//	                                   (uses, last_used_at); ListGrants is one Query; ttl = created + Retention.Grant
//	APPROVALS#<org id>#<user hash> / GRANT#<id>
//	                                   an active interactive grant of one user, the whole record (ListApprovals:
//	                                   one Query); deleted in the revocation's transaction; ttl as the grant's
//	CODE#<sha256> / META               authorization code, device code or assertion jti; used_at absent until
//	                                   claimed; ttl = exp + 30 min
//	TOKEN#<sha256> / META              refresh token; ttl = exp + 30 min when it expires, else issued +
//	                                   Retention.Grant
//	MARK#<sha256 of jti> / META        an access token's or session's mark (revoked, last activity); ttl = its
//	                                   idle end + 30 min
//	LOGINS#<org id> / AT#<time>#<id>   a login attempt; ListLoginHistory is one Query from the newest; ttl =
//	                                   attempt + store.LoginHistoryKeep
//	LOCKOUT#<org id>#<user hash> / META failed-login counter; ttl = lockout end or last change + 1 day
//
// Every item that can expire carries ttl, so nothing is kept forever.
// Items keep their immutable fields as JSON in rec and their mutable ones
// (used_at, status, revoked, last_used_at, expires_at, uses) as top-level
// attributes, so every change is an update that never rewrites the
// record. Times in records are RFC 3339 with nanoseconds; exp is the
// expiry in Unix nanoseconds for conditions; ttl is epoch seconds for
// DynamoDB TTL. TTL deletes late (up to days), so expiry is also checked
// in code on every read and in the claim conditions.
//
// Round trips: a request reads with one BatchGetItem (Lookup: a code or
// refresh token names its grant, so they come together) and writes with
// one TransactWriteItems (Commit), whose conditions are the claims, the
// quota and the grant's state; a failed condition cancels the whole write
// (reasons map to the store sentinels). Every read is strongly consistent.
// A transaction's retry after a lost response is recognised: DynamoDB
// keeps the SDK's idempotency token for ten minutes, and every
// conditional item carries this write's random write_id, so a condition
// failing on our own earlier write counts as the success it was.
//
// Relay items (relay.go) share the table: TENANT#<id> / META and
// RELAY#<flow id> / META, with the same conditional create and claim.
//
// Errors: store.ErrNotFound, ErrAlreadyUsed, ErrExpired, ErrRevoked,
// ErrExists and ErrQuota as in the contract; throttling that outlasts the
// SDK retryer, dropped connections, 5xx and transaction conflicts become
// *UnavailableError (errors.Is(err, ErrUnavailable); Temporary() true),
// which the handlers answer with 503. A write either happened in full or
// not at all, so the client may repeat its request.
package dynamostore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/caplab/caplab/lambda/store"
)

// API is the part of *dynamodb.Client the store uses (for fakes).
type API interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// Store is a DynamoDB-backed store.Store.
type Store struct {
	db    API
	table *string
	keep  store.Retention
}

var _ store.Store = (*Store)(nil)

// New returns a store over an existing table (see CreateTable and
// infra/template.yaml) with store.DefaultRetention. Build the client with
// ClientOptions for the tuned retryer.
func New(db API, table string) *Store {
	return &Store{db: db, table: aws.String(table), keep: store.DefaultRetention}
}

// WithRetention sets how long shares and grants are kept (their ttl).
func (s *Store) WithRetention(r store.Retention) *Store {
	s.keep = r
	return s
}

// Close does nothing: the SDK client holds no resources that need it.
func (s *Store) Close() error { return nil }

// MaxDocumentSize bounds a scenario document so its item stays under
// DynamoDB's 400 KB item limit with room for the other attributes.
const MaxDocumentSize = 380 << 10

// ErrTooLarge is returned by PutScenario for a document over MaxDocumentSize.
var ErrTooLarge = errors.New("dynamostore: scenario document too large for one DynamoDB item")

// --- attribute helpers ---

func sv(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func nv(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}
func bv(b []byte) types.AttributeValue { return &types.AttributeValueMemberB{Value: b} }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: sv(pk), AttrSK: sv(sk)}
}

func tstr(t time.Time) string {
	b, _ := t.MarshalText()
	return string(b)
}

func getS(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func getB(item map[string]types.AttributeValue, name string) []byte {
	if v, ok := item[name].(*types.AttributeValueMemberB); ok {
		return v.Value
	}
	return nil
}

func getBool(item map[string]types.AttributeValue, name string) bool {
	v, ok := item[name].(*types.AttributeValueMemberBOOL)
	return ok && v.Value
}

func getTime(item map[string]types.AttributeValue, name string) (time.Time, error) {
	var t time.Time
	s := getS(item, name)
	if s == "" {
		return t, nil
	}
	if err := t.UnmarshalText([]byte(s)); err != nil {
		return t, fmt.Errorf("dynamostore: attribute %s: %w", name, err)
	}
	return t, nil
}

// ttlAfter is the ttl of a record expiring at exp: UsedRowGrace past its
// expiry, and never less than UsedRowGrace past the wall clock at the
// write. A record written already expired (a caller's clock behind, or a
// simulated one) so still stays long enough to answer a replay, instead of
// being swept at once (DynamoDB Local's TTL sweeper deletes within seconds).
// Expiry itself is always checked in code against the caller's clock.
func ttlAfter(exp time.Time) types.AttributeValue {
	if wall := time.Now(); wall.After(exp) {
		exp = wall
	}
	return nv(exp.Add(UsedRowGrace).Unix())
}

// ttlAt is a ttl attribute for a record to keep until t, and at least
// UsedRowGrace past the wall clock (as ttlAfter, for callers on a
// simulated or test clock in the past).
func ttlAt(t time.Time) types.AttributeValue {
	if floor := time.Now().Add(UsedRowGrace); floor.After(t) {
		t = floor
	}
	return nv(t.Unix())
}

func newClaimID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Store) get(ctx context.Context, op, pk, sk string) (map[string]types.AttributeValue, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: s.table, Key: key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, mapErr(op, err)
	}
	if len(out.Item) == 0 {
		return nil, store.ErrNotFound
	}
	return out.Item, nil
}

// conditionFailed returns the ConditionalCheckFailedException in err, if any.
func conditionFailed(err error) (*types.ConditionalCheckFailedException, bool) {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ccf, true
	}
	return nil, false
}

// --- scenarios ---

// scenarioItems are the share's item and its live org's, both with the
// whole record so either id reads it in one request.
func (s *Store) scenarioItems(sc store.Scenario) (share, org map[string]types.AttributeValue, err error) {
	meta := sc
	meta.Document = nil
	rec, err := json.Marshal(meta)
	if err != nil {
		return nil, nil, err
	}
	ttl := ttlAt(sc.LastUse().Add(s.keep.ShareIdle))
	share = map[string]types.AttributeValue{
		AttrPK: sv(prefixScenario + sc.ID), AttrSK: sv(skMeta),
		attrType: sv("scenario"), attrRec: sv(string(rec)), attrDoc: bv(nonNil(sc.Document)), AttrTTL: ttl,
	}
	org = maps.Clone(share)
	org[AttrPK], org[attrType], org[attrGrants], org[attrQuota] = sv(prefixLiveOrg+sc.OrgID), sv("liveOrg"), nv(0), nv(int64(sc.GrantQuota()))
	return share, org, nil
}

// PutScenario writes both items in one transaction, each only if new.
func (s *Store) PutScenario(ctx context.Context, sc store.Scenario) error {
	if len(sc.Document) > MaxDocumentSize {
		return ErrTooLarge
	}
	share, org, err := s.scenarioItems(sc)
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: s.table, Item: share, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &types.Put{TableName: s.table, Item: org, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	}})
	if cancelledBy(err, "ConditionalCheckFailed") {
		return store.ErrExists
	}
	return mapErr("PutScenario", err)
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func decodeScenario(item map[string]types.AttributeValue) (store.Scenario, error) {
	var sc store.Scenario
	if err := json.Unmarshal([]byte(getS(item, attrRec)), &sc); err != nil {
		return store.Scenario{}, fmt.Errorf("dynamostore: scenario %s: %w", getS(item, AttrPK), err)
	}
	sc.Document = getB(item, attrDoc)
	return sc, nil
}

func (s *Store) GetScenario(ctx context.Context, id string) (store.Scenario, error) {
	item, err := s.get(ctx, "GetScenario", prefixScenario+id, skMeta)
	if err != nil {
		return store.Scenario{}, err
	}
	return decodeScenario(item)
}

func (s *Store) GetLiveOrg(ctx context.Context, orgID string) (store.Scenario, error) {
	item, err := s.get(ctx, "GetLiveOrg", prefixLiveOrg+orgID, skMeta)
	if err != nil {
		return store.Scenario{}, err
	}
	return decodeScenario(item)
}

// TouchScenario moves both items' last use and ttl, in one transaction.
func (s *Store) TouchScenario(ctx context.Context, sc store.Scenario, now time.Time) error {
	sc.LastUsedAt = now
	meta := sc
	meta.Document = nil
	rec, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	update := func(pk string) types.TransactWriteItem {
		return types.TransactWriteItem{Update: &types.Update{
			TableName: s.table, Key: key(pk, skMeta),
			UpdateExpression:          aws.String("SET rec = :rec, #ttl = :ttl"),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeNames:  map[string]string{"#ttl": AttrTTL},
			ExpressionAttributeValues: map[string]types.AttributeValue{":rec": sv(string(rec)), ":ttl": ttlAt(now.Add(s.keep.ShareIdle))},
		}}
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		update(prefixScenario + sc.ID), update(prefixLiveOrg + sc.OrgID),
	}})
	if cancelledBy(err, "ConditionalCheckFailed") {
		return store.ErrNotFound
	}
	return mapErr("TouchScenario", err)
}

// cancelledBy says whether err is a cancelled transaction one of whose
// items failed with code (e.g. "ConditionalCheckFailed").
func cancelledBy(err error, code string) bool {
	_, ok := cancelledAt(err, code)
	return ok
}

// cancelledAt is the index of the first transaction item that failed with code.
func cancelledAt(err error, code string) (int, bool) {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return 0, false
	}
	for i, r := range tce.CancellationReasons {
		if deref(r.Code) == code {
			return i, true
		}
	}
	return 0, false
}
