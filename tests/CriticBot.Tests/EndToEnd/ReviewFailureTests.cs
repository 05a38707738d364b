using CriticBot.Engine.Diff;
using CriticBot.GitHub;
using CriticBot.Reviews;
using CriticBot.Storage;
using CriticBot.Testing.FakeModel;
using CriticBot.Testing.GitHub;

namespace CriticBot.Tests.EndToEnd;

/// <summary>GitHub and the model misbehaving: the review still lands, exactly once.</summary>
public sealed class ReviewFailureTests
{
    [Fact]
    public async Task A_5xx_while_posting_is_retried_by_the_inbox_and_one_review_lands()
    {
        await using var h = await ReviewHarness.StartAsync();
        h.GitHub.FailNext("POST", "/pulls/7/reviews", 502, times: 1);

        var record = await h.FinishedAsync(await h.SendPullRequestAsync("opened"));

        Assert.Equal(DeliveryStatus.Done, record.Status);
        Assert.True(record.Attempts >= 2, $"attempts: {record.Attempts}");
        var review = Assert.Single(h.Reviews);
        Assert.Equal(2, review.Comments.Count);
        var check = Assert.Single(h.GitHub.CheckRuns(ReviewHarness.Repository));
        Assert.Equal(("completed", "neutral", "2 comments"), (check.Status, check.Conclusion, check.Title));
    }

    [Fact]
    public async Task GitHub_errors_while_reading_are_retried()
    {
        await using var h = await ReviewHarness.StartAsync();
        h.GitHub.FailNext("GET", "/pulls/7/files", 503, times: 2);
        h.GitHub.FailNext("GET", "/pulls/7", 500, times: 1);

        var record = await h.FinishedAsync(await h.SendPullRequestAsync("opened"));

        Assert.Equal(DeliveryStatus.Done, record.Status);
        Assert.Single(h.Reviews);
    }

    [Fact]
    public async Task When_GitHub_answers_422_to_comments_it_should_accept_they_move_into_the_review_body()
    {
        await using var h = await ReviewHarness.StartAsync();
        const string error = """{"message":"Unprocessable Entity","errors":["Line could not be resolved"],"documentation_url":"https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request","status":"422"}""";
        h.GitHub.FailNext("POST", "/pulls/7/reviews", 422, times: 1, body: error);

        var record = await h.FinishedAsync(await h.SendPullRequestAsync("opened"));

        Assert.Equal(DeliveryStatus.Done, record.Status);
        var review = Assert.Single(h.Reviews);
        Assert.Empty(review.Comments);
        Assert.Contains("for item in items[1:]:", review.Body, StringComparison.Ordinal);
        Assert.Contains("SELECT * FROM users", review.Body, StringComparison.Ordinal);
        Assert.Contains($"head={h.HeadSha}", review.Body, StringComparison.Ordinal);

        // Said in the body is said: a later push will not repeat them.
        var said = await h.Store.GetPostedFingerprintsAsync(ReviewHarness.Repository, ReviewHarness.Number, CancellationToken.None);
        Assert.Equal(2, said.Count);
    }

    [Fact]
    public async Task A_secondary_rate_limit_is_waited_out()
    {
        await using var h = await ReviewHarness.StartAsync();
        h.GitHub.FailNext("POST", "/pulls/7/reviews", 403, times: 1, retryAfter: TimeSpan.FromSeconds(1),
            body: """{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}""");

        var record = await h.FinishedAsync(await h.SendPullRequestAsync("opened"));

        Assert.Equal(DeliveryStatus.Done, record.Status);
        Assert.Single(h.Reviews);
    }

