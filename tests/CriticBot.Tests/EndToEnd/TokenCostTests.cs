using System.Globalization;
using System.Text;
using System.Text.Json;
using CriticBot.Engine.Chunking;
using CriticBot.Storage;
using CriticBot.Testing.FakeModel;
using Xunit.Abstractions;

namespace CriticBot.Tests.EndToEnd;

/// <summary>
/// What the model is sent and what it costs, through the real service, the GitHub simulator and the fake model
/// (issue 12): cached prompt tokens and cost in the review body and the stored summary, and an incremental push
/// priced against the first review (prompt characters and o200k tokens counted at the fake model).
/// </summary>
public sealed class TokenCostTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_body_and_the_stored_summary_carry_cached_tokens_and_the_cost_at_the_configured_prices()
    {
        var critic = ReviewHarness.DefaultCritic();
        await using var h = await ReviewHarness.StartAsync(critic, settings: new Dictionary<string, string?>
        {
            ["CRITICBOT_PRICES"] = "critic-test=2/0.5/8",
        });
        h.Model.Responder = request => critic.Respond(request) with { PromptTokens = 1000, CachedPromptTokens = 600, CompletionTokens = 100 };

        Assert.Equal(DeliveryStatus.Done, (await h.FinishedAsync(await h.SendPullRequestAsync("opened"))).Status);

        var calls = h.Model.Requests.Count;
        var cost = calls * (400 * 2m + 600 * 0.5m + 100 * 8m) / 1_000_000m;
        var review = Assert.Single(h.Reviews);
        Assert.Contains($"{calls * 1000} prompt ({calls * 600} cached)", review.Body, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"Model cost: ${cost:0.0000}"), review.Body, StringComparison.Ordinal);

        var stored = await h.Store.GetReviewAsync(new ReviewKey(ReviewHarness.Repository, ReviewHarness.Number, h.HeadSha), CancellationToken.None);
        using var summary = JsonDocument.Parse(stored!.SummaryJson!);
        var usage = summary.RootElement.GetProperty("usage");
        Assert.Equal(calls * 600, usage.GetProperty("CachedPromptTokens").GetInt32());
        Assert.Equal(cost, usage.GetProperty("CostUsd").GetDecimal());
        Assert.True(usage.GetProperty("EstimatedCostUsd").GetDecimal() > 0);
    }

    /// <summary>
    /// Issue 12's goal, both shapes: the push costs at most 5 % of the first review in characters and in tokens. The
    /// prompts the fake model recorded are the measure, so the share is deterministic (no timing in it).
    /// </summary>
    [Theory]
    [InlineData(40)]
    [InlineData(10)]
    public async Task A_push_touching_one_file_of_a_reviewed_65_file_pull_request_sends_at_most_5_percent_of_the_first_prompt(int linesPerFile)
    {
        const double MostFraction = 0.05;
        await using var h = await ReviewHarness.StartAsync(ImperfectCritic.Perfect([]));
        var tokens = new TiktokenTokenCounter();

        // The pull request grows to 65 files: its three plus 62 new modules of linesPerFile lines each.
        for (var file = 0; file < 62; file++)
        {
            h.Git.WriteFile($"src/module{file:00}.py", Module(file, linesPerFile, changed: false));
        }

        var head = h.Git.Commit("65 modules");
        h.GitHub.Push(ReviewHarness.Repository, ReviewHarness.Number, head, h.FilesAt(h.BaseSha, head), h.FilesAt(h.HeadSha, head));
        Assert.Equal(DeliveryStatus.Done, (await h.FinishedAsync(await h.SendPullRequestAsync("synchronize", headSha: head))).Status);
        var first = Measure(h.Model.Requests, tokens);

        // A push that changes one line of one file.
        h.Git.WriteFile("src/module33.py", Module(33, linesPerFile, changed: true));
        var next = h.Git.Commit("fix one module");
        h.GitHub.Push(ReviewHarness.Repository, ReviewHarness.Number, next, h.FilesAt(h.BaseSha, next), h.FilesAt(head, next));
        Assert.Equal(DeliveryStatus.Done, (await h.FinishedAsync(await h.SendPullRequestAsync("synchronize", headSha: next))).Status);
        var push = Measure(h.Model.Requests.Skip(first.Calls), tokens);

        Assert.Equal(2, h.Reviews.Count);
        // Prompt caching: one system prompt for every call of both reviews, byte for byte.
        Assert.Single(h.Model.Requests.Select(r => r.SystemPrompt).Distinct(StringComparer.Ordinal));
        var pushCalls = h.Model.Requests.Skip(first.Calls).ToList();
        var system = pushCalls[0].SystemPrompt!.Length;
        var user = pushCalls.Sum(r => r.UserPrompt!.Length) / pushCalls.Count;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"push, per call: system prompt {system} characters, user message {user} (the fenced diff):\n{pushCalls[0].UserPrompt}"));
        var charShare = (double)push.Characters / first.Characters;
        var tokenShare = (double)push.Tokens / first.Tokens;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{linesPerFile} lines per file: first review {first.Calls} calls, {first.Characters} characters, {first.Tokens} tokens; " +
            $"push {push.Calls} calls, {push.Characters} characters, {push.Tokens} tokens; share {charShare:P2} of characters, {tokenShare:P2} of tokens"));
        Assert.True(charShare <= MostFraction, $"the push sent {charShare:P1} of the first review's characters");
        Assert.True(tokenShare <= MostFraction, $"the push sent {tokenShare:P1} of the first review's tokens");
    }

    private sealed record PromptVolume(int Calls, long Characters, long Tokens);

    private static PromptVolume Measure(IEnumerable<RecordedChatRequest> requests, TiktokenTokenCounter tokens)
    {
        var list = requests.ToList();
        return new PromptVolume(
            list.Count,
            list.Sum(r => (long)r.Messages.Sum(m => m.Content.Length)),
            list.Sum(r => (long)r.Messages.Sum(m => tokens.Count(m.Content))));
    }

    /// <summary>A plain Python module of about <paramref name="lines"/> lines; <paramref name="changed"/> edits one line in its middle.</summary>
    private static string Module(int file, int lines, bool changed)
    {
        var text = new StringBuilder();
        for (var function = 0; text.Length == 0 || CountLines(text) < lines; function++)
        {
            var factor = changed && function == lines / 6 ? function + 100 : function;
            text.Append(CultureInfo.InvariantCulture, $"def scale_{file}_{function}(value, offset=0):\n");
            text.Append(CultureInfo.InvariantCulture, $"    return value * {factor} + offset  # module {file}\n\n");
        }

        return text.ToString();
    }

    private static int CountLines(StringBuilder text)
    {
        var count = 0;
        foreach (var chunk in text.GetChunks())
        {
            count += chunk.Span.Count('\n');
        }

        return count;
    }
}
