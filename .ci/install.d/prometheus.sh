#!/usr/bin/env bash
# Prometheus's promtool, for bot/metrics' TestMetrics_Promtool, which runs
# `promtool check metrics` on the bot's real /metrics output. Debian's
# package starts no service here.
set -euo pipefail
if command -v promtool >/dev/null; then
    exit 0
fi
apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends prometheus >/dev/null
