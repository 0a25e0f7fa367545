#!/usr/bin/env bash
# Debian's Chromium, driven headless through chromedp by the browser tests of
# bot/statuspage (TestBrowser_StatusPage, TestBrowser_Embed) and bot/reports
# (TestBrowser_Reports). Never a browser downloaded by a tool: the package only.
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then
    exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
/usr/bin/chromium --version
