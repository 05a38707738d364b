using CriticBot.Storage;

namespace CriticBot.Tests.EndToEnd;

/// <summary>What starts a review, what skips it, and how a repository configures it.</summary>
public sealed class ReviewTriggerTests
{
    [Fact]
    public async Task A_maintainer_can_ask_for_a_review_of_a_draft_and_a_reader_cannot()
    {
        await using var h = await ReviewHarness.StartAsync();
        h.GitHub.SetDraft(ReviewHarness.Repository, ReviewHarness.Number, true);
        h.GitHub.SetPermission(ReviewHarness.Repository, "reader", "read");
        h.GitHub.SetPermission(ReviewHarness.Repository, "maintainer", "write");

        var opened = await h.FinishedAsync(await h.SendPullRequestAsync("opened"));
        Assert.Equal("skipped: draft pull request", opened.Outcome);

        var byReader = await h.FinishedAsync(await h.SendCommentAsync("/critic review", "reader"));
        Assert.Contains("read access", byReader.Outcome, StringComparison.Ordinal);
        var chatter = await h.FinishedAsync(await h.SendCommentAsync("Looks good to me, will /critic review later", "maintainer"));
        Assert.Equal("ignored: not a review command", chatter.Outcome);
        Assert.Empty(h.Reviews);

        // The draft was skipped at this head; a maintainer's explicit request still reviews it.
        var asked = await h.FinishedAsync(await h.SendCommentAsync("/critic review", "maintainer"));
        Assert.StartsWith("posted review", asked.Outcome, StringComparison.Ordinal);
        Assert.Single(h.Reviews);
    }

    [Fact]
    public async Task A_review_command_from_a_writer_reviews_the_pull_request()
    {
        await using var h = await ReviewHarness.StartAsync();
        h.GitHub.SetPermission(ReviewHarness.Repository, "maintainer", "maintain");

        var record = await h.FinishedAsync(await h.SendCommentAsync("Thanks!\n\n/critic review\n", "maintainer"));

        Assert.StartsWith("posted review", record.Outcome, StringComparison.Ordinal);
        Assert.Single(h.Reviews);
    }

    [Fact]
    public async Task Drafts_are_reviewed_when_the_repository_asks_for_it_and_configuration_shapes_the_review()
    {
        await using var h = await ReviewHarness.StartAsync();
        h.GitHub.SetDraft(ReviewHarness.Repository, ReviewHarness.Number, true);
        h.GitHub.SetFileContent(ReviewHarness.Repository, "main", ".github/criticbot.yml", """
            review_drafts: true
            exclude: ["src/users.py"]
            max_comments: 5
            instructions: Pay special attention to money arithmetic.
            language: German
            """);

        var record = await h.FinishedAsync(await h.SendPullRequestAsync("opened"));

        Assert.StartsWith("posted review", record.Outcome, StringComparison.Ordinal);
        var review = Assert.Single(h.Reviews);
        var comment = Assert.Single(review.Comments);
        Assert.Equal("src/billing.py", comment.Path);
        Assert.Contains("src/users.py", review.Body, StringComparison.Ordinal);
        Assert.Contains("excluded by configuration", review.Body, StringComparison.Ordinal);
        Assert.All(h.Model.Requests, r => Assert.Contains("money arithmetic", r.Messages[0].Content, StringComparison.Ordinal));
        Assert.All(h.Model.Requests, r => Assert.Contains("German", r.Messages[0].Content, StringComparison.Ordinal));
        Assert.All(h.Model.Requests, r => Assert.DoesNotContain("src/users.py", r.Messages[^1].Content, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_repository_can_turn_the_bot_off_and_an_invalid_file_is_reported_not_fatal()
    {
        await using var h = await ReviewHarness.StartAsync();
        h.GitHub.SetFileContent(ReviewHarness.Repository, "main", ".github/criticbot.yml", "enabled: false\n");
        var off = await h.FinishedAsync(await h.SendPullRequestAsync("opened"));
        Assert.Equal("skipped: disabled by configuration", off.Outcome);
        Assert.Empty(h.Reviews);
        Assert.Empty(h.Model.Requests);

        // The configuration lives on the base branch: a new push is a new head, reviewed with the new file.
        h.GitHub.SetFileContent(ReviewHarness.Repository, "main", ".github/criticbot.yml", "precision: high\nenabled: false\n");
        h.Git.WriteFile("docs/notes.md", "notes\n");
        var newHead = h.Git.Commit("notes");
        h.GitHub.Push(ReviewHarness.Repository, ReviewHarness.Number, newHead, h.FilesAt(h.BaseSha, newHead), h.FilesAt(h.HeadSha, newHead));
        var invalid = await h.FinishedAsync(await h.SendPullRequestAsync("synchronize", headSha: newHead));

        Assert.StartsWith("posted review", invalid.Outcome, StringComparison.Ordinal);
        var review = Assert.Single(h.Reviews);
        Assert.Contains("precision must be a number", review.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Closed_pull_requests_and_other_actions_are_left_alone()
    {
        await using var h = await ReviewHarness.StartAsync();
        var labeled = await h.Service!.WaitForDeliveryAsync(await h.SendPullRequestAsync("labeled"), d => d.Status is DeliveryStatus.Ignored or DeliveryStatus.Done);
        Assert.NotEqual(DeliveryStatus.Failed, labeled.Status);

        h.GitHub.ClosePullRequest(ReviewHarness.Repository, ReviewHarness.Number);
        var closed = await h.FinishedAsync(await h.SendPullRequestAsync("reopened"));
        Assert.Equal("skipped: pull request is closed", closed.Outcome);
        Assert.Empty(h.Reviews);
    }
}