    [Fact]
    public async Task Model_rate_limits_and_errors_are_retried_and_garbage_answers_are_never_posted()
    {
        var critic = ReviewHarness.DefaultCritic();
        var calls = 0;
        await using var h = await ReviewHarness.StartAsync(critic);
        h.Model.EnqueueFault(FakeFault.RateLimited("0"), FakeFault.ServerError(500));
        h.Model.Responder = request => Interlocked.Increment(ref calls) == 1
            ? FakeReply.Text("Sure! Here is my review: the code looks <b>fine</b> @everyone {\"comments\": [")
            : critic.Respond(request);

        var record = await h.FinishedAsync(await h.SendPullRequestAsync("opened"));

        Assert.Equal(DeliveryStatus.Done, record.Status);
        var review = Assert.Single(h.Reviews);
        Assert.Equal(2, review.Comments.Count);
        Assert.DoesNotContain("@everyone", review.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_model_fails_the_delivery_with_a_reason_after_bounded_retries_and_posts_nothing()
    {
        await using var h = await ReviewHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            ["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1",
            ["Inbox:MaxAttempts"] = "2",
        });

        var record = await h.FinishedAsync(await h.SendPullRequestAsync("opened"));

        Assert.Equal(DeliveryStatus.Failed, record.Status);
        Assert.Equal(2, record.Attempts);
        Assert.Contains("127.0.0.1:9", record.LastError, StringComparison.Ordinal);
        Assert.Empty(h.Reviews);
        // One check run: the retry took over the first attempt's, and the last attempt closed it.
        var check = Assert.Single(h.GitHub.CheckRuns(ReviewHarness.Repository));
        Assert.Equal(("completed", "Review failed"), (check.Status, check.Title));
    }

    [Fact]
    public async Task A_model_that_never_answers_usably_posts_no_empty_review()
    {
        await using var h = await ReviewHarness.StartAsync(settings: new Dictionary<string, string?> { ["Inbox:MaxAttempts"] = "2" });
        h.Model.Responder = _ => FakeReply.Text("I'm sorry, I can't help with reviewing this code.");

        var record = await h.FinishedAsync(await h.SendPullRequestAsync("opened"));

        Assert.Equal(DeliveryStatus.Failed, record.Status);
        Assert.Contains("none of the 3 critique samples gave a usable answer", record.LastError, StringComparison.Ordinal);
        Assert.Empty(h.Reviews);
        // Two delivery attempts x one chunk x 3 samples, each sample asked twice (one retry for an unparseable answer).
        Assert.Equal(12, h.Model.Requests.Count);
    }

    [Fact]
    public async Task Without_permission_to_write_checks_the_review_is_still_posted()
    {
        await using var h = await ReviewHarness.StartAsync();
        h.GitHub.SetInstallationPermissions(ReviewHarness.InstallationId, SimulatedPermissions.WithoutChecks);

        var record = await h.FinishedAsync(await h.SendPullRequestAsync("opened"));

        Assert.Equal(DeliveryStatus.Done, record.Status);
        Assert.Single(h.Reviews);
        Assert.Empty(h.GitHub.CheckRuns(ReviewHarness.Repository));
    }

    [Fact]
    public async Task A_review_posted_by_a_worker_that_died_before_recording_it_is_not_posted_again_nor_its_comments()
    {
        await using var h = await ReviewHarness.StartAsync();
        // The dead worker's review is on GitHub, its own record still says in progress.
        await h.Store.ClaimReviewAsync(new ReviewKey(ReviewHarness.Repository, ReviewHarness.Number, h.HeadSha), h.BaseSha,
            Environment.MachineName, TimeSpan.FromMinutes(15), DateTimeOffset.UtcNow, CancellationToken.None);
        var said = CommentFingerprint.Of("src/billing.py", DiffSide.Right, ReviewHarness.OffByOne.Quote);
        await PostAsApp(h, $"An earlier review.\n\n<!-- criticbot:review head={h.HeadSha} -->", new DraftComment
        {
            Path = "src/billing.py",
            Line = 3,
            Body = "**Bug** · Skips the first item.\n\n" + CommentFingerprint.Marker(said),
        });

        var record = await h.FinishedAsync(await h.SendPullRequestAsync("opened"));

        Assert.StartsWith("already posted review", record.Outcome, StringComparison.Ordinal);
        Assert.Single(h.Reviews);
        Assert.Empty(h.Model.Requests);
        var stored = await h.Store.GetReviewAsync(new ReviewKey(ReviewHarness.Repository, ReviewHarness.Number, h.HeadSha), CancellationToken.None);
        Assert.Equal(ReviewStatus.Posted, stored!.Status);

        // A push next to the commented line: the critic flags it again, the bot does not say it again.
        var firstHead = h.HeadSha;
        h.Git.WriteFile("src/billing.py", File.ReadAllText(Path.Combine(h.Git.Root, "src/billing.py"))
            .Replace("    return result\n", "    return round(result, 2)\n", StringComparison.Ordinal));
        var newHead = h.Git.Commit("round");
        h.GitHub.Push(ReviewHarness.Repository, ReviewHarness.Number, newHead, h.FilesAt(h.BaseSha, newHead), h.FilesAt(firstHead, newHead));
        await h.FinishedAsync(await h.SendPullRequestAsync("synchronize", headSha: newHead));

        var second = h.Reviews.Single(r => r.CommitId == newHead);
        Assert.DoesNotContain(second.Comments, c => c.Path == "src/billing.py" && c.Line == 3);
        Assert.True(second.Body.Contains("already made on the same code", StringComparison.Ordinal), second.Body);
    }

    [Fact]
    public async Task Every_posted_comment_carries_its_hidden_fingerprint()
    {
        await using var h = await ReviewHarness.StartAsync();
        await h.FinishedAsync(await h.SendPullRequestAsync("opened"));

        var review = Assert.Single(h.Reviews);
        var stored = await h.Store.GetPostedFingerprintsAsync(ReviewHarness.Repository, ReviewHarness.Number, CancellationToken.None);
        Assert.Equal(stored.Order(), review.Comments.Select(c => CommentFingerprint.FromBody(c.Body)!).Order());
    }

    [Fact]
    public async Task A_review_held_by_another_host_that_died_is_taken_over_when_its_lease_ends_not_given_up()
    {
        await using var h = await ReviewHarness.StartAsync(settings: new Dictionary<string, string?> { ["Inbox:MaxAttempts"] = "2" });
        // Another host claimed this head and died: its claim holds for two more seconds, longer than the inbox's backoff.
        await h.Store.ClaimReviewAsync(new ReviewKey(ReviewHarness.Repository, ReviewHarness.Number, h.HeadSha), h.BaseSha,
            "another-host", TimeSpan.FromSeconds(2), DateTimeOffset.UtcNow, CancellationToken.None);

        var record = await h.FinishedAsync(await h.SendPullRequestAsync("opened"));

        Assert.Equal(DeliveryStatus.Done, record.Status);
        Assert.StartsWith("posted review", record.Outcome, StringComparison.Ordinal);
        Assert.Single(h.Reviews);
    }

    [Fact]
    public async Task A_used_up_rate_limit_is_waited_for_until_its_reset_not_given_up()
    {
        await using var h = await ReviewHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Inbox:MaxAttempts"] = "2",
            // The reset is further away than the HTTP layer sits through: the inbox must wait for it.
            ["GitHub:MaxWait"] = "00:00:00.200",
        });
        h.GitHub.SetRateLimitRemaining(0, resetIn: TimeSpan.FromSeconds(2));

