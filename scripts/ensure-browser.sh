#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (never a downloaded browser): install it when missing.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
echo "Installing Debian's chromium for the browser tests..."
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium || {
  $SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium
}
