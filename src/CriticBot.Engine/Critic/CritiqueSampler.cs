using CriticBot.Engine.Model;
using CriticBot.Engine.Prompting;
using CriticBot.Engine.Selection;

namespace CriticBot.Engine.Critic;

/// <summary>One sample of one chunk: what the model said, or why it said nothing usable.</summary>
public sealed record CritiqueSample
{
    public required int ChunkIndex { get; init; }
    public required int SampleIndex { get; init; }
    public IReadOnlyList<RawHighlight> Highlights { get; init; } = [];

    /// <summary>True when no call gave a parseable answer; the sample then counts as empty.</summary>
    public bool Failed { get; init; }

    public string? Error { get; init; }
    public int Calls { get; init; }
    public int PromptTokens { get; init; }
    public int CachedPromptTokens { get; init; }
    public int CompletionTokens { get; init; }

    /// <summary>The attempt whose answer gave <see cref="Highlights"/> (see <see cref="ModelCallRecord.Attempt"/>).</summary>
    public int ParsedAttempt { get; init; }

    /// <summary>Every call made for this sample, in order.</summary>
    public IReadOnlyList<ModelCallRecord> CallRecords { get; init; } = [];
}

/// <summary>What to ask of the model for every sample.</summary>
public sealed record SamplingSettings
{
    public required int Samples { get; init; }
    public float Temperature { get; init; } = 0.8f;
    public int MaxOutputTokens { get; init; } = 2048;

    /// <summary>
    /// The most calls in all, retries included. Every sample's first call always happens (the caller sizes the
    /// prompts to fit); a retry of an unparseable answer happens only while calls are left.
    /// </summary>
    public int MaxCalls { get; init; } = int.MaxValue;

    /// <summary>Passed on as <see cref="ModelRequest.Tenant"/>.</summary>
    public string? Tenant { get; init; }

    /// <summary>
    /// Null: every chunk draws all <see cref="Samples"/> at once. Otherwise adaptive sampling: a chunk draws its
    /// <see cref="AdaptiveSampling.FirstWave"/> and stops there when this says true for those samples (chunk index,
    /// the samples drawn, usable or failed), else draws the rest. It is asked only when as many samples as the first
    /// wave gave a usable answer (a failed sample is no evidence either way), and only while samples are left.
    /// </summary>
    public Func<int, IReadOnlyList<CritiqueSample>, bool>? IsSettled { get; init; }
}

/// <summary>Every sample drawn, ordered by chunk then sample index, and how each chunk's sampling ended.</summary>
public sealed record SamplingResult
{
    public required IReadOnlyList<CritiqueSample> Samples { get; init; }
    public required IReadOnlyList<ChunkSampling> Chunks { get; init; }
}

/// <summary>
/// Runs N independent samples per chunk as separate parallel calls (diversity comes from the
/// temperature; the API's <c>n</c> is never used, not every compatible server honours it), all under
/// one concurrency limit. An answer that does not parse is asked for once more; if it still does not
/// parse, or a call fails, that sample is empty and reported. <see cref="ModelUnavailableException"/>
/// stops everything: no other sample could succeed. With <see cref="SamplingSettings.IsSettled"/> a chunk draws its
/// samples in waves and stops as soon as more could not change its outcome (adaptive sampling); sample indexes
/// still count 0, 1, ... in drawing order, so the first samples of an adaptive run are those of a full one.
/// </summary>
public sealed class CritiqueSampler : IDisposable
{
    /// <summary>The first answer, and one retry for an answer that does not parse.</summary>
    public const int AttemptsPerSample = 2;

    private readonly ICriticModel _model;
    private readonly SemaphoreSlim _gate;
    private readonly TimeProvider _time;

