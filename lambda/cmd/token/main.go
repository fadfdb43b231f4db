// Command token is caplab's "token" AWS Lambda function (provided.al2023,
// arm64; see lambda/cmd/lambdamain and infra/template.yaml).
package main

import "github.com/caplab/caplab/lambda/cmd/lambdamain"

func main() { lambdamain.Main(lambdamain.Token) }
