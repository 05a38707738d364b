#!/usr/bin/env bash
# Runs issue 12's figures against their baselines in one sitting (see docs/performance.md):
#   1. the incremental push against the first review (prompt characters and o200k tokens at the fake model),
#   2. `criticbot review --dry-run --format json` on a 52 MiB synthetic diff against npm's parse-diff in a whole
#      Node process on the same file (parse-diff is installed into a temporary folder, never committed),
#   3. diff parsing throughput and allocation (BenchmarkDotNet),
<<<<<<< HEAD
#   4. with HUMANEVALPACK=PATH/TO/python.jsonl set: adaptive sampling against every sample, with `criticbot eval` and
#      a fake critic of known behaviour (benchmarks/eval/adaptive-sampling.sh), at 3 and at 5 samples.
=======
#   4. many reviews at once: `criticbot serve` reviewing 50 pull requests of 100 files (GitHub simulator, fake model
#      with 0.3-2.5 s latency) while a stream of signed deliveries times intake; memory from /proc and /metrics.
>>>>>>> perf-serve
# On a shared machine run it when it is quiet, or read each pair (ours, baseline) as measured back to back.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== 1. incremental push vs first review (fake model, GitHub simulator)"
dotnet build tests/CriticBot.Tests -c Release -v quiet -nologo >/dev/null
dotnet test tests/CriticBot.Tests -c Release --no-build --filter "FullyQualifiedName~TokenCostTests.A_push" \
  --logger "console;verbosity=detailed" | grep -E "lines per file" || true

echo "== 2. dry run on a 52 MiB diff vs parse-diff ($(uptime))"
dotnet build benchmarks/CriticBot.Benchmarks -c Release -v quiet -nologo >/dev/null
dotnet build src/CriticBot -c Release -v quiet -nologo >/dev/null
dotnet run -c Release --no-build --project benchmarks/CriticBot.Benchmarks -- --write-synthetic-diff "$work/big.diff" 52
ls -l "$work/big.diff"
if (cd "$work" && npm install --silent --no-audit --no-fund parse-diff >/dev/null 2>&1); then
  cat > "$work/parse.js" <<'JS'
const parse = require('parse-diff');
const text = require('fs').readFileSync(process.argv[2], 'utf8');
const files = parse(text);
console.log(files.length + ' files');
JS
  for run in 1 2; do
    /usr/bin/time -f "parse-diff run $run: %e s (%U s user, %S s sys), %M KiB max RSS" node "$work/parse.js" "$work/big.diff"
    /usr/bin/time -f "criticbot dry run $run: %e s (%U s user, %S s sys), %M KiB max RSS" \
      dotnet src/CriticBot/bin/Release/net10.0/criticbot.dll review --diff "$work/big.diff" --dry-run --format json >/dev/null
    echo "  load: $(uptime | sed 's/.*load average/load average/')"
  done
else
  echo "npm install parse-diff failed (no registry?): timing criticbot only"
  echo "the recorded parse-diff baseline is 0.9 s on a quiet machine (docs/performance.md)"
  /usr/bin/time -f "criticbot dry run: %e s (%U s user, %S s sys), %M KiB max RSS" \
    dotnet src/CriticBot/bin/Release/net10.0/criticbot.dll review --diff "$work/big.diff" --dry-run --format json >/dev/null
fi

echo "== 3. diff parsing (BenchmarkDotNet; $(uptime | sed 's/.*load average/load average/'))"
dotnet run -c Release --no-build --project benchmarks/CriticBot.Benchmarks -- --filter '*DiffParsing*'

<<<<<<< HEAD
if [ -n "${HUMANEVALPACK:-}" ]; then
  echo "== 4. adaptive sampling vs every sample (criticbot eval, fake critic)"
  bash benchmarks/eval/adaptive-sampling.sh "$HUMANEVALPACK" 3
  bash benchmarks/eval/adaptive-sampling.sh "$HUMANEVALPACK" 5
fi
=======
echo "== 4. many reviews at once (50 pull requests of 100 files; intake p99 and memory)"
scripts/serve-load.sh
>>>>>>> perf-serve
