# caplab: make run (playground + live endpoints on 127.0.0.1:8080), make test.
GO        ?= go
GOROOT    := $(shell $(GO) env GOROOT)
WASM_EXEC := $(GOROOT)/lib/wasm/wasm_exec.js
export AWS_EC2_METADATA_DISABLED := true

.PHONY: all build wasm run test test-go test-wasm tools bench fuzz vet clean lambda deploy

all: build

build: wasm
	$(GO) build -o build/caplab ./cmd/caplab

# The playground's engine: GOOS=js module plus the same toolchain's wasm_exec.js.
wasm: site/main.wasm site/wasm_exec.js

# Inlining is off in caplab's own packages: it keeps the module under 1 MB
# brotli at no measurable speed cost (the standard library stays inlined).
WASM_GCFLAGS := github.com/caplab/caplab/...=-l

site/main.wasm: $(shell find policy wasm -name '*.go' -not -name '*_test.go') $(wildcard policy/presets/*.json) go.mod go.sum
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" -gcflags='$(WASM_GCFLAGS)' -o $@ ./wasm

site/wasm_exec.js: $(WASM_EXEC)
	cp $< $@

run: build
	./build/caplab serve --addr 127.0.0.1:8080 --data .caplab --site site

tools:
	./scripts/install-test-tools.sh

vet:
	$(GO) vet ./...

test: tools wasm vet test-go test-wasm

test-go:
	$(GO) test -count=1 ./...

# The WASM entry under Node with the real wasm_exec.js, and the built module
# against native results for every preset (same clock).
test-wasm: wasm
	PATH="$(GOROOT)/lib/wasm:$$PATH" GOOS=js GOARCH=wasm $(GO) test -count=1 ./wasm/...
	$(GO) run ./scripts/wasm-native-results
	node --test scripts/wasm-node-test.mjs scripts/site-js-test.mjs

# Short fuzzing runs over the parsers (the seed corpora also run in make test).
fuzz:
	$(GO) test -run XXX -fuzz FuzzDecode -fuzztime 30s ./policy/
	$(GO) test -run XXX -fuzz FuzzID18 -fuzztime 10s ./policy/
	$(GO) test -run XXX -fuzz FuzzTokenForm -fuzztime 20s -fuzzminimizetime 5s ./lambda/httpapi/
	$(GO) test -run XXX -fuzz FuzzAuthorizeQuery -fuzztime 20s ./lambda/httpapi/
	$(GO) test -run XXX -fuzz FuzzScenarioAPI -fuzztime 20s -fuzzminimizetime 5s ./lambda/httpapi/
	$(GO) test -run XXX -fuzz FuzzStart -fuzztime 15s ./lambda/relay/
	$(GO) test -run XXX -fuzz FuzzCallback -fuzztime 15s ./lambda/relay/

bench: tools wasm
	./scripts/bench.sh

# Lambda bootstraps (linux/arm64, provided.al2023) into build/lambda/<fn>/bootstrap.
lambda:
	$(MAKE) -f infra/Makefile all

# Deploys with AWS SAM (needs the sam CLI and AWS credentials; not run in tests).
deploy:
	cd infra && sam build && sam deploy

clean:
	rm -rf build site/main.wasm site/wasm_exec.js
