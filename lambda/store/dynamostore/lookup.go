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

// Lookup reads every record k names with one strongly consistent
// BatchGetItem (more only for keys DynamoDB leaves unprocessed under
// throttling), or one GetItem when k names a single record.
func (s *Store) Lookup(ctx context.Context, k store.Keys) (store.Records, error) {
	var r store.Records
	var keys []map[string]types.AttributeValue
	if k.Code != "" {
		keys = append(keys, codeKey(k.Code))
	}
	if k.Token != "" {
		keys = append(keys, tokenKey(k.Token))
	}
	if k.Grant != "" && k.OrgID != "" {
		keys = append(keys, grantKey(k.OrgID, k.Grant))
	}
	if k.Mark != "" {
		keys = append(keys, markKey(k.Mark))
	}
	items, err := s.batchGet(ctx, "Lookup", keys)
	if err != nil {
		return r, err
	}
	for _, it := range items {
		switch pk := getS(it, AttrPK); {
		case pk == prefixCode+k.Code:
			c, err := decodeCode(it)
			if err != nil {
				return r, err
			}
			r.Code = &c
		case pk == prefixToken+k.Token:
			t, err := decodeToken(it)
			if err != nil {
				return r, err
			}
			r.Token = &t
		case pk == prefixOrgGrants+k.OrgID:
			g, err := decodeGrant(it)
			if err != nil {
				return r, err
			}
			r.Grant = &g
		case pk == prefixMark+k.Mark:
			m, err := decodeMark(it)
			if err != nil {
				return r, err
			}
			r.Mark = &m
		}
	}
	return r, nil
}

// batchGet reads keys (at most 100) consistently, in one request when
// DynamoDB processes them all.
func (s *Store) batchGet(ctx context.Context, op string, keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	switch len(keys) {
	case 0:
		return nil, nil
	case 1:
		out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.table, Key: keys[0], ConsistentRead: aws.Bool(true)})
		if err != nil || len(out.Item) == 0 {
			return nil, mapErr(op, err)
		}
		return []map[string]types.AttributeValue{out.Item}, nil
	}
	var items []map[string]types.AttributeValue
	req := map[string]types.KeysAndAttributes{*s.table: {Keys: keys, ConsistentRead: aws.Bool(true)}}
	for attempt := 0; len(req) > 0; attempt++ {
		if attempt > 0 {
			if attempt > RetryMaxAttempts {
				return nil, &UnavailableError{Op: op, Err: errors.New("unprocessed keys after retries")}
			}
			d, _ := fullJitter{base: RetryBaseDelay, max: RetryMaxBackoff}.BackoffDelay(attempt, nil)
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return nil, mapErr(op, ctx.Err())
			}
		}
		res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return nil, mapErr(op, err)
		}
		items = append(items, res.Responses[*s.table]...)
		req = res.UnprocessedKeys
	}
	return items, nil
}
