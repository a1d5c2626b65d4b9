#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests of the docs and the operator console (playwright-core drives it).
# Playwright's own browser download cannot reach its servers here; the distribution package can.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
source "$(dirname "$0")/lib/debian-package.sh"
require_apt install-chromium chromium "the docs and console browser tests"
install_package install-chromium chromium
chromium --version >&2
