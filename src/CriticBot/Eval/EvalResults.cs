using System.Globalization;
using System.Text.Json.Nodes;
using CriticBot.Engine.Critic;
using CriticBot.Engine.Prompting;
using CriticBot.Engine.Selection;

namespace CriticBot.Eval;

/// <summary>A metric's name in results.json, what it means, and whether it is a share (shown as a percentage).</summary>
public sealed record MetricDefinition(string Name, string Label, bool IsShare);

/// <summary>Builds results.json (documented in docs/eval.md; fields are added, never renamed).</summary>
public static class EvalResults
{
    public const string Format = "criticbot-eval/1";

    public static readonly IReadOnlyList<MetricDefinition> Metrics =
    [
        new("catch_rate", "Catch rate (bugs whose lines a kept comment covers)", true),
        new("comments_per_case", "Comments per case", false),
        new("ungrounded_rate", "Ungrounded rate (highlights whose quote is not in the diff)", true),
        new("nit_share", "Nit share (of kept comments)", true),
        new("nits_per_case", "Nits per case", false),
        new("false_alarms_per_clean_case", "False alarms per clean case (bug-severity comments)", false),
        new("clean_cases_flagged", "Clean cases with a false alarm", true),
        new("calls_per_case", "Model calls per case", false),
        new("prompt_tokens_per_case", "Prompt tokens per case", false),
        new("completion_tokens_per_case", "Completion tokens per case", false),
        new("tokens_per_case", "Tokens per case (prompt + completion)", false),
        new("samples_per_chunk", "Samples drawn per chunk", false),
        new("cost_per_case", "Cost per case (dollars)", false),
        new("latency_ms_per_case", "Latency per case (ms)", false),
        new("judge_precision", "Judge precision (kept comments that describe a known bug)", true),
        new("judge_recall", "Judge recall (known bugs described by a kept comment)", true),
        new("judge_f1", "Judge F1", true),
    ];

    /// <summary>The precisions a sweep visits: 0 to 1 in steps of 0.05.</summary>
    public static IReadOnlyList<double> SweepPrecisions { get; } = [.. Enumerable.Range(0, 21).Select(i => Math.Round(i * 0.05, 2))];

