using System.Net;
using System.Text.Json;
using CriticBot.Commands;
using CriticBot.Feedback;
using CriticBot.Storage;
using CriticBot.Testing.FakeModel;
using CriticBot.Testing.GitHub;
using CriticBot.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;

namespace CriticBot.Tests.Feedback;

/// <summary>
/// Maintainers' feedback through the real service, the GitHub simulator and the fake model: replies and commands,
/// reactions (polled), missed bugs, threads, addressed comments, rated-down comments that never come back, the
/// poller's window and rate-limit share, and <c>criticbot stats</c>.
/// </summary>
public sealed class FeedbackEndToEndTests
{
    private const string Repo = ReviewHarness.Repository;
    private const int Number = ReviewHarness.Number;

    private static readonly Dictionary<string, string?> FastPolling = new()
    {
        [FeedbackOptions.PollSecondsSetting] = "1",
    };

    private static async Task<(ReviewHarness Harness, SimulatedReviewComment Billing, SimulatedReviewComment Users)> ReviewedAsync(
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var h = await ReviewHarness.StartAsync(settings: settings ?? FastPolling);
        var record = await h.FinishedAsync(await h.SendPullRequestAsync("opened"));
        Assert.StartsWith("posted review", record.Outcome, StringComparison.Ordinal);
        var review = Assert.Single(h.Reviews);
        h.GitHub.SetPermission(Repo, "maint", "maintain");
        h.GitHub.SetPermission(Repo, "writer", "write");
        h.GitHub.SetPermission(Repo, "reader", "read");
        return (h, review.Comments.Single(c => c.Path == "src/billing.py"), review.Comments.Single(c => c.Path == "src/users.py"));
    }

    private static async Task<DeliveryRecord> SendAsync(ReviewHarness h, string eventName, string payload, string? deliveryId = null)
    {
        deliveryId ??= Guid.NewGuid().ToString();
        using (var response = await h.Service!.SendAsync(eventName, payload, deliveryId))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        return await h.FinishedAsync(deliveryId);
    }

    private static Task<DeliveryRecord> ReplyAsync(ReviewHarness h, SimulatedReviewComment parent, string login, string body)
    {
        var reply = h.GitHub.AddReply(Repo, Number, parent.Id, login, body);
        return SendAsync(h, "pull_request_review_comment", FeedbackPayloads.Reply(Repo, Number, h.HeadSha, reply.Id, parent.Id, login, body));
    }

