#!/usr/bin/env bash
# git, for cmd/incidentbot's TestLoadConfig_GitWorkTree: check-config asks
# git whether postmortem.dir is a work tree.
set -euo pipefail
if ! command -v git >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends git >/dev/null
fi
