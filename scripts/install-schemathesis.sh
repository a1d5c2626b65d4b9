#!/usr/bin/env bash
# Installs Schemathesis (the spec fuzzer CI runs) with pipx, all inside .local/ (git-ignored).
# pipx itself comes from PyPI into a project venv, so nothing is installed by hand.
set -euo pipefail

VERSION=4.32.5
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PIPX_HOME="$ROOT/.local/pipx"
export PIPX_BIN_DIR="$ROOT/.local/bin"
ST="$PIPX_BIN_DIR/st"

if [ -x "$ST" ] && [ "$("$ST" --version 2>/dev/null)" = "st, version $VERSION" ]; then
  exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "install-schemathesis: Python 3.9+ is needed to run the spec fuzzer: install python3 (apt-get install python3 python3-venv)." >&2
  exit 1
fi

PIPX="$ROOT/.local/pipx-venv/bin/pipx"
if [ ! -x "$PIPX" ]; then
  echo "install-schemathesis: installing pipx into .local/pipx-venv..." >&2
  python3 -m venv "$ROOT/.local/pipx-venv"
  "$ROOT/.local/pipx-venv/bin/pip" install --quiet --disable-pip-version-check pipx==1.18.4
fi
echo "install-schemathesis: installing Schemathesis $VERSION with pipx..." >&2
"$PIPX" install --force --quiet "schemathesis==$VERSION" >&2
"$ST" --version >&2