    public static JsonObject Build(EvalRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var settings = run.Settings;
        var scored = run.Cases.Where(c => c.Result is not null).ToList();
        var bootstrap = new Bootstrap(scored.Count, settings.Seed);
        var kept = scored.Select(c => (IReadOnlyList<KeptComment>)[.. c.Result!.Comments.Select(KeptComment.From)]).ToList();
        var counts = scored.Select((c, i) => EvalScoring.Count(c.Case, kept[i], c.Result!.Candidates, settings.Tolerance)).ToList();

        var metrics = new JsonObject();
        foreach (var (name, value) in ComputeMetrics(run, scored, counts, bootstrap))
        {
            metrics[name] = MetricJson(value);
        }

        var json = new JsonObject
        {
            ["format"] = Format,
            ["partial"] = run.Partial,
            ["stop_reason"] = run.StopReason,
            ["started_at"] = run.StartedAt.ToString("O", CultureInfo.InvariantCulture),
            ["wall_seconds"] = Math.Round(run.WallSeconds, 3),
            ["settings"] = new JsonObject
            {
                ["dataset"] = settings.DatasetPath,
                ["model"] = settings.Model,
                ["prompt_version"] = PromptBuilder.PromptVersion,
                ["samples"] = settings.Critic.Samples,
                ["adaptive_sampling"] = settings.Critic.AdaptiveSampling,
                ["precision"] = settings.Critic.Precision,
                ["max_comments"] = settings.Critic.MaxComments,
                ["temperature"] = settings.Critic.Temperature,
                ["max_output_tokens"] = settings.Critic.MaxOutputTokens,
                ["concurrency"] = settings.Concurrency,
                ["limit"] = settings.Limit,
                ["sweep"] = settings.Sweep,
                ["judge"] = settings.Judge,
                ["judge_model"] = settings.Judge ? settings.JudgeModel ?? settings.Model : null,
                ["no_cache"] = settings.NoCache,
                ["tolerance"] = settings.Tolerance,
                ["price_input_per_million"] = settings.PriceInput,
                ["price_output_per_million"] = settings.PriceOutput,
                ["bootstrap_resamples"] = Bootstrap.Resamples,
                ["seed"] = settings.Seed,
            },
            ["dataset"] = new JsonObject
            {
                ["cases_run"] = run.Cases.Count,
                ["cases_scored"] = scored.Count,
                ["cases_failed"] = run.Cases.Count - scored.Count,
                ["cases_not_run"] = run.NotRun,
                ["clean_cases"] = scored.Count(c => c.Case.IsClean),
                ["bugs"] = scored.Sum(c => c.Case.Bugs.Count),
                ["bugs_with_line"] = counts.Sum(c => c.BugsWithLine),
                ["skipped_lines"] = new JsonArray([.. run.DatasetProblems.Select(p => (JsonNode)new JsonObject { ["line"] = p.LineNumber, ["message"] = p.Message })]),
            },
            ["metrics"] = metrics,
            ["totals"] = new JsonObject
            {
                ["calls"] = scored.Sum(c => c.Result!.Usage.Calls),
                ["new_calls"] = run.NewCalls,
                ["cached_calls"] = run.CachedCalls,
                ["prompt_tokens"] = scored.Sum(c => (long)c.Result!.Usage.PromptTokens),
                ["completion_tokens"] = scored.Sum(c => (long)c.Result!.Usage.CompletionTokens),
                ["tokens"] = scored.Sum(c => (long)c.Result!.Usage.PromptTokens + c.Result!.Usage.CompletionTokens),
                ["samples_drawn"] = scored.Sum(c => c.Result!.Sampling.Sum(s => s.Drawn)),
                ["samples_max"] = scored.Sum(c => c.Result!.Sampling.Sum(s => s.Maximum)),
                ["cost"] = Math.Round(scored.Sum(c => Cost(c.Result!, settings)), 6),
                ["kept_comments"] = counts.Sum(c => c.Kept),
                ["caught"] = counts.Sum(c => c.Caught),
                ["highlights"] = counts.Sum(c => c.Highlights),
                ["ungrounded"] = counts.Sum(c => c.Ungrounded),
                ["false_alarms"] = counts.Sum(c => c.FalseAlarms),
                ["judge_unparsed"] = scored.Sum(c => c.JudgeUnparsed),
            },
            ["cases"] = new JsonArray([.. run.Cases.Select(c => (JsonNode)CaseJson(c, settings))]),
        };

        if (settings.Sweep)
        {
            json["sweep"] = SweepJson(scored, settings, bootstrap);
        }

        return json;
    }

