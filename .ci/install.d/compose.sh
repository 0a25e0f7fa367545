#!/usr/bin/env bash
# docker-compose (Compose v1), for cmd/incidentbot's TestReadme_ComposeExample,
# which runs `docker-compose config` on the README's three-replica example:
# it checks the file against Compose's schema and needs no Docker engine.
set -euo pipefail
if command -v docker-compose >/dev/null; then
    exit 0
fi
apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends docker-compose >/dev/null
