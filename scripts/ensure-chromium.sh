#!/usr/bin/env bash
# Makes sure Debian's `chromium` is installed: the dashboard's browser test drives it
# with playwright-core (no browser is ever downloaded from elsewhere).
# Fast and silent when it is already there; installs it with apt-get when run as
# root; otherwise says how to install it and fails.
set -euo pipefail
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"

[ -x "$CHROMIUM" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-chromium: $CHROMIUM is missing; install Debian's chromium package:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium" >&2
  exit 1
fi

command -v apt-get >/dev/null || { echo "ensure-chromium: $CHROMIUM is missing and apt-get is not available; install a Chromium at $CHROMIUM (or set CHROMIUM_PATH)" >&2; exit 1; }

export DEBIAN_FRONTEND=noninteractive
install() { apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
echo "ensure-chromium: installing Debian's chromium package" >&2
# A fresh image often has no package lists yet: fetch them and try once more.
install || { apt-get update -qq >/dev/null && install; }
[ -x "$CHROMIUM" ] || { echo "ensure-chromium: chromium installed but $CHROMIUM is not there" >&2; exit 1; }
