#!/usr/bin/env bash
# Intake flood: `criticbot serve` (Release) on 127.0.0.1 with a temp SQLite database and the inbox off, then
# benchmarks/CriticBot.IntakeFlood: CONNECTIONS slow connections each announcing ANNOUNCE bytes with a wrong
# signature, while /healthz is probed and signed deliveries are sent; prints the server's memory growth.
# Loopback only, bounded duration.   CONNECTIONS=200 DURATION_SECONDS=20 PORT=5098 scripts/intake-flood.sh
# Each connection sends CHUNK bytes every INTERVAL_MS ms (default 4096 / 250: slow); CHUNK=262144 INTERVAL_MS=5 is fast.
# SERVER_DLL=path/to/criticbot.dll measures another build (e.g. an older commit) with the same tool.
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS="${CONNECTIONS:-200}"
SECONDS_TO_RUN="${DURATION_SECONDS:-20}"
ANNOUNCE="${ANNOUNCE:-25000000}"
CHUNK="${CHUNK:-4096}"
INTERVAL_MS="${INTERVAL_MS:-250}"
PORT="${PORT:-5098}"
URL="http://127.0.0.1:${PORT}"
command -v openssl >/dev/null 2>&1 || { echo "intake-flood: openssl is required" >&2; exit 2; }
command -v curl >/dev/null 2>&1 || { echo "intake-flood: curl is required" >&2; exit 2; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
out="artifacts/intake-flood"
if [ -z "${SERVER_DLL:-}" ]; then
  dotnet build src/CriticBot -c Release -nologo -clp:ErrorsOnly -o "$out/server" | grep -E "error" && exit 1 || true
  SERVER_DLL="$out/server/criticbot.dll"
fi
dotnet build benchmarks/CriticBot.IntakeFlood -c Release -nologo -clp:ErrorsOnly -o "$out/tool" | grep -E "error" && exit 1 || true

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

secret="$(openssl rand -hex 20)"
openssl genrsa -out "$work/app.pem" 2048 2>/dev/null
GITHUB_APP_ID=1 GITHUB_PRIVATE_KEY_PATH="$work/app.pem" GITHUB_API_URL=http://127.0.0.1:9/ OPENAI_BASE_URL=http://127.0.0.1:9/v1 \
GITHUB_WEBHOOK_SECRET="$secret" CRITICBOT_DATABASE="$work/flood.db" Inbox__Enabled=false \
  Serilog__MinimumLevel__Default=Warning \
  dotnet "$SERVER_DLL" serve --urls "$URL" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 150); do
  curl -fs "$URL/readyz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; echo "intake-flood: server did not start" >&2; exit 1; }
  sleep 0.2
done

dotnet "$out/tool/CriticBot.IntakeFlood.dll" --url "$URL" --pid "$server_pid" --secret "$secret" \
  --connections "$CONNECTIONS" --seconds "$SECONDS_TO_RUN" --announce "$ANNOUNCE" \
  --chunk "$CHUNK" --interval-ms "$INTERVAL_MS"
kill -0 "$server_pid" 2>/dev/null && echo "server: still running" || { echo "server: DIED"; tail -20 "$work/server.log"; }
