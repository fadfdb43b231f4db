package dynamostore

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/caplab/caplab/lambda/store"
)

// Commit: one request's write as one TransactWriteItems (one single-item
// call when the write is one item). Each item's condition maps to the
// store sentinel it stands for; see store.Write.

// part is one item of a write and what a failed condition on it means.
type part struct {
	item types.TransactWriteItem
	// refuse is the sentinel for the failed condition, given the item as it
	// was (nil when absent).
	refuse func(old map[string]types.AttributeValue) error
	// activity: a mark's activity part, whose condition fails when a later
	// activity is stored; the write is then made without it.
	activity *store.Mark
}

// maxConflictRetries bounds the retries of a write cancelled only by
// conflicts with other transactions on the same items (two refreshes of
// one grant at once); the SDK retries throttling itself.
const maxConflictRetries = 5

// Commit applies w in one transaction.
func (s *Store) Commit(ctx context.Context, w store.Write) error {
	wid := newClaimID()
	parts, err := s.parts(w, wid)
	if err != nil {
		return err
	}
	for attempt := 0; len(parts) > 0; attempt++ {
		i, old, err := s.transact(ctx, parts, wid)
		switch {
		case err == nil:
			return nil
		case i < 0 && conflictOnly(err) && attempt < maxConflictRetries:
			d, _ := fullJitter{base: 5 * time.Millisecond, max: 100 * time.Millisecond}.BackoffDelay(attempt+1, nil)
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return mapErr("Commit", ctx.Err())
			}
			continue
		case i < 0:
			return mapErr("Commit", err)
		case getS(old, attrWriteID) == wid:
			return nil // our own earlier attempt applied the write; its response was lost
		case parts[i].activity != nil:
			// A later activity is recorded: keep the mark's other part, if any.
			m := *parts[i].activity
			m.LastUsedAt = time.Time{}
			parts = append(parts[:i:i], parts[i+1:]...)
			if m.Revoked {
				parts = append(parts, s.markPart(w.OrgID, m))
			}
			continue
		}
		return parts[i].refuse(old)
	}
	return nil
}

// conflictOnly: a cancelled transaction none of whose items failed a
// condition (conflicts, throttling): worth another try.
func conflictOnly(err error) bool {
	var tce *types.TransactionCanceledException
	return errors.As(err, &tce) && transactionConflictOnly(tce)
}

// transact runs the parts. On a failed condition it returns the index of
// the failing part and the item as it was (read again, consistently, when
// the backend did not return it), preferring a part our own write (wid)
// made.
func (s *Store) transact(ctx context.Context, parts []part, wid string) (failed int, old map[string]types.AttributeValue, err error) {
	var reasons []types.CancellationReason
	if len(parts) == 1 {
		reasons, err = s.single(ctx, parts[0].item)
	} else {
		items := make([]types.TransactWriteItem, len(parts))
		for i, p := range parts {
			items[i] = p.item
		}
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		var tce *types.TransactionCanceledException
		if errors.As(err, &tce) {
			reasons = tce.CancellationReasons
		}
	}
	if err == nil {
		return -1, nil, nil
	}
	failed = -1
	for i, r := range reasons {
		if i >= len(parts) || deref(r.Code) != "ConditionalCheckFailed" {
			continue
		}
		item := r.Item
		if len(item) == 0 {
			var rerr error
			if item, rerr = s.itemOf(ctx, parts[i].item); rerr != nil {
				return -1, nil, rerr
			}
		}
		if failed < 0 || getS(item, attrWriteID) == wid {
			failed, old = i, item
		}
	}
	if failed < 0 {
		return -1, nil, err
	}
	return failed, old, err
}

// single runs a one-item write as its own call (half the cost of a
// transaction), reporting a failed condition as a transaction would.
func (s *Store) single(ctx context.Context, it types.TransactWriteItem) ([]types.CancellationReason, error) {
	var err error
	switch {
	case it.Put != nil:
		p := it.Put
		in := &dynamodb.PutItemInput{TableName: p.TableName, Item: p.Item, ConditionExpression: p.ConditionExpression,
			ExpressionAttributeNames: p.ExpressionAttributeNames, ExpressionAttributeValues: p.ExpressionAttributeValues}
		if p.ConditionExpression != nil {
			in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
		}
		_, err = s.db.PutItem(ctx, in)
	case it.Update != nil:
		u := it.Update
		in := &dynamodb.UpdateItemInput{TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression,
			ConditionExpression: u.ConditionExpression, ExpressionAttributeNames: u.ExpressionAttributeNames,
			ExpressionAttributeValues: u.ExpressionAttributeValues}
		if u.ConditionExpression != nil {
			in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
		}
		_, err = s.db.UpdateItem(ctx, in)
	case it.Delete != nil:
		d := it.Delete
		_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: d.TableName, Key: d.Key, ConditionExpression: d.ConditionExpression,
			ExpressionAttributeNames: d.ExpressionAttributeNames, ExpressionAttributeValues: d.ExpressionAttributeValues})
	default:
		return nil, errors.New("dynamostore: a write part with no operation")
	}
	if ccf, ok := conditionFailed(err); ok {
		return []types.CancellationReason{{Code: aws.String("ConditionalCheckFailed"), Item: ccf.Item}}, err
	}
	return nil, err
}

