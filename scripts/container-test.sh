#!/usr/bin/env bash
# Builds Tessera's container image (Dockerfile) with podman and runs it as a self-hoster would:
# read-only, as its unprivileged user, the data on a volume, the example configuration mounted,
# the master secret as a podman secret. Waits for /readyz and the image's HEALTHCHECK, runs the
# seed's flow (scripts/seed-flow.sh), stops the container, starts a new one on the same volume
# and checks that the user's refresh token and access token still work; then runs the image on
# PostgreSQL, and the README's demo one-liner. Without podman it fails and says why. Needs root, podman, mmdebstrap and curl.
# Usage: scripts/container-test.sh
set -euo pipefail
# No `producer | grep -q` below: grep -q stops reading at its match, and under pipefail the
# producer's SIGPIPE would fail the check.
cd "$(dirname "$0")/.."

fail() {
  if [[ -s "${work:-}/podman.log" ]]; then tail -n 20 "$work/podman.log" >&2; fi
  echo "container-test: $*" >&2
  exit 1
}

for tool in podman mmdebstrap curl; do
  command -v "$tool" >/dev/null || fail "$tool is not installed: apt-get install podman runc mmdebstrap curl"
done

work="$(mktemp -d)"
run_id="tessera-test-$$"
image="localhost/tessera:test"
cleanup() {
  podman rm -f --time 0 "$run_id" >/dev/null 2>&1 || true
  podman volume rm -f "$run_id" >/dev/null 2>&1 || true
  podman secret rm "$run_id" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# Container settings that also work on a root without CAP_SYS_RESOURCE (containers may only get
# limits below its own) and on hybrid cgroups (which crun refuses and runc accepts).
below_own() { local own="$1"; [[ "$own" == unlimited ]] && own=1048576; echo "$(( own / 3 )):$(( own / 3 ))"; }
{
  echo '[containers]'
  echo "default_ulimits = [\"nofile=$(below_own "$(ulimit -Hn)")\", \"nproc=$(below_own "$(ulimit -Hu)")\"]"
  if command -v runc >/dev/null; then printf '[engine]\nruntime = "runc"\n'; fi
} >"$work/containers.conf"
export CONTAINERS_CONF="$work/containers.conf"
podman info >/dev/null || fail "podman cannot run here (podman info failed)"

# The base images, made from Debian's packages since no container registry is reachable: the
# runtime one under the name the Dockerfile uses; the build one is Debian with what Rust's slim
# image adds (gcc, libc6-dev, ca-certificates), this machine's Rust toolchain and trusted CAs (so
# that cargo reaches crates.io as the host does), passed as RUST_IMAGE rather than named as
# Rust's official image, which it is not.
runtime_base="docker.io/library/debian:bookworm-slim"
build_base="localhost/tessera-test/rust-bookworm:$(rustc --version | cut -d' ' -f2)"
if ! podman image exists "$runtime_base"; then
  echo "== $runtime_base from Debian's packages (mmdebstrap)"
  mmdebstrap --quiet --variant=minbase bookworm "$work/runtime.tar"
  podman import --quiet "$work/runtime.tar" "$runtime_base" >/dev/null
  rm "$work/runtime.tar"
fi
if ! podman image exists "$build_base"; then
  echo "== $build_base from Debian's packages and this machine's Rust toolchain"
  sysroot="$(rustc --print sysroot)"
  mmdebstrap --quiet --variant=minbase --include=ca-certificates,gcc,libc6-dev \
    --customize-hook="mkdir -p \"\$1/usr/local/cargo\" && tar -C '$sysroot' --exclude=./share/doc -cf - . | tar -C \"\$1/usr/local/cargo\" -xf -" \
    --customize-hook="cp /etc/ssl/certs/ca-certificates.crt \"\$1/etc/ssl/certs/ca-certificates.crt\"" \
    bookworm "$work/build.tar"
  podman import --quiet \
    --change 'ENV PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV CARGO_HOME=/usr/local/cargo' "$work/build.tar" "$build_base" >/dev/null
  rm "$work/build.tar"
fi

echo "== podman build"
started=$SECONDS
podman build --format docker --build-arg "RUST_IMAGE=$build_base" -t "$image" . >"$work/build.log" 2>&1 \
  || { tail -n 40 "$work/build.log"; fail "podman build failed"; }
echo "built in $(( SECONDS - started )) s: $(podman image inspect "$image" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}')"

inspect() { podman image inspect "$image" --format "$1"; }
[[ "$(inspect '{{.Config.User}}')" == "tessera:tessera" ]] || fail "the image does not run as tessera: $(inspect '{{.Config.User}}')"
[[ "$(inspect '{{json .Config.Healthcheck.Test}}')" == '["CMD","tessera","healthcheck"]' ]] || fail "no HEALTHCHECK: $(inspect '{{json .Config.Healthcheck}}')"
[[ "$(inspect '{{json .Config.Volumes}}')" == *'"/var/lib/tessera"'* ]] || fail "no data volume"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port="$(free_port)"
base="http://127.0.0.1:$port"
head -c 32 /dev/urandom | base64 >"$work/master.secret"
podman secret create "$run_id" "$work/master.secret" >/dev/null
podman volume create "$run_id" >/dev/null

# --tmpfs /run/secrets: with a read-only root, runc cannot make the secret's mount point.
# --health-interval disable: without systemd podman cannot time the checks; this script runs
# the image's check itself (podman healthcheck run). Podman 4.3 still says, at every start and
# removal, that it could not reach systemd: its messages go to podman.log, shown on failure.
network=(--publish "127.0.0.1:$port:3000")
start() {
  podman run --detach --name "$run_id" --read-only --health-interval disable "${network[@]}" \
    --volume "$run_id:/var/lib/tessera" \
    --volume "$PWD/tessera.example.toml:/etc/tessera/tessera.toml:ro" \
    --tmpfs /run/secrets --secret "source=$run_id,target=tessera_master_secret,uid=10001,mode=0400" \
    --env TESSERA_CONFIG=/etc/tessera/tessera.toml \
    --env TESSERA_SECRET_FILE=/run/secrets/tessera_master_secret \
    --env "TESSERA_ISSUER=$base/" \
    "$@" "$image" >/dev/null 2>>"$work/podman.log"
  for _ in $(seq 150); do
    if curl -fsS "$base/readyz" >/dev/null 2>&1; then break; fi
    [[ "$(podman inspect "$run_id" --format '{{.State.Running}}')" == "true" ]] || { podman logs "$run_id"; fail "the container exited"; }
    sleep 0.2
  done
  curl -fsS "$base/readyz" >/dev/null || { podman logs "$run_id"; fail "not ready in 30 s"; }
  podman healthcheck run "$run_id" || { podman logs "$run_id"; fail "the image's HEALTHCHECK says unhealthy"; }
}
stop() {
  podman stop --time 10 "$run_id" >/dev/null 2>>"$work/podman.log"
  [[ "$(podman inspect "$run_id" --format '{{.State.ExitCode}}')" == "0" ]] || { podman logs "$run_id"; fail "did not stop cleanly on SIGTERM"; }
  podman rm "$run_id" >/dev/null 2>>"$work/podman.log"
}
json() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
refresh() {
  curl -fsS "$base/oauth/token" -d grant_type=refresh_token -d client_id=myclientapp \
    -d client_secret=myclientapp-secret-change-me-0123456789abcdef -d "refresh_token=$1"
}

echo "== first start: SQLite on the volume, read-only root, as tessera"
start
[[ "$(podman exec "$run_id" id -un)" == "tessera" ]] || fail "the process does not run as tessera"
if podman exec "$run_id" touch /usr/bin/x 2>/dev/null; then fail "the root file system is writable"; fi
tokens="$(scripts/seed-flow.sh "$base")" || fail "the seed's flow failed against the container"
refresh_token="$(json refresh_token <<<"$tokens")"
access_token="$(json access_token <<<"$tokens")"
stop

echo "== a new container on the same volume: the refresh token and the access token still work"
start
userinfo="$(curl -fsS -H "authorization: Bearer $access_token" "$base/userinfo")" || userinfo=""
grep -q '"name":"Jane Doe"' <<<"$userinfo" \
  || fail "the access token from before the restart was refused (keys lost?)"
refreshed="$(refresh "$refresh_token")" || fail "the refresh token from before the restart was refused"
[[ "$(json token_type <<<"$refreshed")" == "Bearer" ]] || fail "no Bearer token: $refreshed"
backed_up="$(podman exec "$run_id" tessera backup /var/lib/tessera/backup.db)" || fail "tessera backup in the container"
grep -q "Backed up" <<<"$backed_up" || fail "tessera backup in the container: $backed_up"
stop

echo "== the same image on PostgreSQL"
if [[ -n "${POSTGRES_TEST_URL:-}" ]]; then
  database="container_test_$$"
  psql "$POSTGRES_TEST_URL" -qc "CREATE DATABASE $database" >/dev/null
  trap 'psql "$POSTGRES_TEST_URL" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true; cleanup' EXIT
  # The host's loopback PostgreSQL is reached on the host's network; Tessera listens on the test's port.
  network=(--network host --env "TESSERA_LISTEN=127.0.0.1:$port")
  start --env "TESSERA_DATABASE_URL=${POSTGRES_TEST_URL%/*}/$database"
  tokens="$(scripts/seed-flow.sh "$base")" || fail "the seed's flow failed on PostgreSQL"
  stop
  start --env "TESSERA_DATABASE_URL=${POSTGRES_TEST_URL%/*}/$database"
  refresh "$(json refresh_token <<<"$tokens")" >/dev/null || fail "the refresh token was refused after a restart on PostgreSQL"
  stop
else
  fail "POSTGRES_TEST_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)"
fi
echo "== the README's one-liner: the demo on the host's network"
api_port="$(free_port)"; app_port="$(free_port)"
podman run --detach --name "$run_id" --read-only --health-interval disable --network host --volume "$run_id:/var/lib/tessera" "$image" \
  demo --auth "127.0.0.1:$port" --api "127.0.0.1:$api_port" --app "127.0.0.1:$app_port" >/dev/null 2>>"$work/podman.log"
for _ in $(seq 150); do curl -fsS "http://127.0.0.1:$app_port/" >/dev/null 2>&1 && break; sleep 0.2; done
home="$(curl -fsS "http://127.0.0.1:$app_port/")" || home=""
grep -qi "sign in" <<<"$home" || { podman logs "$run_id"; fail "the demo's web app did not answer"; }
# The container's output reaches podman's log a moment after the app answers.
for _ in $(seq 50); do
  printed="$(podman logs "$run_id" 2>/dev/null)"
  grep -q "Open http://127.0.0.1:$app_port" <<<"$printed" && break
  sleep 0.1
done
grep -q "Open http://127.0.0.1:$app_port" <<<"$printed" || { echo "$printed"; fail "the demo did not print its URL"; }
stop
echo "container-test: passed"
