#!/usr/bin/env bash
# Adaptive sampling against always drawing every sample, with `criticbot eval` on HumanEvalPack and a fake critic of
# known behaviour (benchmarks/CriticBot.FakeCritic: the test suite's fake model answering as its ImperfectCritic).
# See docs/performance.md, "Adaptive sampling".
#
#   bash benchmarks/eval/adaptive-sampling.sh PATH/TO/humanevalpack/python.jsonl [SAMPLES]
#
# For each fake behaviour it runs the full run first, then the adaptive run on the same answer cache: the adaptive
# run's samples are the first ones of the full run (a paired comparison, and no new model call), then compares them.
set -euo pipefail
input="${1:?usage: adaptive-sampling.sh HUMANEVALPACK.jsonl [SAMPLES]}"
samples="${2:-3}"
cd "$(dirname "$0")/../.."
work="$(mktemp -d)"
host_pid=""
cleanup() { [ -n "$host_pid" ] && kill "$host_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

dotnet build src/CriticBot -c Release -v quiet -nologo >/dev/null
dotnet build benchmarks/CriticBot.FakeCritic -c Release -v quiet -nologo >/dev/null
criticbot() { dotnet src/CriticBot/bin/Release/net10.0/criticbot.dll "$@"; }

criticbot eval import --from humanevalpack --input "$input" --out "$work/he.jsonl" --clean 20

run_behaviour() {
  local name="$1"; shift
  echo "== fake critic: $name ($*), $samples samples"
  dotnet benchmarks/CriticBot.FakeCritic/bin/Release/net10.0/CriticBot.FakeCritic.dll --dataset "$work/he.jsonl" "$@" >"$work/$name.url" &
  host_pid=$!
  for _ in $(seq 1 100); do grep -q OPENAI_BASE_URL "$work/$name.url" && break; sleep 0.2; done
  local url; url="$(sed -n 's/^OPENAI_BASE_URL=//p' "$work/$name.url")"
  export OPENAI_BASE_URL="$url" OPENAI_API_KEY=fake CRITICBOT_MODEL=fake-critic
  criticbot eval --dataset "$work/he.jsonl" --samples "$samples" --adaptive-sampling false \
    --out "$work/$name-full" --cache-dir "$work/$name-cache" >/dev/null 2>"$work/$name-full.log"
  criticbot eval --dataset "$work/he.jsonl" --samples "$samples" --adaptive-sampling true \
    --out "$work/$name-adaptive" --cache-dir "$work/$name-cache" >/dev/null 2>"$work/$name-adaptive.log"
  criticbot eval compare "$work/$name-full/results.json" "$work/$name-adaptive/results.json" \
    | sed "s#$work/##g" | grep -E "^\| (Metric|---|Catch rate|Model calls|Prompt tokens|Completion tokens|Tokens per case|Samples drawn)|Tokens \(|Paired"
  python3 - "$work/$name-full/results.json" "$work/$name-adaptive/results.json" <<'PY'
import json, sys
for label, path in (("full", sys.argv[1]), ("adaptive", sys.argv[2])):
    r = json.load(open(path)); t = r["totals"]; c = r["metrics"]["catch_rate"]
    print(f"{label}: catch {t['caught']}/{r['dataset']['bugs_with_line']} = {c['value']:.3f} [{c['low']:.3f}, {c['high']:.3f}], "
          f"samples {t['samples_drawn']}/{t['samples_max']}, calls {t['calls']} (new {t['new_calls']}), "
          f"tokens {t['tokens']} (prompt {t['prompt_tokens']} + completion {t['completion_tokens']})")
PY
  kill "$host_pid"; wait "$host_pid" 2>/dev/null || true; host_pid=""
}

# Every sample misses a bug independently with probability 0.2 (the worst case for stopping early).
run_behaviour independent --miss 0.2
# A quarter of the cases are hard (each sample misses with 0.9), the rest easy (0.1): misses go together, as a real
# model's samples at one temperature tend to.
run_behaviour correlated --miss 0.1 --hard-share 0.25 --hard-miss 0.9
