#!/usr/bin/env bash
# Debian packages the test suite drives: Chromium for the Playwright browser tests.
# Installs it when missing and we are root; otherwise says what to install.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium for the browser tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "Browser tests need Debian's chromium at /usr/bin/chromium: sudo apt-get install chromium" >&2
fi
