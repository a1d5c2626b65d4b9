# Sourced by the install scripts that take a tool from Debian's packages (Chromium, Prometheus):
# apt-get, with sudo unless already root, or a message saying what to install by hand.
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

# require_apt SCRIPT PACKAGE PURPOSE: stops with a clear message where there is no apt-get.
require_apt() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "$1: $3 needs Debian's $2 package: install it (Debian: apt-get install $2)." >&2
    exit 1
  fi
}

# install_package SCRIPT PACKAGE: installs it quietly, without recommended extras.
install_package() {
  echo "$1: installing Debian's $2 package..." >&2
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$2" >/dev/null
}
