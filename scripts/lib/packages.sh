# Debian packages mailcast needs, and a function that installs whichever are missing.
# Sourced by scripts/run and scripts/test; a second run finds everything and installs nothing.

# To build the server, and the dashboard (web/) it embeds with Node and npm.
MAILCAST_BUILD_PACKAGES="gcc make libc6-dev cmake pkg-config
  libmicrohttpd-dev libpq-dev libesmtp-dev libcurl4-openssl-dev libjansson-dev libinih-dev
  libsodium-dev libssl-dev libopendkim-dev libcsv-dev libgumbo-dev libc-ares-dev nodejs npm"
# To run it: the embedded PostgreSQL cluster uses the server binaries of postgresql-15.
MAILCAST_RUN_PACKAGES="postgresql-15 passwd util-linux"
# To test it: unit tests, formatting, fuzzing, and the real peers the tests talk to.
# (libclang-rt-dev holds libFuzzer, which clang only recommends; openssl makes test keys;
# nodejs and npm run the independent OpenAPI validator of tests/openapi; dovecot-imapd is the
# IMAP server of the bounce mailbox tests; chromium, with a font for its pages, is the browser
# of the dashboard tests in tests/e2e; unbound is the DNS server of the preflight tests)
MAILCAST_TEST_PACKAGES="libcmocka-dev clang libclang-rt-dev clang-format python3 python3-aiosmtpd
  python3-dkim openssl postfix nodejs npm dovecot-imapd chromium fonts-dejavu-core unbound"
# To run the benchmarks against JavaScript engines (bench/*/run).
MAILCAST_BENCH_PACKAGES="nodejs npm"

# Installs the named packages that are not installed yet (as root, with apt-get).
mailcast_install_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    # NodeSource's nodejs package carries npm itself and conflicts with Debian's npm package
    [ "$pkg" = npm ] && command -v npm >/dev/null && continue
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing missing Debian packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "error: run as root or install: ${missing[*]}" >&2; return 1; }
    sudo="sudo"
  fi
  # postgresql-common would create and start a system-wide cluster; mailcast runs its own.
  $sudo mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.d/mailcast.conf >/dev/null
  # postfix is installed for its smtp-sink test peer, not as this machine's mail server.
  echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections 2>/dev/null || true
  local log
  log=$(mktemp /tmp/mailcast-apt.XXXXXX)
  if ! { $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
         $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "error: installing packages failed; the full log is in $log" >&2
    return 1
  fi
  rm -f "$log"
  echo "Installed ${#missing[@]} packages."
}
