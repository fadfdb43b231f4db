// Package dynamostore is the DynamoDB store.Store: one table, single-table
// design (security.md §4.2).
//
// Items (PK / SK):
//
//	SHARE#<share id> / META            shared scenario (doc: the JSON, binary); ttl = last use + ShareIdle
//	LIVEORG#<org id> / META            the same record under its live org id (one read for GetLiveOrg) and
//	                                   the org's grant count (MaxGrantsPerOrg); ttl as the share's
//	APPROVALS#<org id>#<user hash> / GRANT#<id>
//	                                   index entry of an active interactive grant (ListApprovals: one Query
//	                                   for one user); deleted on revocation; ttl as the grant's
//	CODE#<sha256> / META               authorization code; used_at absent until claimed; ttl = exp + 30 min
//	GRANT#<id> / META                  grant (token family); status active|revoked; ttl = created + Retention.Grant
//	TOKEN#<sha256> / META              access or refresh token (kind attribute); ttl = exp + 30 min when it
//	                                   expires, else issued + Retention.Grant
//	LOCKOUT#<org id>#<user hash> / META failed-login counter; ttl = lockout end or last change + 1 day
//	ORGGRANTS#<org id> / GRANT#<id>    index entry of an active grant with its use count (uses, last_used_at:
//	                                   ADDed by PutToken of an access token, in the same transaction);
//	                                   ListGrants is one Query; deleted on revocation; ttl as the grant's
//	LOGINS#<org id> / SLOT#<n>         a login attempt in its org's ring of store.MaxLoginHistoryPerOrg slots
//	                                   (slot = the org's logins counter on LIVEORG, modulo the ring's size);
//	                                   ttl = attempt + store.LoginHistoryKeep
//
// Every item that can expire carries ttl, so nothing is kept forever.
//
// Each item keeps its immutable fields as JSON in rec and its mutable
// fields (used_at, grant_id, status, revoked, last_used_at, expires_at) as
// top-level attributes, so every change is a single UpdateItem that never
// rewrites the record. Times in records are RFC 3339 with nanoseconds (as
// the embedded store's JSON); exp is the expiry in Unix nanoseconds for
// conditions; ttl is epoch seconds for DynamoDB TTL (expiry + 30 min, and
// at least 30 min after the write). TTL deletes late (up to days), so
// expiry is also checked in code on every read and in the claim
// conditions.
//
// Concurrency and consistency:
//   - Every read is strongly consistent (ConsistentRead): codes, tokens and
//     grants are read right after another Lambda wrote them, and a claim's
//     loser must see the winner's used_at.
//   - ClaimCode and ClaimRefresh are one conditional UpdateItem
//     (attribute_not_exists(used_at) and not expired, and for refresh
//     tokens not revoked): of N concurrent claims DynamoDB lets exactly one
//     through. Each claim writes a random claim_id; if the connection drops
//     after DynamoDB applied it and the SDK retries, the retry's
//     conditional failure carries our own claim_id and counts as the win
//     (no self-inflicted "replay").
//   - RevokeGrant is one UpdateItem on GRANT#<id>; GetToken and
//     ClaimRefresh read the grant, so all its tokens die at once.
//
// Write order (the invariant for a failure mid-operation): a grant is
// written before anything that points to it: the authorize endpoint puts
// the grant (PutGrant) and then the code that names it (PutCode); tokens
// are written after their grant, and a token whose grant is missing reads
// as revoked. The token endpoint claims the code (ClaimCode) and then
// writes the tokens (PutToken); a failure between the two would leave a
// used code with no tokens, so the Lambda guard (lambda/cmd/lambdamain)
// releases the claim with ReleaseCode (only if it is still this request's
// claim), revokes any token the request wrote, and answers 503, after
// which the client's retry redeems the code normally. ReleaseRefresh does
// the same for a rotated refresh token. A claim whose response was lost
// is recognised on the SDK's retry by its claim_id, so it is never taken
// for a replay.
//
// Relay items (relay.go) share the table: TENANT#<id> / META and
// RELAY#<flow id> / META, with the same conditional create and claim.
//
// Errors: store.ErrNotFound, ErrAlreadyUsed, ErrExpired and ErrRevoked as
// in the contract; throttling that outlasts the SDK retryer, dropped
// connections, 5xx and transaction conflicts become *UnavailableError
// (errors.Is(err, ErrUnavailable); Temporary() true), which the handlers
// answer with 503.
package dynamostore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
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

