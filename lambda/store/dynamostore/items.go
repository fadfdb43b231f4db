package dynamostore

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/caplab/caplab/lambda/store"
)

// Each record's item and its decoding (the package doc has the layout).

// userHash keys a user within a live org (usernames are free text).
func userHash(user string) string {
	sum := sha256.Sum256([]byte(user))
	return hex.EncodeToString(sum[:16])
}

func approvalsPK(orgID, user string) string { return prefixApprovals + orgID + "#" + userHash(user) }

func codeKey(hash string) map[string]types.AttributeValue  { return key(prefixCode+hash, skMeta) }
func tokenKey(hash string) map[string]types.AttributeValue { return key(prefixToken+hash, skMeta) }
func markKey(k string) map[string]types.AttributeValue     { return key(prefixMark+k, skMeta) }
func grantKey(orgID, id string) map[string]types.AttributeValue {
	return key(prefixOrgGrants+orgID, prefixGrant+id)
}

// --- codes ---

func codeItem(c store.Code) (map[string]types.AttributeValue, error) {
	imm := c
	imm.UsedAt = time.Time{}
	rec, err := json.Marshal(imm)
	if err != nil {
		return nil, err
	}
	item := codeKey(c.Hash)
	item[attrType], item[attrRec] = sv("code"), sv(string(rec))
	item[attrExp], item[AttrTTL] = nv(c.ExpiresAt.UnixNano()), ttlAfter(c.ExpiresAt)
	if !c.UsedAt.IsZero() {
		item[attrUsedAt] = sv(tstr(c.UsedAt))
	}
	return item, nil
}

func decodeCode(item map[string]types.AttributeValue) (store.Code, error) {
	var c store.Code
	if err := json.Unmarshal([]byte(getS(item, attrRec)), &c); err != nil {
		return c, fmt.Errorf("dynamostore: code %s: %w", getS(item, AttrPK), err)
	}
	var err error
	c.UsedAt, err = getTime(item, attrUsedAt)
	return c, err
}

// --- grants ---

// grantRec is a grant's immutable part, as JSON.
func grantRec(g store.Grant) (string, error) {
	imm := g
	imm.Status, imm.RevokedWhy, imm.RevokedAt = "", "", time.Time{}
	rec, err := json.Marshal(imm)
	return string(rec), err
}

// grantItems are a new grant's item (with uses, its first use when it
// issues a token at once) and, for an active interactive grant, its
// approval index entry.
func (s *Store) grantItems(g store.Grant, uses int64, now time.Time) (grant, approval map[string]types.AttributeValue, err error) {
	rec, err := grantRec(g)
	if err != nil {
		return nil, nil, err
	}
	status := g.Status
	if status == "" {
		status = store.GrantActive
	}
	ttl := ttlAt(g.CreatedAt.Add(s.keep.Grant))
	grant = grantKey(g.ScenarioID, g.ID)
	grant[attrType], grant[attrRec], grant[attrStatus], grant[attrUser] = sv("grant"), sv(rec), sv(status), sv(userHash(g.User))
	grant[attrCreated], grant[AttrTTL], grant[attrUses] = nv(g.CreatedAt.UnixNano()), ttl, nv(uses)
	if uses > 0 {
		grant[attrLastUsed] = sv(tstr(now))
	}
	if g.RevokedWhy != "" {
		grant[attrWhy] = sv(g.RevokedWhy)
	}
	if !g.RevokedAt.IsZero() {
		grant[attrRevokedAt] = sv(tstr(g.RevokedAt))
	}
	if g.Interactive && status == store.GrantActive {
		approval = key(approvalsPK(g.ScenarioID, g.User), prefixGrant+g.ID)
		approval[attrType], approval[attrRec], approval[attrCreated], approval[AttrTTL] = sv("approval"), sv(rec), nv(g.CreatedAt.UnixNano()), ttl
	}
	return grant, approval, nil
}

func decodeGrant(item map[string]types.AttributeValue) (store.Grant, error) {
	var g store.Grant
	if err := json.Unmarshal([]byte(getS(item, attrRec)), &g); err != nil {
		return g, fmt.Errorf("dynamostore: grant %s/%s: %w", getS(item, AttrPK), getS(item, AttrSK), err)
	}
	g.Status, g.RevokedWhy = getS(item, attrStatus), getS(item, attrWhy)
	if g.Status == "" {
		g.Status = store.GrantActive // an approval entry: active while it exists
	}
	var err error
	g.RevokedAt, err = getTime(item, attrRevokedAt)
	return g, err
}

// --- refresh tokens ---

func tokenItem(t store.Token, keep store.Retention) (map[string]types.AttributeValue, error) {
	imm := t
	imm.ExpiresAt, imm.LastUsedAt, imm.UsedAt, imm.Revoked = time.Time{}, time.Time{}, time.Time{}, false
	rec, err := json.Marshal(imm)
	if err != nil {
		return nil, err
	}
	item := tokenKey(t.Hash)
	item[attrType], item[attrRec], item[attrKind] = sv("token"), sv(string(rec)), sv(t.Kind)
	if !t.ExpiresAt.IsZero() {
		item[attrExpiresAt], item[attrExp], item[AttrTTL] = sv(tstr(t.ExpiresAt)), nv(t.ExpiresAt.UnixNano()), ttlAfter(t.ExpiresAt)
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

// --- marks ---

func decodeMark(item map[string]types.AttributeValue) (store.Mark, error) {
	m := store.Mark{Key: getS(item, AttrPK)[len(prefixMark):], OrgID: getS(item, attrScenario), Revoked: getBool(item, attrRevoked)}
	var err error
	if m.LastUsedAt, err = getTime(item, attrLastUsed); err != nil {
		return m, err
	}
	m.ExpiresAt, err = getTime(item, attrExpiresAt)
	return m, err
}

// --- login history ---

func loginItem(e store.LoginEvent) (map[string]types.AttributeValue, error) {
	rec, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	item := key(prefixLogins+e.OrgID, skLogin+store.LoginSortKey(e))
	item[attrType], item[attrRec], item[AttrTTL] = sv("login"), sv(string(rec)), ttlAt(e.At.Add(store.LoginHistoryKeep))
	return item, nil
}

func getN(item map[string]types.AttributeValue, name string) int64 {
	n, _ := item[name].(*types.AttributeValueMemberN)
	if n == nil {
		return 0
	}
	v, _ := strconv.ParseInt(n.Value, 10, 64)
	return v
}
