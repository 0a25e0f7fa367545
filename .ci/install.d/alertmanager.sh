#!/usr/bin/env bash
# Prometheus Alertmanager and amtool, for bot/intake's end-to-end test
# (TestAlertmanager_EndToEnd), which starts Alertmanager on 127.0.0.1 and
# fires and resolves alerts with amtool. Debian starts no service for it.
set -euo pipefail
if command -v prometheus-alertmanager >/dev/null && command -v amtool >/dev/null; then
    exit 0
fi
apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends prometheus-alertmanager >/dev/null