// --- codes ---

func codeItem(c store.Code) (map[string]types.AttributeValue, error) {
	imm := c
	imm.UsedAt, imm.GrantID = time.Time{}, ""
	rec, err := json.Marshal(imm)
	if err != nil {
		return nil, err
	}
	item := map[string]types.AttributeValue{
		AttrPK: sv(prefixCode + c.Hash), AttrSK: sv(skMeta),
		attrType: sv("code"), attrRec: sv(string(rec)),
		attrExp: nv(c.ExpiresAt.UnixNano()), AttrTTL: ttlAfter(c.ExpiresAt),
		attrScenario: sv(c.ScenarioID), attrClient: sv(c.ClientID),
	}
	if !c.UsedAt.IsZero() {
		item[attrUsedAt] = sv(tstr(c.UsedAt))
	}
	if c.GrantID != "" {
		item[attrGrantID] = sv(c.GrantID)
	}
	return item, nil
}

func decodeCode(item map[string]types.AttributeValue) (store.Code, error) {
	var c store.Code
	if err := json.Unmarshal([]byte(getS(item, attrRec)), &c); err != nil {
		return c, fmt.Errorf("dynamostore: code %s: %w", getS(item, AttrPK), err)
	}
	var err error
	if c.UsedAt, err = getTime(item, attrUsedAt); err != nil {
		return c, err
	}
	c.GrantID = getS(item, attrGrantID)
	return c, nil
}

func (s *Store) PutCode(ctx context.Context, c store.Code) error {
	item, err := codeItem(c)
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.table, Item: item})
	return mapErr("PutCode", err)
}

func (s *Store) GetCode(ctx context.Context, hash string, now time.Time) (store.Code, error) {
	item, err := s.get(ctx, "GetCode", prefixCode+hash, skMeta)
	if err != nil {
		return store.Code{}, err
	}
	c, err := decodeCode(item)
	if err != nil {
		return c, err
	}
	return c, store.CheckCode(c, now)
}

// codeClaimCondition: the code exists, was never claimed and has not
// expired at :now.
const codeClaimCondition = "attribute_exists(PK) AND attribute_not_exists(used_at) AND exp > :now"

func (s *Store) ClaimCode(ctx context.Context, hash string, now time.Time) (store.Code, error) {
	item, won, err := claimOnce(ctx, s.db, s.table, "ClaimCode", prefixCode+hash,
		"SET used_at = :used, claim_id = :claim", codeClaimCondition, nil, now)
	if err != nil {
		return store.Code{}, err
	}
	c, err := decodeCode(item)
	switch {
	case err != nil || won:
		return c, err
	case !c.UsedAt.IsZero():
		return c, store.ErrAlreadyUsed
	case store.CheckCode(c, now) != nil:
		return c, store.ErrExpired
	}
	return c, &UnavailableError{Op: "ClaimCode", Err: errors.New("condition failed on an unused, unexpired code")}
}

// --- grants ---

// userHash keys a user within a live org (usernames are free text).
func userHash(user string) string {
	sum := sha256.Sum256([]byte(user))
	return hex.EncodeToString(sum[:16])
}

func approvalsPK(orgID, user string) string {
	return prefixApprovals + orgID + "#" + userHash(user)
}