        var record = await h.FinishedAsync(await h.SendPullRequestAsync("opened"));

        Assert.Equal(DeliveryStatus.Done, record.Status);
        Assert.Contains("rate limit", record.LastError, StringComparison.OrdinalIgnoreCase);
        Assert.Single(h.Reviews);
    }

    [Theory]
    [InlineData("mallory")]
    [InlineData("some-other-app[bot]")]
    public async Task A_review_by_someone_else_carrying_the_head_marker_does_not_stop_the_bots_review(string author)
    {
        await using var h = await ReviewHarness.StartAsync();
        // The PR's author (or another App) pastes CriticBot's marker for the new head into a review of its own.
        h.GitHub.AddUserReview(ReviewHarness.Repository, ReviewHarness.Number, author, h.HeadSha,
            $"LGTM\n\n<!-- criticbot:review head={h.HeadSha} -->");

        var record = await h.FinishedAsync(await h.SendPullRequestAsync("opened"));

        Assert.StartsWith("posted review", record.Outcome, StringComparison.Ordinal);
        Assert.Equal(2, h.Reviews.Count);
        var ours = h.Reviews.Single(r => r.UserLogin != author);
        Assert.Equal("criticbot[bot]", ours.UserLogin);
        Assert.Equal(2, ours.Comments.Count);
    }

    private static async Task PostAsApp(ReviewHarness h, string body, params DraftComment[] comments)
    {
        // Through the product's own gateway, as the dead worker would have.
        var gateway = (IGitHubGateway)h.Service!.Services.GetService(typeof(IGitHubGateway))!;
        await gateway.CreateReviewAsync(ReviewHarness.InstallationId, RepoRef.Parse(ReviewHarness.Repository), ReviewHarness.Number,
            new ReviewDraft { CommitId = h.HeadSha, Body = body, Comments = comments });
    }
}
