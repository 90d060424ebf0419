# Builds the dashboard (web/) into web/dist, which the next CMake build embeds in the binary.
# Sourced by scripts/run and scripts/test.

# Runs `npm ci` when package-lock.json changed since the last install (its hash is kept in
# node_modules), then `npm run build` (which type-checks against docs/api/openapi.yaml first).
mailcast_build_web() {
  local web="$1/web" stamp want
  stamp="$web/node_modules/.mailcast-lock.sha256"
  want=$(sha256sum "$web/package-lock.json" | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "== dashboard packages (npm ci)"
    (cd "$web" && npm ci --no-audit --no-fund) || return 1
    echo "$want" >"$stamp"
  fi
  echo "== dashboard (npm run build)"
  (cd "$web" && npm run --silent build) || return 1
}