// grantItems are a grant's item, its approval index entry (interactive
// active grants) and its org index update (active grants): an update, so
// rewriting a grant keeps its use count.
func (s *Store) grantItems(g store.Grant) (grant, index map[string]types.AttributeValue, orgIndex *types.Update, err error) {
	imm := g
	imm.Status, imm.RevokedWhy, imm.RevokedAt = "", "", time.Time{}
	rec, err := json.Marshal(imm)
	if err != nil {
		return nil, nil, nil, err
	}
	status := g.Status
	if status == "" {
		status = store.GrantActive
	}
	ttl := ttlAt(g.CreatedAt.Add(s.keep.Grant))
	grant = map[string]types.AttributeValue{
		AttrPK: sv(prefixGrant + g.ID), AttrSK: sv(skMeta),
		attrType: sv("grant"), attrRec: sv(string(rec)), attrStatus: sv(status),
		attrScenario: sv(g.ScenarioID), attrClient: sv(g.ClientID), attrCreated: nv(g.CreatedAt.UnixNano()), AttrTTL: ttl,
	}
	if g.RevokedWhy != "" {
		grant[attrWhy] = sv(g.RevokedWhy)
	}
	if !g.RevokedAt.IsZero() {
		grant[attrRevokedAt] = sv(tstr(g.RevokedAt))
	}
	if g.Interactive && status == store.GrantActive {
		index = map[string]types.AttributeValue{
			AttrPK: sv(approvalsPK(g.ScenarioID, g.User)), AttrSK: sv(prefixGrant + g.ID),
			attrType: sv("approval"), attrGrantID: sv(g.ID), attrCreated: nv(g.CreatedAt.UnixNano()), AttrTTL: ttl,
		}
	}
	if status == store.GrantActive {
		orgIndex = &types.Update{
			TableName: s.table, Key: key(prefixOrgGrants+g.ScenarioID, prefixGrant+g.ID),
			UpdateExpression:         aws.String("SET #type = :type, rec = :rec, created = :created, #ttl = :ttl"),
			ExpressionAttributeNames: map[string]string{"#type": attrType, "#ttl": AttrTTL},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":type": sv("orgGrant"), ":rec": sv(string(rec)), ":created": nv(g.CreatedAt.UnixNano()), ":ttl": ttl,
			},
		}
	}
	return grant, index, orgIndex, nil
}

func decodeGrant(item map[string]types.AttributeValue) (store.Grant, error) {
	var g store.Grant
	if err := json.Unmarshal([]byte(getS(item, attrRec)), &g); err != nil {
		return g, fmt.Errorf("dynamostore: grant %s: %w", getS(item, AttrPK), err)
	}
	g.Status, g.RevokedWhy = getS(item, attrStatus), getS(item, attrWhy)
	var err error
	g.RevokedAt, err = getTime(item, attrRevokedAt)
	return g, err
}

// PutGrant creates the grant, counts it on its live org (refused at
// MaxGrantsPerOrg) and writes its approval index entry, in one
// transaction. If the grant exists, the put rewrites it instead, never
// turning a revoked grant active again (a handler that read the grant
// before a concurrent revocation and writes it back would otherwise undo
// it), and never counting it twice.
func (s *Store) PutGrant(ctx context.Context, g store.Grant) error {
	grant, index, orgIndex, err := s.grantItems(g)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: s.table, Item: grant, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Update: &types.Update{
			TableName: s.table, Key: key(prefixLiveOrg+g.ScenarioID, skMeta),
			UpdateExpression:          aws.String("ADD grants :one"),
			ConditionExpression:       aws.String("attribute_exists(PK) AND grants < quota"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": nv(1)},
		}},
	}
	if index != nil {
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: s.table, Item: index}})
	}
	if orgIndex != nil {
		items = append(items, types.TransactWriteItem{Update: orgIndex})
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	switch i, failed := cancelledAt(err, "ConditionalCheckFailed"); {
	case !failed:
		return mapErr("PutGrant", err)
	case i == 1:
		if _, gerr := s.get(ctx, "PutGrant", prefixLiveOrg+g.ScenarioID, skMeta); errors.Is(gerr, store.ErrNotFound) {
			return s.rewriteGrant(ctx, g, grant, index, orgIndex) // a grant of no stored live org (tests); not counted
		}
		return store.ErrQuota
	}
	return s.rewriteGrant(ctx, g, grant, index, orgIndex)
}

