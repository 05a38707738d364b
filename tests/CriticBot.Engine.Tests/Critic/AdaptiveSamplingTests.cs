using System.Text.Json;
using CriticBot.Engine.Critic;
using CriticBot.Engine.Diff;
using CriticBot.Engine.Model;
using CriticBot.Engine.Prompting;
using CriticBot.Engine.Selection;
using static CriticBot.Engine.Tests.Grounding.HunkBuilder;

namespace CriticBot.Engine.Tests.Critic;

/// <summary>The stopping rule of adaptive sampling, through the pipeline with a model answering in call order.</summary>
public sealed class AdaptiveSamplingTests
{
    private const string Nothing = """{"comments":[]}""";
    private const string Garbage = "I could not decide.";

    private static readonly FileDiff Diff = File("a.py",
        Hunk(1, 1, " def f(x):", "+    total = x - 1", "+    return total * 2", " # end"));

    private static string Flags(int line, string quote, string severity) => JsonSerializer.Serialize(new
    {
        comments = new[] { new { path = "a.py", line, quote, severity, body = "b" } },
    });

    private static readonly string Bug = Flags(2, "total = x - 1", "bug");
    private static readonly string Risk = Flags(3, "return total * 2", "risk");

    /// <summary>Answers the n-th call with the n-th text (the last repeats), or throws what the script says; records the calls.</summary>
    private sealed class CallOrderModel(params object[] script) : ICriticModel
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public Task<ModelAnswer> CompleteAsync(ModelRequest request, CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref _calls) - 1;
            return script[Math.Min(call, script.Length - 1)] switch
            {
                Exception ex => Task.FromException<ModelAnswer>(ex),
                var text => Task.FromResult(new ModelAnswer { Text = (string)text, PromptTokens = 1000, CompletionTokens = 50, FinishReason = "stop" }),
            };
        }
    }

    private static PipelineSettings Settings(int samples, bool adaptive = true, int maxCalls = int.MaxValue) => new()
    {
        Samples = samples,
        Precision = 0.5,
        MaxComments = 10,
        MaxConcurrency = 2,
        Temperature = 0.8f,
        MaxOutputTokens = 100,
        Guidance = new PromptGuidance(),
        RepositoryHost = "github.com",
        AdaptiveSampling = adaptive,
        MaxModelCalls = maxCalls,
    };

    private static Task<CritiqueResult> RunAsync(ICriticModel model, PipelineSettings settings, int chunks = 1) =>
        new CritiquePipeline(model, new AgreementSeverityScorer(), new PromptBuilder())
            .RunAsync([.. Enumerable.Range(0, chunks).Select(i => new ChunkToReview(i, $"chunk {i}", [Diff]))], settings, [], [], CancellationToken.None);

    [Fact]
    public async Task Samples_that_agree_stop_after_the_first_wave_and_keep_what_all_samples_would_keep()
    {
        var model = new CallOrderModel(Bug);
        var result = await RunAsync(model, Settings(3), chunks: 2);

        Assert.Equal(4, model.Calls); // 2 of 3 per chunk
        Assert.All(result.Sampling, s => Assert.Equal((2, 3, SamplingStop.Settled), (s.Drawn, s.Maximum, s.Stop)));
        Assert.Equal([(0, 0), (0, 1), (1, 0), (1, 1)], result.ModelCalls.Select(c => (c.ChunkIndex, c.SampleIndex)));
        Assert.Equal(4000, result.Usage.PromptTokens);
        var comment = Assert.Single(result.Comments);
        Assert.Equal((2, 4), (comment.Line, comment.Support)); // both chunks' samples at the same place of a.py
    }

    [Fact]
    public async Task Off_draws_every_sample_even_when_they_agree()
    {
        var model = new CallOrderModel(Bug);
        var result = await RunAsync(model, Settings(3, adaptive: false), chunks: 2);

        Assert.Equal(6, model.Calls);
        Assert.All(result.Sampling, s => Assert.Equal((3, SamplingStop.AllDrawn), (s.Drawn, s.Stop)));
    }

    [Fact]
    public async Task A_place_one_more_sample_could_carry_over_the_precision_gets_that_sample()
    {
        // A risk flagged by one sample of two scores 0.38 (below 0.5); flagged by the third it would score 0.62.
        var model = new CallOrderModel(Risk, Nothing, Risk);
        var result = await RunAsync(model, Settings(3));

        Assert.Equal(3, model.Calls);
        Assert.Equal((3, SamplingStop.MaxSamples), (result.Sampling[0].Drawn, result.Sampling[0].Stop));
        Assert.Equal((3, 2), (Assert.Single(result.Comments).Line, result.Comments[0].Support));
    }

    [Fact]
    public async Task A_place_that_passes_whatever_the_rest_say_needs_no_more_samples()
    {
        // A bug flagged by one sample of two already scores 0.53 of 3 samples, and more support only raises it;
        // a nit flagged by one scores 0.23 and by two 0.47: neither can change, so the third sample is not drawn.
        var model = new CallOrderModel(Bug, Flags(3, "return total * 2", "nit"));
        var result = await RunAsync(model, Settings(3));

        Assert.Equal(2, model.Calls);
        Assert.Equal(SamplingStop.Settled, result.Sampling[0].Stop);
        Assert.Equal(2, Assert.Single(result.Comments).Line);
    }

    [Fact]
    public async Task Of_five_samples_three_come_first_and_the_rest_only_where_they_disagree()
    {
        // Of 5 samples a bug needs 2 (0.58). Two of the first three: kept whatever the other two say, so stop at 3.
        var agreeing = new CallOrderModel(Bug, Bug, Nothing);
        var settled = await RunAsync(agreeing, Settings(5));
        Assert.Equal(3, agreeing.Calls);
        Assert.Equal((3, 5, SamplingStop.Settled), (settled.Sampling[0].Drawn, settled.Sampling[0].Maximum, settled.Sampling[0].Stop));
        Assert.Equal(2, Assert.Single(settled.Comments).Support);

        // One of three (0.44) could still become three of five: both others are drawn, at once.
        var disagreeing = new CallOrderModel(Bug, Nothing, Nothing, Bug, Nothing);
        var drawnAll = await RunAsync(disagreeing, Settings(5));
        Assert.Equal(5, disagreeing.Calls);
        Assert.Equal((5, SamplingStop.MaxSamples), (drawnAll.Sampling[0].Drawn, drawnAll.Sampling[0].Stop));
        Assert.Equal(2, Assert.Single(drawnAll.Comments).Support);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 2)]
    [InlineData(4, 3)]
    [InlineData(5, 3)]
    [InlineData(20, 11)]
    public void The_first_wave_is_a_majority_of_the_maximum(int maximum, int firstWave)
    {
        Assert.Equal(firstWave, AdaptiveSampling.FirstWave(maximum));
        Assert.Equal(maximum - firstWave, AdaptiveSampling.NextWave(firstWave, maximum));
        Assert.Equal(0, AdaptiveSampling.NextWave(maximum, maximum));
    }

    [Fact]
    public async Task Sampling_never_passes_the_maximum_when_the_samples_keep_disagreeing()
    {
        var model = new CallOrderModel(Bug, Nothing, Nothing, Nothing, Nothing);
        var result = await RunAsync(model, Settings(4));

        Assert.Equal(4, model.Calls);
        Assert.Equal((4, SamplingStop.MaxSamples), (result.Sampling[0].Drawn, result.Sampling[0].Stop));
        Assert.Empty(result.Comments); // one bug of four samples: 0.475
    }

    [Fact]
    public async Task A_retried_answer_counts_as_one_sample_and_its_calls_are_recorded()
    {
        // The first sample's answer does not parse and is asked for again; both samples then agree.
        var model = new CallOrderModel(Garbage, Bug, Bug);
        var result = await RunAsync(model, Settings(3));

        Assert.Equal(3, model.Calls);
        Assert.Equal((2, SamplingStop.Settled), (result.Sampling[0].Drawn, result.Sampling[0].Stop));
        Assert.Equal([(0, 0), (0, 1), (1, 0)], result.ModelCalls.Select(c => (c.SampleIndex, c.Attempt)));
        Assert.Equal(0, result.Usage.FailedSamples);
    }

    [Fact]
    public async Task A_failed_sample_is_no_evidence_so_another_is_drawn()
    {
        // Sample 0 fails twice over; one usable answer is no agreement: the third sample is drawn.
        var model = new CallOrderModel(Garbage, Garbage, Bug, Bug);
        var result = await RunAsync(model, Settings(3));

        Assert.Equal(4, model.Calls);
        Assert.Equal((3, SamplingStop.MaxSamples), (result.Sampling[0].Drawn, result.Sampling[0].Stop));
        Assert.Equal(1, result.Usage.FailedSamples);
        Assert.Equal(2, Assert.Single(result.Comments).Support);
    }

    [Fact]
    public async Task With_the_call_budget_spent_on_retries_a_later_wave_still_draws_its_first_calls()
    {
        // MaxModelCalls 3 = one chunk × 3 samples: no call is left for retries. Sample 0 is not retried, so the
        // chunk draws its third sample (its first call was planned), and the review stays within the budget.
        var model = new CallOrderModel(Garbage, Bug, Bug);
        var result = await RunAsync(model, Settings(3, maxCalls: 3));

        Assert.Equal(3, model.Calls);
        Assert.Equal(3, result.Sampling[0].Drawn);
        Assert.Contains("budget is spent", Assert.Single(result.SampleFailures).Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_model_going_away_in_a_later_wave_stops_the_review_with_that_error()
    {
        var model = new CallOrderModel(Risk, Nothing, new ModelUnavailableException("the key was refused"));
        var error = await Assert.ThrowsAsync<ModelUnavailableException>(() => RunAsync(model, Settings(3)));
        Assert.Contains("refused", error.Message, StringComparison.Ordinal);
    }
}
