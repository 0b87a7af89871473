#!/usr/bin/env bash
# The README's walkthrough, as a script: runs Tessera with the example config on a fresh
# database and does the seed's Authorization Code Grant with curl, checking every step.
# Usage: scripts/walkthrough.sh [path/to/tessera]   (default: target/debug/tessera)
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${1:-target/debug/tessera}
PORT=${PORT:-3999}
BASE="http://127.0.0.1:$PORT"
WORK=$(mktemp -d)
JAR="$WORK/cookies.txt"
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT

fail() { echo "walkthrough: $*" >&2; exit 1; }
field() { sed -n "s/.*name=\"$1\" value=\"\([^\"]*\)\".*/\1/p" | head -n 1; }

TESSERA_LISTEN="127.0.0.1:$PORT" TESSERA_ISSUER="$BASE/" TESSERA_DATABASE_URL="sqlite://$WORK/tessera.db" \
  "$BIN" serve --config tessera.example.toml >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do curl -sf "$BASE/.well-known/openid-configuration" >/dev/null && break; sleep 0.1; done
curl -sf "$BASE/.well-known/openid-configuration" >/dev/null || { cat "$WORK/server.log"; fail "server did not start"; }

# 1. The Sign In link: the browser goes to /authorize and is sent to the login page.
AUTHORIZE="$BASE/authorize?audience=appointments:api&scope=openid%20profile%20appointments%20contacts%20offline_access&response_type=code&client_id=myclientapp&redirect_uri=http://127.0.0.1:4000/callback&state=xyzABC123"
LOGIN=$(curl -s -c "$JAR" -b "$JAR" -o /dev/null -w '%{redirect_url}' "$AUTHORIZE")
[[ "$LOGIN" == "$BASE/u/login?state="* ]] || fail "expected a redirect to the login page, got '$LOGIN'"

# 2. Log in (the form's hidden state and csrf_token come from the page).
PAGE=$(curl -s -c "$JAR" -b "$JAR" "$LOGIN")
STATE=$(field state <<<"$PAGE"); CSRF=$(field csrf_token <<<"$PAGE")
CONSENT=$(curl -s -c "$JAR" -b "$JAR" -o /dev/null -w '%{redirect_url}' \
  --data-urlencode "state=$STATE" --data-urlencode "csrf_token=$CSRF" \
  --data-urlencode "username=jane" --data-urlencode "password=correct horse battery staple" "$BASE/u/login")
[[ "$CONSENT" == "$BASE/u/consent?state="* ]] || fail "expected the consent page, got '$CONSENT'"

# 3. Consent: Allow. Tessera redirects to the callback with the code and the state.
CALLBACK=$(curl -s -c "$JAR" -b "$JAR" -o /dev/null -w '%{redirect_url}' \
  --data-urlencode "state=$STATE" --data-urlencode "csrf_token=$CSRF" --data-urlencode "decision=allow" "$BASE/u/consent")
[[ "$CALLBACK" == "http://127.0.0.1:4000/callback?code="*"&state=xyzABC123"* ]] || fail "unexpected callback '$CALLBACK'"
CODE=$(sed 's/.*code=\([^&]*\).*/\1/' <<<"$CALLBACK")

# 4. Exchange the code, exactly as Auth0's example does (JSON body).
TOKENS=$(curl -s "$BASE/oauth/token" -H 'content-type: application/json' -d "{
  \"grant_type\": \"authorization_code\", \"client_id\": \"myclientapp\",
  \"client_secret\": \"myclientapp-secret-change-me-0123456789abcdef\",
  \"code\": \"$CODE\", \"redirect_uri\": \"http://127.0.0.1:4000/callback\"}")
json() { python3 -c "import json,sys; print(json.load(sys.stdin).get('$1', ''))" <<<"$TOKENS"; }
[[ "$(json token_type)" == "Bearer" ]] || fail "no Bearer token: $TOKENS"
[[ -n "$(json id_token)" && -n "$(json refresh_token)" ]] || fail "missing id_token or refresh_token: $TOKENS"
ACCESS=$(json access_token)

# 5. Use the access token: /userinfo accepts it as a Bearer token.
USERINFO=$(curl -sf "$BASE/userinfo" -H "Authorization: Bearer $ACCESS") || fail "userinfo refused the token"
grep -q '"name":"Jane Doe"' <<<"$USERINFO" || fail "unexpected userinfo $USERINFO"

# 6. The code works once.
AGAIN=$(curl -s "$BASE/oauth/token" -H 'content-type: application/json' -d "{
  \"grant_type\": \"authorization_code\", \"client_id\": \"myclientapp\",
  \"client_secret\": \"myclientapp-secret-change-me-0123456789abcdef\",
  \"code\": \"$CODE\", \"redirect_uri\": \"http://127.0.0.1:4000/callback\"}")
grep -q '"error":"invalid_grant"' <<<"$AGAIN" || fail "a reused code was accepted: $AGAIN"

echo "walkthrough: 1 passed, 0 failed"
