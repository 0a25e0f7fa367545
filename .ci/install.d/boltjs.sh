#!/usr/bin/env bash
# Installs Slack's Bolt for JavaScript for TestBoltJS
# (bot/slackfake/boltjs_test.go), which checks the fake Slack against
# Slack's own client: node 20 or newer, and `npm ci` from the committed
# package-lock.json in bot/slackfake/boltjs (node_modules is not committed).
# Idempotent: npm ci replaces node_modules from the lock file.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../bot/slackfake/boltjs"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
major="$(node -p 'process.versions.node.split(".")[0]')"
if (( major < 20 )); then
    echo "boltjs.sh: @slack/bolt needs node 20 or newer, this machine has $(node --version)" >&2
    exit 1
fi
npm ci --no-audit --no-fund --loglevel=error
