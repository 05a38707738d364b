using System.Net;
using System.Text.Json;
using CriticBot.Commands;
using CriticBot.Feedback;
using CriticBot.Storage;
using CriticBot.Tests.EndToEnd;
using CriticBot.Tests.Feedback;
using CriticBot.Tests.Fixtures;

namespace CriticBot.Tests.Export;

/// <summary>
/// Reviews, replies, commands, reactions and a missed bug through the real service, the GitHub simulator and the fake
/// model, then <c>criticbot export</c> on the service's database: what maintainers said becomes the rows.
/// </summary>
public sealed class ExportEndToEndTests : IDisposable
{
    private const string Repo = ReviewHarness.Repository;
    private const int Number = ReviewHarness.Number;

    private readonly string _work = Path.Combine(Path.GetTempPath(), "criticbot-tests", "export-e2e-" + Guid.NewGuid().ToString("N"));

    public ExportEndToEndTests() => Directory.CreateDirectory(_work);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static async Task<DeliveryRecord> SendAsync(ReviewHarness h, string eventName, string payload)
    {
        var deliveryId = Guid.NewGuid().ToString();
        using (var response = await h.Service!.SendAsync(eventName, payload, deliveryId))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        return await h.FinishedAsync(deliveryId);
    }

    private static Task<DeliveryRecord> ReplyAsync(ReviewHarness h, long parent, string login, string body)
    {
        var reply = h.GitHub.AddReply(Repo, Number, parent, login, body);
        return SendAsync(h, "pull_request_review_comment", FeedbackPayloads.Reply(Repo, Number, h.HeadSha, reply.Id, parent, login, body));
    }

    private async Task<List<JsonElement>> ExportAsync(ReviewHarness h, string format, bool includePrivate = false)
    {
        var path = Path.Combine(_work, Guid.NewGuid().ToString("N") + ".jsonl");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await ExportCommand.RunAsync(new ExportCommand.Arguments { Format = format, Out = path, IncludePrivate = includePrivate },
            new Dictionary<string, string?> { ["CRITICBOT_DATABASE"] = h.Database.Path }, stdout, stderr, CancellationToken.None);
        Assert.True(code == 0, stderr.ToString());
        return ExportCommandTests.ReadJsonLines(path);
    }