    private static IEnumerable<(string, MetricValue)> ComputeMetrics(EvalRun run, List<CaseRun> scored, List<CaseCounts> counts, Bootstrap bootstrap)
    {
        var settings = run.Settings;
        double One(int _) => 1;
        double IsClean(int i) => counts[i].Clean ? 1 : 0;
        yield return ("catch_rate", bootstrap.Estimate(Bootstrap.Ratio(i => counts[i].Caught, i => counts[i].BugsWithLine)));
        yield return ("comments_per_case", bootstrap.Estimate(Bootstrap.Ratio(i => counts[i].Kept, One)));
        yield return ("ungrounded_rate", bootstrap.Estimate(Bootstrap.Ratio(i => counts[i].Ungrounded, i => counts[i].Highlights)));
        yield return ("nit_share", bootstrap.Estimate(Bootstrap.Ratio(i => counts[i].KeptNits, i => counts[i].Kept)));
        yield return ("nits_per_case", bootstrap.Estimate(Bootstrap.Ratio(i => counts[i].KeptNits, One)));
        yield return ("false_alarms_per_clean_case", bootstrap.Estimate(Bootstrap.Ratio(i => counts[i].FalseAlarms, IsClean)));
        yield return ("clean_cases_flagged", bootstrap.Estimate(Bootstrap.Ratio(i => counts[i].Clean && counts[i].FalseAlarms > 0 ? 1 : 0, IsClean)));
        yield return ("calls_per_case", bootstrap.Estimate(Bootstrap.Ratio(i => scored[i].Result!.Usage.Calls, One)));
        yield return ("prompt_tokens_per_case", bootstrap.Estimate(Bootstrap.Ratio(i => scored[i].Result!.Usage.PromptTokens, One)));
        yield return ("completion_tokens_per_case", bootstrap.Estimate(Bootstrap.Ratio(i => scored[i].Result!.Usage.CompletionTokens, One)));
        yield return ("tokens_per_case", bootstrap.Estimate(Bootstrap.Ratio(i => (double)scored[i].Result!.Usage.PromptTokens + scored[i].Result!.Usage.CompletionTokens, One)));
        yield return ("samples_per_chunk", bootstrap.Estimate(Bootstrap.Ratio(i => scored[i].Result!.Sampling.Sum(s => s.Drawn), i => scored[i].Result!.Sampling.Count)));
        yield return ("cost_per_case", bootstrap.Estimate(Bootstrap.Ratio(i => Cost(scored[i].Result!, settings), One)));
        yield return ("latency_ms_per_case", bootstrap.Estimate(Bootstrap.Ratio(i => scored[i].LatencyMs, One)));
        if (settings.Judge)
        {
            // As Martian's bench: precision over comments, recall over golden bugs, F1 from the two, pooled over cases.
            double Judged(int i) => scored[i].Judgements is null ? 0 : 1;
            double CommentsMatched(int i) => scored[i].Judgements?.Count(row => row.Any(m => m)) ?? 0;
            double Comments(int i) => scored[i].Judgements?.Count ?? 0;
            double BugsMatched(int i) => scored[i].Judgements is { } rows ? Enumerable.Range(0, scored[i].Case.Bugs.Count).Count(b => rows.Any(r => r[b])) : 0;
            double Bugs(int i) => Judged(i) == 0 && scored[i].Case.IsClean ? 0 : scored[i].Case.Bugs.Count;
            var precision = Bootstrap.Ratio(CommentsMatched, Comments);
            var recall = Bootstrap.Ratio(BugsMatched, Bugs);
            yield return ("judge_precision", bootstrap.Estimate(precision));
            yield return ("judge_recall", bootstrap.Estimate(recall));
            yield return ("judge_f1", bootstrap.Estimate(indexes =>
            {
                var (p, r) = (precision(indexes) ?? 0, recall(indexes));
                return r is null ? null : p + r.Value == 0 ? 0 : 2 * p * r.Value / (p + r.Value);
            }));
        }
    }

    private static JsonArray SweepJson(List<CaseRun> scored, EvalSettings settings, Bootstrap bootstrap)
    {
        var points = new JsonArray();
        foreach (var precision in SweepPrecisions)
        {
            var counts = scored.Select(c => EvalScoring.Count(
                c.Case,
                EvalScoring.Reselect(c.Result!, precision, settings.Critic.Samples, settings.Critic.MaxComments),
                c.Result!.Candidates,
                settings.Tolerance)).ToList();
            double One(int _) => 1;
            points.Add(new JsonObject
            {
                ["precision"] = precision,
                ["catch_rate"] = MetricJson(bootstrap.Estimate(Bootstrap.Ratio(i => counts[i].Caught, i => counts[i].BugsWithLine))),
                ["false_alarms_per_clean_case"] = MetricJson(bootstrap.Estimate(Bootstrap.Ratio(i => counts[i].FalseAlarms, i => counts[i].Clean ? 1 : 0))),
                ["nits_per_case"] = MetricJson(bootstrap.Estimate(Bootstrap.Ratio(i => counts[i].KeptNits, One))),
                ["comments_per_case"] = MetricJson(bootstrap.Estimate(Bootstrap.Ratio(i => counts[i].Kept, One))),
            });
        }

        return points;
    }

