using System.Collections.Concurrent;
using CriticBot.Engine.Critic;
using CriticBot.Engine.Model;
using CriticBot.Engine.Prompting;

namespace CriticBot.Engine.Tests.Critic;

public sealed class CritiqueSamplerTests
{
    private const string Good = """{"comments":[{"path":"a.cs","line":1,"quote":"abc","severity":"bug","body":"b"}]}""";

    /// <summary>Answers from a script, one per call in call order; counts concurrency.</summary>
    private sealed class ScriptedModel(params Func<ModelRequest, ModelAnswer>[] script) : ICriticModel
    {
        private int _calls;
        private int _inFlight;
        public int MaxInFlight;
        public ConcurrentBag<ModelRequest> Requests { get; } = [];
        public int Calls => _calls;

        public async Task<ModelAnswer> CompleteAsync(ModelRequest request, CancellationToken cancellationToken)
        {
            Requests.Add(request);
            var call = Interlocked.Increment(ref _calls) - 1;
            var now = Interlocked.Increment(ref _inFlight);
            int seen;
            while ((seen = Volatile.Read(ref MaxInFlight)) < now && Interlocked.CompareExchange(ref MaxInFlight, now, seen) != seen)
            {
            }

            try
            {
                await Task.Delay(10, cancellationToken);
                return script[Math.Min(call, script.Length - 1)](request);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    private static ModelAnswer Answer(string text) => new() { Text = text, PromptTokens = 100, CompletionTokens = 10, FinishReason = "stop" };

    private static readonly ChatPrompt Prompt = new("system", "user");

    [Fact]
    public async Task Runs_n_separate_calls_per_chunk_with_the_temperature_and_sums_usage()
    {
        var model = new ScriptedModel(_ => Answer(Good));
        using var sampler = new CritiqueSampler(model, maxConcurrency: 2);
        var samples = await sampler.SampleAsync([(0, Prompt), (1, Prompt)], new SamplingSettings { Samples = 3, Temperature = 0.9f }, CancellationToken.None);

        Assert.Equal(6, samples.Count);
        Assert.Equal([(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)], samples.Select(s => (s.ChunkIndex, s.SampleIndex)));
        Assert.All(model.Requests, r => Assert.Equal(0.9f, r.Temperature));
        Assert.Equal(600, samples.Sum(s => s.PromptTokens));
        Assert.InRange(model.MaxInFlight, 1, 2);
        Assert.All(samples, s => Assert.Single(s.Highlights));
    }

    [Fact]
    public async Task An_unparseable_answer_is_retried_once()
    {
        var model = new ScriptedModel(_ => Answer("{\"comments\":[{\"pa"), _ => Answer(Good));
        using var sampler = new CritiqueSampler(model, 1);
        var sample = Assert.Single(await sampler.SampleAsync([(0, Prompt)], new SamplingSettings { Samples = 1 }, CancellationToken.None));
        Assert.False(sample.Failed);
        Assert.Equal(2, sample.Calls);
        Assert.Single(sample.Highlights);
    }

    [Fact]
    public async Task Two_unparseable_answers_make_an_empty_failed_sample()
    {
        var model = new ScriptedModel(_ => Answer("no idea"));
        using var sampler = new CritiqueSampler(model, 1);
        var sample = Assert.Single(await sampler.SampleAsync([(0, Prompt)], new SamplingSettings { Samples = 1 }, CancellationToken.None));
        Assert.True(sample.Failed);
        Assert.Equal(2, model.Calls);
        Assert.Empty(sample.Highlights);
        Assert.Contains("did not parse", sample.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_call_empties_only_its_sample()
    {
        var model = new ScriptedModel(_ => throw new HttpRequestException("boom"), _ => Answer(Good));
        using var sampler = new CritiqueSampler(model, 1);
        var samples = await sampler.SampleAsync([(0, Prompt)], new SamplingSettings { Samples = 2 }, CancellationToken.None);
        Assert.Single(samples, s => s.Failed && s.Error!.Contains("boom", StringComparison.Ordinal));
        Assert.Single(samples, s => !s.Failed);
        Assert.Equal(2, model.Calls);
    }

    [Fact]
    public async Task Model_unavailable_propagates()
    {
        var model = new ScriptedModel(_ => throw new ModelUnavailableException("refused"));
        using var sampler = new CritiqueSampler(model, 2);
        var error = await Assert.ThrowsAsync<ModelUnavailableException>(
            () => sampler.SampleAsync([(0, Prompt), (1, Prompt)], new SamplingSettings { Samples = 3 }, CancellationToken.None));
        Assert.Equal("refused", error.Message);
    }
}
