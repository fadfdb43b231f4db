// Command callback is caplab's relay AWS Lambda function: the
// intermediate-redirect relay's start, registered callback and tenant
// admin API (provided.al2023, arm64; see lambda/cmd/lambdamain and
// infra/template.yaml).
package main

import "github.com/caplab/caplab/lambda/cmd/lambdamain"

func main() { lambdamain.Main(lambdamain.Callback) }
