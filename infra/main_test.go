package infra

import (
	"os"
	"testing"

	"github.com/caplab/caplab/lambda/lambdatest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	stopNode()
	lambdatest.StopSharedMoto()
	lambdatest.StopSharedDynamoDBLocal()
	lambdatest.CleanupBuilds()
	os.Exit(code)
}
