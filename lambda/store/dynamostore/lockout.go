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

	"github.com/caplab/caplab/lambda/store"
)

// Failed-login counters: one item per user of a live org, changed by an
// optimistic read-modify-write (a version attribute in the condition), so
// concurrent failures are all counted.

func lockoutPK(orgID, user string) string { return prefixLockout + orgID + "#" + userHash(user) }

// maxLockoutWriteAttempts bounds the optimistic retries of one update (with
// a short random pause between them); a login form posted that often at
// once is already rate-limited per IP.
const maxLockoutWriteAttempts = 24

func (s *Store) readLockout(ctx context.Context, orgID, user string) (store.Lockout, int64, error) {
	item, err := s.get(ctx, "GetLockout", lockoutPK(orgID, user), skMeta)
	if err != nil {
		return store.Lockout{}, 0, err
	}
	var l store.Lockout
	if err := json.Unmarshal([]byte(getS(item, attrRec)), &l); err != nil {
		return l, 0, fmt.Errorf("dynamostore: lockout: %w", err)
	}
	var version int64
	if v, ok := item[attrVersion].(*types.AttributeValueMemberN); ok {
		fmt.Sscan(v.Value, &version)
	}
	return l, version, nil
}

func (s *Store) GetLockout(ctx context.Context, orgID, user string) (store.Lockout, error) {
	l, _, err := s.readLockout(ctx, orgID, user)
	return l, err
}

// updateLockout applies change to the stored counter until the conditional
// write wins.
func (s *Store) updateLockout(ctx context.Context, op, orgID, user string, change func(store.Lockout) store.Lockout) (store.Lockout, error) {
	for attempt := range maxLockoutWriteAttempts {
		if attempt > 0 {
			d, _ := fullJitter{base: 5 * time.Millisecond, max: 100 * time.Millisecond}.BackoffDelay(attempt, nil)
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return store.Lockout{}, mapErr(op, ctx.Err())
			}
		}
		l, version, err := s.readLockout(ctx, orgID, user)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return l, err
		}
		l.OrgID, l.User = orgID, user
		l = change(l)
		rec, err := json.Marshal(l)
		if err != nil {
			return l, err
		}
		keepUntil := l.UpdatedAt.Add(store.LockoutMemory)
		if l.LockedUntil.After(keepUntil) {
			keepUntil = l.LockedUntil
		}
		cond := "attribute_not_exists(PK)"
		vals := map[string]types.AttributeValue{}
		if version > 0 {
			cond = "#v = :v"
			vals[":v"] = nv(version)
		}
		in := &dynamodb.PutItemInput{
			TableName: s.table,
			Item: map[string]types.AttributeValue{
				AttrPK: sv(lockoutPK(orgID, user)), AttrSK: sv(skMeta), attrType: sv("lockout"),
				attrRec: sv(string(rec)), attrVersion: nv(version + 1), AttrTTL: ttlAt(keepUntil),
			},
			ConditionExpression: aws.String(cond),
		}
		if version > 0 {
			in.ExpressionAttributeNames = map[string]string{"#v": attrVersion}
			in.ExpressionAttributeValues = vals
		}
		_, err = s.db.PutItem(ctx, in)
		if _, lost := conditionFailed(err); lost {
			continue
		}
		return l, mapErr(op, err)
	}
	return store.Lockout{}, &UnavailableError{Op: op, Err: errors.New("too many concurrent updates")}
}

func (s *Store) AddLoginFailure(ctx context.Context, orgID, user string, now time.Time, max int, lockFor time.Duration) (store.Lockout, error) {
	return s.updateLockout(ctx, "AddLoginFailure", orgID, user, func(l store.Lockout) store.Lockout {
		return store.NextLockout(l, now, max, lockFor)
	})
}

func (s *Store) ClearLoginFailures(ctx context.Context, orgID, user string, now time.Time) error {
	if _, _, err := s.readLockout(ctx, orgID, user); errors.Is(err, store.ErrNotFound) {
		return nil
	}
	_, err := s.updateLockout(ctx, "ClearLoginFailures", orgID, user, func(l store.Lockout) store.Lockout {
		l.Failures, l.UpdatedAt = 0, now
		return l
	})
	return err
}
