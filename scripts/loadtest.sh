#!/usr/bin/env bash
# Load test of webhook intake + durable store: `criticbot serve` (Release) on 127.0.0.1 with a temp SQLite
# database, driven by wrk with signed ~28 KB pull_request payloads and a unique delivery id per request.
# INBOX=off (default): deliveries are verified and stored, no handler runs.
# INBOX=on: the inbox worker handles them against a stub GitHub (scripts/github-stub.py: every PR answers as
# closed, so a handled delivery is one look-up of the head), spread over PRS pull requests; the script then waits
# for the inbox to drain and reports the server's CPU per delivery and the stub's look-ups.
# Loopback only, bounded duration.
#   DURATION=20s CONNECTIONS=32 THREADS=2 PORT=5099 INBOX=on PRS=4 scripts/loadtest.sh
# DATABASE=postgres runs the same test on PostgreSQL instead: a temporary server from Debian's postgresql
# package (initdb + pg_ctl, stock durability settings, its own port; as the postgres user when run as root).
#   DATABASE=postgres PG_PORT=5097 scripts/loadtest.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-20s}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
PORT="${PORT:-5099}"
INBOX="${INBOX:-off}"
PRS="${PRS:-4}"
STUB_PORT="${STUB_PORT:-5098}"
DATABASE="${DATABASE:-sqlite}"
PG_PORT="${PG_PORT:-5097}"
URL="http://127.0.0.1:${PORT}"

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk (Debian package)..."
  apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi
for tool in openssl curl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "loadtest: $tool is required" >&2; exit 2; }
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
out="artifacts/loadtest"
dotnet build src/CriticBot -c Release -nologo -clp:ErrorsOnly -o "$out/bin" >/dev/null

work="$(mktemp -d)"
server_pid=""
stub_pid=""
pg_started=""
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -n "$stub_pid" ]; then kill -TERM "$stub_pid" 2>/dev/null || true; wait "$stub_pid" 2>/dev/null || true; fi
  if [ -n "$pg_started" ]; then as_postgres "$pgbin/pg_ctl" -D "$work/pg/data" -m fast -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

database_setting="$work/loadtest.db"
if [ "$DATABASE" = postgres ]; then
  if [ "$INBOX" = on ]; then echo "loadtest: INBOX=on is measured on SQLite only" >&2; exit 2; fi
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  pgbin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  chmod 755 "$work"; mkdir -p "$work/pg"
  pg_password="$(openssl rand -hex 16)"; echo "$pg_password" > "$work/pg/password"
  [ "$(id -u)" -eq 0 ] && chown -R postgres "$work/pg"
  as_postgres "$pgbin/initdb" -D "$work/pg/data" -U criticbot --pwfile="$work/pg/password" --auth-host=scram-sha-256 \
    --auth-local=trust -E UTF8 --locale=C >/dev/null
  # Stock settings (fsync, synchronous_commit and full_page_writes on): durable before 2xx, like SQLite's FULL.
  as_postgres "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w \
    -o "-p $PG_PORT -k $work/pg -c listen_addresses=127.0.0.1" start >/dev/null
  pg_started=1
  as_postgres "$pgbin/createdb" -h "$work/pg" -p "$PG_PORT" -U criticbot criticbot
  database_setting="Host=127.0.0.1;Port=$PG_PORT;Database=criticbot;Username=criticbot;Password=$pg_password"
  echo "database: PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
else
  echo "database: SQLite file (WAL, synchronous=FULL)"
fi

# A pull_request "opened" delivery shaped like GitHub's, padded to ~28 KB with a long description.
description="$(for _ in $(seq 1 355); do printf 'This change reworks the frobnicator so that it no longer allocates per call. '; done)"
cat > "$work/payload.json" <<JSON
{"action":"opened","number":7,"pull_request":{"url":"https://api.github.com/repos/octo-org/widgets/pulls/7","id":100007,"number":7,"state":"open","draft":false,"title":"Rework the frobnicator","body":"${description}","user":{"login":"octocat","id":1,"type":"User"},"head":{"ref":"feature/frob","sha":"1111111111111111111111111111111111111111","repo":{"id":1,"name":"widgets","full_name":"octo-org/widgets"}},"base":{"ref":"main","sha":"2222222222222222222222222222222222222222","repo":{"id":1,"name":"widgets","full_name":"octo-org/widgets"}},"commits":3,"additions":120,"deletions":40,"changed_files":6},"repository":{"id":1,"name":"widgets","full_name":"octo-org/widgets","private":false,"owner":{"login":"octo-org","id":99,"type":"Organization"},"default_branch":"main"},"organization":{"login":"octo-org","id":99},"sender":{"login":"octocat","id":1,"type":"User"},"installation":{"id":4242}}
JSON
secret="$(openssl rand -hex 20)"
sign() { echo "sha256=$(openssl dgst -sha256 -hmac "$secret" -r "$1" | cut -d' ' -f1)"; }
signature="$(sign "$work/payload.json")"
echo "payload: $(wc -c < "$work/payload.json") bytes"
# With the inbox on, the same body for PRS pull requests (numbers 1..PRS): many deliveries for a few PRs.
extra=()
if [ "$INBOX" = "on" ]; then
  for n in $(seq 2 "$PRS"); do
    sed "s/\"number\":7/\"number\":$n/g; s#/pulls/7#/pulls/$n#g" "$work/payload.json" > "$work/payload-$n.json"
    extra+=("$work/payload-$n.json" "$(sign "$work/payload-$n.json")")
  done
  sed -i "s/\"number\":7/\"number\":1/g; s#/pulls/7#/pulls/1#g" "$work/payload.json"
  signature="$(sign "$work/payload.json")"
