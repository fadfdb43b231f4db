#!/usr/bin/env bash
# Installs what the tests need and is missing: Chromium and Java 17 from
# Debian, npm packages from the committed package-lock.json. Nothing is
# downloaded at test run time.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
command -v brotli >/dev/null 2>&1 || need_apt+=(brotli)
if [ ${#need_apt[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "missing: ${need_apt[*]}; run as root or: sudo apt-get install -y ${need_apt[*]}" >&2
		exit 1
	fi
	echo "installing ${need_apt[*]} with apt-get" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# infra's tests: cfn-lint (the SAM template's lint) and moto's server (AWS
# mocks on 127.0.0.1), the versions the tests were written against.
if ! command -v cfn-lint >/dev/null 2>&1 || ! python3 -c 'import moto.server, flask' >/dev/null 2>&1; then
	echo "installing cfn-lint and moto[server] with pip" >&2
	python3 -m pip install --quiet 'cfn-lint==1.51.0' 'moto[server]==5.2.1'
fi

if [ -f package-lock.json ]; then
	# npm ci only when node_modules is missing or older than the lock file.
	if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
		echo "installing npm packages from package-lock.json" >&2
		npm ci --no-audit --no-fund --loglevel=error
	fi
fi
