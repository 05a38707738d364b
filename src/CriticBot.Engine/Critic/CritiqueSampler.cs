using CriticBot.Engine.Model;
using CriticBot.Engine.Prompting;

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
}

/// <summary>
/// Runs N independent samples per chunk as separate parallel calls (diversity comes from the
/// temperature; the API's <c>n</c> is never used, not every compatible server honours it), all under
/// one concurrency limit. An answer that does not parse is asked for once more; if it still does not
/// parse, or a call fails, that sample is empty and reported. <see cref="ModelUnavailableException"/>
/// stops everything: no other sample could succeed.
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
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(settings);
        using var stopAll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var retries = new RetryBudget(Math.Max(0L, settings.MaxCalls - (long)prompts.Count * settings.Samples));
        var tasks = new List<Task<CritiqueSample>>();
        foreach (var (chunkIndex, prompt) in prompts)
        {
            var promptSha256 = prompt.Sha256;
            for (var sample = 0; sample < settings.Samples; sample++)
            {
                tasks.Add(RunSampleAsync(chunkIndex, sample, prompt, promptSha256, settings, retries, stopAll));
            }
        }

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

        return [.. tasks.Select(t => t.Result).OrderBy(s => s.ChunkIndex).ThenBy(s => s.SampleIndex)];
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