// itemOf reads the item a part writes (consistently): nil when absent.
func (s *Store) itemOf(ctx context.Context, it types.TransactWriteItem) (map[string]types.AttributeValue, error) {
	var k map[string]types.AttributeValue
	switch {
	case it.Put != nil:
		k = key(getS(it.Put.Item, AttrPK), getS(it.Put.Item, AttrSK))
	case it.Update != nil:
		k = it.Update.Key
	case it.Delete != nil:
		k = it.Delete.Key
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.table, Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, mapErr("Commit", err)
	}
	return out.Item, nil
}

// guard is the condition every update that must not apply twice carries:
// a retry of a write that already happened fails it on our own write_id.
const guard = "(attribute_not_exists(write_id) OR write_id <> :wid)"

// parts builds the items of w.
func (s *Store) parts(w store.Write, wid string) ([]part, error) {
	var ps []part
	now := w.Now
	update := func(k map[string]types.AttributeValue, expr, cond string, names map[string]string, vals map[string]types.AttributeValue, refuse func(map[string]types.AttributeValue) error) {
		vals[":wid"] = sv(wid)
		ps = append(ps, part{item: types.TransactWriteItem{Update: &types.Update{
			TableName: s.table, Key: k, UpdateExpression: aws.String(expr + ", write_id = :wid"), ConditionExpression: aws.String(cond + " AND " + guard),
			ExpressionAttributeNames: names, ExpressionAttributeValues: vals,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}}, refuse: refuse})
	}
	put := func(item map[string]types.AttributeValue, cond string, vals map[string]types.AttributeValue, refuse func(map[string]types.AttributeValue) error) {
		p := &types.Put{TableName: s.table, Item: item}
		if cond != "" {
			item[attrWriteID] = sv(wid)
			p.ConditionExpression, p.ExpressionAttributeValues = aws.String(cond), vals
			p.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
		}
		ps = append(ps, part{item: types.TransactWriteItem{Put: p}, refuse: refuse})
	}
	nowVals := func() map[string]types.AttributeValue {
		return map[string]types.AttributeValue{":used": sv(tstr(now)), ":now": nv(now.UnixNano())}
	}
	if h := w.ClaimCode; h != "" {
		update(codeKey(h), "SET used_at = :used", "attribute_exists(PK) AND attribute_not_exists(used_at) AND exp > :now", nil, nowVals(),
			func(old map[string]types.AttributeValue) error {
				switch {
				case len(old) == 0:
					return store.ErrNotFound
				case getS(old, attrUsedAt) != "":
					return store.ErrAlreadyUsed
				}
				return store.ErrExpired
			})
	}
	if h := w.ClaimRefresh; h != "" {
		vals := nowVals()
		vals[":false"] = &types.AttributeValueMemberBOOL{Value: false}
		update(tokenKey(h), "SET used_at = :used, last_used_at = :used",
			"attribute_exists(PK) AND attribute_not_exists(used_at) AND (attribute_not_exists(revoked) OR revoked = :false) AND (attribute_not_exists(exp) OR exp > :now)",
			nil, vals, func(old map[string]types.AttributeValue) error {
				switch {
				case len(old) == 0:
					return store.ErrNotFound
				case getS(old, attrUsedAt) != "":
					return store.ErrAlreadyUsed
				case getBool(old, attrRevoked):
					return store.ErrRevoked
				}
				return store.ErrExpired
			})
	}
	if h := w.TouchRefresh; h != "" {
		update(tokenKey(h), "SET last_used_at = :used", "attribute_exists(PK)", nil, map[string]types.AttributeValue{":used": sv(tstr(now))},
			func(map[string]types.AttributeValue) error { return store.ErrNotFound })
	}
	if g := w.Grant; g != nil {
		if g.ScenarioID != w.OrgID {
			return nil, store.ErrNotFound
		}
		uses := int64(0)
		if w.UseGrant == g.ID {
			uses = 1
		}
		item, approval, err := s.grantItems(*g, uses, now)
		if err != nil {
			return nil, err
		}
		put(item, "attribute_not_exists(PK)", nil, func(map[string]types.AttributeValue) error { return store.ErrExists })
		ps = append(ps, part{item: types.TransactWriteItem{Update: &types.Update{
			TableName: s.table, Key: key(prefixLiveOrg+w.OrgID, skMeta),
			UpdateExpression:                    aws.String("ADD grants :one"),
			ConditionExpression:                 aws.String("attribute_exists(PK) AND grants < quota"),
			ExpressionAttributeValues:           map[string]types.AttributeValue{":one": nv(1)},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}}, refuse: func(old map[string]types.AttributeValue) error {
			if len(old) == 0 {
				return store.ErrNotFound
			}
			return store.ErrQuota
		}})
		if approval != nil {
			put(approval, "", nil, nil)
		}
	}
	for _, c := range w.Codes {
		item, err := codeItem(c)
		if err != nil {
			return nil, err
		}
		put(item, "attribute_not_exists(PK) OR exp <= :now", map[string]types.AttributeValue{":now": nv(now.UnixNano())},
			func(map[string]types.AttributeValue) error { return store.ErrExists })
	}
	for _, t := range w.Tokens {
		item, err := tokenItem(t, s.keep)
		if err != nil {
			return nil, err
		}
		put(item, "attribute_not_exists(PK)", nil, func(map[string]types.AttributeValue) error { return store.ErrExists })
	}
	for _, m := range w.Marks {
		ps = append(ps, s.markPart(w.OrgID, m))
	}
	for _, e := range w.Logins {
		item, err := loginItem(e)
		if err != nil {
			return nil, err
		}
		put(item, "", nil, nil)
	}
	if id := w.UseGrant; id != "" && (w.Grant == nil || w.Grant.ID != id) {
		update(grantKey(w.OrgID, id), "ADD uses :one SET last_used_at = :used", "attribute_exists(PK) AND #st = :active",
			map[string]string{"#st": attrStatus},
			map[string]types.AttributeValue{":one": nv(1), ":used": sv(tstr(now)), ":active": sv(store.GrantActive)},
			func(old map[string]types.AttributeValue) error {
				if len(old) == 0 {
					return store.ErrNotFound
				}
				return store.ErrRevoked
			})
	}
	for _, rv := range w.Revoke {
		ps = append(ps, part{item: types.TransactWriteItem{Update: &types.Update{
			TableName: s.table, Key: grantKey(w.OrgID, rv.GrantID),
			UpdateExpression:         aws.String("SET #st = :revoked, revoked_why = if_not_exists(revoked_why, :why), revoked_at = if_not_exists(revoked_at, :at)"),
			ConditionExpression:      aws.String("attribute_exists(PK) AND #user = :user"),
			ExpressionAttributeNames: map[string]string{"#st": attrStatus, "#user": attrUser},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":revoked": sv(store.GrantRevoked), ":why": sv(rv.Why), ":at": sv(tstr(now)), ":user": sv(userHash(rv.User)),
			},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}}, refuse: func(map[string]types.AttributeValue) error { return store.ErrNotFound }})
		ps = append(ps, part{item: types.TransactWriteItem{Delete: &types.Delete{
			TableName: s.table, Key: key(approvalsPK(w.OrgID, rv.User), prefixGrant+rv.GrantID),
		}}})
	}
	return ps, nil
}

