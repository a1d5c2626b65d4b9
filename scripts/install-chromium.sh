#!/usr/bin/env bash
# Installs Debian's Chromium for the documentation browser test (playwright-core drives it).
# Playwright's own browser download cannot reach its servers here; the distribution package can.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: Chromium is needed for the docs browser test: install it (Debian: apt-get install chromium)." >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
echo "install-chromium: installing Debian's chromium package..." >&2
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
chromium --version >&2
