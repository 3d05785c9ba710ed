#!/usr/bin/env bash
# The API document is the contract: schemathesis (from PyPI) generates requests
# from the served /api/openapi.json and checks every answer against it (all
# checks; examples, coverage, fuzzing and stateful phases), signed in with an
# organisation admin's API key on the demonstration platform.
#
# Usage: .ci/schemathesis.sh PATH-TO-SUYUAN-BINARY
# Exits non-zero on any failure. Settings: .ci/schemathesis.toml.
set -euo pipefail
cd "$(dirname "$0")/.."

bin="$(realpath "$1")"
work="$(mktemp -d)"
venv="${SCHEMATHESIS_VENV:-target/schemathesis-venv}"
port="${SCHEMATHESIS_PORT:-18181}"
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ ! -x "$venv/bin/schemathesis" ]; then
  # Debian's python3 (another may come first on PATH); venv needs python3-venv.
  if ! /usr/bin/python3 -m venv "$venv" >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    /usr/bin/python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install -q "schemathesis==4.*"
fi

export SUYUAN_ADMIN_PASSWORD="St-Admin-Pass-2026"
# schemathesis is a fuzzer on one address: left alone, intrusion defence
# blocks it within seconds (as suite/defence.rs tests). The contract is
# checked with detection and limits out of its reach.
cat >"$work/suyuan.toml" <<'TOML'
[defence]
sign_in = { max = 1000000, per_secs = 60 }
public_pages = { max = 1000000, per_secs = 60 }
capture = { max = 1000000, per_secs = 60 }
capture_per_account = { max = 1000000, per_secs = 60 }
credential_stuffing = { max = 1000000, per_secs = 60 }
path_scanning = { max = 1000000, per_secs = 60 }
injection_probes = { max = 1000000, per_secs = 60 }
malformed_flood = { max = 1000000, per_secs = 60 }
TOML
# The demo builds its folder (./suyuan-demo) where it runs: in the scratch place.
(cd "$work" && exec "$bin" --config "$work/suyuan.toml" demo --listen "127.0.0.1:$port") >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 1
done

# An API key, not a session: the run may call logout, and a key survives it.
key="$(curl -fsS -X POST "http://127.0.0.1:$port/api/v1/auth/login" \
  -H 'content-type: application/json' \
  -d '{"username":"coop-admin","password":"Demo-Pass-2026"}' |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
api_key="$(curl -fsS -X POST "http://127.0.0.1:$port/api/v1/api-keys" \
  -H "authorization: Bearer $key" -H 'content-type: application/json' \
  -d '{"name":"schemathesis"}' |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')"

export SUYUAN_API_KEY="$api_key"
"$venv/bin/schemathesis" --config-file .ci/schemathesis.toml run \
  "http://127.0.0.1:$port/api/openapi.json" \
  --report junit --report-dir target/schemathesis-report