// rewriteGrant overwrites an existing grant unless that would undo a revocation.
func (s *Store) rewriteGrant(ctx context.Context, g store.Grant, grant, index map[string]types.AttributeValue, orgIndex *types.Update) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: s.table, Item: grant,
		ConditionExpression:      aws.String("attribute_not_exists(PK) OR #st <> :revoked OR :newst = :revoked"),
		ExpressionAttributeNames: map[string]string{"#st": attrStatus},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":revoked": sv(store.GrantRevoked), ":newst": grant[attrStatus],
		},
	})
	if _, revoked := conditionFailed(err); revoked {
		// The stored grant is revoked: update the record, keep the revocation.
		_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: s.table, Key: key(prefixGrant+g.ID, skMeta),
			UpdateExpression: aws.String("SET rec = :rec, scenario_id = :scen, client_id = :client, created = :created"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":rec": grant[attrRec], ":scen": grant[attrScenario], ":client": grant[attrClient], ":created": grant[attrCreated],
			},
		})
		return mapErr("PutGrant", err)
	}
	if err == nil && index != nil {
		_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.table, Item: index})
	}
	if err == nil && orgIndex != nil {
		_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: s.table, Key: orgIndex.Key,
			UpdateExpression: orgIndex.UpdateExpression, ExpressionAttributeNames: orgIndex.ExpressionAttributeNames,
			ExpressionAttributeValues: orgIndex.ExpressionAttributeValues})
	}
	return mapErr("PutGrant", err)
}

func (s *Store) GetGrant(ctx context.Context, id string) (store.Grant, error) {
	item, err := s.get(ctx, "GetGrant", prefixGrant+id, skMeta)
	if err != nil {
		return store.Grant{}, err
	}
	return decodeGrant(item)
}

// ListApprovals queries one user's index entries (consistent), then reads
// the grants with BatchGetItem (consistent): the active interactive ones,
// oldest first (ties by id).
func (s *Store) ListApprovals(ctx context.Context, orgID, user string) ([]store.Grant, error) {
	var ids []string
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:              s.table,
		ConsistentRead:         aws.Bool(true),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :g)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": sv(approvalsPK(orgID, user)), ":g": sv(prefixGrant),
		},
		ProjectionExpression: aws.String(attrGrantID),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, mapErr("ListApprovals", err)
		}
		for _, it := range page.Items {
			ids = append(ids, getS(it, attrGrantID))
		}
	}
	out := make([]store.Grant, 0, len(ids))
	for chunk := range slices.Chunk(ids, 100) {
		keys := make([]map[string]types.AttributeValue, len(chunk))
		for i, id := range chunk {
			keys[i] = key(prefixGrant+id, skMeta)
		}
		req := map[string]types.KeysAndAttributes{*s.table: {Keys: keys, ConsistentRead: aws.Bool(true)}}
		for attempt := 0; len(req) > 0; attempt++ {
			if attempt > 0 {
				d, _ := fullJitter{base: RetryBaseDelay, max: RetryMaxBackoff}.BackoffDelay(attempt, nil)
				if attempt > RetryMaxAttempts {
					return nil, &UnavailableError{Op: "ListApprovals", Err: errors.New("unprocessed keys after retries")}
				}
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return nil, mapErr("ListApprovals", ctx.Err())
				}
			}
			res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, mapErr("ListApprovals", err)
			}
			for _, it := range res.Responses[*s.table] {
				g, err := decodeGrant(it)
				if err != nil {
					return nil, err
				}
				if g.Interactive && g.Status == store.GrantActive {
					out = append(out, g)
				}
			}
			req = res.UnprocessedKeys
		}
	}
	slices.SortStableFunc(out, func(a, b store.Grant) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// RevokeGrant is one conditional UpdateItem: only an active grant changes,
// so the first reason and time are kept. The revoked grant's org index
// entry and approval index entry are then deleted (further requests, on
// revocation only).
func (s *Store) RevokeGrant(ctx context.Context, id, why string, now time.Time) error {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                s.table,
		Key:                      key(prefixGrant+id, skMeta),
		UpdateExpression:         aws.String("SET #st = :revoked, revoked_why = :why, revoked_at = :at"),
		ConditionExpression:      aws.String("attribute_exists(PK) AND #st <> :revoked"),
		ExpressionAttributeNames: map[string]string{"#st": attrStatus},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":revoked": sv(store.GrantRevoked), ":why": sv(why), ":at": sv(tstr(now)),
		},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		g, err := decodeGrant(out.Attributes)
		if err != nil {
			return err
		}
		_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: s.table, Key: key(prefixOrgGrants+g.ScenarioID, prefixGrant+g.ID),
		})
		if err != nil || !g.Interactive {
			return mapErr("RevokeGrant", err)
		}
		_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: s.table, Key: key(approvalsPK(g.ScenarioID, g.User), prefixGrant+g.ID),
		})
		return mapErr("RevokeGrant", err)
	}
	ccf, ok := conditionFailed(err)
	if !ok {
		return mapErr("RevokeGrant", err)
	}
	if len(ccf.Item) == 0 { // backend without ALL_OLD on failure: read
		if _, err := s.get(ctx, "RevokeGrant", prefixGrant+id, skMeta); err != nil {
			return err
		}
	}
	return nil // it exists, so it was revoked already
}

