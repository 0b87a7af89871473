#!/usr/bin/env bash
# The seed's Authorization Code Grant, with curl, against a Tessera that serves the example
# configuration (tessera.example.toml) at BASE: log in as jane, consent, exchange the code (as
# Auth0's example does), call /userinfo, check that the code works once, and sign in again by
# single sign-on. Every step is checked; the second sign-in's token response is printed on
# stdout for the caller (its refresh token is live).
# Usage: scripts/seed-flow.sh http://127.0.0.1:3000
set -euo pipefail

BASE=${1:?usage: scripts/seed-flow.sh BASE_URL}
WORK=$(mktemp -d)
JAR="$WORK/cookies.txt"
trap 'rm -rf "$WORK"' EXIT

fail() { echo "seed flow: $*" >&2; exit 1; }
field() { sed -n "s/.*name=\"$1\" value=\"\([^\"]*\)\".*/\1/p" | head -n 1; }

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
exchange() {
  curl -s "$BASE/oauth/token" -H 'content-type: application/json' -d "{
    \"grant_type\": \"authorization_code\", \"client_id\": \"myclientapp\",
    \"client_secret\": \"myclientapp-secret-change-me-0123456789abcdef\",
    \"code\": \"$1\", \"redirect_uri\": \"http://127.0.0.1:4000/callback\"}"
}
json() { python3 -c "import json,sys; print(json.load(sys.stdin).get('$1', ''))" <<<"$TOKENS"; }
check_tokens() {
  [[ "$(json token_type)" == "Bearer" ]] || fail "no Bearer token: $TOKENS"
  [[ -n "$(json id_token)" && -n "$(json refresh_token)" ]] || fail "missing id_token or refresh_token: $TOKENS"
}
TOKENS=$(exchange "$CODE")
check_tokens
ACCESS=$(json access_token)

# 5. Use the access token: /userinfo accepts it as a Bearer token.
USERINFO=$(curl -sf "$BASE/userinfo" -H "Authorization: Bearer $ACCESS") || fail "userinfo refused the token"
grep -q '"name":"Jane Doe"' <<<"$USERINFO" || fail "unexpected userinfo $USERINFO"

# 6. The code works once.
AGAIN=$(exchange "$CODE")
grep -q '"error":"invalid_grant"' <<<"$AGAIN" || fail "a reused code was accepted: $AGAIN"

# 7. Sign In again in the same browser: the session and the consent are remembered, so Tessera
# sends it straight back with a new code. Its tokens are the ones printed: the first code's were
# revoked when it was used twice (RFC 6749 §4.1.2).
CALLBACK=$(curl -s -c "$JAR" -b "$JAR" -o /dev/null -w '%{redirect_url}' "$AUTHORIZE")
[[ "$CALLBACK" == "http://127.0.0.1:4000/callback?code="*"&state=xyzABC123"* ]] || fail "no single sign-on: '$CALLBACK'"
TOKENS=$(exchange "$(sed 's/.*code=\([^&]*\).*/\1/' <<<"$CALLBACK")")
check_tokens

echo "$TOKENS"