fi

# The service refuses to start without GitHub App and model settings. Inbox off: neither is called. Inbox on:
# GitHub is the stub; the model is never reached (the stub's pull requests are closed).
openssl genrsa -out "$work/app.pem" 2048 2>/dev/null
api_url=http://127.0.0.1:9/
inbox_enabled=false
if [ "$INBOX" = "on" ]; then
  python3 scripts/github-stub.py "$STUB_PORT" &
  stub_pid=$!
  api_url="http://127.0.0.1:${STUB_PORT}/"
  inbox_enabled=true
fi
GITHUB_APP_ID=1 GITHUB_PRIVATE_KEY_PATH="$work/app.pem" GITHUB_API_URL="$api_url" OPENAI_BASE_URL=http://127.0.0.1:9/v1 \
GITHUB_WEBHOOK_SECRET="$secret" CRITICBOT_DATABASE="$database_setting" Inbox__Enabled="$inbox_enabled" \
  GitHub__MinimumWriteInterval=00:00:00 Serilog__MinimumLevel__Default=Warning \
  dotnet "$out/bin/criticbot.dll" serve --urls "$URL" > "$work/server.log" 2>&1 &
server_pid=$!
# utime + stime of the server process, in seconds.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$server_pid/stat"; }
for _ in $(seq 1 100); do
  curl -fs "$URL/readyz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; echo "loadtest: server did not start" >&2; exit 1; }
  sleep 0.2
done

echo "warm-up (3 s)..."
wrk -t"$THREADS" -c"$CONNECTIONS" -d3s -s scripts/loadtest.lua "$URL/api/github/webhooks" -- "$work/payload.json" "$signature" warmup "${extra[@]}" >/dev/null
echo "measuring ($DURATION, $THREADS threads, $CONNECTIONS connections, inbox $INBOX) on $(nproc) cores..."
cpu_before="$(cpu_seconds)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s scripts/loadtest.lua "$URL/api/github/webhooks" -- "$work/payload.json" "$signature" run "${extra[@]}"
cpu_run="$(cpu_seconds)"

if [ "$DATABASE" = postgres ]; then
  echo "stored: $(as_postgres "$pgbin/psql" -h "$work/pg" -p "$PG_PORT" -U criticbot -d criticbot -Atc "SELECT COUNT(*) FROM deliveries WHERE delivery_id LIKE 'run-%'") measured deliveries"
elif command -v sqlite3 >/dev/null 2>&1; then
  stored="$(sqlite3 "$work/loadtest.db" "SELECT COUNT(*) FROM deliveries WHERE delivery_id LIKE 'run-%'")"
  echo "stored: $stored measured deliveries, database $(du -sh "$work" | cut -f1)"
  echo "server CPU during the run: $(awk -v a="$cpu_before" -v b="$cpu_run" -v n="$stored" 'BEGIN { printf "%.1f s, %.1f us per delivery", b - a, (b - a) * 1e6 / n }')"
  if [ "$INBOX" = "on" ]; then
    echo "waiting for the inbox to drain (at most 300 s)..."
    for _ in $(seq 1 1500); do
      left="$(sqlite3 "$work/loadtest.db" "SELECT COUNT(*) FROM deliveries WHERE status IN ('pending','processing')" 2>/dev/null || echo 1)"
      [ "$left" = "0" ] && break
      sleep 0.2
    done
    cpu_drained="$(cpu_seconds)"
    echo "left unhandled: $left"
    sqlite3 "$work/loadtest.db" "SELECT CASE WHEN outcome LIKE 'coalesced%' THEN 'coalesced' ELSE COALESCE(outcome, status) END AS o, COUNT(*) FROM deliveries GROUP BY o ORDER BY 2 DESC" | sed 's/^/  /'
    total="$(sqlite3 "$work/loadtest.db" "SELECT COUNT(*) FROM deliveries")"
    echo "server CPU from the run's start until drained: $(awk -v a="$cpu_before" -v b="$cpu_drained" -v n="$stored" 'BEGIN { printf "%.1f s, %.1f us per measured delivery (intake and handling)", b - a, (b - a) * 1e6 / n }')"
    echo "stub GitHub requests (all $total deliveries, warm-up included): $(curl -fs "http://127.0.0.1:${STUB_PORT}/_stats")"
  fi
fi
if grep -q '"@l":"Error"\|"@l":"Fatal"' "$work/server.log"; then
  echo "server logged errors:"; grep '"@l":"Error"\|"@l":"Fatal"' "$work/server.log" | head -5
fi
