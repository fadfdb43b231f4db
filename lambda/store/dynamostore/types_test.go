package dynamostore_test

import "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

type (
	typesAV = types.AttributeValue
	typesS  = types.AttributeValueMemberS
	typesN  = types.AttributeValueMemberN
)
