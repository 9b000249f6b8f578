#!/usr/bin/env bash
# Builds the JavaScript client and copies its browser bundle to where the gateway serves it (/fanwire.js).
# Run by the gateway's Maven build (generate-resources): `build-for-gateway.sh OUTPUT_CLASSES_DIR`.
# Installs the npm dependencies from the lock file only when they are missing or older than the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: build-for-gateway.sh OUTPUT_CLASSES_DIR}"
if ! command -v npm >/dev/null 2>&1; then
  echo "build-for-gateway.sh: npm not found; the build needs Node.js 20+ with npm (see README.md)" >&2
  exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
mkdir -p "$out/web"
cp dist/fanwire.browser.js "$out/web/fanwire.js"
