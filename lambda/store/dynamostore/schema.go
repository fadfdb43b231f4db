package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/caplab/caplab/lambda/store"
)

// Attribute names of the single table. Keys and the TTL attribute are
// fixed by infra/template.yaml; keep the two in step.
const (
	AttrPK  = "PK"
	AttrSK  = "SK"
	AttrTTL = "ttl" // epoch seconds; DynamoDB TTL deletes the item some time after

	attrType      = "type"
	attrRec       = "rec" // JSON of the record's immutable fields
	attrDoc       = "doc" // scenario document (binary)
	attrExp       = "exp" // expiry, Unix nanoseconds (compared in conditions)
	attrExpiresAt = "expires_at"
	attrUsedAt    = "used_at"
	attrClaimID   = "claim_id"
	attrGrantID   = "grant_id"
	attrStatus    = "status"
	attrWhy       = "revoked_why"
	attrRevokedAt = "revoked_at"
	attrRevoked   = "revoked"
	attrLastUsed  = "last_used_at"
	attrCreated   = "created"
	attrScenario  = "scenario_id"
	attrClient    = "client_id"
	attrKind      = "kind"
	attrGrants    = "grants"   // a live org's grant count
	attrQuota     = "quota"    // a live org's grant quota
	attrVersion   = "version"  // optimistic concurrency of read-modify-write items
	attrUses      = "uses"     // a grant's access tokens issued
	attrUser      = "user"     // a grant's user hash (revocations name it)
	attrWriteID   = "write_id" // the write that made or claimed a conditional item (retries recognise their own)
)

// Key prefixes (security.md §4.2).
const (
	prefixScenario  = "SHARE#"     // SHARE#<share id> / META
	prefixLiveOrg   = "LIVEORG#"   // LIVEORG#<live org id> / META
	prefixApprovals = "APPROVALS#" // APPROVALS#<live org id>#<user hash> / GRANT#<grant id>
	prefixLockout   = "LOCKOUT#"   // LOCKOUT#<live org id>#<user hash> / META
	prefixCode      = "CODE#"      // CODE#<sha256 hex> / META
	prefixGrant     = "GRANT#"     // the sort key of a grant: GRANT#<grant id>
	prefixToken     = "TOKEN#"     // TOKEN#<sha256 hex> / META
	prefixMark      = "MARK#"      // MARK#<sha256 hex of a jti> / META
	prefixOrgGrants = "ORGGRANTS#" // ORGGRANTS#<live org id> / GRANT#<grant id>
	prefixLogins    = "LOGINS#"    // LOGINS#<live org id> / AT#<store.LoginSortKey>
	skLogin         = "AT#"
	skMeta          = "META"
)

// UsedRowGrace is how long a claimed code or an expired token stays in the
// table past its expiry (DynamoDB TTL), so a replay can still be detected
// and answered with a revocation (hydra's newUsedExpiry).
const UsedRowGrace = store.UsedRowGrace

// CreateTableInput is the table's definition: on-demand, PK/SK strings. It
// matches the AWS::DynamoDB::Table in infra/template.yaml (TTL and
// point-in-time recovery are set there, and by CreateTable below).
func CreateTableInput(name string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(AttrPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrSK), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(AttrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(AttrSK), KeyType: types.KeyTypeRange},
		},
	}
}

// CreateTable creates the table (for tests and DynamoDB Local), waits until
// it is active and turns TTL on. An existing table is left as it is.
func CreateTable(ctx context.Context, client *dynamodb.Client, name string) error {
	if len(name) < 3 {
		return fmt.Errorf("dynamostore: table name %q is shorter than 3 characters", name)
	}
	_, err := client.CreateTable(ctx, CreateTableInput(name))
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("dynamostore: create table %s: %w", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		return fmt.Errorf("dynamostore: wait for table %s: %w", name, err)
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(AttrTTL), Enabled: aws.Bool(true),
		},
	})
	if err != nil && !isTTLAlreadyOn(err) {
		return fmt.Errorf("dynamostore: enable TTL on %s: %w", name, err)
	}
	return nil
}

func isTTLAlreadyOn(err error) bool {
	var ve interface{ ErrorMessage() string }
	return errors.As(err, &ve) && containsFold(ve.ErrorMessage(), "already enabled")
}
