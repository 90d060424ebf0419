#!/bin/sh
# Installs the validator's npm packages into DIR (the build folder's copy) with npm ci, unless
# DIR/node_modules already holds exactly the packages of tests/openapi/package-lock.json.
set -eu
src=$(cd "$(dirname "$0")" && pwd)
dir=$1
mkdir -p "$dir"
stamp="$dir/node_modules/.mailcast-installed-lock"
if [ -f "$stamp" ] && cmp -s "$src/package-lock.json" "$stamp"; then
  exit 0
fi
command -v npm >/dev/null || { echo "error: npm is missing: install nodejs and npm (scripts/lib/packages.sh)" >&2; exit 1; }
cp "$src/package.json" "$src/package-lock.json" "$dir/"
cd "$dir"
npm ci --no-audit --no-fund --loglevel=error
cp "$src/package-lock.json" "$stamp"