    [Fact]
    public async Task Maintainers_feedback_on_a_live_review_exports_as_labelled_rows_pairs_and_ratings()
    {
        await using var h = await ReviewHarness.StartAsync(settings: new Dictionary<string, string?> { [FeedbackOptions.PollSecondsSetting] = "1" });
        var record = await h.FinishedAsync(await h.SendPullRequestAsync("opened"));
        Assert.StartsWith("posted review", record.Outcome, StringComparison.Ordinal);
        var review = Assert.Single(h.Reviews);
        var billing = review.Comments.Single(c => c.Path == "src/billing.py");
        var users = review.Comments.Single(c => c.Path == "src/users.py");
        h.GitHub.SetPermission(Repo, "maint", "maintain");
        h.GitHub.SetPermission(Repo, "writer", "write");
        h.GitHub.SetPermission(Repo, "reader", "read");

        await ReplyAsync(h, billing.Id, "maint", "Real bug, thanks @writer.\n/critic good");
        await ReplyAsync(h, users.Id, "writer", "/critic wrong");
        await ReplyAsync(h, users.Id, "reader", "/critic good"); // a reader: kept in ratings, no weight in labels
        var reaction = h.GitHub.AddReaction(users.Id, "writer", "+1"); // a reaction; the writer's command outweighs it
        await SendAsync(h, "issue_comment", FeedbackPayloads.PullRequestComment(Repo, Number, 9001, "maint",
            "/critic missed src/billing.py:9 a negative percent raises the price"));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await h.Store.ListEventsAsync(Repo, Number, CancellationToken.None)).All(e => e.Event.GitHubReactionId != reaction))
        {
            Assert.True(DateTime.UtcNow < deadline, "the poller never recorded the reaction");
            await Task.Delay(50);
        }

        var kto = await ExportAsync(h, "kto");
        Assert.Equal(2, kto.Count);
        var good = kto.Single(r => r.GetProperty("metadata").GetProperty("path").GetString() == "src/billing.py");
        var wrong = kto.Single(r => r.GetProperty("metadata").GetProperty("path").GetString() == "src/users.py");
        Assert.True(good.GetProperty("label").GetBoolean());
        Assert.False(wrong.GetProperty("label").GetBoolean());
        Assert.Equal(("maintain", "command", Repo, Number, h.HeadSha), (good.GetProperty("metadata").GetProperty("rater_permission").GetString(),
            good.GetProperty("metadata").GetProperty("label_source").GetString(), good.GetProperty("metadata").GetProperty("repository").GetString(),
            good.GetProperty("metadata").GetProperty("pull_request").GetInt32(), good.GetProperty("metadata").GetProperty("head_sha").GetString()));
        Assert.Equal("critic-test", good.GetProperty("metadata").GetProperty("model").GetString());

        // The prompt is exactly what the critic was sent, and the completion the highlight the critic wrote.
        var sha = good.GetProperty("metadata").GetProperty("prompt_sha256").GetString()!;
        var prompt = await h.Store.GetPromptAsync(sha, CancellationToken.None);
        Assert.NotNull(prompt);
        Assert.Equal(prompt.System, good.GetProperty("prompt")[0].GetProperty("content").GetString());
        Assert.Equal(prompt.User, good.GetProperty("prompt")[1].GetProperty("content").GetString());
        Assert.Contains(h.Model.Requests, r => r.Messages.Any(m => m.Content == prompt.User));
        using (var completion = JsonDocument.Parse(good.GetProperty("completion")[0].GetProperty("content").GetString()!))
        {
            var highlight = Assert.Single(completion.RootElement.GetProperty("comments").EnumerateArray().ToList());
            Assert.Contains("items[1:]", highlight.GetProperty("quote").GetString(), StringComparison.Ordinal);
        }

        // dpo: the confirmed highlight over the rejected one where they share a prompt; the missed bug over its chunk's critique.
        var dpo = await ExportAsync(h, "dpo");
        var sharedPrompt = wrong.GetProperty("metadata").GetProperty("prompt_sha256").GetString() == sha;
        Assert.Equal(sharedPrompt ? 1 : 0, dpo.Count(r => r.GetProperty("metadata").GetProperty("pair_kind").GetString() == "rated"));
        var missed = Assert.Single(dpo, r => r.GetProperty("metadata").GetProperty("pair_kind").GetString() == "missed_bug");
        Assert.Contains("a negative percent raises the price", missed.GetProperty("chosen")[0].GetProperty("content").GetString(), StringComparison.Ordinal);
        Assert.Contains("comments", missed.GetProperty("rejected")[0].GetProperty("content").GetString(), StringComparison.Ordinal);

        // ratings: every event, the reader's too, with no login anywhere.
        var ratings = await ExportAsync(h, "ratings");
        var kinds = ratings.Select(r => r.GetProperty("kind").GetString()).ToList();
        Assert.Equal(3, kinds.Count(k => k == "reply"));
        Assert.Equal(2, kinds.Count(k => k == "command_good"));
        Assert.Contains("missed_bug", kinds);
        Assert.Contains("reaction", kinds);
        Assert.Contains(ratings, r => r.GetProperty("rater_permission").GetString() == "read");
        var everything = string.Join("\n", ratings.Concat(kto).Concat(dpo).Select(r => r.GetRawText()));
        foreach (var login in new[] { "\"maint\"", "\"writer\"", "\"reader\"", "@writer" })
        {
            Assert.DoesNotContain(login, everything, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_private_repository_is_exported_once_its_configuration_says_share_feedback()
    {
        await using var h = await ReviewHarness.StartAsync();
        var opened = GitHubPayloads.PullRequest("opened", Repo, Number, h.HeadSha, h.BaseSha).Replace("\"private\":false", "\"private\":true", StringComparison.Ordinal);
        Assert.StartsWith("posted review", (await SendAsync(h, "pull_request", opened)).Outcome, StringComparison.Ordinal);
        h.GitHub.SetPermission(Repo, "maint", "maintain");
        await ReplyAsync(h, Assert.Single(h.Reviews).Comments[0].Id, "maint", "/critic good");

        Assert.Empty(await ExportAsync(h, "kto"));
        Assert.Single(await ExportAsync(h, "kto", includePrivate: true));

        // The maintainers consent; the next delivery's review decision records it.
        h.GitHub.SetFileContent(Repo, "main", ".github/criticbot.yml", "share_feedback: true\n");
        var again = GitHubPayloads.PullRequest("synchronize", Repo, Number, h.HeadSha, h.BaseSha).Replace("\"private\":false", "\"private\":true", StringComparison.Ordinal);
        await SendAsync(h, "pull_request", again);
        Assert.Single(await ExportAsync(h, "kto"));
    }
}
