using CriticBot.Engine.Diff;
using CriticBot.Engine.Model;
using CriticBot.Eval;

namespace CriticBot.Tests.Eval;

/// <summary>The parts of eval that need no model: the diff writer, the bootstrap, the cache key.</summary>
public sealed class EvalPartsTests : IDisposable
{
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "criticbot-evalparts-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_cache))
        {
            Directory.Delete(_cache, recursive: true);
        }
    }

    [Fact]
    public void The_diff_writer_makes_separate_hunks_for_distant_changes_and_parses_back_to_the_same_lines()
    {
        var before = string.Join('\n', Enumerable.Range(1, 20).Select(i => $"line {i}")) + "\n";
        var after = before.Replace("line 2\n", "line two\n", StringComparison.Ordinal).Replace("line 18\n", "", StringComparison.Ordinal) + "line 21\n";
        var diff = UnifiedDiffWriter.Write("f.txt", before, after);

        Assert.Contains("@@ -1,5 +1,5 @@\n line 1\n-line 2\n+line two\n line 3\n", diff, StringComparison.Ordinal);
        Assert.Contains("@@ -15,6 +15,6 @@\n line 15\n line 16\n line 17\n-line 18\n line 19\n line 20\n+line 21\n", diff, StringComparison.Ordinal);
        var parsed = DiffParser.Parse(diff);
        Assert.Empty(parsed.Warnings);
        var blocks = UnifiedDiffWriter.ChangedBlocks(parsed).Select(b => (b.Block.First, b.Block.Last)).ToList();

        // line two (2); the deleted line 18 sits before new line 18 ("line 19"); line 21 is new line 20.
        Assert.Equal([(2, 2), (18, 18), (20, 20)], blocks);
    }

    [Fact]
    public void The_bootstrap_is_seeded_and_an_interval_holds_its_value()
    {
        var caught = new[] { 1, 0, 1, 1, 0, 1, 1, 1, 0, 1 };
        var metric = Bootstrap.Ratio(i => caught[i], _ => 1);
        var first = new Bootstrap(caught.Length).Estimate(metric);
        var again = new Bootstrap(caught.Length).Estimate(metric);
        Assert.Equal(first, again);
        Assert.Equal(0.7, first.Value!.Value, 9);
        Assert.True(first.Low < 0.7 && first.High > 0.7, $"[{first.Low}, {first.High}]");

        // Every case the same: no spread. No denominator: undefined.
        Assert.Equal(new MetricValue(1, 1, 1, 3), new Bootstrap(3).Estimate(Bootstrap.Ratio(_ => 1, _ => 1)));
        Assert.Equal(MetricValue.Undefined(3), new Bootstrap(3).Estimate(Bootstrap.Ratio(_ => 1, _ => 0)));
    }

    private sealed class CountingModel : ICriticModel
    {
        public int Calls { get; private set; }

        public Task<ModelAnswer> CompleteAsync(ModelRequest request, CancellationToken cancellationToken)
        {
            Calls++;
            return Task.FromResult(new ModelAnswer { Text = $"answer {Calls}", PromptTokens = 10, CompletionTokens = 2 });
        }
    }

    private static ModelRequest Request(string fence, float temperature = 0.8f) => new()
    {
        SystemPrompt = "system",
        UserPrompt = $"before <<<PR-DIFF-{fence}>>>\n+ 1 | code\n<<<END-PR-DIFF-{fence}>>>",
        Temperature = temperature,
    };

    [Fact]
    public async Task The_cache_ignores_the_random_fence_and_replays_the_nth_identical_request_with_the_nth_answer()
    {
        var model = new CountingModel();
        var counters = new CacheCounters();
        var first = new CachingCriticModel(model, _cache, "m", read: true, counters);
        var a1 = await first.CompleteAsync(Request("0123456789abcdef01234567"), default);
        var a2 = await first.CompleteAsync(Request("0123456789abcdef01234567"), default);
        Assert.Equal(["answer 1", "answer 2"], new[] { a1.Text, a2.Text }); // two samples, two answers

        // Another run (a new fence token): the same two answers, in order, no call.
        var second = new CachingCriticModel(model, _cache, "m", read: true, counters);
        Assert.Equal("answer 1", (await second.CompleteAsync(Request("fedcba9876543210fedcba98"), default)).Text);
        Assert.Equal("answer 2", (await second.CompleteAsync(Request("fedcba9876543210fedcba98"), default)).Text);
        Assert.Equal(2, model.Calls);
        Assert.Equal(10, (await new CachingCriticModel(model, _cache, "m", read: true, counters).CompleteAsync(Request("aaaaaaaaaaaaaaaaaaaaaaaa"), default)).PromptTokens);

        // Another model, temperature or --no-cache: a call.
        await new CachingCriticModel(model, _cache, "other", read: true, counters).CompleteAsync(Request("0123456789abcdef01234567"), default);
        await new CachingCriticModel(model, _cache, "m", read: true, counters).CompleteAsync(Request("0123456789abcdef01234567", 0.2f), default);
        await new CachingCriticModel(model, _cache, "m", read: false, counters).CompleteAsync(Request("0123456789abcdef01234567"), default);
        Assert.Equal(5, model.Calls);
        Assert.Equal(5, counters.Misses);
        Assert.Equal(3, counters.Hits);
    }
}
