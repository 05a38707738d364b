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
    public int CompletionTokens { get; init; }
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

    public CritiqueSampler(ICriticModel model, int maxConcurrency)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _gate = new SemaphoreSlim(Math.Max(1, maxConcurrency));
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
            for (var sample = 0; sample < settings.Samples; sample++)
            {
                tasks.Add(RunSampleAsync(chunkIndex, sample, prompt, settings, retries, stopAll));
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
        int chunkIndex, int sampleIndex, ChatPrompt prompt, SamplingSettings settings, RetryBudget retries, CancellationTokenSource stopAll)
    {
        var request = new ModelRequest
        {
            SystemPrompt = prompt.System,
            UserPrompt = prompt.User,
            Temperature = settings.Temperature,
            MaxOutputTokens = settings.MaxOutputTokens,
            Tenant = settings.Tenant,
        };

        var calls = 0;
        var promptTokens = 0;
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
            try
            {
                calls++;
                answer = await _model.CompleteAsync(request, stopAll.Token);
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
                break;
            }
            finally
            {
                _gate.Release();
            }

            promptTokens += answer.PromptTokens;
            completionTokens += answer.CompletionTokens;
            var parsed = CritiqueParser.Parse(answer.Text);
            if (parsed.Ok)
            {
                return new CritiqueSample
                {
                    ChunkIndex = chunkIndex,
                    SampleIndex = sampleIndex,
                    Highlights = parsed.Highlights,
                    Calls = calls,
                    PromptTokens = promptTokens,
                    CompletionTokens = completionTokens,
                };
            }

            error = answer.FinishReason == "length"
                ? $"the answer was cut off at the output token limit ({parsed.Error})"
                : $"the answer did not parse: {parsed.Error}";
        }

        return new CritiqueSample
        {
            ChunkIndex = chunkIndex,
            SampleIndex = sampleIndex,
            Failed = true,
            Error = error,
            Calls = calls,
            PromptTokens = promptTokens,
            CompletionTokens = completionTokens,
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