    /// <param name="time">The clock call records are timed with; the system clock when null.</param>
    public CritiqueSampler(ICriticModel model, int maxConcurrency, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _gate = new SemaphoreSlim(Math.Max(1, maxConcurrency));
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Samples every prompt; the result is ordered by chunk index, then sample index.</summary>
    public async Task<IReadOnlyList<CritiqueSample>> SampleAsync(
        IReadOnlyList<(int ChunkIndex, ChatPrompt Prompt)> prompts,
        SamplingSettings settings,
        CancellationToken cancellationToken) => (await SampleChunksAsync(prompts, settings, cancellationToken)).Samples;

    /// <summary>
    /// Samples every prompt, each chunk on its own: all chunks' waves run side by side under the one concurrency
    /// limit, so a chunk waiting for its next wave holds nobody up.
    /// </summary>
    public async Task<SamplingResult> SampleChunksAsync(
        IReadOnlyList<(int ChunkIndex, ChatPrompt Prompt)> prompts,
        SamplingSettings settings,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(settings);
        using var stopAll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        // Every chunk's samples are counted as first calls, drawn or not, so a later wave never finds its calls
        // taken by an earlier wave's retries: adaptive sampling only ever makes fewer calls than the plan.
        var retries = new RetryBudget(Math.Max(0L, settings.MaxCalls - (long)prompts.Count * settings.Samples));
        var tasks = prompts
            .Select(p => SampleChunkAsync(p.ChunkIndex, p.Prompt, settings, retries, stopAll))
            .ToList();

        try
        {
            await Task.WhenAll(tasks);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Report why everything stopped, not the cancellations it caused in sibling samples.
            var unavailable = tasks
                .Where(t => t.IsFaulted)
                .SelectMany(t => t.Exception!.InnerExceptions)
                .OfType<ModelUnavailableException>()
                .FirstOrDefault();
            if (unavailable is not null)
            {
                throw unavailable;
            }

            throw;
        }

        var chunks = tasks.Select(t => t.Result).OrderBy(c => c.Sampling.ChunkIndex).ToList();
        return new SamplingResult
        {
            Samples = [.. chunks.SelectMany(c => c.Samples.OrderBy(s => s.SampleIndex))],
            Chunks = [.. chunks.Select(c => c.Sampling)],
        };
    }

    private async Task<(IReadOnlyList<CritiqueSample> Samples, ChunkSampling Sampling)> SampleChunkAsync(
        int chunkIndex, ChatPrompt prompt, SamplingSettings settings, RetryBudget retries, CancellationTokenSource stopAll)
    {
        var promptSha256 = prompt.Sha256;
        var drawn = new List<CritiqueSample>();
        ChunkSampling Outcome(SamplingStop stop) => new() { ChunkIndex = chunkIndex, Drawn = drawn.Count, Maximum = settings.Samples, Stop = stop };

        if (settings.IsSettled is not { } isSettled)
        {
            var all = Enumerable.Range(0, settings.Samples)
                .Select(sample => RunSampleAsync(chunkIndex, sample, prompt, promptSha256, settings, retries, stopAll))
                .ToList();
            drawn.AddRange(await WhenAllOrUnavailable(all));
            return (drawn, Outcome(SamplingStop.AllDrawn));
        }

        while (AdaptiveSampling.NextWave(drawn.Count, settings.Samples) is var wave and > 0)
        {
            var first = drawn.Count;
            var waveTasks = Enumerable.Range(first, wave)
                .Select(sample => RunSampleAsync(chunkIndex, sample, prompt, promptSha256, settings, retries, stopAll))
                .ToList();
            drawn.AddRange(await WhenAllOrUnavailable(waveTasks));

            // A failed sample says nothing about the places: settle only on a wave's worth of usable answers.
            var usable = drawn.Count(s => !s.Failed);
            if (drawn.Count < settings.Samples && usable >= AdaptiveSampling.FirstWave(settings.Samples) && isSettled(chunkIndex, drawn))
            {
                return (drawn, Outcome(SamplingStop.Settled));
            }
        }

        return (drawn, Outcome(SamplingStop.MaxSamples));
    }

    /// <summary>All the samples of a wave; when one found the model unavailable, that (not a sibling's cancellation) is thrown.</summary>
    private static async Task<CritiqueSample[]> WhenAllOrUnavailable(List<Task<CritiqueSample>> tasks)
    {
        try
        {
            return await Task.WhenAll(tasks);
        }
        catch (Exception)
        {
            if (tasks.Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions).OfType<ModelUnavailableException>().FirstOrDefault() is { } unavailable)
            {
                throw unavailable;
            }

            throw;
        }
    }