// --- tokens ---

func tokenItem(t store.Token, keep store.Retention) (map[string]types.AttributeValue, error) {
	imm := t
	imm.ExpiresAt, imm.LastUsedAt, imm.UsedAt, imm.Revoked = time.Time{}, time.Time{}, time.Time{}, false
	rec, err := json.Marshal(imm)
	if err != nil {
		return nil, err
	}
	item := map[string]types.AttributeValue{
		AttrPK: sv(prefixToken + t.Hash), AttrSK: sv(skMeta),
		attrType: sv("token"), attrRec: sv(string(rec)), attrKind: sv(t.Kind),
		attrGrantID: sv(t.GrantID), attrScenario: sv(t.ScenarioID), attrClient: sv(t.ClientID),
	}
	if !t.ExpiresAt.IsZero() {
		item[attrExpiresAt] = sv(tstr(t.ExpiresAt))
		item[attrExp] = nv(t.ExpiresAt.UnixNano())
		item[AttrTTL] = ttlAfter(t.ExpiresAt)
	} else {
		item[AttrTTL] = ttlAt(t.IssuedAt.Add(keep.Grant)) // a refresh token lives no longer than its grant's retention
	}
	if !t.LastUsedAt.IsZero() {
		item[attrLastUsed] = sv(tstr(t.LastUsedAt))
	}
	if !t.UsedAt.IsZero() {
		item[attrUsedAt] = sv(tstr(t.UsedAt))
	}
	if t.Revoked {
		item[attrRevoked] = &types.AttributeValueMemberBOOL{Value: true}
	}
	return item, nil
}

func decodeToken(item map[string]types.AttributeValue) (store.Token, error) {
	var t store.Token
	if err := json.Unmarshal([]byte(getS(item, attrRec)), &t); err != nil {
		return t, fmt.Errorf("dynamostore: token %s: %w", getS(item, AttrPK), err)
	}
	var err error
	if t.ExpiresAt, err = getTime(item, attrExpiresAt); err != nil {
		return t, err
	}
	if t.LastUsedAt, err = getTime(item, attrLastUsed); err != nil {
		return t, err
	}
	if t.UsedAt, err = getTime(item, attrUsedAt); err != nil {
		return t, err
	}
	t.Revoked = getBool(item, attrRevoked)
	return t, nil
}

// PutToken puts the token; for an access token, in one transaction with
// the use count of its grant (see countUse in audit.go).
func (s *Store) PutToken(ctx context.Context, t store.Token) error {
	item, err := tokenItem(t, s.keep)
	if err != nil {
		return err
	}
	if t.Kind == store.KindAccess {
		return s.putCountingUse(ctx, item, t)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.table, Item: item})
	return mapErr("PutToken", err)
}

