#!/usr/bin/env bash
# Installs the system packages calport builds against, when they are missing.
# Debian/Ubuntu: apt-get (as root, or through sudo). Elsewhere: says what to install.
set -euo pipefail

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if command -v pkg-config >/dev/null 2>&1; then
  pkg-config --exists libical || missing+=(libical-dev)
  pkg-config --exists libcurl || missing+=(libcurl4-openssl-dev)
  pkg-config --exists sqlite3 || missing+=(libsqlite3-dev)
  pkg-config --exists zlib || missing+=(zlib1g-dev)
else
  missing+=(libical-dev libcurl4-openssl-dev libsqlite3-dev zlib1g-dev)
fi
[ -e /usr/share/zoneinfo/Europe/Berlin ] || missing+=(tzdata)

[ ${#missing[@]} -eq 0 ] && exit 0

if command -v apt-get >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "calport needs these Debian packages: ${missing[*]}" >&2
      echo "Install them as root: apt-get install ${missing[*]}" >&2
      exit 1
    fi
  fi
  echo "Installing ${missing[*]} ..." >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
  exit 0
fi

echo "calport needs libical, libcurl, SQLite, zlib, pkg-config and the tz database." >&2
echo "  Debian/Ubuntu: apt-get install libical-dev libcurl4-openssl-dev libsqlite3-dev zlib1g-dev pkg-config tzdata" >&2
echo "  Fedora:        dnf install libical-devel libcurl-devel sqlite-devel zlib-devel pkgconf tzdata" >&2
echo "  macOS:         brew install libical curl sqlite zlib pkg-config" >&2
exit 1
