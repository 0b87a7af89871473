#!/usr/bin/env bash
# The README's walkthrough, as a script: runs Tessera with the example config on a fresh
# database and does the seed's Authorization Code Grant with curl (scripts/seed-flow.sh),
# checking every step.
# Usage: scripts/walkthrough.sh [path/to/tessera]   (default: target/debug/tessera)
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${1:-target/debug/tessera}
PORT=${PORT:-3999}
BASE="http://127.0.0.1:$PORT"
WORK=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT

fail() { echo "walkthrough: $*" >&2; exit 1; }

TESSERA_LISTEN="127.0.0.1:$PORT" TESSERA_ISSUER="$BASE/" TESSERA_DATABASE_URL="sqlite://$WORK/tessera.db" \
  "$BIN" serve --config tessera.example.toml >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do curl -sf "$BASE/.well-known/openid-configuration" >/dev/null && break; sleep 0.1; done
curl -sf "$BASE/.well-known/openid-configuration" >/dev/null || { cat "$WORK/server.log"; fail "server did not start"; }

scripts/seed-flow.sh "$BASE" >/dev/null || fail "the seed's flow failed"

echo "walkthrough: 1 passed, 0 failed"
