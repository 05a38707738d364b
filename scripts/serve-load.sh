#!/usr/bin/env bash
# Many reviews at once (issue 12): builds `criticbot serve` and benchmarks/CriticBot.ServeLoad (Release), then runs
# the tool, which starts the GitHub simulator and a fake model with realistic latency in its own process and a real
# `criticbot serve` (temp SQLite database, loopback only) against them; opens PRS pull requests of FILES files at
# once and, while they are reviewed, times a steady stream of signed deliveries and samples the server's memory.
#   PRS=50 FILES=100 LINES=40 LATENCY_MS=300-2500 RATE=20 scripts/serve-load.sh
#   SERVER_ENV="Inbox__MaxConcurrency=50 Review__MaxModelCalls=32" scripts/serve-load.sh   # settings for the server
# SERVER_DLL=path/to/criticbot.dll measures another build (e.g. an older commit) with the same tool.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
out="artifacts/serve-load"
if [ -z "${SERVER_DLL:-}" ]; then
  dotnet build src/CriticBot -c Release -nologo -clp:ErrorsOnly -o "$out/server" | grep -E "error" && exit 1 || true
  SERVER_DLL="$out/server/criticbot.dll"
fi
dotnet build benchmarks/CriticBot.ServeLoad -c Release -nologo -clp:ErrorsOnly -o "$out/tool" | grep -E "error" && exit 1 || true

server_env=()
for setting in ${SERVER_ENV:-}; do server_env+=(--server-env "$setting"); done
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet "$out/tool/CriticBot.ServeLoad.dll" --server-dll "$SERVER_DLL" \
  --prs "${PRS:-50}" --files "${FILES:-100}" --lines "${LINES:-40}" --latency-ms "${LATENCY_MS:-300-2500}" \
  --rate "${RATE:-20}" --idle-seconds "${IDLE_SECONDS:-10}" --max-seconds "${MAX_SECONDS:-900}" "${server_env[@]}"