// getToken reads a token and then its grant (both consistent) and applies
// the read rules.
func (s *Store) getToken(ctx context.Context, op, hash string, now time.Time) (store.Token, error) {
	item, err := s.get(ctx, op, prefixToken+hash, skMeta)
	if err != nil {
		return store.Token{}, err
	}
	t, err := decodeToken(item)
	if err != nil {
		return t, err
	}
	return t, s.checkToken(ctx, op, t, now)
}

func (s *Store) checkToken(ctx context.Context, op string, t store.Token, now time.Time) error {
	var gp *store.Grant
	gitem, err := s.get(ctx, op, prefixGrant+t.GrantID, skMeta)
	switch {
	case err == nil:
		g, err := decodeGrant(gitem)
		if err != nil {
			return err
		}
		gp = &g
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	return store.CheckToken(t, gp, now)
}

func (s *Store) GetToken(ctx context.Context, hash string, now time.Time) (store.Token, error) {
	return s.getToken(ctx, "GetToken", hash, now)
}

// refreshClaimCondition: the token exists, was never claimed, is not
// revoked and has not expired at :now (tokens without expiry have no exp).
const refreshClaimCondition = "attribute_exists(PK) AND attribute_not_exists(used_at) AND " +
	"(attribute_not_exists(revoked) OR revoked = :false) AND (attribute_not_exists(exp) OR exp > :now)"

func (s *Store) ClaimRefresh(ctx context.Context, hash string, now time.Time) (store.Token, error) {
	t, err := s.getToken(ctx, "ClaimRefresh", hash, now)
	if err != nil {
		return t, err
	}
	if !t.UsedAt.IsZero() {
		return t, store.ErrAlreadyUsed
	}
	item, won, err := claimOnce(ctx, s.db, s.table, "ClaimRefresh", prefixToken+hash,
		"SET used_at = :used, last_used_at = :used, claim_id = :claim", refreshClaimCondition,
		map[string]types.AttributeValue{":false": &types.AttributeValueMemberBOOL{Value: false}}, now)
	if err != nil {
		return t, err
	}
	t, err = decodeToken(item)
	switch {
	case err != nil || won:
		return t, err
	case !t.UsedAt.IsZero():
		return t, store.ErrAlreadyUsed
	}
	if err := store.CheckToken(t, &store.Grant{Status: store.GrantActive}, now); err != nil {
		return t, err
	}
	return t, &UnavailableError{Op: "ClaimRefresh", Err: errors.New("condition failed on an unused, live token")}
}

func (s *Store) TouchToken(ctx context.Context, hash string, now, expiresAt time.Time) error {
	expr := "SET last_used_at = :now"
	vals := map[string]types.AttributeValue{":now": sv(tstr(now))}
	if !expiresAt.IsZero() {
		expr += ", expires_at = :exat, exp = :exp, #ttl = :ttl"
		vals[":exat"], vals[":exp"], vals[":ttl"] = sv(tstr(expiresAt)), nv(expiresAt.UnixNano()), ttlAfter(expiresAt)
	}
	in := &dynamodb.UpdateItemInput{
		TableName: s.table, Key: key(prefixToken+hash, skMeta),
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: vals,
	}
	if !expiresAt.IsZero() {
		in.ExpressionAttributeNames = map[string]string{"#ttl": AttrTTL}
	}
	_, err := s.db.UpdateItem(ctx, in)
	if _, ok := conditionFailed(err); ok {
		return store.ErrNotFound
	}
	return mapErr("TouchToken", err)
}

func (s *Store) RevokeToken(ctx context.Context, hash string, _ time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.table, Key: key(prefixToken+hash, skMeta),
		UpdateExpression:          aws.String("SET revoked = :true"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":true": &types.AttributeValueMemberBOOL{Value: true}},
	})
	if _, ok := conditionFailed(err); ok {
		return store.ErrNotFound
	}
	return mapErr("RevokeToken", err)
}
