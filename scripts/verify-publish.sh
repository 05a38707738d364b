#!/usr/bin/env bash
# Verifies what the container image relies on, without a container engine: the publish the Dockerfile does, and
# the published server started as an unprivileged user from a read-only working directory (only the database
# directory writable), answering /healthz, /readyz, / and /metrics. Prints the published size.
# Needs root (to switch to the "nobody" user with setpriv) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
chmod 755 "$work"

dotnet publish src/CriticBot/CriticBot.csproj -c Release -o "$work/app" -p:UseAppHost=false -nologo -clp:ErrorsOnly >/dev/null
echo "published size: $(du -sh "$work/app" | cut -f1) ($(find "$work/app" -type f | wc -l) files)"

# The application folder and the working directory are read-only to the service; only /data-like is writable.
chmod -R a-w "$work/app"
mkdir -p "$work/readonly" "$work/data"
chmod 555 "$work/readonly"
chown nobody "$work/data"; chmod 700 "$work/data"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cd "$work/readonly"
setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
  env -i PATH="$PATH" HOME=/tmp DOTNET_NOLOGO=1 CRITICBOT_DATABASE="$work/data/criticbot.db" OPENAI_BASE_URL=http://127.0.0.1:9/v1 \
  dotnet "$work/app/criticbot.dll" serve --urls "http://127.0.0.1:$port" >"$work/server.log" 2>&1 &
server=$!
cd - >/dev/null

for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
user=$(ps -o user= -p "$(pgrep -P "$server" -f criticbot.dll || echo "$server")" | tr -d ' ')
echo "server user: $user"
[ "$user" = "nobody" ] || { echo "FAIL: not running as nobody"; exit 1; }
for path in /healthz /readyz / /metrics; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$path")
  echo "GET $path -> $code"
  [ "$code" = "200" ] || { echo "FAIL"; cat "$work/server.log"; exit 1; }
done
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/api/github/webhooks")
echo "POST /api/github/webhooks (no App yet) -> $code"
[ "$code" = "503" ] || { echo "FAIL"; exit 1; }
[ -f "$work/data/criticbot.db" ] && echo "database created in the writable directory only"
echo "OK"
