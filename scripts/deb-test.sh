#!/usr/bin/env bash
# Installs the Debian package built by `cargo deb -p tessera --no-build` on this machine and runs
# the binary as its systemd unit would — as the tessera user, in its state directory, with its
# configuration and the master secret generated at install — then checks that it serves, keeps
# its keys across a restart, and that the CLI works on its store. Removes everything it made.
# Needs root (dpkg). Usage: scripts/deb-test.sh target/debian/tessera_*.deb
set -euo pipefail
deb="$1"
work="$(mktemp -d)"
server=""

cleanup() {
  if [[ -n "$server" ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  dpkg --purge tessera >/dev/null 2>&1 || true
  rm -rf /etc/tessera /var/lib/tessera "$work"
  if getent passwd tessera >/dev/null; then userdel tessera; fi
  if getent group tessera >/dev/null; then groupdel tessera; fi
}
trap cleanup EXIT

fail() { echo "deb-test: $*" >&2; exit 1; }

if dpkg -s tessera >/dev/null 2>&1 || [[ -e /etc/tessera ]]; then
  fail "tessera is already installed here: this test installs and purges its own"
fi

echo "== dpkg -i $deb"
dpkg -i "$deb"
dpkg -L tessera | grep -qx /usr/bin/tessera || fail "no /usr/bin/tessera in the package"
dpkg -L tessera | grep -q 'systemd/system/tessera.service' || fail "no systemd unit in the package"
getent passwd tessera >/dev/null || fail "the tessera user was not created"
[[ "$(stat -c %U:%G:%a /etc/tessera/master.secret)" == "root:tessera:640" ]] || fail "master.secret: $(stat -c %U:%G:%a /etc/tessera/master.secret)"
[[ "$(stat -c %U:%G:%a /etc/tessera/tessera.toml)" == "root:tessera:640" ]] || fail "tessera.toml: $(stat -c %U:%G:%a /etc/tessera/tessera.toml)"
[[ "$(head -c 44 /etc/tessera/master.secret | wc -c)" -eq 44 ]] || fail "the master secret is not 32 random bytes in base64"
unit="$(dpkg -L tessera | grep 'systemd/system/tessera.service')"
grep -qx 'User=tessera' "$unit" || fail "the unit does not run as tessera"
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify "$unit" || fail "systemd-analyze verify refused the unit"
fi

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
issuer="http://127.0.0.1:$port/"

# As the unit runs it: its user, WorkingDirectory, ExecStart; the port is the test's.
start() {
  (cd /var/lib/tessera && exec runuser -u tessera -- env TESSERA_LISTEN="127.0.0.1:$port" \
    TESSERA_ISSUER="$issuer" /usr/bin/tessera serve --config /etc/tessera/tessera.toml) \
    >>"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do
    if curl -fsS "${issuer}readyz" >/dev/null 2>&1; then return 0; fi
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; fail "the server exited"; }
    sleep 0.2
  done
  cat "$work/server.log"
  fail "not ready in 20 s"
}
stop() { kill "$server"; wait "$server" || true; server=""; }

echo "== first start, as the unit would run it"
start
[[ "$(curl -fsS "${issuer}.well-known/openid-configuration" | python3 -c 'import json,sys; print(json.load(sys.stdin)["issuer"])')" == "$issuer" ]] || fail "wrong issuer"
[[ "$(stat -c %U /var/lib/tessera/tessera.db)" == "tessera" ]] || fail "the database is not the service user's"
client_id="$(sed -n 's/^ *client_id: *//p' "$work/server.log" | head -n 1)"
client_secret="$(sed -n 's/^ *client_secret: *//p' "$work/server.log" | head -n 1)"
[[ -n "$client_id" && -n "$client_secret" ]] || fail "no management credentials were printed"
token="$(curl -fsS "${issuer}oauth/token" -d grant_type=client_credentials -d "client_id=$client_id" \
  -d "client_secret=$client_secret" -d "audience=${issuer}api/v2/" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
curl -fsS -H "authorization: Bearer $token" "${issuer}api/v2/clients" >/dev/null || fail "the Management API refused its token"
keys_before="$(curl -fsS "${issuer}.well-known/jwks.json")"
stop

echo "== restart on the same state: the keys (sealed with the installed secret) are the same"
start
[[ "$(curl -fsS "${issuer}.well-known/jwks.json")" == "$keys_before" ]] || fail "the signing keys changed across a restart"
curl -fsS -H "authorization: Bearer $token" "${issuer}api/v2/clients" >/dev/null || fail "a token from before the restart was refused"
runuser -u tessera -- /usr/bin/tessera backup /var/lib/tessera/backup.db --config /etc/tessera/tessera.toml
stop

echo "== the CLI on the service's store, as its user"
runuser -u tessera -- /usr/bin/tessera migrate --dry-run --config /etc/tessera/tessera.toml | grep -q "up to date" || fail "migrate --dry-run"

echo "== dpkg -r keeps the configuration, the secret and the data"
dpkg -r tessera
[[ -e /etc/tessera/tessera.toml && -e /etc/tessera/master.secret && -e /var/lib/tessera/tessera.db ]] || fail "removal lost the configuration or the data"
echo "deb-test: passed"
