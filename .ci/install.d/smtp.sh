#!/usr/bin/env bash
# Debian's aiosmtpd, a real SMTP server (plain, STARTTLS and implicit TLS)
# for the email tests of bot/mail (TestSender_*) and bot (TestStakeholders_Email),
# which start it on 127.0.0.1 with `python3 -m aiosmtpd -n -l 127.0.0.1:PORT`
# and read what it received. Debian starts no service for it.
set -euo pipefail
if /usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
    exit 0
fi
apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends python3-aiosmtpd >/dev/null
