#!/usr/bin/env bash
# criticbot export's benchmark (issue 9; figures in docs/performance.md, "Export"): generates a SQLite database
# with EVENTS feedback events (default 1,000,000) through the real schema, then times
# `criticbot export --format ratings|kto --out X.parquet` with /usr/bin/time (wall seconds, peak RSS).
# Target: at most 10 s and under 300 MB for a million events on the 2-core development machine.
#   benchmarks/export-benchmark.sh [EVENTS] [RUNS]
# The database is kept in $WORK (default /tmp/criticbot-export-bench) and reused when it exists with the same
# number of events; delete it to regenerate. Run it when the machine is quiet (see `uptime`).
set -euo pipefail
cd "$(dirname "$0")/.."
events="${1:-1000000}"
runs="${2:-2}"
work="${WORK:-/tmp/criticbot-export-bench}"
mkdir -p "$work"
db="$work/feedback-$events.db"

dotnet build benchmarks/CriticBot.FeedbackGenerator -c Release -nologo -v quiet -clp:ErrorsOnly
dotnet build src/CriticBot -c Release -nologo -v quiet -clp:ErrorsOnly
if [[ ! -f "$db" ]]; then
  /usr/bin/time -f "generated in %e s, %M KiB max RSS (%U s user, %S s sys)" \
    dotnet benchmarks/CriticBot.FeedbackGenerator/bin/Release/net10.0/CriticBot.FeedbackGenerator.dll --out "$db" --events "$events"
fi
ls -l "$db"
echo "load before: $(uptime)"

for format in ratings kto; do
  for run in $(seq 1 "$runs"); do
    rm -f "$work/$format.parquet"
    CRITICBOT_DATABASE="$db" /usr/bin/time -f "$format run $run: %e s %M KiB (%U s user, %S s sys)" \
      dotnet src/CriticBot/bin/Release/net10.0/criticbot.dll export --format "$format" --out "$work/$format.parquet" 2>&1 \
      | grep -v '^\s*$' | tail -n 3
    ls -l "$work/$format.parquet" | awk '{print "  " $5 " bytes"}'
  done
done
echo "load after: $(uptime)"
