#!/usr/bin/env bash
# Set up a fresh Debian machine (system libraries only), build everything, run the test suite.
# The executables are built first because some tests run them (e.g. vlm-inspect).
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh --no-build
swift build
# Tests write their scratch files under TMPDIR: give them one folder and remove it afterwards.
scratch="$(mktemp -d "${TMPDIR:-/tmp}/vlm-tests.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
TMPDIR="$scratch" swift test "$@"
