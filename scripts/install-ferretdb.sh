#!/usr/bin/env bash
# Builds the local database, FerretDB, into .local/bin (git-ignored). An existing build is reused.
#
# Why not plain `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2`: that binary
# panics at start-up, because the module does not ship build/version/version.txt. So the same
# module source is fetched from the Go module proxy (`go mod download`), the version file is
# written, and it is built with `go build`.
set -euo pipefail

VERSION=v1.24.2
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.local/bin/ferretdb"

# Read the version into a variable first: piping into `grep -q` can end the writer with SIGPIPE,
# which pipefail would report as a failed check.
if [ -x "$BIN" ] && [ "$("$BIN" --version 2>/dev/null | head -n 1)" = "version: $VERSION" ]; then
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "install-ferretdb: Go is needed to build the local database: install Go (apt-get install golang-go), or set MONGODB_URI to use an existing MongoDB." >&2
  exit 1
fi

echo "install-ferretdb: building FerretDB $VERSION (first run only, takes a minute or two)..." >&2
WORK="$(mktemp -d)"
trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
MODULE_DIR="$(cd "$WORK" && go mod download -json "github.com/FerretDB/FerretDB@$VERSION" \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const m=JSON.parse(s);if(!m.Dir){console.error(m.Error||"no module directory");process.exit(1)}console.log(m.Dir)})')"
cp -R "$MODULE_DIR" "$WORK/src"
chmod -R u+w "$WORK/src"
echo "$VERSION" > "$WORK/src/build/version/version.txt"
mkdir -p "$(dirname "$BIN")"
(cd "$WORK/src" && go build -trimpath -o "$BIN.tmp" ./cmd/ferretdb)
mv "$BIN.tmp" "$BIN"
built="$("$BIN" --version)"
echo "install-ferretdb: built ${built%%$'\n'*}" >&2
