#!/usr/bin/env bash
# Installs Debian's Prometheus for the alert-rule tests: promtool checks and unit-tests ops/alerts.yml,
# and the prometheus binary scrapes the running service once (test/ops/alerts.test.ts).
# The tests start their own prometheus; the package's service is kept from starting.
set -euo pipefail

if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
  exit 0
fi
source "$(dirname "$0")/lib/debian-package.sh"
require_apt install-prometheus prometheus "the alert-rule tests (promtool, prometheus)"
# policy-rc.d answering 101 stops the package's postinst from starting the service (with or without systemd).
# Put one in place only when there is none (Docker images have their own), and take it away afterwards.
POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod 755 "$POLICY"
  trap '$SUDO rm -f "$POLICY"' EXIT
fi
install_package install-prometheus prometheus
# Under systemd the package enables its unit for boot: the tests do not need it, so it stays off.
if [ -d /run/systemd/system ]; then
  $SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
promtool --version 2>&1 | head -n 1 >&2
