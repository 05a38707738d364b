using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using CriticBot.Engine;
using CriticBot.Engine.Chunking;
using CriticBot.Engine.Critic;
using CriticBot.Engine.Diff;
using CriticBot.Engine.Model;

namespace CriticBot.Eval;

/// <summary>What one run measures and how.</summary>
public sealed record EvalSettings
{
    public required string DatasetPath { get; init; }
    public required string Model { get; init; }
    public required CriticOptions Critic { get; init; }
    public bool Sweep { get; init; }
    public int Concurrency { get; init; } = 2;
    public int? Limit { get; init; }
    public bool Judge { get; init; }
    public string? JudgeModel { get; init; }
    public bool NoCache { get; init; }
    public int Tolerance { get; init; }

    /// <summary>Dollars per million prompt tokens and per million completion tokens.</summary>
    public double PriceInput { get; init; }

    public double PriceOutput { get; init; }
    public required string CacheDirectory { get; init; }
    public int Seed { get; init; } = Bootstrap.DefaultSeed;
}

/// <summary>One case as run: the engine's result, or why there is none.</summary>
public sealed record CaseRun
{
    public required EvalCase Case { get; init; }
    public CritiqueResult? Result { get; init; }
    public string? Error { get; init; }
    public double LatencyMs { get; init; }

    /// <summary>Per kept comment (in order), per bug (in order): the judge's verdict; null when the judge did not run.</summary>
    public IReadOnlyList<IReadOnlyList<bool>>? Judgements { get; init; }

    public int JudgeUnparsed { get; init; }
}

public sealed record EvalRun
{
    public required EvalSettings Settings { get; init; }
    public required IReadOnlyList<CaseRun> Cases { get; init; }

    /// <summary>Cases of the dataset (after --limit) that did not run: the run was interrupted.</summary>
    public required int NotRun { get; init; }

    public required IReadOnlyList<DatasetProblem> DatasetProblems { get; init; }
    public required int NewCalls { get; init; }
    public required int CachedCalls { get; init; }
    public required bool Partial { get; init; }
    public string? StopReason { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required double WallSeconds { get; init; }
}

/// <summary>
/// Runs the production engine (the same <see cref="CriticEngine"/>, prompt, sampling, grounding and selection as
/// <c>criticbot review</c>) over every case, several cases at once, through the answer cache. Cancelling keeps
/// what finished: the report is written from the completed cases and a re-run takes them from the cache.
/// </summary>
public sealed class EvalRunner(ICriticModel model, ICriticModel? judge, TextWriter progress)
{
    private readonly TextWriter _progress = TextWriter.Synchronized(progress);

    public async Task<EvalRun> RunAsync(EvalSettings settings, Dataset dataset, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(dataset);
        var cases = dataset.Cases.Take(settings.Limit ?? int.MaxValue).ToList();
        var counters = new CacheCounters();
        var judgeCounters = new CacheCounters();
        var tokens = new TiktokenTokenCounter();
        var done = new ConcurrentDictionary<int, CaseRun>();
        var startedAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        string? stopReason = null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await Parallel.ForEachAsync(
                Enumerable.Range(0, cases.Count),
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, settings.Concurrency), CancellationToken = stop.Token },
                async (index, token) =>
                {
                    var run = await RunCaseAsync(cases[index], settings, tokens, counters, judgeCounters, token);
                    done[index] = run;
                    await ReportProgressAsync(done.Count, cases.Count, clock.Elapsed, counters);
                });
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            stopReason = "interrupted";
        }
        catch (ModelUnavailableException ex)
        {
            stopReason = $"the model is unavailable: {ex.Message}";
        }

        await _progress.WriteLineAsync();
        return new EvalRun
        {
            Settings = settings,
            Cases = [.. done.OrderBy(d => d.Key).Select(d => d.Value)],
            NotRun = cases.Count - done.Count,
            DatasetProblems = dataset.Problems,
            NewCalls = counters.Misses + judgeCounters.Misses,
            CachedCalls = counters.Hits + judgeCounters.Hits,
            Partial = done.Count < cases.Count,
            StopReason = stopReason,
            StartedAt = startedAt,
            WallSeconds = clock.Elapsed.TotalSeconds,
        };
    }

    private async Task<CaseRun> RunCaseAsync(EvalCase evalCase, EvalSettings settings, ITokenCounter tokens, CacheCounters counters, CacheCounters judgeCounters, CancellationToken cancellationToken)
    {
        // One cache view per case: identical requests (the samples) are numbered within the case.
        var cached = new CachingCriticModel(model, settings.CacheDirectory, settings.Model, read: !settings.NoCache, counters);
        var engine = new CriticEngine(cached, tokens);
        var clock = Stopwatch.StartNew();
        CritiqueResult result;
        try
        {
            result = await engine.ReviewAsync(DiffParser.Parse(evalCase.Diff), settings.Critic, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not ModelUnavailableException && !cancellationToken.IsCancellationRequested)
        {
            return new CaseRun { Case = evalCase, Error = $"{ex.GetType().Name}: {ex.Message}", LatencyMs = clock.Elapsed.TotalMilliseconds };
        }

        var latency = clock.Elapsed.TotalMilliseconds;
        if (!settings.Judge || judge is null || evalCase.IsClean)
        {
            return new CaseRun { Case = evalCase, Result = result, LatencyMs = latency };
        }

        var judgeModel = new CachingCriticModel(judge, settings.CacheDirectory, "judge:" + (settings.JudgeModel ?? settings.Model), read: !settings.NoCache, judgeCounters);
        var (judgements, unparsed) = await EvalJudge.JudgeAsync(judgeModel, evalCase, [.. result.Comments.Select(KeptComment.From)], cancellationToken);
        return new CaseRun { Case = evalCase, Result = result, LatencyMs = latency, Judgements = judgements, JudgeUnparsed = unparsed };
    }

    private async Task ReportProgressAsync(int finished, int total, TimeSpan elapsed, CacheCounters counters)
    {
        var remaining = finished == 0 ? TimeSpan.Zero : elapsed / finished * (total - finished);
        const int width = 30;
        var filled = total == 0 ? width : finished * width / total;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"\reval [{new string('#', filled)}{new string('.', width - filled)}] {finished}/{total} cases, ETA {remaining:hh\\:mm\\:ss} ({counters.Misses} calls, {counters.Hits} from cache)");
        await _progress.WriteAsync(line);
        await _progress.FlushAsync();
    }
}
