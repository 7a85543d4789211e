#!/usr/bin/env bash
# Starts ticketd on a throw-away database with a key of every staff role and a partner key, for the contract
# tools (schemathesis, the generated Python client). Usage:
#   tests/contract/run-ticketd.sh DIR DATABASE_URL
# Writes DIR/env (CONTRACT_URL, ADMIN_KEY, AGENT_KEY, ENGINEER_KEY, SECURITY_KEY, SUPERVISOR_KEY,
# DPO_KEY, PARTNER_KEY, PARTNER_ORG, PID) and leaves ticketd running
# (kill "$PID" to stop it). Needs target/debug/ticketd (or $TICKETD_BIN) built.
set -euo pipefail
dir="$1"
database_url="$2"
bin="${TICKETD_BIN:-${CARGO_TARGET_DIR:-target}/debug/ticketd}"
mkdir -p "$dir"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export TICKETD_DATABASE_URL="$database_url"
export TICKETD_LISTEN="127.0.0.1:$port"
export TICKETD_MAIL__FILES__DIR="$dir/mail"
export TICKETD_ATTACHMENTS__DIR="$dir/attachments"
export TICKETD_LOG_FILTER="warn"
# The fuzzers send many public reports from one address.
export TICKETD_PUBLIC__PER_IP__MAX=100000
export TICKETD_PUBLIC__PER_EMAIL__MAX=100000
# Webhooks the fuzzers register are never sent (a made-up URL may name any public address), and
# their host names are never looked up in DNS: no traffic leaves 127.0.0.0/8.
export TICKETD_WEBHOOKS__DISPATCHER_ENABLED=false
export TICKETD_WEBHOOKS__SYSTEM_DNS=false
"$bin" migrate >/dev/null
admin="$("$bin" keys create --role admin --name contract-admin 2>/dev/null | tail -n1)"
# A staff key of every other role, for the contract check's runs per role.
declare -A role_keys
for role in agent engineer security supervisor dpo; do
    role_keys[$role]="$("$bin" keys create --role "$role" --name "contract-$role" 2>/dev/null | tail -n1)"
done
"$bin" serve >"$dir/ticketd.log" 2>&1 &
pid=$!
url="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
    curl -fsS "$url/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
org="$(curl -fsS -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d '{"name":"Partenaire de test","roles":["service_provider"]}' "$url/api/v1/organisations" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
partner="$(curl -fsS -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d "{\"name\":\"contract-partner\",\"organisation_id\":\"$org\"}" "$url/api/v1/api-keys" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')"
cat >"$dir/env" <<ENV
CONTRACT_URL=$url
ADMIN_KEY=$admin
PARTNER_KEY=$partner
PARTNER_ORG=$org
AGENT_KEY=${role_keys[agent]}
ENGINEER_KEY=${role_keys[engineer]}
SECURITY_KEY=${role_keys[security]}
SUPERVISOR_KEY=${role_keys[supervisor]}
DPO_KEY=${role_keys[dpo]}
PID=$pid
ENV
