#!/usr/bin/env bash
# Makes an upgrade fixture (crates/tessera/tests/fixtures/upgrade/README.md): runs an OLDER
# Tessera binary with the example configuration on a new SQLite database and on a new PostgreSQL
# database, puts data in each as its users would — the seed's flow (tokens with a refresh token)
# and, through its Management API, a user with metadata and an application — then stops it and
# keeps the SQLite file, a pg_dump of the PostgreSQL database, and fixture.json: the master
# secret, the tokens, the credentials and the time they were made. it::upgrade starts this
# build on copies of them and checks that everything still works.
# Usage: scripts/make-upgrade-fixture.sh OLD_CHECKOUT OLD_TESSERA_BINARY OUT_DIR
# (the old checkout's tessera.example.toml is the configuration: a newer one may hold settings
# the old build does not know)
# (POSTGRES_TEST_URL names the PostgreSQL server; the database is created and dropped here.)
set -euo pipefail
cd "$(dirname "$0")/.."

example="$(realpath "$1")/tessera.example.toml"
commit="$(git -C "$1" rev-parse --short HEAD)"
old="$(realpath "$2")"
out="$3"
: "${POSTGRES_TEST_URL:?set POSTGRES_TEST_URL, e.g. postgres://postgres@127.0.0.1:5432/test}"
work="$(mktemp -d)"
database="upgrade_fixture_$$"
server=""
cleanup() {
  if [[ -n "$server" ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  psql "$POSTGRES_TEST_URL" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "make-upgrade-fixture: $*" >&2; exit 1; }
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
secret="$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
mkdir -p "$out"

# POSTs BODY to the old build's Management API collection PATH; the created object.
create() {
  local answer
  answer="$(curl -sS -w '\n%{http_code}' "$base/api/v2/$1" -H "authorization: Bearer $management" \
    -H 'content-type: application/json' -d "$2")"
  [[ "${answer##*$'\n'}" == 201 ]] || fail "the old build refused POST /api/v2/$1: ${answer%$'\n'*}"
  echo "${answer%$'\n'*}"
}

# Runs the old build on DATABASE_URL, makes the data, stops it; prints the data as JSON.
populate() {
  local database_url="$1" log="$work/server-$2.log"
  (cd "$work" && exec env TESSERA_LISTEN="127.0.0.1:$port" TESSERA_ISSUER="$base/" \
    TESSERA_DATABASE_URL="$database_url" TESSERA_SECRET="$secret" \
    "$old" serve --config "$example") >"$log" 2>&1 &
  server=$!
  for _ in $(seq 100); do curl -sf "$base/.well-known/openid-configuration" >/dev/null && break; sleep 0.1; done
  curl -sf "$base/.well-known/openid-configuration" >/dev/null || { cat "$log" >&2; fail "the old build did not start"; }

  local tokens management_id management_secret user app
  tokens="$(scripts/seed-flow.sh "$base")" || fail "the seed's flow failed on the old build"
  management_id="$(sed -n 's/^ *client_id: *//p' "$log" | head -n 1)"
  management_secret="$(sed -n 's/^ *client_secret: *//p' "$log" | head -n 1)"
  [[ -n "$management_id" && -n "$management_secret" ]] || { cat "$log" >&2; fail "no management credentials printed"; }
  management="$(curl -fsS "$base/oauth/token" -d grant_type=client_credentials -d "client_id=$management_id" \
    -d "client_secret=$management_secret" -d "audience=$base/api/v2/" | json '["access_token"]')"
  # Only the fields the oldest fixture's build knew (it refuses unknown ones).
  user="$(create users '{"connection": "Username-Password-Authentication", "email": "ada@example.com", "username": "ada", "password": "Analytical Engine 1843!", "name": "Ada Lovelace", "email_verified": true}')"
  app="$(create clients '{"name": "Made before the upgrade", "app_type": "regular_web", "callbacks": ["http://127.0.0.1:4100/callback"]}')"
  local made_at
  made_at="$(date +%s)"
  kill "$server"; wait "$server" || true; server=""
  python3 - "$tokens" "$user" "$app" "$made_at" "$management_id" "$management_secret" <<'EOF'
import json, sys
tokens, user, app = (json.loads(a) for a in sys.argv[1:4])
print(json.dumps({
    "made_at": int(sys.argv[4]),
    "tokens": {k: tokens[k] for k in ("access_token", "refresh_token", "id_token")},
    "management": {"client_id": sys.argv[5], "client_secret": sys.argv[6]},
    "user": {"user_id": user["user_id"], "email": user["email"], "password": "Analytical Engine 1843!"},
    "client": {"client_id": app["client_id"], "client_secret": app["client_secret"]},
}))
EOF
}

echo "== SQLite"
sqlite="$(populate "sqlite://$work/tessera.db" sqlite)"
# One file: what the write-ahead log still holds goes into the database.
python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("PRAGMA wal_checkpoint(TRUNCATE)"); c.close()' "$work/tessera.db"
[[ ! -s "$work/tessera.db-wal" ]] || fail "the write-ahead log could not be checkpointed"
cp "$work/tessera.db" "$out/tessera.db"

echo "== PostgreSQL"
psql "$POSTGRES_TEST_URL" -qc "CREATE DATABASE $database" >/dev/null
postgres_url="${POSTGRES_TEST_URL%/*}/$database"
postgres="$(populate "$postgres_url" postgres)"
# Plain INSERTs (no COPY from stdin) so that a test can replay the dump with sqlx.
# Without psql's \restrict lines, which are not SQL.
pg_dump --no-owner --no-privileges --inserts "$postgres_url" | sed '/^\\\(un\)\?restrict /d' >"$out/postgres.sql"

python3 - "$commit" "$base/" "$secret" "$sqlite" "$postgres" >"$out/fixture.json" <<'EOF'
import json, sys
print(json.dumps({
    "commit": sys.argv[1],
    "issuer": sys.argv[2],
    "secret": sys.argv[3],
    "sqlite": json.loads(sys.argv[4]),
    "postgres": json.loads(sys.argv[5]),
}, indent=2))
EOF
echo "make-upgrade-fixture: wrote $out (tessera.db, postgres.sql, fixture.json)"
