using System.Net;
using CriticBot.Storage;
using CriticBot.Testing.FakeModel;
using CriticBot.Tests.Fixtures;

namespace CriticBot.Tests.EndToEnd;

/// <summary>
/// Cost and fairness through the real service (issue 6 §5): budgets per review, per repository per hour and per
/// author, cancellation of a superseded review's model calls, and coalescing of queued deliveries.
/// </summary>
public sealed class PipelineCostTests
{
    [Fact]
    public async Task A_newer_push_cancels_the_held_model_calls_of_the_older_review_and_nothing_is_posted_for_the_old_head()
    {
        var critic = ReviewHarness.DefaultCritic();
        await using var h = await ReviewHarness.StartAsync(critic);
        var firstHead = h.HeadSha;
        var holding = 0;
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Model.AsyncResponder = async (request, abandoned) =>
        {
            if (Volatile.Read(ref holding) == 0)
            {
                // The old head's calls: held until the client gives up on them (never answered otherwise).
                held.TrySetResult();
                await Task.Delay(Timeout.Infinite, abandoned);
            }

            return critic.Respond(request);
        };

        var first = await h.SendPullRequestAsync("opened");
        await held.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // One chunk, three samples: all three in flight at once (a review runs up to four).
        await WaitUntilAsync(() => h.Model.Requests.Count == 3, () => $"{h.Model.Requests.Count} calls");
        var oldHeadCalls = h.Model.Requests.Count;

        // A push arrives while the model is thinking.
        h.Git.WriteFile("src/users.py", "def find_user(db, name):\n    return db.execute(\"SELECT * FROM users WHERE name = ?\", (name,)).fetchone()\n");
        var newHead = h.Git.Commit("parameterise");
        h.GitHub.Push(ReviewHarness.Repository, ReviewHarness.Number, newHead, h.FilesAt(h.BaseSha, newHead), h.FilesAt(firstHead, newHead));
        Volatile.Write(ref holding, 1);
        var second = await h.SendPullRequestAsync("synchronize", headSha: newHead);

        var firstRecord = await h.FinishedAsync(first);
        Assert.StartsWith($"superseded: the head moved to {newHead}", firstRecord.Outcome, StringComparison.Ordinal);

        // Every held call of the old review was abandoned by the client: the fake model saw each one go away.
        await WaitUntilAsync(() => h.Model.AbandonedRequests == oldHeadCalls, () => $"abandoned {h.Model.AbandonedRequests} of {oldHeadCalls}");
        Assert.Equal(DeliveryStatus.Done, (await h.FinishedAsync(second)).Status);

        var review = Assert.Single(h.Reviews);
        Assert.Equal(newHead, review.CommitId);
        var stored = await h.Store.GetReviewAsync(new(ReviewHarness.Repository, ReviewHarness.Number, firstHead), CancellationToken.None);
        Assert.Equal(ReviewStatus.Superseded, stored!.Status);
        var oldCheck = Assert.Single(h.GitHub.CheckRuns(ReviewHarness.Repository), c => c.HeadSha == firstHead);
        Assert.Equal(("completed", "skipped"), (oldCheck.Status, oldCheck.Conclusion));
    }

