package dynamostore

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/caplab/caplab/lambda/store"
)

// codeClaimCondition: the record exists, was never claimed and has not
// expired at :now.
const codeClaimCondition = "attribute_exists(PK) AND attribute_not_exists(used_at) AND exp > :now"

// claimOnce is the relay's single-use write (ClaimFlow): one conditional
// UpdateItem that stamps used_at and a random claim id. won is true when this call's claim is on the item: the update
// succeeded, or it succeeded before a dropped response and the SDK's retry
// then failed the condition on our own claim. Otherwise item is the record
// as it was (read again, strongly consistent, when the failed condition
// returned none) for the caller to explain; store.ErrNotFound when there
// is no record.
func claimOnce(ctx context.Context, db API, table *string, op, pk, update, cond string, extra map[string]types.AttributeValue, now time.Time) (item map[string]types.AttributeValue, won bool, err error) {
	claim := newClaimID()
	vals := map[string]types.AttributeValue{":used": sv(tstr(now)), ":claim": sv(claim), ":now": nv(now.UnixNano())}
	for k, v := range extra {
		vals[k] = v
	}
	out, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           table,
		Key:                                 key(pk, skMeta),
		UpdateExpression:                    aws.String(update),
		ConditionExpression:                 aws.String(cond),
		ExpressionAttributeValues:           vals,
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return out.Attributes, true, nil
	}
	ccf, ok := conditionFailed(err)
	if !ok {
		return nil, false, mapErr(op, err)
	}
	old := ccf.Item
	if len(old) == 0 {
		got, gerr := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: table, Key: key(pk, skMeta), ConsistentRead: aws.Bool(true)})
		if gerr != nil {
			return nil, false, mapErr(op, gerr)
		}
		if old = got.Item; len(old) == 0 {
			return nil, false, store.ErrNotFound
		}
	}
	ours := getS(old, attrClaimID) == claim && getS(old, attrUsedAt) != ""
	return old, ours, nil
}
