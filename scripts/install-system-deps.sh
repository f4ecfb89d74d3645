#!/usr/bin/env bash
# Installs the Debian packages the test suite needs: Chromium for the search-page tests, strace
# for the native-save fault tests (test/reliability/native-save-faults.test.ts).
# Skips what is already there, so running it twice is cheap.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v strace >/dev/null 2>&1 || need+=(strace)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