    /// <summary>Polls the feedback log until <paramref name="condition"/> holds (generous cap); returns the events.</summary>
    private static async Task<IReadOnlyList<FeedbackEventRecord>> EventsWhenAsync(ReviewHarness h, Func<IReadOnlyList<FeedbackEventRecord>, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        IReadOnlyList<FeedbackEventRecord> events = [];
        while (DateTime.UtcNow < deadline)
        {
            events = await h.Store.ListEventsAsync(Repo, Number, CancellationToken.None);
            if (condition(events))
            {
                return events;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"the feedback log never reached the expected state; it holds: {string.Join(", ", events.Select(e => e.Event.Kind))}");
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(what);
            }

            await Task.Delay(50);
        }
    }

    private static int CommentListings(ReviewHarness h, int status) =>
        h.GitHub.Requests.Count(r => r.Method == "GET" && r.Path == $"/repos/{Repo}/pulls/{Number}/comments" && r.Status == status);

    [Fact]
    public async Task Replies_and_each_command_are_recorded_linked_to_the_candidate_acknowledged_and_a_malformed_one_answered()
    {
        var (h, billing, users) = await ReviewedAsync();
        await using var _ = h;

        await ReplyAsync(h, billing, "maint", "Good catch.\n/critic good");
        await ReplyAsync(h, users, "reader", "/critic wrong");
        await ReplyAsync(h, billing, "writer", "/critic rate 6");
        await ReplyAsync(h, users, "writer", "/critic nit");
        var malformed = await ReplyAsync(h, billing, "maint", "/critic rate 9");
        await ReplyAsync(h, users, "octocat", "I will fix this tomorrow.");
        var fromBot = await ReplyAsync(h, users, "dependabot[bot]", "/critic wrong");

        var events = await h.Store.ListEventsAsync(Repo, Number, CancellationToken.None);
        Assert.Equal(6, events.Count(e => e.Event.Kind == FeedbackKind.Reply));
        Assert.StartsWith("ignored", fromBot.Outcome, StringComparison.Ordinal);
        Assert.DoesNotContain(events, e => e.Event.RaterLogin == "dependabot[bot]");

        var good = Assert.Single(events, e => e.Event.Kind == FeedbackKind.CommandGood);
        Assert.Equal((FeedbackValue.Positive, "maint", "maintain", false), (good.Event.Value, good.Event.RaterLogin, good.Event.RaterPermission, good.Event.RaterIsAuthor));
        Assert.Equal(billing.Id, good.Event.GitHubCommentId);
        // Linked through the posted comment to its candidate, group, sample and the exact prompt.
        Assert.NotNull(good.CandidateIndex);
        Assert.NotNull(good.GroupId);
        Assert.NotNull(good.SampleIndex);
        Assert.NotNull(await h.Store.GetPromptAsync(good.PromptSha256!, CancellationToken.None));
        Assert.Equal("bug", good.Severity);

        // A read-only user's rating is recorded, with its permission.
        var wrong = Assert.Single(events, e => e.Event.Kind == FeedbackKind.CommandWrong);
        Assert.Equal((FeedbackValue.Negative, "read", users.Id), (wrong.Event.Value, wrong.Event.RaterPermission, wrong.Event.GitHubCommentId));
        Assert.Equal(6, Assert.Single(events, e => e.Event.Kind == FeedbackKind.CommandRate).Event.Rating);
        Assert.Equal(FeedbackValue.Neutral, Assert.Single(events, e => e.Event.Kind == FeedbackKind.CommandNit).Event.Value);
        Assert.True(Assert.Single(events, e => e.Event.Text == "I will fix this tomorrow.").Event.RaterIsAuthor);

        // Commands are acknowledged with a reaction on the reply; the malformed one is answered, not acknowledged.
        var replies = h.GitHub.Replies(Repo, Number);
        foreach (var command in replies.Where(r => r.Body is "Good catch.\n/critic good" or "/critic rate 6" or "/critic nit"))
        {
            Assert.Contains(h.GitHub.ReactionsOn(command.Id), r => r.Content == "+1" && r.Login == "criticbot[bot]");
        }

        Assert.Contains("answered a malformed command", malformed.Outcome, StringComparison.Ordinal);
        Assert.Empty(h.GitHub.ReactionsOn(replies.Single(r => r.Body == "/critic rate 9").Id));
        var answer = Assert.Single(replies, r => r.UserLogin == "criticbot[bot]");
        Assert.Equal(billing.Id, answer.InReplyToId);
        Assert.Contains("/critic rate N", answer.Body, StringComparison.Ordinal);
        Assert.Contains("1 to 7", answer.Body, StringComparison.Ordinal);

        // The same reply delivered again (a redelivery under a new id) adds nothing and is not acknowledged twice.
        var first = replies.Single(r => r.Body == "Good catch.\n/critic good");
        var again = await SendAsync(h, "pull_request_review_comment",
            FeedbackPayloads.Reply(Repo, Number, h.HeadSha, first.Id, billing.Id, "maint", first.Body));
        Assert.StartsWith("already recorded", again.Outcome, StringComparison.Ordinal);
        Assert.Equal(events.Count, (await h.Store.ListEventsAsync(Repo, Number, CancellationToken.None)).Count);
        Assert.Single(h.GitHub.ReactionsOn(first.Id));
    }

    [Fact]
    public async Task Reactions_added_and_removed_between_polls_become_events_and_unchanged_listings_are_304s()
    {
        var (h, billing, users) = await ReviewedAsync();
        await using var _ = h;
        await WaitUntilAsync(() => CommentListings(h, 200) >= 1, "the poller never listed the comments");

        var approval = h.GitHub.AddReaction(billing.Id, "maint", "+1");
        h.GitHub.AddReaction(users.Id, "reader", "-1");
        h.GitHub.AddReaction(users.Id, "octocat", "eyes");
        h.GitHub.AddReaction(billing.Id, "dependabot[bot]", "heart");

        var events = await EventsWhenAsync(h, e => e.Count(x => x.Event.Kind == FeedbackKind.Reaction) >= 3);
        var plusOne = Assert.Single(events, e => e.Event.GitHubReactionId == approval);
        Assert.Equal((FeedbackValue.Positive, "+1", "maintain", billing.Id), (plusOne.Event.Value, plusOne.Event.Content, plusOne.Event.RaterPermission, plusOne.Event.GitHubCommentId));
        var minusOne = Assert.Single(events, e => e.Event.Content == "-1");
        Assert.Equal((FeedbackValue.Negative, "read", users.Id), (minusOne.Event.Value, minusOne.Event.RaterPermission, minusOne.Event.GitHubCommentId));
        Assert.Equal((FeedbackValue.Neutral, true), (Assert.Single(events, e => e.Event.Content == "eyes").Event.Value, events.Single(e => e.Event.Content == "eyes").Event.RaterIsAuthor));
        Assert.DoesNotContain(events, e => e.Event.RaterLogin == "dependabot[bot]");
        Assert.NotNull(plusOne.CandidateIndex);

        // Nothing changes: the poller keeps asking with the ETag and gets 304s, which cost no rate limit.
        var before = CommentListings(h, 304);
        var remaining = h.GitHub.RateLimitRemaining;
        await WaitUntilAsync(() => CommentListings(h, 304) >= before + 2, "no 304s while nothing changed");
        Assert.Equal(remaining, h.GitHub.RateLimitRemaining);
        // Reactions were fetched only for comments whose counts changed: once per comment so far.
        Assert.Equal(2, h.GitHub.Requests.Count(r => r.Method == "GET" && r.Path.EndsWith("/reactions", StringComparison.Ordinal)));

        h.GitHub.RemoveReaction(billing.Id, approval);
        events = await EventsWhenAsync(h, e => e.Any(x => x.Event.Kind == FeedbackKind.ReactionRetracted));
        var retracted = Assert.Single(events, e => e.Event.Kind == FeedbackKind.ReactionRetracted);
        Assert.Equal((approval, "+1", "maint"), (retracted.Event.GitHubReactionId, retracted.Event.Content, retracted.Event.RaterLogin));
        Assert.Equal(3, events.Count(e => e.Event.Kind == FeedbackKind.Reaction));
    }

    [Fact]
    public async Task A_missed_bug_report_and_a_resolved_thread_are_recorded()
    {
        var (h, billing, _) = await ReviewedAsync();
        await using var __ = h;

        var missed = await SendAsync(h, "issue_comment", FeedbackPayloads.PullRequestComment(Repo, Number, 9001, "maint",
            "Also:\n/critic missed src/billing.py:9 a negative percent raises the price"));
        var malformed = await SendAsync(h, "issue_comment", FeedbackPayloads.PullRequestComment(Repo, Number, 9002, "maint", "/critic missed somewhere"));
        await SendAsync(h, "pull_request_review_thread", FeedbackPayloads.Thread("resolved", Repo, Number, h.HeadSha, billing.Id, billing.Body, "writer"));
        await SendAsync(h, "pull_request_review_thread", FeedbackPayloads.Thread("unresolved", Repo, Number, h.HeadSha, billing.Id, billing.Body, "writer"));

        Assert.StartsWith("recorded a missed bug", missed.Outcome, StringComparison.Ordinal);
        var events = await h.Store.ListEventsAsync(Repo, Number, CancellationToken.None);
        var bug = Assert.Single(events, e => e.Event.Kind == FeedbackKind.MissedBug);
        Assert.Equal(("src/billing.py", 9, h.HeadSha, "a negative percent raises the price", "maintain"),
            (bug.Event.Path, bug.Event.Line, bug.Event.HeadSha, bug.Event.Text, bug.Event.RaterPermission));
        Assert.NotNull(bug.Event.ChunkIndex);
        Assert.NotNull(bug.Event.ReviewId);
        Assert.Contains(h.GitHub.ReactionsOn(9001), r => r.Content == "+1");
        Assert.Contains("malformed", malformed.Outcome, StringComparison.Ordinal);
        Assert.Contains("/critic missed PATH:LINE", Assert.Single(h.GitHub.IssueComments(Repo, Number)).Body, StringComparison.Ordinal);

        var resolved = Assert.Single(events, e => e.Event.Kind == FeedbackKind.ThreadResolved);
        Assert.Equal((billing.Id, "writer", "write", $"PRRT_{billing.Id}"),
            (resolved.Event.GitHubCommentId, resolved.Event.RaterLogin, resolved.Event.RaterPermission, resolved.Event.GitHubThreadId));
        Assert.NotNull(resolved.CandidateIndex);
        Assert.Single(events, e => e.Event.Kind == FeedbackKind.ThreadUnresolved);
    }

    [Fact]
    public async Task A_push_that_changes_an_anchored_line_addresses_it_and_a_comment_rated_down_never_comes_back()
    {
        var (h, billing, users) = await ReviewedAsync();
        await using var _ = h;
        await ReplyAsync(h, users, "writer", "/critic wrong");

        // The push fixes the off-by-one (the billing comment's line) and adds a line under the rejected query.
        var firstHead = h.HeadSha;
        h.Git.WriteFile("src/billing.py", File.ReadAllText(Path.Combine(h.Git.Root, "src/billing.py")).Replace("items[1:]", "items", StringComparison.Ordinal));
        h.Git.WriteFile("src/users.py", """
            def find_user(db, name):
                query = "SELECT * FROM users WHERE name = '" + name + "'"
                print(query)
                return db.execute(query).fetchone()

            """);
        var newHead = h.Git.Commit("fix the total, log the query");
        h.GitHub.Push(Repo, Number, newHead, h.FilesAt(h.BaseSha, newHead), h.FilesAt(firstHead, newHead));
        // The critic says the rejected thing again, quoting the same line and the new one (a new fingerprint).
        h.Model.Responder = ImperfectCritic.Perfect([new PlantedFinding("src/users.py",
            "query = \"SELECT * FROM users WHERE name = '\" + name + \"'\"\n    print(query)", 2, "bug", "Still injectable.", EndLine: 3)]).Respond;
        var record = await h.FinishedAsync(await h.SendPullRequestAsync("synchronize", headSha: newHead));

        Assert.Equal(DeliveryStatus.Done, record.Status);
        Assert.True(h.Model.Requests.Count > 3, "the second push was reviewed by the model");
        Assert.DoesNotContain(h.Reviews.Skip(1).SelectMany(r => r.Comments), c => c.Path == "src/users.py");
        var events = await h.Store.ListEventsAsync(Repo, Number, CancellationToken.None);
        var addressed = Assert.Single(events, e => e.Event.Kind == FeedbackKind.Addressed);
        Assert.Equal((billing.Id, newHead), (addressed.Event.GitHubCommentId, addressed.Event.HeadSha));

        // criticbot stats reads it back: 2 bugs posted, 1 rated (negative), half addressed.
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await StatsCommand.RunAsync(Repo, null, "json", new Dictionary<string, string?> { ["CRITICBOT_DATABASE"] = h.Database.Path },
            stdout, stderr, CancellationToken.None);
        Assert.True(code == 0, stderr.ToString());
        using var json = JsonDocument.Parse(stdout.ToString());
        var repository = Assert.Single(json.RootElement.GetProperty("repositories").EnumerateArray().ToList());
        var bugs = repository.GetProperty("severities").EnumerateArray().Single(s => s.GetProperty("severity").GetString() == "bug").GetProperty("stats");
        Assert.Equal((2, 1, 1.0, 0.5), (bugs.GetProperty("posted").GetInt32(), bugs.GetProperty("rated").GetInt32(),
            bugs.GetProperty("negative_share").GetDouble(), bugs.GetProperty("addressed_share").GetDouble()));
        Assert.Contains(repository.GetProperty("precision").EnumerateArray(), p => p.GetProperty("precision").GetString() != "unknown");
    }

    [Fact]
    public async Task Polling_stops_once_the_pull_request_has_been_closed_for_the_configured_days()
    {
        var (h, billing, _) = await ReviewedAsync(new Dictionary<string, string?>
        {
            [FeedbackOptions.PollSecondsSetting] = "1",
            [FeedbackOptions.DaysAfterCloseSetting] = "0",
        });
        await using var _ = h;
        await WaitUntilAsync(() => CommentListings(h, 200) >= 1, "the poller never listed the comments");

        h.GitHub.ClosePullRequest(Repo, Number);
        var closed = await SendAsync(h, "pull_request", FeedbackPayloads.Closed(Repo, Number, h.HeadSha));
        Assert.StartsWith("recorded: pull request closed", closed.Outcome, StringComparison.Ordinal);
        await WaitUntilAsync(() => Scalar(h, $"SELECT finished FROM feedback_polls WHERE pr_number = {Number}") == 1, "the poll never finished");

        // Finished for good: a round claims nothing and lists nothing, whatever happens on GitHub.
        h.GitHub.AddReaction(billing.Id, "maint", "+1");
        var listings = h.GitHub.Requests.Count(r => r.Path.EndsWith("/comments", StringComparison.Ordinal));
        var poller = h.Service!.Services.GetRequiredService<ReactionPoller>();
        Assert.Equal(0, await poller.PollRoundAsync(CancellationToken.None));
        Assert.Equal(listings, h.GitHub.Requests.Count(r => r.Path.EndsWith("/comments", StringComparison.Ordinal)));
        Assert.DoesNotContain(await h.Store.ListEventsAsync(Repo, Number, CancellationToken.None), e => e.Event.Kind == FeedbackKind.Reaction);
    }

    [Fact]
    public async Task With_many_open_pull_requests_polling_stays_within_its_share_of_the_rate_limit()
    {
        await using var h = await ReviewHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            [FeedbackOptions.PollSecondsSetting] = "1",
            ["Feedback:RateLimitShare"] = "0.1",
            ["Feedback:PollBatch"] = "100",
        });
        const int PullRequests = 30;
        var store = h.Store;
        await store.TryAddDeliveryAsync(new NewDelivery
        {
            DeliveryId = "seed", Event = "installation", Action = "created", InstallationId = ReviewHarness.InstallationId,
            RepositoryFullName = Repo, Body = "{}"u8.ToArray(), ReceivedAt = DateTimeOffset.UtcNow, Ignored = true,
        }, CancellationToken.None);
        // GitHub's window: 5000 an hour, of which the poller may use a tenth; 4510 are left, so it may spend ten.
        h.GitHub.SetRateLimitRemaining(4510);
        for (var number = 100; number < 100 + PullRequests; number++)
        {
            h.GitHub.OpenPullRequest(Repo, number, "main", h.BaseSha, h.HeadSha, h.FilesAt(h.BaseSha, h.HeadSha));
            var comment = h.GitHub.AddReviewComment(Repo, number, "criticbot[bot]", "src/billing.py", 3, "**Bug** · off by one");
            var claim = await store.ClaimReviewAsync(new ReviewKey(Repo, number, h.HeadSha), h.BaseSha, "seed", TimeSpan.FromMinutes(1), DateTimeOffset.UtcNow, CancellationToken.None);
            await store.RecordReviewOutcomeAsync(new ReviewOutcome
            {
                ReviewId = Assert.IsType<ReviewClaim.Claimed>(claim).ReviewId,
                Status = ReviewStatus.Posted,
                GitHubReviewId = comment.ReviewId,
                FinishedAt = DateTimeOffset.UtcNow,
                Comments = [new PostedCommentRow { GitHubCommentId = comment.Id, Path = "src/billing.py", Line = 3, Side = "RIGHT", Quote = "for item in items[1:]:", Body = comment.Body, Fingerprint = $"fp{number}" }],
            }, CancellationToken.None);
        }

        var poller = h.Service!.Services.GetRequiredService<ReactionPoller>();
        await WaitUntilAsync(() => poller.Deferred > 0, "the poller never held back");

        // Each poll is checked before it starts and costs at most two requests (the pull request once, the listing),
        // so the floor of 4500 is missed by at most those two, and the polls past it wait for the window's reset.
        Assert.True(h.GitHub.RateLimitRemaining >= 4500 - 2, $"{h.GitHub.RateLimitRemaining} left");
        var polled = h.GitHub.Requests.Where(r => r.Path.EndsWith("/comments", StringComparison.Ordinal)).Select(r => r.Path).Distinct().Count();
        Assert.InRange(polled, 1, PullRequests - 1);
    }

    private static long Scalar(ReviewHarness h, string sql)
    {
        using var connection = h.Store.Database.OpenReadAsync(CancellationToken.None).GetAwaiter().GetResult();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
