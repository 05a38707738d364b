using CriticBot.Storage;
using CriticBot.Testing.FakeModel;

namespace CriticBot.Tests.EndToEnd;

/// <summary>
/// One signed webhook to one posted review, through the real endpoint, inbox, engine, OpenAI client, Octokit and
/// GitHub simulator.
/// </summary>
public sealed class ReviewEndToEndTests
{
    [Fact]
    public async Task An_opened_pull_request_gets_one_review_whose_comments_sit_on_their_quotes()
    {
        await using var h = await ReviewHarness.StartAsync();

        var delivery = await h.SendPullRequestAsync("opened");
        var record = await h.FinishedAsync(delivery);

        Assert.Equal(DeliveryStatus.Done, record.Status);
        Assert.StartsWith("posted review", record.Outcome, StringComparison.Ordinal);
        var review = Assert.Single(h.Reviews);
        Assert.Equal(h.HeadSha, review.CommitId);
        Assert.Equal("COMMENT", review.Event);
        Assert.Contains($"<!-- criticbot:review head={h.HeadSha} -->", review.Body, StringComparison.Ordinal);

        // Both planted bugs, each exactly on its quote; nothing the critic invented.
        var files = h.FilesAt(h.BaseSha, h.HeadSha);
        Assert.Equal(2, review.Comments.Count);
        var offByOne = Assert.Single(review.Comments, c => c.Path == "src/billing.py");
        Assert.Equal((3, "RIGHT", (int?)null), (offByOne.Line, offByOne.Side, offByOne.StartLine));
        ReviewHarness.AssertAnchoredOnQuote(offByOne, files, ReviewHarness.OffByOne.Quote);
        var injection = Assert.Single(review.Comments, c => c.Path == "src/users.py");
        Assert.Equal(2, injection.Line);
        ReviewHarness.AssertAnchoredOnQuote(injection, files, ReviewHarness.SqlInjection.Quote);

        // Bot output is untrusted output: no live mention, no raw HTML, no foreign link.
        Assert.DoesNotContain("@octocat", offByOne.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", offByOne.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("](https://evil.example.com", offByOne.Body, StringComparison.Ordinal);
        Assert.StartsWith("**Bug**", offByOne.Body, StringComparison.Ordinal);

        // The summary says what was skipped and what was dropped.
        Assert.Contains("package-lock.json", review.Body, StringComparison.Ordinal);
        Assert.Contains("lockfile", review.Body, StringComparison.Ordinal);
        Assert.Contains("ungrounded", review.Body, StringComparison.Ordinal);

        // The check run went from in progress to a neutral conclusion.
        var check = Assert.Single(h.GitHub.CheckRuns(ReviewHarness.Repository));
        Assert.Equal(("CriticBot", h.HeadSha, "completed", "neutral"), (check.Name, check.HeadSha, check.Status, check.Conclusion));

        // Every sample went out with a temperature above 0 and the schema; the exact prompts are stored.
        Assert.All(h.Model.Requests, r => Assert.True(r.Temperature > 0));
        var stored = await h.Store.GetReviewAsync(new ReviewKey(ReviewHarness.Repository, ReviewHarness.Number, h.HeadSha), CancellationToken.None);
        Assert.Equal((ReviewStatus.Posted, review.Id), (stored!.Status, stored.GitHubReviewId));
        var candidates = await h.Store.GetResearchCandidatesAsync(stored.Id, CancellationToken.None);
        Assert.Contains(candidates, c => c.Path is null && !c.Posted);
        Assert.Equal(2, candidates.Where(c => c.Posted).Select(c => c.Path).Distinct().Count());
        Assert.All(candidates, c => Assert.NotNull(h.Store.GetPromptAsync(c.PromptSha256, CancellationToken.None).Result));
    }

    [Fact]
    public async Task A_redelivery_and_a_second_event_for_the_same_head_post_nothing_more()
    {
        await using var h = await ReviewHarness.StartAsync();

        var delivery = await h.SendPullRequestAsync("opened");
        await h.FinishedAsync(delivery);
        var calls = h.Model.Requests.Count;

        using (var again = await h.Service!.SendAsync("pull_request",
            Fixtures.GitHubPayloads.PullRequest("opened", ReviewHarness.Repository, ReviewHarness.Number, h.HeadSha, h.BaseSha), delivery))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, again.StatusCode);
        }

        var reopened = await h.FinishedAsync(await h.SendPullRequestAsync("reopened"));

