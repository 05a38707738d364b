using System.Globalization;
using System.Text;
using CriticBot.Engine.Chunking;
using CriticBot.Engine.Critic;
using CriticBot.Engine.Diff;

namespace CriticBot.Engine.Tests.Critic;

/// <summary>A review's own budgets: chunks, prompt tokens and model calls; what is left out is named.</summary>
public sealed class ReviewBudgetTests
{
    /// <summary>A pull request of <paramref name="files"/> files, each a 40-line addition.</summary>
    private static ParsedDiff BigPullRequest(int files)
    {
        var diffs = new List<FileDiff>(files);
        for (var f = 0; f < files; f++)
        {
            var patch = new StringBuilder("@@ -0,0 +1,40 @@\n");
            for (var line = 1; line <= 40; line++)
            {
                patch.Append(CultureInfo.InvariantCulture, $"+value_{f}_{line} = compute({line}, {f}) + offset\n");
            }

            diffs.Add(DiffParser.ParseFilePatch($"src/module{f:D4}.py", patch.ToString(), null, FileChangeKind.Added));
        }

        return new ParsedDiff { Files = diffs };
    }

    [Fact]
    public async Task A_pull_request_of_3000_files_costs_at_most_200_model_calls_with_the_defaults_and_names_what_was_not_reviewed()
    {
        var diff = BigPullRequest(3000);
        // Every answer is unparseable, so every sample asks for its retry: the worst case for the call count.
        var model = new ScriptedModel("not json at all");
        var engine = new CriticEngine(model, new TiktokenTokenCounter());
        var options = new CriticOptions();

        var plan = engine.Plan(diff, options);
        Assert.True(plan.Chunks.Count * options.Samples > 1000, $"the unbudgeted plan would make {plan.Chunks.Count * options.Samples} calls");

        var result = await engine.ReviewAsync(plan, options, CancellationToken.None);

        Assert.InRange(model.Calls, 1, 200);
        Assert.Equal(model.Calls, result.Usage.Calls);
        var reviewed = result.Prompts.Count;
        Assert.Equal(options.MaxChunks, reviewed);

        // Every file is either in a reviewed chunk or named as not (or partly) reviewed, with the budget that cut it.
        var notReviewed = result.SkippedFiles.Where(s => s.Reason.Contains("budget", StringComparison.Ordinal)).ToList();
        var reviewedPaths = plan.Chunks.Take(reviewed).SelectMany(c => c.Files).Select(f => f.Path).ToHashSet();
        Assert.Equal(3000, reviewedPaths.Union(notReviewed.Select(s => s.Path)).Count());
        Assert.All(notReviewed, s => Assert.Contains("50 chunks", s.Reason, StringComparison.Ordinal));
        Assert.Contains(result.Truncations, t => t.Contains($"Reviewed {reviewed} of {plan.Chunks.Count} chunks", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_model_call_budget_below_chunks_times_samples_reviews_only_the_chunks_that_fit_and_says_which_budget()
    {
        var diff = BigPullRequest(200);
        var model = new ScriptedModel("""{"comments":[]}""");
        var engine = new CriticEngine(model, new TiktokenTokenCounter());
        var options = new CriticOptions { MaxModelCalls = 7, ModelCallsLimitName = "the repository's hourly budget" };

        var result = await engine.ReviewAsync(diff, options, CancellationToken.None);

        Assert.Equal(6, model.Calls); // two chunks of three samples; a third chunk would need nine calls
        Assert.Equal(2, result.Prompts.Count);
        Assert.Contains(result.SkippedFiles, s => s.Reason == "not reviewed: over the repository's hourly budget");
    }

    [Fact]
    public async Task A_prompt_token_budget_stops_before_the_chunk_that_would_pass_it()
    {
        var diff = BigPullRequest(200);
        var model = new ScriptedModel("""{"comments":[]}""");
        var engine = new CriticEngine(model, new TiktokenTokenCounter());
        var options = new CriticOptions { Samples = 1, MaxPromptTokens = 10_000 };

        var result = await engine.ReviewAsync(diff, options, CancellationToken.None);

        Assert.InRange(result.Prompts.Count, 1, 2);
        Assert.True(model.Requests.Sum(r => new TiktokenTokenCounter().Count(r.SystemPrompt) + new TiktokenTokenCounter().Count(r.UserPrompt)) <= 10_000);
        Assert.Contains(result.SkippedFiles, s => s.Reason.Contains("10000 prompt tokens", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_budget_of_no_model_calls_reviews_nothing_and_names_every_file()
    {
        var model = new ScriptedModel("""{"comments":[]}""");
        var engine = new CriticEngine(model, new TiktokenTokenCounter());

        var result = await engine.ReviewAsync(BigPullRequest(5), new CriticOptions { MaxModelCalls = 0 }, CancellationToken.None);

        Assert.Equal(0, model.Calls);
        Assert.Equal(5, result.SkippedFiles.Count(s => s.Reason.StartsWith("not reviewed", StringComparison.Ordinal)));
    }
}