    [Fact]
    public async Task A_repository_over_its_hourly_budget_gets_no_model_calls_and_the_check_run_names_the_budget()
    {
        // One review of the harness PR is one chunk of three samples: three calls; the hour allows three.
        await using var h = await ReviewHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Review:RepositoryModelCallsPerHour"] = "3",
        });
        Assert.Equal(DeliveryStatus.Done, (await h.FinishedAsync(await h.SendPullRequestAsync("opened"))).Status);
        Assert.Single(h.Reviews);
        var calls = h.Model.Requests.Count;
        Assert.Equal(3, calls);

        var firstHead = h.HeadSha;
        h.Git.WriteFile("src/users.py", "def find_user(db, name):\n    return db.execute(\"SELECT 1\").fetchone()\n");
        var newHead = h.Git.Commit("change users");
        h.GitHub.Push(ReviewHarness.Repository, ReviewHarness.Number, newHead, h.FilesAt(h.BaseSha, newHead), h.FilesAt(firstHead, newHead));
        var record = await h.FinishedAsync(await h.SendPullRequestAsync("synchronize", headSha: newHead));

        Assert.Equal(DeliveryStatus.Done, record.Status);
        Assert.Equal("skipped: nothing reviewed: too little is left of this repository's hourly budget of 3 model calls", record.Outcome);
        Assert.Equal(calls, h.Model.Requests.Count);
        Assert.Single(h.Reviews);
        var check = Assert.Single(h.GitHub.CheckRuns(ReviewHarness.Repository), c => c.HeadSha == newHead);
        Assert.Equal(("completed", "Model-call budget spent"), (check.Status, check.Title));
        Assert.Contains("src/users.py", check.Summary, StringComparison.Ordinal);
        Assert.Contains("not reviewed: over this repository's hourly budget of 3 model calls", check.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_author_over_their_hourly_budget_gets_no_review_on_another_pull_request()
    {
        await using var h = await ReviewHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Review:AuthorModelCallsPerHour"] = "4",
        });
        Assert.Equal(DeliveryStatus.Done, (await h.FinishedAsync(await h.SendPullRequestAsync("opened"))).Status);
        var calls = h.Model.Requests.Count;
        Assert.Equal(3, calls);

        // The same author (octocat) opens a second pull request: one call is left, a chunk needs three.
        h.GitHub.OpenPullRequest(ReviewHarness.Repository, 8, "main", h.BaseSha, h.HeadSha, h.FilesAt(h.BaseSha, h.HeadSha));
        var deliveryId = Guid.NewGuid().ToString();
        using (var response = await h.Service!.SendAsync("pull_request",
            GitHubPayloads.PullRequest("opened", ReviewHarness.Repository, 8, h.HeadSha, h.BaseSha), deliveryId))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var record = await h.FinishedAsync(deliveryId);
        Assert.Equal(calls, h.Model.Requests.Count);
        Assert.Empty(h.GitHub.Reviews(ReviewHarness.Repository, 8));
        Assert.StartsWith("skipped: nothing reviewed", record.Outcome, StringComparison.Ordinal);
        Assert.Contains("@octocat", record.Outcome, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_review_over_its_own_call_budget_names_the_files_it_did_not_review_in_the_summary()
    {
        await using var h = await ReviewHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            // Three samples per chunk: two calls cannot pay for one chunk.
            ["Review:MaxModelCallsPerReview"] = "2",
        });

        var record = await h.FinishedAsync(await h.SendPullRequestAsync("opened"));

        Assert.Equal(DeliveryStatus.Done, record.Status);
        Assert.Empty(h.Model.Requests);
        var review = Assert.Single(h.Reviews);
        Assert.Contains("src/billing.py", review.Body, StringComparison.Ordinal);
        Assert.Contains("src/users.py", review.Body, StringComparison.Ordinal);
        Assert.Contains("(not reviewed: over this review's budget of 2 model calls)", review.Body, StringComparison.Ordinal);
        var check = Assert.Single(h.GitHub.CheckRuns(ReviewHarness.Repository));
        Assert.Contains("not reviewed: over this review's budget of 2 model calls", check.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deliveries_queued_behind_a_running_review_are_coalesced_into_one_look_up()
    {
        var critic = ReviewHarness.DefaultCritic();
        await using var h = await ReviewHarness.StartAsync(critic);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Model.AsyncResponder = async (request, abandoned) =>
        {
            held.TrySetResult();
            await release.Task.WaitAsync(abandoned);
            return critic.Respond(request);
        };

        var first = await h.SendPullRequestAsync("opened");
        await held.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // A burst for the same pull request while it is being reviewed (redeliveries, edits: the same head).
        var queued = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            queued.Add(await h.SendPullRequestAsync("synchronize"));
        }

        release.SetResult();
        Assert.StartsWith("posted review", (await h.FinishedAsync(first)).Outcome, StringComparison.Ordinal);
        var records = new List<DeliveryRecord>();
        foreach (var id in queued)
        {
            records.Add(await h.FinishedAsync(id));
        }

        // The first queued delivery looked up the head once; the other five were covered by that look-up.
        Assert.All(records, r => Assert.Equal(DeliveryStatus.Done, r.Status));
        var handled = Assert.Single(records, r => !r.Outcome!.StartsWith("coalesced", StringComparison.Ordinal));
        Assert.StartsWith("already posted", handled.Outcome, StringComparison.Ordinal);
        Assert.All(records.Where(r => r != handled), r =>
            Assert.StartsWith($"coalesced into delivery {handled.DeliveryId}: already posted", r.Outcome, StringComparison.Ordinal));
        Assert.Single(h.Reviews);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, Func<string> describe)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out: " + describe());
            await Task.Delay(50);
        }
    }
}