// markPart merges a mark (store.MergeMark): revocation is set; an activity
// is written only over an earlier one (its condition), with its expiry;
// a mark without activity sets the expiry only when none is stored.
func (s *Store) markPart(orgID string, m store.Mark) part {
	names := map[string]string{"#ttl": AttrTTL}
	vals := map[string]types.AttributeValue{":org": sv(orgID), ":exat": sv(tstr(m.ExpiresAt)), ":ttl": ttlAfter(m.ExpiresAt)}
	expr := "SET scenario_id = :org"
	if m.Revoked {
		expr += ", revoked = :true"
		vals[":true"] = &types.AttributeValueMemberBOOL{Value: true}
	}
	u := &types.Update{TableName: s.table, Key: markKey(m.Key), ExpressionAttributeNames: names, ExpressionAttributeValues: vals}
	p := part{item: types.TransactWriteItem{Update: u}}
	if m.LastUsedAt.IsZero() {
		expr += ", expires_at = if_not_exists(expires_at, :exat), #ttl = if_not_exists(#ttl, :ttl)"
	} else {
		expr += ", last_used_at = :last, last_ns = :lastns, expires_at = :exat, #ttl = :ttl"
		vals[":last"], vals[":lastns"] = sv(tstr(m.LastUsedAt)), nv(m.LastUsedAt.UnixNano())
		u.ConditionExpression = aws.String("attribute_not_exists(last_ns) OR last_ns < :lastns")
		u.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
		p.activity = &m
	}
	u.UpdateExpression = aws.String(expr)
	return p
}