        Assert.StartsWith("already posted", reopened.Outcome, StringComparison.Ordinal);
        Assert.Single(h.Reviews);
        Assert.Equal(calls, h.Model.Requests.Count);
    }

    [Fact]
    public async Task Opened_and_synchronize_racing_give_one_review_of_the_newest_head()
    {
        await using var h = await ReviewHarness.StartAsync();
        var firstHead = h.HeadSha;
        h.Git.WriteFile("docs/notes.md", "notes\n");
        var newHead = h.Git.Commit("notes");
        h.GitHub.Push(ReviewHarness.Repository, ReviewHarness.Number, newHead,
            h.FilesAt(h.BaseSha, newHead), h.FilesAt(firstHead, newHead));

        var deliveries = await Task.WhenAll(
            h.SendPullRequestAsync("opened", headSha: firstHead),
            h.SendPullRequestAsync("synchronize", headSha: newHead));
        foreach (var delivery in deliveries)
        {
            Assert.Equal(DeliveryStatus.Done, (await h.FinishedAsync(delivery)).Status);
        }

        var review = Assert.Single(h.Reviews);
        Assert.Equal(newHead, review.CommitId);
    }

    [Fact]
    public async Task A_push_while_the_model_is_thinking_supersedes_the_older_review()
    {
        var critic = ReviewHarness.DefaultCritic();
        var pushed = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        await using var h = await ReviewHarness.StartAsync(critic);
        var firstHead = h.HeadSha;
        h.Model.Responder = request =>
        {
            pushed.TrySetResult();
            release.Task.Wait(TimeSpan.FromSeconds(20));
            return critic.Respond(request);
        };

        var first = await h.SendPullRequestAsync("opened");
        await pushed.Task.WaitAsync(TimeSpan.FromSeconds(20));
        h.Git.WriteFile("src/users.py", "def find_user(db, name):\n    return db.execute(\"SELECT * FROM users WHERE name = ?\", (name,)).fetchone()\n");
        var newHead = h.Git.Commit("parameterise");
        h.GitHub.Push(ReviewHarness.Repository, ReviewHarness.Number, newHead, h.FilesAt(h.BaseSha, newHead), h.FilesAt(firstHead, newHead));
        var second = await h.SendPullRequestAsync("synchronize", headSha: newHead);
        release.SetResult();

        Assert.StartsWith("superseded", (await h.FinishedAsync(first)).Outcome, StringComparison.Ordinal);
        Assert.Equal(DeliveryStatus.Done, (await h.FinishedAsync(second)).Status);
        var review = Assert.Single(h.Reviews);
        Assert.Equal(newHead, review.CommitId);
        Assert.DoesNotContain(review.Comments, c => c.Path == "src/users.py");
    }

    [Fact]
    public async Task A_push_that_changes_one_file_is_reviewed_incrementally_and_nothing_is_said_twice()
    {
        var critic = ReviewHarness.DefaultCritic();
        await using var h = await ReviewHarness.StartAsync(critic);
        await h.FinishedAsync(await h.SendPullRequestAsync("opened"));
        var firstHead = h.HeadSha;
        var requestsBefore = h.Model.Requests.Count;

        h.Git.WriteFile("src/users.py", """
            def find_user(db, name):
                query = "SELECT * FROM users WHERE name = '" + name + "'"
                return db.execute(query).fetchone()


            def delete_user(db, name):
                db.execute("DELETE FROM users WHERE name = '" + name + "'")

            """);
        var newHead = h.Git.Commit("delete users");
        h.GitHub.Push(ReviewHarness.Repository, ReviewHarness.Number, newHead, h.FilesAt(h.BaseSha, newHead), h.FilesAt(firstHead, newHead));
        var record = await h.FinishedAsync(await h.SendPullRequestAsync("synchronize", headSha: newHead));

        Assert.Equal(DeliveryStatus.Done, record.Status);
        Assert.Equal(2, h.Reviews.Count);
        var second = h.Reviews.Single(r => r.CommitId == newHead);
        Assert.Contains($"between `{firstHead[..7]}` and `{newHead[..7]}`", second.Body, StringComparison.Ordinal);

        // Only the changed file went to the model, and the injection already commented on is not repeated.
        var newPrompts = h.Model.Requests.Skip(requestsBefore).Select(r => r.Messages[^1].Content).ToList();
        Assert.NotEmpty(newPrompts);
        Assert.All(newPrompts, p => Assert.DoesNotContain("src/billing.py", p, StringComparison.Ordinal));
        Assert.All(newPrompts, p => Assert.Contains("src/users.py", p, StringComparison.Ordinal));
        Assert.Empty(second.Comments);
        Assert.Contains("already made on the same code", second.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_push_that_changes_nothing_reviewable_posts_no_empty_review()
    {
        await using var h = await ReviewHarness.StartAsync();
        await h.FinishedAsync(await h.SendPullRequestAsync("opened"));
        var firstHead = h.HeadSha;

        h.Git.WriteFile("package-lock.json", "{\n  \"lockfileVersion\": 3,\n  \"packages\": {}\n}\n");
        var newHead = h.Git.Commit("lockfile only");
        h.GitHub.Push(ReviewHarness.Repository, ReviewHarness.Number, newHead, h.FilesAt(h.BaseSha, newHead), h.FilesAt(firstHead, newHead));
        var record = await h.FinishedAsync(await h.SendPullRequestAsync("synchronize", headSha: newHead));

        Assert.StartsWith("skipped: nothing reviewable changed", record.Outcome, StringComparison.Ordinal);
        Assert.Single(h.Reviews);
        var check = h.GitHub.CheckRuns(ReviewHarness.Repository).Single(c => c.HeadSha == newHead);
        Assert.Equal(("completed", "Nothing new to review"), (check.Status, check.Title));
        Assert.Contains("package-lock.json", check.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_GitHub_Enterprise_Server_installation_is_reviewed_through_its_api_v3_root()
    {
        await using var h = await ReviewHarness.StartAsync(startService: false);
        await h.StartServiceAsync(new Dictionary<string, string?> { ["GITHUB_API_URL"] = h.GitHub.EnterpriseApiUrl.ToString() });

        var record = await h.FinishedAsync(await h.SendPullRequestAsync("opened"));

        Assert.StartsWith("posted review", record.Outcome, StringComparison.Ordinal);
        Assert.Equal(2, Assert.Single(h.Reviews).Comments.Count);
        Assert.NotEmpty(h.GitHub.Requests);
        Assert.All(h.GitHub.Requests, r => Assert.Equal("/api/v3", r.PathBase));
    }
}
