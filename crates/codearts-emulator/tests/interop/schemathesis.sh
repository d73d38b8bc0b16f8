#!/usr/bin/env bash
# schemathesis against the emulator with our spec files: no 5xx, and every 200 conforms to
# the response schema. A bounded run: a few examples per operation.
# Installs schemathesis into target/schemathesis-venv when missing.
set -euo pipefail
cd "$(dirname "$0")/../../../.."

EXAMPLES="${SCHEMATHESIS_EXAMPLES:-3}"
VENV=target/schemathesis-venv
if [ ! -x "$VENV/bin/schemathesis" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis>=4,<5"
fi

cargo build --quiet -p codearts-emulator --bin codearts-emulator
LOG=$(mktemp)
target/debug/codearts-emulator --listen 127.0.0.1:0 >"$LOG.url" 2>"$LOG" &
EMU=$!
trap 'kill "$EMU" 2>/dev/null || true; rm -f "$LOG" "$LOG.url"' EXIT
for _ in $(seq 50); do [ -s "$LOG.url" ] && break; sleep 0.1; done
URL=$(head -n1 "$LOG.url")

TOKEN=$(python3 - "$URL" <<'PY'
import json, sys, urllib.request
body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
    "name": "demo", "password": "demo-password", "domain": {"name": "demo"}}}},
    "scope": {"project": {"name": "demo-project"}}}}
req = urllib.request.Request(sys.argv[1] + "/v3/auth/tokens", data=json.dumps(body).encode(),
                             headers={"Content-Type": "application/json"}, method="POST")
print(urllib.request.urlopen(req).headers["X-Subject-Token"])
PY
)

for spec in codeartspipeline codeartsbuild iam; do
    echo "--- schemathesis: spec/$spec.json"
    "$VENV/bin/schemathesis" run "spec/$spec.json" --url "$URL" \
        -H "X-Auth-Token: $TOKEN" \
        --checks not_a_server_error,response_schema_conformance \
        --max-examples "$EXAMPLES" --generation-deterministic \
        --request-timeout 10 --no-color
done
if grep -q 'status=5' "$LOG"; then
    echo "the emulator answered 5xx:" >&2
    grep 'status=5' "$LOG" | head >&2
    exit 1
fi
echo "schemathesis: no 5xx, responses conform"