    private static JsonObject CaseJson(CaseRun run, EvalSettings settings)
    {
        var kept = run.Result is null ? [] : run.Result.Comments.Select(KeptComment.From).ToList();
        var bugs = EvalScoring.ScoreBugs(run.Case, kept, settings.Tolerance);
        var json = new JsonObject
        {
            ["id"] = run.Case.Id,
            ["clean"] = run.Case.IsClean,
            ["error"] = run.Error,
            ["latency_ms"] = Math.Round(run.LatencyMs, 1),
            ["diff"] = run.Case.Diff,
        };
        json["bugs"] = new JsonArray([.. bugs.Select((b, index) => (JsonNode)new JsonObject
        {
            ["path"] = b.Bug.Path,
            ["line"] = b.Bug.Line,
            ["end_line"] = b.Bug.EndLine,
            ["description"] = b.Bug.Description,
            ["caught"] = b.Caught,
            ["caught_by"] = b.CaughtBy,
            ["judge_matched"] = run.Judgements is { } rows ? rows.Any(r => r[index]) : null,
        })]);
        if (run.Result is not { } result)
        {
            return json;
        }

        json["usage"] = new JsonObject
        {
            ["calls"] = result.Usage.Calls,
            ["prompt_tokens"] = result.Usage.PromptTokens,
            ["completion_tokens"] = result.Usage.CompletionTokens,
            ["failed_samples"] = result.Usage.FailedSamples,
            ["samples_drawn"] = result.Sampling.Sum(s => s.Drawn),
            ["cost"] = Math.Round(Cost(result, settings), 6),
        };
        json["sampling"] = new JsonArray([.. result.Sampling.Select(s => (JsonNode)new JsonObject
        {
            ["chunk"] = s.ChunkIndex,
            ["drawn"] = s.Drawn,
            ["max"] = s.Maximum,
            ["stop"] = StopName(s.Stop),
        })]);
        json["comments"] = new JsonArray([.. kept.Select((c, index) => (JsonNode)new JsonObject
        {
            ["path"] = c.Path,
            ["side"] = c.Side.ToString().ToLowerInvariant(),
            ["start_line"] = c.StartLine,
            ["line"] = c.Line,
            ["severity"] = c.Severity.ToString().ToLowerInvariant(),
            ["score"] = c.Score,
            ["support"] = c.Support,
            ["body"] = c.Body,
            ["covers_bugs"] = new JsonArray([.. bugs.Select((b, i) => (b, i)).Where(x => x.b.CaughtBy == index).Select(x => (JsonNode)x.i)]),
            ["judge_matches"] = run.Judgements is { } rows ? new JsonArray([.. rows[index].Select((m, i) => (m, i)).Where(x => x.m).Select(x => (JsonNode)x.i)]) : null,
        })]);
        json["dropped"] = new JsonArray([.. result.Candidates
            .Where(c => c.Decision != CandidateDecision.Kept)
            .Select(c => (JsonNode)new JsonObject
            {
                ["path"] = c.Raw.Path,
                ["start_line"] = c.Anchor?.StartLine ?? c.Raw.Line,
                ["line"] = c.Anchor?.Line ?? c.Raw.EndLine ?? c.Raw.Line,
                ["severity"] = c.Raw.Severity.ToString().ToLowerInvariant(),
                ["quote"] = c.Raw.Quote,
                ["body"] = c.Raw.Body,
                ["reason_code"] = c.ReasonCode.WireName(),
                ["reason"] = c.Reason,
            })]);
        return json;
    }

    /// <summary>How a chunk's sampling ended, as results.json names it.</summary>
    public static string StopName(SamplingStop stop) => stop switch
    {
        SamplingStop.AllDrawn => "all_drawn",
        SamplingStop.Settled => "settled",
        SamplingStop.MaxSamples => "max_samples",
        _ => throw new ArgumentOutOfRangeException(nameof(stop), stop, null),
    };

    private static double Cost(CritiqueResult result, EvalSettings settings) =>
        (result.Usage.PromptTokens * settings.PriceInput + result.Usage.CompletionTokens * settings.PriceOutput) / 1_000_000.0;

    private static JsonObject MetricJson(MetricValue value) => new()
    {
        ["value"] = Round(value.Value),
        ["low"] = Round(value.Low),
        ["high"] = Round(value.High),
        ["cases"] = value.Cases,
    };

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 6) : null;
}
