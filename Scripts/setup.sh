#!/usr/bin/env bash
# Idempotent setup for a fresh Debian machine: system libraries, then a release build.
# Usage: Scripts/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libopenblas-dev liblapacke-dev libjpeg-dev libpng-dev pkg-config)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
else
  echo "setup: system libraries already installed" >&2
fi

if [ "${1:-}" != "--no-build" ]; then
  echo "setup: release build" >&2
  swift build -c release
fi