    private async Task<CritiqueSample> RunSampleAsync(
        int chunkIndex, int sampleIndex, ChatPrompt prompt, string promptSha256, SamplingSettings settings, RetryBudget retries, CancellationTokenSource stopAll)
    {
        var request = new ModelRequest
        {
            SystemPrompt = prompt.System,
            UserPrompt = prompt.User,
            Temperature = settings.Temperature,
            MaxOutputTokens = settings.MaxOutputTokens,
            Tenant = settings.Tenant,
        };

        var records = new List<ModelCallRecord>();
        ModelCallRecord Record(int attempt, DateTimeOffset startedAt, TimeSpan latency, ModelAnswer? answer, ModelCallOutcome outcome, string? failure) => new()
        {
            ChunkIndex = chunkIndex,
            SampleIndex = sampleIndex,
            Attempt = attempt,
            PromptSha256 = promptSha256,
            Model = answer?.Model,
            Temperature = settings.Temperature,
            MaxOutputTokens = settings.MaxOutputTokens,
            PromptTokens = answer?.PromptTokens ?? 0,
            CachedPromptTokens = answer?.CachedPromptTokens ?? 0,
            CompletionTokens = answer?.CompletionTokens ?? 0,
            StartedAt = startedAt,
            Latency = latency,
            FinishReason = answer?.FinishReason,
            Completion = answer?.Text,
            Outcome = outcome,
            Error = failure,
        };

        var calls = 0;
        var promptTokens = 0;
        var cachedPromptTokens = 0;
        var completionTokens = 0;
        string? error = null;
        for (var attempt = 0; attempt < AttemptsPerSample; attempt++)
        {
            if (attempt > 0 && !retries.TryTake())
            {
                error += " (not retried: the review's model-call budget is spent)";
                break;
            }

            ModelAnswer answer;
            await _gate.WaitAsync(stopAll.Token);
            var startedAt = _time.GetUtcNow();
            var started = _time.GetTimestamp();
            TimeSpan latency;
            try
            {
                calls++;
                answer = await _model.CompleteAsync(request, stopAll.Token);
                latency = _time.GetElapsedTime(started);
            }
            catch (ModelUnavailableException)
            {
                await stopAll.CancelAsync();
                throw;
            }
            catch (OperationCanceledException) when (stopAll.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                // One failed call (a server error after the client's own retries, a timeout) empties this sample only.
                error = $"the model call failed: {ex.GetType().Name}: {ex.Message}";
                records.Add(Record(attempt, startedAt, _time.GetElapsedTime(started), null, ModelCallOutcome.Failed, error));
                break;
            }
            finally
            {
                _gate.Release();
            }

            promptTokens += answer.PromptTokens;
            cachedPromptTokens += answer.CachedPromptTokens;
            completionTokens += answer.CompletionTokens;
            var parsed = CritiqueParser.Parse(answer.Text);
            if (parsed.Ok)
            {
                records.Add(Record(attempt, startedAt, latency, answer, ModelCallOutcome.Parsed, null));
                return new CritiqueSample
                {
                    ChunkIndex = chunkIndex,
                    SampleIndex = sampleIndex,
                    Highlights = parsed.Highlights,
                    Calls = calls,
                    PromptTokens = promptTokens,
                    CachedPromptTokens = cachedPromptTokens,
                    CompletionTokens = completionTokens,
                    ParsedAttempt = attempt,
                    CallRecords = records,
                };
            }

            error = answer.FinishReason == "length"
                ? $"the answer was cut off at the output token limit ({parsed.Error})"
                : $"the answer did not parse: {parsed.Error}";
            records.Add(Record(attempt, startedAt, latency, answer, ModelCallOutcome.Unparseable, error));
        }

        return new CritiqueSample
        {
            ChunkIndex = chunkIndex,
            SampleIndex = sampleIndex,
            Failed = true,
            Error = error,
            Calls = calls,
            PromptTokens = promptTokens,
            CachedPromptTokens = cachedPromptTokens,
            CompletionTokens = completionTokens,
            CallRecords = records,
        };
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>Calls left for retries, shared by every sample of one review.</summary>
    private sealed class RetryBudget(long calls)
    {
        private long _left = calls;

        public bool TryTake() => Interlocked.Decrement(ref _left) >= 0;
    }
}
